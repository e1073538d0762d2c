/*
 * Link layer tests: every frame pathology against mn_link_rx_accept / mn_link_decode and
 * the fallbacks of mn_link_rx_finish, with exact expected tensors and states. Built and
 * run with -fsanitize=address,undefined (make test). MTU 64 (tests/meshnn_config.h):
 * 44 payload bytes = 11 floats per frame.
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

/* ---- a HAL that records what is sent ---- */
static meshnn_frame_t sent[64];
static int n_sent;
int meshnn_link_send(const meshnn_frame_t *frame)
{
    if (n_sent == 64) return 1;
    sent[n_sent++] = *frame;
    return 0;
}
int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame)
{
    (void)self;
    (void)frame;
    return 0;
}
uint32_t meshnn_now_us(void) { return 0; }

/* A 25-float tensor (100 bytes: 3 fragments of 11, 11, 3 floats) sent from device 1 to
 * device 2 as tensor 7, inference 5. */
#define N 25
static float src[N], dst[N], hold[N], mean[N];
static uint8_t got[1];
static mn_rx_t rx;

static void setup(int fallback)
{
    int i;
    for (i = 0; i < N; ++i) {
        src[i] = (float)(i + 1);
        dst[i] = -99.0f;
        mean[i] = 0.5f * (float)i;
    }
    rx.tensor = 7;
    rx.src = 1;
    rx.bytes = N * 4;
    rx.frag_count = MN_LINK_FRAGS(N * 4);
    rx.n_got = 0;
    rx.data = (uint8_t *)dst;
    rx.got = got;
    rx.fallback = fallback;
    rx.hold = hold;
    rx.mean = mean;
    rx.missed = 0;
    rx.usual_us = 0;
    mn_link_rx_reset(&rx, 1);
    n_sent = 0;
    mn_link_send_tensor(1, 2, 7, 5, src, N * 4);
}

static int accept(const meshnn_frame_t *f) { return mn_link_rx_accept(&rx, 1, 2, 5, f); }

/* A bit-at-a-time CRC-32 (IEEE) continuing from `crc`, independent of mn_crc32's
 * tables; also the "peripheral" of the -DMESHNN_CRC_HAL build of this test. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, uint32_t n)
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
#ifdef MESHNN_CRC_HAL
uint32_t meshnn_crc32_hal(uint32_t crc, const uint8_t *p, uint32_t n) { return crc32_bitwise(crc, p, n); }
#endif

/* mn_crc32 against values from Python's zlib.crc32, and against crc32_bitwise at every
 * length 0..300, start alignment 0..3 and split point (two chained calls). */
static void test_crc32(void)
{
    static uint8_t buf[1004];
    uint32_t len, off, ok = 1, i;
    for (i = 0; i < sizeof buf; ++i) buf[i] = (uint8_t)(i * 7 + 3);
    CHECK(mn_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u, "crc32 check value");
    CHECK(mn_crc32(0, buf, 0) == 0 && mn_crc32(0, (const uint8_t *)"a", 1) == 0xE8B7BE43u, "crc32 of '' and 'a' (zlib)");
    CHECK(mn_crc32(0, buf, 1000) == 0x17BC2A46u, "crc32 of 1000 bytes (zlib)");
    CHECK(mn_crc32(mn_crc32(0, buf, 333), buf + 333, 667) == 0x17BC2A46u, "crc32 chained (zlib)");
    for (off = 0; off < 4; ++off)
        for (len = 0; len <= 300; ++len) {
            uint32_t want = crc32_bitwise(0, buf + off, len);
            if (mn_crc32(0, buf + off, len) != want) ok = 0;
            if (mn_crc32(mn_crc32(0, buf + off, len / 3), buf + off + len / 3, len - len / 3) != want) ok = 0;
        }
    CHECK(ok, "crc32 equals the bitwise CRC at every length, alignment and split");
}

static int equal_range(int lo, int hi, const float *want)
{
    int i;
    for (i = lo; i < hi; ++i) if (dst[i] != want[i]) return 0;
    return 1;
}

