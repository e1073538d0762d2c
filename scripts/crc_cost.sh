#!/usr/bin/env bash
# Instructions and flash of the link layer's CRC-32 (runtime-c/src/mn_crc32.c) on a
# Cortex-M4F, counted under QEMU (mps2-an386) as scripts/mcu_instructions.sh counts them:
# one program CRCs 1 KB, one 9 KB (each built with the nrf52840 flags, -O2); their
# difference over 8, less that of a stub CRC (the buffer's fill loop), is the cost per KB,
# start-up excluded. For each variant: the
# default slice-by-4 tables (32-bit), -DMESHNN_CRC_SMALL (nibble table) and, for comparison, the
# bit-at-a-time loop the link layer used before (BITWISE, in this script only).
#
#   scripts/crc_cost.sh
#
# Needs arm-none-eabi-gcc with newlib and qemu-system-arm (scripts/setup.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c99 -O2
        -ffunction-sections -fdata-sections)
printf '#define MESHNN_MTU_BYTES 64\n#define MESHNN_DEADLINE_US 1000\n' > "$work/meshnn_config.h"
cat > "$work/bitwise.c" <<'C'
#include "meshnn_link.h"
uint32_t mn_crc32(uint32_t crc, const uint8_t *p, uint32_t n)
{
    uint32_t i;
    int b;
    crc = ~crc;
    for (i = 0; i < n; ++i) {
        crc ^= p[i];
        for (b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
C
cat > "$work/stub.c" <<'C'
#include "meshnn_link.h"
uint32_t mn_crc32(uint32_t crc, const uint8_t *p, uint32_t n) { return crc ^ p[0] ^ n; }
C
cat > "$work/main.c" <<'C'
#include "meshnn_link.h"
static uint8_t buf[KB * 1024];
int main(void)
{
    uint32_t i;
    for (i = 0; i < sizeof buf; ++i) buf[i] = (uint8_t)(i * 7 + 3);
    return mn_crc32(0, buf, sizeof buf) == 0 ? 1 : 0;
}
C
count() { # instructions the firmware $1 executes
  timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D /dev/stdout \
    -kernel "$1" 2>/dev/null | grep -c '^Trace' || true
}
build() { # variant kb src... -> elf
  local v=$1 kb=$2; shift 2
  arm-none-eabi-gcc "${cflags[@]}" -DKB="$kb" -I"$work" -I"$root/runtime-c/include" "$@" \
    "$work/main.c" --specs=rdimon.specs -nostartfiles -Wl,--gc-sections \
    -T "$root/targets/boards/mps2-an386/board.ld" "$root/targets/boards/cortex-m/startup.c" \
    -o "$work/$v.$kb.elf"
  echo "$work/$v.$kb.elf"
}
per_kb() { # variant src... -> instructions per KB, fill loop included
  local v=$1; shift
  local a b
  a=$(count "$(build "$v" 1 "$@")")
  b=$(count "$(build "$v" 9 "$@")")
  echo $(((b - a) / 8))
}
fill=$(per_kb stub "$work/stub.c")
printf '%-10s %14s %16s\n' variant "instr per KB" "code+tables B"
for v in slice4 small bitwise; do
  case $v in
    slice4) src=("$root/runtime-c/src/mn_crc32.c") ;;
    small) src=(-DMESHNN_CRC_SMALL "$root/runtime-c/src/mn_crc32.c") ;;
    bitwise) src=("$work/bitwise.c") ;;
  esac
  n=$(per_kb "$v" "${src[@]}")
  arm-none-eabi-gcc "${cflags[@]}" -I"$work" -I"$root/runtime-c/include" "${src[@]}" -c -o "$work/$v.o"
  bytes=$(arm-none-eabi-size -A "$work/$v.o" | awk '$1 ~ /^\.(text|rodata)/ {s += $2} END {print s}')
  printf '%-10s %14d %16d\n' "$v" $((n - fill)) "$bytes"
done
