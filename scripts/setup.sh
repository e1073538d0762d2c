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
# Cross compilers, C libraries and QEMU for `meshnn build` / `meshnn run --on qemu`.
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1 || ! command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 \
  || ! command -v qemu-system-arm >/dev/null 2>&1 || ! command -v qemu-system-riscv32 >/dev/null 2>&1; then
  echo "setup: installing the MCU cross toolchains and QEMU"
  apt-get update -qq && apt-get install -y --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
fi
# Rust cross targets of `--lang rust` firmware (targets/*.toml: rust_target; the
# Cortex-M4F one builds examples/rust-firmware in compiler/tests/rust_firmware.rs).
rustup target add thumbv6m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imc-unknown-none-elf
# Nightly Rust (minimal profile) and cargo-fuzz for the parser fuzz targets in fuzz/.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
cargo build --release --quiet
# The same CLI as a Python package (maturin, pyproject.toml): `meshnn` in this Python's
# environment, which distill/ runs by default. Reuses the release build above.
python3 -m pip install --quiet --disable-pip-version-check .
echo "setup: done (meshnn at target/release/meshnn, and pip-installed as $(command -v meshnn || echo meshnn))"
