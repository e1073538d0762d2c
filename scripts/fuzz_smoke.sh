#!/usr/bin/env bash
# Coverage-guided fuzzing of meshnn's parsers of untrusted input (the fuzz/ crate, cargo-fuzz
# + libFuzzer): import_onnx, deploy_toml, npy, and the Rust link layer's receive path
# (rust_rx), one after another, single process each.
#
#   scripts/fuzz_smoke.sh                 60 s per target (CI; scripts/test.sh runs it)
#   FUZZ_SECONDS=1800 FUZZ_RUNS=10000000 scripts/fuzz_smoke.sh     (scripts/fuzz_long.sh)
#   FUZZ_TARGETS="npy" scripts/fuzz_smoke.sh                        one target
#
# Each target stops after FUZZ_SECONDS or FUZZ_RUNS executions, whichever comes first. A
# panic, an allocation over 2 GiB, RSS over 2 GiB or one input running over 10 s
# (FUZZ_TIMEOUT) is a
# finding: the input lands in fuzz/artifacts/<target>/ and the script fails. The corpus
# (fuzz/corpus/<target>/, seeded by fuzz/seed_corpus.py) grows across runs. Logs and a
# one-line summary per target (executions, exec/s, coverage) go to fuzz/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:--1}
# libFuzzer's per-input timeout is wall-clock time: on a loaded machine at nice 19 raise it.
timeout=${FUZZ_TIMEOUT:-10}
# A fixed seed makes the sequence of inputs the same on every run (CI checks a known
# stretch of it; a slower machine stops earlier in it); FUZZ_SEED=0 draws a new one.
seed=${FUZZ_SEED:-1}
targets=${FUZZ_TARGETS:-import_onnx deploy_toml npy rust_rx}
mkdir -p fuzz/logs
python3 fuzz/seed_corpus.py fuzz/corpus > /dev/null
# Release build with overflow checks and debug assertions (cargo-fuzz's default).
cargo +nightly fuzz build --fuzz-dir fuzz 2> fuzz/logs/build.log || { tail -30 fuzz/logs/build.log; exit 1; }

bin=fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release

status=0
for t in $targets; do
  log=fuzz/logs/$t.log
  mkdir -p "fuzz/artifacts/$t"
  if "$bin/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
      -max_total_time="$seconds" -runs="$runs" -seed="$seed" -timeout="$timeout" -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 -dict="fuzz/dict/$t.dict" -print_final_stats=1 > "$log" 2>&1; then
    verdict="no finding"
  else
    verdict="FINDING (see $log and fuzz/artifacts/$t/)"
    status=1
    tail -40 "$log"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  echo "fuzz $t: ${execs:-?} executions, ${rate:-?} exec/s, ${cov:-no coverage line}: $verdict" | tee -a fuzz/logs/summary.txt
done
exit $status
