/*
 * libFuzzer target for the link layer's receive path: the input is a stream of
 * length-prefixed wire frames (u8 length, then that many bytes); each is decoded with
 * mn_link_decode and offered to mn_link_rx_accept for two tensors; the fuzzer checks
 * that nothing is written outside the tensors (guard bytes around them) and that the
 * reception state stays consistent. Build and run: make -C runtime-c fuzz
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshnn.h"
#include "meshnn_link.h"

int meshnn_link_send(const meshnn_frame_t *frame) { (void)frame; return 0; }
int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame) { (void)self; (void)frame; return 0; }
uint32_t meshnn_now_us(void) { return 0; }

#define GUARD 16
/* Two tensors: 25 floats (3 fragments) from device 1, 4 floats (1 fragment) from 3. */
static uint8_t mem[GUARD + 100 + GUARD + 16 + GUARD];
static uint8_t got0[1], got1[1];
static float hold0[25], mean1[4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mn_rx_t rx[2];
    meshnn_frame_t f;
    size_t pos = 0;
    int i;
    memset(mem, 0xA5, sizeof mem);
    rx[0].tensor = 7; rx[0].src = 1; rx[0].bytes = 100; rx[0].frag_count = MN_LINK_FRAGS(100);
    rx[0].data = mem + GUARD; rx[0].got = got0; rx[0].fallback = MN_FALLBACK_HOLD; rx[0].hold = hold0; rx[0].mean = 0;
    rx[1].tensor = 9; rx[1].src = 3; rx[1].bytes = 16; rx[1].frag_count = MN_LINK_FRAGS(16);
    rx[1].data = mem + GUARD + 100 + GUARD; rx[1].got = got1; rx[1].fallback = MN_FALLBACK_MEAN; rx[1].hold = 0; rx[1].mean = mean1;
    rx[0].missed = rx[1].missed = 0;
    rx[0].usual_us = rx[1].usual_us = 0;
    mn_link_rx_reset(rx, 2);
    while (pos < size) {
        size_t n = data[pos++];
        if (n > size - pos) n = size - pos;
        if (mn_link_decode(data + pos, (uint32_t)n, &f) == 0) {
            (void)mn_link_rx_accept(rx, 2, 2, 5, &f);
        }
        pos += n;
    }
    for (i = 0; i < 2; ++i) {
        if (rx[i].n_got > rx[i].frag_count) abort();
        (void)mn_link_rx_finish(&rx[i]);
    }
    for (i = 0; i < GUARD; ++i) {
        if (mem[i] != 0xA5 || mem[GUARD + 100 + i] != 0xA5 || mem[GUARD + 100 + GUARD + 16 + i] != 0xA5) abort();
    }
    return 0;
}
