#!/usr/bin/env bash
# Instructions per link frame on a Cortex-M4F under QEMU (the nrf52840 target's flags,
# board mps2-an386): sealing (mn_link_send_tensor) and opening (mn_link_rx_accept) one
# full frame, authenticated (Ascon-AEAD128) and CRC-only, at the MTUs of the built-in
# link profiles (hbc: 64, ble: 244). Counts every executed instruction (QEMU -singlestep
# -d exec,nochain) of runtime-c/bench/link_cost.c for MODE 0 (empty loop), 1 (send) and
# 2 (send + receive) and divides the differences by FRAMES. Microseconds assume one
# instruction per cycle at the nRF52840's 64 MHz (QEMU counts instructions, not cycles).
#
#   scripts/link_cost.sh [FRAMES]
set -euo pipefail
frames=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cflags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c99 -O2 -ffunction-sections -fdata-sections"
count() { # ELF -> instructions executed
  (cd "$work" && qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D /dev/stdout \
    -kernel "$1" 2>/dev/null | grep -c '^Trace' || true)
}
printf '%-5s %-9s %8s %10s %12s %10s %12s %10s\n' MTU auth payload "air bytes" "send instr" "send us" "recv instr" "recv us"
for mtu in 64 244; do
  for auth in 1 0; do
    d="$work/m${mtu}a${auth}"
    mkdir -p "$d"
    printf '#define MESHNN_MTU_BYTES %d\n#define MESHNN_DEADLINE_US 1000\n#define MESHNN_LINK_AUTH %d\n' "$mtu" "$auth" > "$d/meshnn_config.h"
    declare -A n
    for mode in 0 1 2; do
      # shellcheck disable=SC2086
      arm-none-eabi-gcc $cflags -Wall -Wextra -Werror -DFRAMES="$frames" -DMODE="$mode" \
        -I"$d" -I"$root/runtime-c/include" --specs=rdimon.specs -nostartfiles \
        -T "$root/targets/boards/mps2-an386/board.ld" "$root/targets/boards/cortex-m/startup.c" \
        "$root/runtime-c/bench/link_cost.c" "$root/runtime-c/src/mn_link.c" \
        "$root/runtime-c/src/mn_link_auth.c" "$root/runtime-c/src/mn_ascon.c" \
        -Wl,--gc-sections -lm -o "$d/m$mode.elf"
      n[$mode]=$(count "$d/m$mode.elf")
    done
    python3 - "$mtu" "$auth" "$frames" "${n[0]}" "${n[1]}" "${n[2]}" <<'PY'
import sys
mtu, auth, frames, n0, n1, n2 = map(int, sys.argv[1:])
over = 36 if auth else 20
payload = (mtu - over) // 4 * 4
send, recv = (n1 - n0) / frames, (n2 - n1) / frames
print(f"{mtu:<5} {'ascon128' if auth else 'off':<9} {payload:>8} {payload + over:>10} {send:>12.0f} {send / 64:>10.1f} {recv:>12.0f} {recv / 64:>10.1f}")
PY
  done
done
