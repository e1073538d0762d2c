#!/usr/bin/env bash
# Every test: C runtime unit tests (sanitizers), then the Rust unit + integration tests
# (fixtures vs onnxruntime, snapshots, bad input, ONNX backend conformance).
set -euo pipefail
cd "$(dirname "$0")/.."

make -s -C runtime-c check-warnings
make -s -C runtime-c test
cargo test --release --workspace
