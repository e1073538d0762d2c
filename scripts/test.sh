#!/usr/bin/env bash
# Every test: C runtime unit tests (sanitizers), then the Rust unit + integration tests
# (fixtures vs onnxruntime, snapshots, bad input, ONNX backend conformance, partitioning,
# the lossy-link simulator), with bounded fuzzing runs of the link layer and of the
# ONNX, deploy.toml and .npy/.npz parsers in between.
set -euo pipefail
cd "$(dirname "$0")/.."

make -s -C runtime-c check-warnings
make -s -C runtime-c test
# The int8 kernels' tests again on a Cortex-M4F and a Cortex-M0+ under QEMU (their DSP
# and Thumb-1 assembly paths: 2000 random fast-vs-reference convolutions each).
bash scripts/s8_cost.sh --tests-only
# 60 s of coverage-guided fuzzing of the frame parser + reassembler; a finding fails.
if ! make -s -C runtime-c fuzz-smoke > runtime-c/fuzz-smoke.log 2>&1; then
  tail -40 runtime-c/fuzz-smoke.log; echo "link fuzzing found a problem (runtime-c/fuzz-smoke.log)"; exit 1
fi
grep -E "^Done" runtime-c/fuzz-smoke.log
# 60 s each of the ONNX importer, deploy.toml and .npy/.npz fuzz targets (fuzz/).
scripts/fuzz_smoke.sh
# distill/: the fast tests (no training; torch-dependent ones skip when torch is absent).
python3 -m pytest -q distill/tests
cargo test --release --workspace
# The Rust runtime's fast convolutions again with the Cortex-M tile width (NR 2, as
# runtime-c's test_fast_vs_ref_scalar), against runtime-c (own target dir: other RUSTFLAGS).
RUSTFLAGS="--cfg meshnn_scalar_tiles" CARGO_TARGET_DIR=target/scalar-tiles \
  cargo test --release -p meshnn-runtime -p meshnn-runtime-diff
# And with the pairs of tiles AVX-512 builds run (`meshnn bench` builds with
# target-cpu=native), on any host: the convolutions against runtime-c.
RUSTFLAGS="--cfg meshnn_pair_tiles" CARGO_TARGET_DIR=target/pair-tiles \
  cargo test --release -p meshnn-runtime-diff --test conv
# And with the fused multiply-adds of x86 FMA builds (kernels::madd, as `meshnn bench`'s
# target-cpu=native): every kernel against runtime-c (no contraction) within 1e-5.
if grep -qw fma /proc/cpuinfo 2>/dev/null; then
  RUSTFLAGS="-C target-feature=+fma" CARGO_TARGET_DIR=target/fma \
    cargo test --release -p meshnn-runtime -p meshnn-runtime-diff
fi
