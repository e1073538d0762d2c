#!/usr/bin/env bash
# The long fuzzing campaign of issue 17: each target 10^7 executions or 30 minutes, whichever
# comes first, at the lowest CPU priority (the summary lines go to fuzz/logs/summary.txt;
# results are recorded in BENCHMARKS.md). Same targets and limits as scripts/fuzz_smoke.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SEED=${FUZZ_SEED:-0} FUZZ_SECONDS=${FUZZ_SECONDS:-1800} FUZZ_RUNS=${FUZZ_RUNS:-10000000} exec nice -n 19 scripts/fuzz_smoke.sh
