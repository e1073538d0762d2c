#!/usr/bin/env bash
# The int8 kernels on Cortex-M under QEMU: runs runtime-c/tests/test_kernels_s8.c (the
# onnxruntime vectors, hand cases, fast against reference) on a Cortex-M4F (mps2-an386,
# the DSP path of mn_dot_s8) and a Cortex-M0+ build (mps2-an385, plain C), each at -O2,
# -Os and with a frame pointer (MN_S8_NO_ASM), then counts the
# instructions per MAC of runtime-c/bench/s8_cost.c's kernels (QEMU -singlestep
# -d exec,nochain; MODE 0 is subtracted). QEMU counts instructions, not cycles.
#
#   scripts/s8_cost.sh [--tests-only]
#
# --tests-only stops after the tests (scripts/test.sh runs that: the kernels' Thumb-2 DSP
# and Thumb-1 assembly run nowhere else on random shapes).
set -euo pipefail
tests_only=0
[ "${1:-}" = --tests-only ] && tests_only=1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc="$root/runtime-c"
srcs=$(ls "$rc"/src/*_s8.c)
declare -A cpu=([m4f]="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" [m0p]="-mcpu=cortex-m0plus -mthumb")
declare -A board=([m4f]=mps2-an386 [m0p]=mps2-an385)
opt=-O2
build() { # core, output, sources...
  local core=$1 out=$2
  shift 2
  # shellcheck disable=SC2086
  arm-none-eabi-gcc ${cpu[$core]} -std=c99 -Wall -Wextra -Werror -pedantic $opt \
    -ffunction-sections -fdata-sections -I"$rc/include" -I"$rc/tests" \
    --specs=rdimon.specs -nostartfiles -T "$root/targets/boards/${board[$core]}/board.ld" \
    "$root/targets/boards/cortex-m/startup.c" $srcs "$@" -Wl,--gc-sections -lm -o "$out"
}
qemu() { # core, elf, extra qemu flags...
  local core=$1 elf=$2
  shift 2
  qemu-system-arm -M "${board[$core]}" -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native "$@" -kernel "$elf"
}
# at -O2 (the assembly loops), -Os (GCC frees no high registers on Thumb-1 there: the C
# loops run) and with a frame pointer kept (MN_S8_NO_ASM: the C loops)
for core in m4f m0p; do
  for opt in -O2 -Os "-O2 -fno-omit-frame-pointer -DMN_S8_NO_ASM"; do
    build "$core" "$work/test_$core.elf" "$rc/tests/test_kernels_s8.c"
    echo "== test_kernels_s8 on $core (${board[$core]}), $opt"
    qemu "$core" "$work/test_$core.elf" | grep -E 'gemm_fast|conv_fast|conv_dw|passed|FAIL'
  done
done
opt=-O2
[ "$tests_only" = 1 ] && exit 0
printf '%-5s %-28s %10s %10s %10s\n' core kernel MACs instr instr/MAC
for core in m4f m0p; do
  declare -A n
  for mode in 0 1 2 3; do
    build "$core" "$work/b$mode.elf" -DMODE="$mode" "$rc/bench/s8_cost.c"
    n[$mode]=$(cd "$work" && qemu "$core" "$work/b$mode.elf" -singlestep -d exec,nochain -D /dev/stdout 2>/dev/null | grep -c '^Trace' || true)
  done
  python3 - "$core" "${n[0]}" "${n[1]}" "${n[2]}" "${n[3]}" <<'PY'
import sys
core, n0, n1, n2, n3 = sys.argv[1], *map(int, sys.argv[2:])
for name, n, macs in (("mn_gemm_s8 1x256->64", n1, 256 * 64),
                      ("mn_gemm_fast_s8 1x256->64", n2, 256 * 64),
                      ("mn_conv2d_s8 8->16 3x3 8x8", n3, 16 * 8 * 8 * 8 * 9)):
    print(f"{core:<5} {name:<28} {macs:>10} {n - n0:>10} {(n - n0) / macs:>10.2f}")
PY
done
