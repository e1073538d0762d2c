/*
 * libFuzzer target for the link layer's receive path (authenticated frames, the default
 * build). The input is a stream of records, each offered to mn_link_rx_accept for two
 * tensors:
 *   0x00..0x7F  n: the next n bytes are a wire frame, decoded with mn_link_decode;
 *   0x80..0xFF  a genuine frame (fragment b & 3 of tensor 7, or tensor 9 when b & 4),
 *               sealed by mn_link_send_tensor under the deployment key, then a byte m
 *               and m bytes XORed into its wire encoding (tampering when not all zero).
 * Checks: nothing is written outside the tensors (guard bytes), the reception state stays
 * consistent, no tampered frame is ever accepted, and every fragment marked received
 * holds exactly the genuine data (an attacker without the key cannot put anything else
 * there). Build and run: make -C runtime-c fuzz
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshnn.h"
#include "meshnn_link.h"

static meshnn_frame_t genuine[8];
static int n_genuine;
int meshnn_link_send(const meshnn_frame_t *frame)
{
    if (n_genuine < 8) genuine[n_genuine++] = *frame;
    return 0;
}
int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame) { (void)self; (void)frame; return 0; }
uint32_t meshnn_now_us(void) { return 0; }
static const uint8_t key[MESHNN_LINK_KEY_BYTES] = {0x6d, 0x65, 0x73, 0x68, 0x6e, 0x6e, 0x2d, 0x66,
                                                   0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79, 0x21};
const uint8_t *meshnn_link_key(void) { return key; }
uint32_t meshnn_link_epoch(void) { return 1; }

#define GUARD 16
/* Two tensors: 25 floats (4 fragments) from device 1, 4 floats (1 fragment) from 3. */
static uint8_t mem[GUARD + 100 + GUARD + 16 + GUARD];
static uint8_t got0[1], got1[1];
static float hold0[25], mean1[4];
static uint8_t plain0[100], plain1[16];

/* Seal the genuine frames once: tensor 7 (fragments 0..3) then tensor 9. */
static void make_genuine(void)
{
    int i;
    if (n_genuine) return;
    for (i = 0; i < 100; ++i) plain0[i] = (uint8_t)(3 * i + 1);
    for (i = 0; i < 16; ++i) plain1[i] = (uint8_t)(200 - i);
    (void)mn_link_send_tensor(1, 2, 7, 5, plain0, 100);
    (void)mn_link_send_tensor(3, 2, 9, 5, plain1, 16);
    if (n_genuine != MN_LINK_FRAGS(100) + 1) abort();
}

/* Every fragment marked received holds the genuine bytes. */
static void check_received(const mn_rx_t *r, const uint8_t *plain)
{
    uint16_t i;
    for (i = 0; i < r->frag_count; ++i) {
        uint32_t off = (uint32_t)i * MESHNN_FRAME_PAYLOAD;
        uint32_t len = r->bytes - off < MESHNN_FRAME_PAYLOAD ? r->bytes - off : MESHNN_FRAME_PAYLOAD;
        if ((r->got[i / 8] & (1u << (i % 8))) && memcmp(r->data + off, plain + off, len) != 0) abort();
    }
}

/* Record at data[*pos]: decode it into *f; returns 1 when there is a frame to offer, and
 * sets *tampered when it is a genuine frame with some byte changed. */
static int next_frame(const uint8_t *data, size_t size, size_t *pos, meshnn_frame_t *f, int *tampered)
{
    static uint8_t wire[MESHNN_MTU_BYTES + 8];
    uint8_t b = data[(*pos)++];
    size_t n, m, k;
    uint32_t len;
    *tampered = 0;
    if (b < 0x80) {
        n = b < size - *pos ? b : size - *pos;
        *pos += n;
        return mn_link_decode(data + *pos - n, (uint32_t)n, f) == 0;
    }
    k = (b & 4) ? (size_t)n_genuine - 1 : (size_t)(b & 3) % (size_t)(n_genuine - 1);
    len = mn_link_encode(&genuine[k], wire, sizeof wire);
    m = *pos < size ? data[(*pos)++] : 0;
    if (m > size - *pos) m = size - *pos;
    for (n = 0; n < m && n < len; ++n) {
        if (data[*pos + n]) *tampered = 1;
        wire[n] ^= data[*pos + n];
    }
    *pos += m;
    return mn_link_decode(wire, len, f) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mn_rx_t rx[2];
    meshnn_frame_t f;
    size_t pos = 0;
    int i, tampered;
    make_genuine();
    memset(mem, 0xA5, sizeof mem);
    memset(rx, 0, sizeof rx);
    rx[0].tensor = 7; rx[0].src = 1; rx[0].bytes = 100; rx[0].frag_count = MN_LINK_FRAGS(100);
    rx[0].data = mem + GUARD; rx[0].got = got0; rx[0].fallback = MN_FALLBACK_HOLD; rx[0].hold = hold0; rx[0].mean = 0;
    rx[1].tensor = 9; rx[1].src = 3; rx[1].bytes = 16; rx[1].frag_count = MN_LINK_FRAGS(16);
    rx[1].data = mem + GUARD + 100 + GUARD; rx[1].got = got1; rx[1].fallback = MN_FALLBACK_MEAN; rx[1].hold = 0; rx[1].mean = mean1;
    rx[0].missed = rx[1].missed = 0;
    rx[0].usual_us = rx[1].usual_us = 0;
    mn_link_rx_reset(rx, 2);
    while (pos < size) {
        if (next_frame(data, size, &pos, &f, &tampered) && mn_link_rx_accept(rx, 2, 2, 5, &f) && tampered) abort();
    }
    check_received(&rx[0], plain0);
    check_received(&rx[1], plain1);
    for (i = 0; i < 2; ++i) {
        if (rx[i].n_got > rx[i].frag_count) abort();
        (void)mn_link_rx_finish(&rx[i]);
    }
    for (i = 0; i < GUARD; ++i) {
        if (mem[i] != 0xA5 || mem[GUARD + 100 + i] != 0xA5 || mem[GUARD + 100 + GUARD + 16 + i] != 0xA5) abort();
    }
    return 0;
}
