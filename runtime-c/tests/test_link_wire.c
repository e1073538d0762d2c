/*
 * mn_link_wire.c: the HAL as wire bytes. A loopback HAL (what meshnn_link_send queues,
 * meshnn_link_poll delivers) carries a 25-float tensor from device 1 to device 2; the
 * frames go out through meshnn_link_poll_wire and back in through meshnn_link_send_wire,
 * and must come back bit-identical and be accepted into an exact tensor. Built with the
 * sanitizers twice: authenticated (test_link_wire) and CRC-only (test_link_wire_crc).
 */
#include <stdio.h>
#include <string.h>

#include "meshnn.h"
#include "meshnn_link.h"

static int passed, failed;
#define CHECK(cond, what)                                                  \
    do {                                                                   \
        if (cond) { passed++; } else { failed++; printf("FAIL %s (line %d)\n", what, __LINE__); } \
    } while (0)

#define QCAP 16
static meshnn_frame_t queue[QCAP];
static int q_head, q_len, refuse;
int meshnn_link_send(const meshnn_frame_t *frame)
{
    if (refuse || q_len == QCAP) return 1;
    queue[(q_head + q_len++) % QCAP] = *frame;
    return 0;
}
int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame)
{
    while (q_len > 0) {
        const meshnn_frame_t *f = &queue[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        if (f->dst == self) { *frame = *f; return 1; }
    }
    return 0;
}
uint32_t meshnn_now_us(void) { return 0; }
#if MESHNN_LINK_AUTH
static const uint8_t key[MESHNN_LINK_KEY_BYTES] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
static const uint8_t *hal_key = key;
const uint8_t *meshnn_link_key(void) { return hal_key; }
uint32_t meshnn_link_epoch(void) { return 41; }
#endif

#define N 25
#define NF MN_LINK_FRAGS(N * 4)

int main(void)
{
    static float src[N], dst[N];
    static uint8_t wire[NF][MESHNN_MTU_BYTES], again[MESHNN_MTU_BYTES], k[MESHNN_LINK_KEY_BYTES];
    static uint32_t len[NF];
    static uint8_t got[(NF + 7) / 8];
    static meshnn_frame_t f;
    mn_rx_t rx = {7, 1, N * 4, NF, 0, 0, 0, MN_FALLBACK_ZERO, 0, 0, 0, 0, 0, 0, 0, 0};
    uint32_t n;
    int i, ok;

    for (i = 0; i < N; ++i) src[i] = 0.25f * (float)i - 3.0f;
    rx.data = (uint8_t *)dst;
    rx.got = got;
    mn_link_rx_reset(&rx, 1);

    /* Out: every queued frame comes out of poll_wire as exactly its mn_link_encode bytes. */
    CHECK(mn_link_send_tensor(1, 2, 7, 5, src, N * 4) == 0 && q_len == NF, "tensor queued");
    CHECK(meshnn_link_poll_wire(3, wire[0], MESHNN_MTU_BYTES) == 0 && q_len == 0, "frames for another device are not delivered");
    CHECK(mn_link_send_tensor(1, 2, 7, 5, src, N * 4) == 0, "tensor queued again");
    for (i = 0, ok = 1; i < NF; ++i) {
        n = mn_link_encode(&queue[q_head], again, sizeof again); /* the next one out */
        len[i] = meshnn_link_poll_wire(2, wire[i], MESHNN_MTU_BYTES);
        ok &= n > 0 && len[i] == n && memcmp(wire[i], again, n) == 0;
    }
    CHECK(ok, "poll_wire gives mn_link_encode's bytes");
    CHECK(meshnn_link_poll_wire(2, again, MESHNN_MTU_BYTES) == 0, "nothing left: 0");

    /* In: send_wire queues the decoded frame; it encodes back to the same bytes and is
     * accepted (the tensor is exact, in reverse order). */
    for (i = NF - 1, ok = 1; i >= 0; --i) {
        ok &= meshnn_link_send_wire(wire[i], len[i]) == 0 && meshnn_link_poll(2, &f) == 1;
        ok &= mn_link_encode(&f, again, sizeof again) == len[i] && memcmp(again, wire[i], len[i]) == 0;
        ok &= mn_link_rx_accept(&rx, 1, 2, 5, &f) == 1;
    }
    CHECK(ok, "send_wire round trip, frames accepted");
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_COMPLETE && memcmp(dst, src, sizeof src) == 0, "tensor exact");

    /* Bad bytes are refused and nothing is queued; a refusing HAL is reported. */
    CHECK(meshnn_link_send_wire(wire[0], len[0] - 1) != 0 && q_len == 0, "truncated bytes refused");
    CHECK(meshnn_link_send_wire(wire[0], 3) != 0 && meshnn_link_send_wire(0, 0) != 0 && q_len == 0, "no frame refused");
    wire[0][0] ^= 3;
    CHECK(meshnn_link_send_wire(wire[0], len[0]) != 0 && q_len == 0, "another version refused");
    wire[0][0] ^= 3;
    refuse = 1;
    CHECK(meshnn_link_send_wire(wire[0], len[0]) != 0, "HAL refusal reported");
    refuse = 0;

    /* A buffer too small for a frame: that frame is dropped, the next one delivered. */
    CHECK(meshnn_link_send_wire(wire[0], len[0]) == 0 && meshnn_link_send_wire(wire[NF - 1], len[NF - 1]) == 0, "two queued");
    n = meshnn_link_poll_wire(2, again, len[NF - 1]);
    CHECK(len[0] > len[NF - 1] && n == len[NF - 1] && memcmp(again, wire[NF - 1], n) == 0, "too long dropped, next delivered");

    /* Key and epoch. */
#if MESHNN_LINK_AUTH
    CHECK(meshnn_link_key_wire(k) == 1 && memcmp(k, key, sizeof k) == 0 && meshnn_link_epoch_wire() == 41, "key and epoch");
    hal_key = 0;
    CHECK(meshnn_link_key_wire(k) == 0, "no key");
#else
    CHECK(meshnn_link_key_wire(k) == 0 && meshnn_link_epoch_wire() == 0, "CRC-only: no key, epoch 0");
#endif
    printf("link wire (%s): %d passed, %d failed\n", MESHNN_LINK_AUTH ? "authenticated" : "CRC only", passed, failed);
    return failed != 0;
}
