#!/usr/bin/env bash
# Install what meshnn's tests and examples need (Python reference tools; the host C
# compiler and Rust toolchain are expected to be present), then build meshnn.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc/make build generated code; clang + its runtime build the link-layer fuzz target.
need=""
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v make >/dev/null 2>&1 || need="$need make"
command -v clang >/dev/null 2>&1 || need="$need clang"
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || need="$need libclang-rt-14-dev"
if [ -n "$need" ]; then
  echo "setup: installing$need"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $need
fi
python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
cargo build --release --quiet
echo "setup: done (meshnn at target/release/meshnn)"
