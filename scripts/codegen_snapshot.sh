#!/usr/bin/env bash
# Writes every file meshnn generates for the models under tests/ into OUT, so two builds
# of meshnn can be compared byte for byte (`diff -r`): compile (one device, the example
# deployment, the test deployments, layer/single strategies, reference kernels), the
# simulator sources and the firmware sources. Used to check that a refactor leaves the
# generated code unchanged:
#   bash scripts/codegen_snapshot.sh OLD_MESHNN /tmp/a; bash scripts/codegen_snapshot.sh target/release/meshnn /tmp/b; diff -r /tmp/a /tmp/b
set -uo pipefail
cd "$(dirname "$0")/.."
MESHNN=$(realpath "$1"); OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"
EX=examples/nonn_wearables/deploy.toml
mkdir -p target; REF=target/codegen_snapshot_reference.toml  # one fixed path: it is named in meshnn_config.h
sed 's/^target = \(.*\)$/target = \1\nkernels = "reference"/' "$EX" > "$REF"
log() { echo "$*" >> "$OUT/_log.txt"; }
run() { # name, args...: stdout/stderr and exit code go into the log (paths made relative)
  local name=$1; shift
  "$MESHNN" "$@" > "$OUT/_tmp.txt" 2>&1; local rc=$?
  log "== $name rc=$rc"; sed "s|$OUT|OUT|g" "$OUT/_tmp.txt" >> "$OUT/_log.txt"
}
for m in tests/models/*.onnx; do
  b=$(basename "$m" .onnx)
  run "$b/single" compile "$m" --out "$OUT/$b/single"
  run "$b/inspect" inspect "$m" --json
  run "$b/memory" inspect "$m" --memory
  case $b in
    imu_conv1d|redundant_mean) ;;
    two_input) run "$b/two_sensors" compile "$m" --deploy tests/fixtures/deploy/two_sensors.toml --out "$OUT/$b/two_sensors" ;;
    *)
      run "$b/example" compile "$m" --deploy "$EX" --out "$OUT/$b/example"
      run "$b/layer" compile "$m" --deploy "$EX" --strategy layer --out "$OUT/$b/layer"
      run "$b/reference" compile "$m" --deploy "$REF" --out "$OUT/$b/reference"
      run "$b/partition" partition "$m" --deploy "$EX" --json ;;
  esac
done
python3 - "$OUT" <<'PY'
import sys, numpy as np
d = np.load("tests/models/mnist_test.npz"); np.savez(sys.argv[1] + "/_mnist5.npz", x=d["x"][:5], y=d["y"][:5])
PY
for m in nonn_k4 mnist_resilient_failout_k4; do
  run "$m/sim" simulate tests/models/$m.onnx --deploy "$EX" --data "$OUT/_mnist5.npz" --loss 0,0.3 --build-dir "$OUT/$m/sim"
  run "$m/sim_mean" simulate tests/models/$m.onnx --deploy "$EX" --data "$OUT/_mnist5.npz" --calib "$OUT/_mnist5.npz" --loss 0.3 --loss-model dropout --build-dir "$OUT/$m/sim_mean"
done
run "nonn_k4/firmware" build tests/models/nonn_k4.onnx --deploy "$EX" --out "$OUT/nonn_k4/firmware"
# Build products (objects, archives, ELFs, binaries) are not generated code.
find "$OUT" -type f \( -name '*.o' -o -name '*.a' -o -name '*.elf' -o -name '*.su' -o -perm -u+x \) -delete
rm -f "$OUT/_tmp.txt"
