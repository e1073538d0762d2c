#!/usr/bin/env bash
# Scale benchmark (issue 17, section 2): time and peak memory of meshnn on large synthetic
# models made by scripts/gen_scale_models.py (written to a temporary folder, never
# committed). Prints one markdown table row per run; record results in BENCHMARKS.md.
#
#   scripts/bench_scale.sh                      # the default sizes below
#   SIZES="1000 2000" KINDS="chain" scripts/bench_scale.sh
#
# chain: `meshnn inspect` of an N-node chain; tree: `meshnn inspect` of an N-node
# breadth-first fan-out/reduction tree (the arena packer's worst case); mlp: `meshnn
# partition` of N MatMul/Relu/Add nodes over 8 host devices (strategy modularity).
# On a shared machine the wall time depends on the load; the CPU time (user + system)
# is the work meshnn did.
set -euo pipefail
cd "$(dirname "$0")/.."
MESHNN=${MESHNN:-target/release/meshnn}
SIZES=${SIZES:-"1000 2000 5000 10000 100000"}
KINDS=${KINDS:-"chain tree mlp"}
TIMEOUT=${TIMEOUT:-600}
[ -x "$MESHNN" ] || { echo "bench_scale: build first (cargo build --release)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 scripts/gen_scale_models.py deploy 8 >"$dir/deploy8.toml"

echo "| model | nodes | command | wall (s) | CPU user+sys (s) | peak RSS (MB) |"
echo "| --- | ---: | --- | ---: | ---: | ---: |"
for kind in $KINDS; do
  for n in $SIZES; do
    model="$dir/$kind-$n.onnx"
    python3 scripts/gen_scale_models.py "$kind" "$n" "$model" >/dev/null
    nodes=$(python3 -c "import onnx,sys; print(len(onnx.load(sys.argv[1]).graph.node))" "$model")
    if [ "$kind" = mlp ]; then
      cmd=(partition "$model" --deploy "$dir/deploy8.toml")
      label="partition (8 devices)"
    else
      cmd=(inspect "$model")
      label="inspect"
    fi
    if timeout "$TIMEOUT" /usr/bin/time -v "$MESHNN" "${cmd[@]}" >/dev/null 2>"$dir/time.txt"; then
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$dir/time.txt")
      user=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$dir/time.txt")
      rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$dir/time.txt")
    else
      wall="> $TIMEOUT (or failed)"; user="-"; rss="-"
      grep -v '^\s' "$dir/time.txt" | head -3 >&2 || true
    fi
    echo "| $kind | $nodes | $label | $wall | $user | $rss |"
  done
done