int main(void)
{
    meshnn_frame_t f;
    uint8_t wire[MESHNN_MTU_BYTES + 8];
    uint32_t n;
    int i;
    static const float zeros[N];

    /* Fragmentation: 3 frames, sizes 44, 44, 12. */
    setup(MN_FALLBACK_ZERO);
    CHECK(n_sent == 3 && sent[0].len == 44 && sent[2].len == 12 && sent[1].frag_count == 3, "fragmentation");

    /* All frames in order: complete and exact. */
    for (i = 0; i < 3; ++i) CHECK(accept(&sent[i]) == 1, "accept in order");
    CHECK(mn_link_rx_state(&rx) == MESHNN_RX_COMPLETE && equal_range(0, N, src), "complete tensor");

    /* Reordered (2, 0, 1): complete and exact. */
    setup(MN_FALLBACK_ZERO);
    CHECK(accept(&sent[2]) && accept(&sent[0]) && accept(&sent[1]), "reordered accepted");
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_COMPLETE && equal_range(0, N, src), "reordered exact");

    /* Duplicate: ignored, count unchanged. */
    setup(MN_FALLBACK_ZERO);
    CHECK(accept(&sent[0]) == 1 && accept(&sent[0]) == 0 && rx.n_got == 1, "duplicate ignored");

    /* Corrupt CRC (payload bit flipped): dropped, tensor untouched. */
    setup(MN_FALLBACK_ZERO);
    f = sent[1];
    f.payload[3] ^= 0x10;
    CHECK(accept(&f) == 0 && rx.n_got == 0 && dst[11] == -99.0f, "corrupt CRC dropped");

    /* Wrong version, another destination, stale and future sequence, unknown tensor,
     * other source: dropped. (CRC recomputed so only the field is wrong.) */
    setup(MN_FALLBACK_ZERO);
    f = sent[0]; f.version = 2; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "wrong version dropped");
    f = sent[0]; f.dst = 3; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "frame for another device dropped");
    f = sent[0]; f.seq = 4; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "stale sequence number dropped");
    f = sent[0]; f.seq = 6; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "future sequence number dropped");
    f = sent[0]; f.tensor = 8; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "unknown tensor dropped");
    f = sent[0]; f.src = 0; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "unexpected source dropped");
    /* Fragment index out of range, wrong fragment count, wrong length. */
    f = sent[0]; f.frag_index = 3; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "fragment index out of range dropped");
    f = sent[0]; f.frag_count = 4; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "fragment count mismatch dropped");
    f = sent[2]; f.len = 16; f.crc = mn_link_crc(&f);
    CHECK(accept(&f) == 0, "length beyond the tensor dropped");
    f = sent[0]; f.len = MESHNN_FRAME_PAYLOAD + 4; f.crc = 0;
    CHECK(accept(&f) == 0, "oversized length dropped");
    CHECK(rx.n_got == 0 && equal_range(0, N, dst) && dst[0] == -99.0f, "tensor untouched by bad frames");

    /* Wire format: encode/decode round trip; truncated, oversized, trailing and corrupt
     * byte strings rejected. */
    n = mn_link_encode(&sent[2], wire, sizeof wire);
    CHECK(n == MESHNN_FRAME_HEADER_BYTES + 12, "encode size");
    CHECK(mn_link_decode(wire, n, &f) == 0 && memcmp(f.payload, sent[2].payload, 12) == 0 && f.seq == 5, "decode round trip");
    CHECK(mn_link_decode(wire, n - 1, &f) != 0, "truncated frame rejected");
    CHECK(mn_link_decode(wire, 10, &f) != 0, "truncated header rejected");
    CHECK(mn_link_decode(wire, n + 1, &f) != 0, "trailing bytes rejected");
    wire[10] = 0xFF;
    CHECK(mn_link_decode(wire, n, &f) != 0, "oversized length field rejected");
    n = mn_link_encode(&sent[2], wire, sizeof wire);
    wire[25] ^= 1;
    CHECK(mn_link_decode(wire, n, &f) != 0, "corrupt byte rejected by CRC");

    /* The frame CRC is zlib.crc32 of the 20 wire header bytes (crc field 0) and the
     * payload: for sent[2] (1->2, tensor 7, frag 2/3, len 12, seq 5, 23.0 24.0 25.0)
     * Python gives 0x3B889549. */
    CHECK(sent[2].crc == 0x3B889549u && mn_link_crc(&sent[2]) == 0x3B889549u, "frame CRC (zlib)");
    test_crc32();

    /* Everything lost, ZERO: all zeros, state FALLBACK. */
    setup(MN_FALLBACK_ZERO);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_FALLBACK && equal_range(0, N, zeros), "all lost -> zeros");

    /* Partial (middle fragment lost), MEAN: fragment 1 (floats 11..21) gets the means. */
    setup(MN_FALLBACK_MEAN);
    accept(&sent[0]);
    accept(&sent[2]);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_PARTIAL, "partial state");
    CHECK(equal_range(0, 11, src) && equal_range(11, 22, mean) && equal_range(22, N, src), "partial -> calibration means");

    /* HOLD: a complete inference is remembered; next inference everything lost -> the
     * previous values. */
    memset(hold, 0, sizeof hold);
    setup(MN_FALLBACK_HOLD);
    for (i = 0; i < 3; ++i) accept(&sent[i]);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_COMPLETE, "hold: first inference complete");
    for (i = 0; i < N; ++i) dst[i] = -1.0f;
    mn_link_rx_reset(&rx, 1);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_FALLBACK && equal_range(0, N, src), "hold: lost -> previous values");

    /* A fragment arriving after the tensor finished (deadline passed, fallback applied,
     * its arena bytes possibly reused by a later tensor) is never copied. */
    setup(MN_FALLBACK_ZERO);
    accept(&sent[0]);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_PARTIAL, "late: partial at the deadline");
    for (i = 0; i < N; ++i) dst[i] = -7.0f; /* the buffer now holds another tensor */
    CHECK(accept(&sent[1]) == 0 && accept(&sent[2]) == 0, "late: fragments after finish refused");
    CHECK(dst[11] == -7.0f && dst[24] == -7.0f && rx.n_got == 1, "late: buffer untouched");

    /* Adaptive waiting (down_after 2, probe 1000 us, deadline 20000 us): a sender is
     * waited for until the deadline until nothing of its tensor arrived in two inferences
     * in a row; then only for the probe window. */
    setup(MN_FALLBACK_ZERO);
    CHECK(mn_link_rx_wait_us(&rx, 20000, 1000, 2) == 20000, "wait: up sender, whole deadline");
    mn_link_rx_finish(&rx); /* nothing arrived: missed 1 */
    mn_link_rx_reset(&rx, 1);
    CHECK(rx.missed == 1 && mn_link_rx_wait_us(&rx, 20000, 1000, 2) == 20000, "wait: one miss is not down");
    mn_link_rx_finish(&rx); /* missed 2: down */
    mn_link_rx_reset(&rx, 1);
    CHECK(mn_link_rx_wait_us(&rx, 20000, 1000, 2) == 1000, "wait: two misses, probe window only");
    CHECK(mn_link_rx_wait_us(&rx, 20000, 1000, 0) == 20000, "wait: down_after 0 always waits");
    /* A fragment within the probe window: accepted, and the rest is waited for until the
     * deadline (no frame that arrives before the deadline is lost). */
    CHECK(accept(&sent[1]) == 1 && mn_link_rx_wait_us(&rx, 20000, 1000, 2) == 20000, "wait: back within the probe");
    CHECK(accept(&sent[0]) == 1 && accept(&sent[2]) == 1, "wait: the rest accepted");
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_COMPLETE && equal_range(0, N, src) && rx.missed == 0, "wait: complete, up again");
    /* Down again; the probe window passes; a late fragment for the finished inference
     * shows the sender is back: the next inference waits the whole deadline. */
    mn_link_rx_reset(&rx, 1); mn_link_rx_finish(&rx);
    mn_link_rx_reset(&rx, 1); mn_link_rx_finish(&rx);
    CHECK(rx.missed == 2, "wait: down again");
    CHECK(accept(&sent[0]) == 0 && rx.missed == 0, "wait: a late fragment marks the sender up");
    mn_link_rx_reset(&rx, 1);
    CHECK(mn_link_rx_wait_us(&rx, 20000, 1000, 2) == 20000, "wait: resumes waiting the whole deadline");
    /* The probe window learns when the tensor usually is complete: 5/4 of it, at least
     * the probe_us floor, at most the deadline; later times are followed at once, earlier
     * ones by 1/8 of the difference. */
    mn_link_rx_arrived_at(&rx, 8000);
    mn_link_rx_reset(&rx, 1); mn_link_rx_finish(&rx);
    mn_link_rx_reset(&rx, 1); mn_link_rx_finish(&rx);
    mn_link_rx_reset(&rx, 1);
    CHECK(mn_link_rx_wait_us(&rx, 20000, 1000, 2) == 10000, "wait: learned window 5/4 x 8000");
    CHECK(mn_link_rx_wait_us(&rx, 20000, 12000, 2) == 12000, "wait: never below probe_us");
    CHECK(mn_link_rx_wait_us(&rx, 9000, 1000, 2) == 9000, "wait: never beyond the deadline");
    mn_link_rx_arrived_at(&rx, 4000);
    CHECK(rx.usual_us == 7500, "learn: an earlier time is followed slowly");
    mn_link_rx_arrived_at(&rx, 9000);
    CHECK(rx.usual_us == 9000, "learn: a later time at once");
    /* A forged or corrupt late frame does not (CRC checked first). */
    mn_link_rx_reset(&rx, 1); mn_link_rx_finish(&rx);
    mn_link_rx_reset(&rx, 1); mn_link_rx_finish(&rx);
    i = rx.missed;
    f = sent[0]; f.payload[0] ^= 1;
    CHECK(i >= 2 && accept(&f) == 0 && rx.missed == i, "wait: a corrupt late frame changes nothing");

    printf("link: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
