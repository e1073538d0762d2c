#!/usr/bin/env bash
# Instructions one inference executes on an MCU core, counted under QEMU, for the fast
# and the reference kernels: the MCU side of BENCHMARKS.md.
#
#   scripts/mcu_instructions.sh [--lang c|rust] [--rust-opt-level L] [--kernels "fast reference"] MODEL.onnx [TARGET] [INPUT_NAME]
#
# --lang rust builds the device as Rust (its no_std crate in the same test firmware, see
# `meshnn build --lang rust`), at cargo opt-level L (default meshnn's, "s").
# TARGET is a meshnn target with a QEMU board (default nrf52840, a Cortex-M4F). The whole
# model runs as one device on it; QEMU executes the test firmware one instruction per
# translation block with exec tracing, and the trace lines are counted. The count
# includes the firmware's start-up and semihosting file I/O (a few thousand
# instructions). Needs the cross toolchain and QEMU (scripts/setup.sh installs them).
set -euo pipefail
lang=c
opt=()
variants="fast reference"
while [ $# -gt 0 ]; do
  case "$1" in
    --lang) lang=$2; shift 2 ;;
    --rust-opt-level) opt=(--rust-opt-level "$2"); shift 2 ;;
    --kernels) variants=$2; shift 2 ;;
    *) break ;;
  esac
done
model=$(realpath "$1")
target=${2:-nrf52840}
root=$(cd "$(dirname "$0")/.." && pwd)
meshnn="$root/target/release/meshnn"
[ -x "$meshnn" ] || cargo build --release --manifest-path "$root/Cargo.toml" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
info=$("$meshnn" inspect "$model" --json)
read -r input shape macs < <(python3 -c '
import json, sys
r = json.load(sys.stdin)
i = r["inputs"][0]
print(i["name"], ",".join(map(str, i["shape"])), r["total_macs"])' <<<"$info")
input=${3:-$input}
python3 -c "
import numpy as np
np.save('$work/x.npy', np.random.RandomState(0).rand(*[int(s) for s in '$shape'.split(',')]).astype('float32'))"
echo "model $model on $target ($macs MACs), $lang ${opt[*]}"
for kernels in $variants; do
  cat > "$work/$kernels.toml" <<TOML
[[device]]
name = "dev"
target = "$target"
inputs = ["$input"]
outputs = true
kernels = "$kernels"
TOML
  "$meshnn" run "$model" --deploy "$work/$kernels.toml" --on qemu --input "$input=$work/x.npy" \
    --lang "$lang" "${opt[@]}" --out-dir "$work/out_$kernels" --build-dir "$work/b_$kernels" >/dev/null
  run="$work/b_$kernels/firmware/dev/run"
  read -r system machine < <(python3 - "$root/targets/$target.toml" <<'PY'
import sys, tomllib
q = tomllib.load(open(sys.argv[1], "rb"))["qemu"]
print(q["system"], q["machine"])
PY
)
  extra=()
  [ "$machine" = virt ] && extra=(-bios none)
  n=$(cd "$run" && "$system" -M "$machine" "${extra[@]}" -nographic -monitor none -serial none \
        -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D /dev/stdout \
        -kernel ../dev.elf 2>/dev/null | grep -c '^Trace' || true)
  python3 -c "print(f'{\"$kernels\":<10} {$n:>12} instructions  {$n / $macs:.2f} per MAC')"
done
