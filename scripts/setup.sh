#!/usr/bin/env bash
# Install what meshnn's tests and examples need (Python reference tools; the host C
# compiler and Rust toolchain are expected to be present), then build meshnn.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cc >/dev/null 2>&1; then
  echo "setup: installing a C compiler (gcc)"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev make
fi
# Cross compilers, C libraries and QEMU for `meshnn build` / `meshnn run --on qemu`.
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1 || ! command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 \
  || ! command -v qemu-system-arm >/dev/null 2>&1 || ! command -v qemu-system-riscv32 >/dev/null 2>&1; then
  echo "setup: installing the MCU cross toolchains and QEMU"
  apt-get update -qq && apt-get install -y --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
fi
python3 -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
cargo build --release --quiet
echo "setup: done (meshnn at target/release/meshnn)"
