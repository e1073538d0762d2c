/*
 * Link layer tests: every frame pathology against mn_link_rx_accept / mn_link_decode and
 * the fallbacks of mn_link_rx_finish, with exact expected tensors and states. Built and
 * run with -fsanitize=address,undefined (make test) twice: authenticated frames
 * (test_link; MTU 64 - 20-byte header - 16-byte tag = 28 payload bytes = 7 floats per
 * frame) and CRC-only frames (test_link_crc, -DMESHNN_LINK_AUTH=0; 44 bytes = 11 floats).
 * The authenticated build also runs the attacks of test_link_attacks.inc.
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
#if MESHNN_LINK_AUTH
static uint8_t key_a[MESHNN_LINK_KEY_BYTES] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                               0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
static const uint8_t *hal_key = key_a;
static uint32_t hal_epoch = 3;
const uint8_t *meshnn_link_key(void) { return hal_key; }
uint32_t meshnn_link_epoch(void) { return hal_epoch; }
#endif

/* A 25-float tensor (100 bytes) sent from device 1 to device 2 as tensor 7, inference
 * 5: 4 fragments of 7, 7, 7, 4 floats (authenticated) or 3 of 11, 11, 3 (CRC only). */
#define N 25
#define FP (MESHNN_FRAME_PAYLOAD / 4) /* floats per full fragment */
#define NF ((N + FP - 1) / FP)         /* fragments */
#define LAST_LEN ((N - (NF - 1) * FP) * 4)
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
    rx.win_epoch = 0;
    rx.win_seq = 0;
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

/* Sent frame `i` as its sender built it before protection (payload in clear). */
static meshnn_frame_t plain_frame(int i)
{
    meshnn_frame_t f = sent[i];
#if MESHNN_LINK_AUTH
    if (mn_link_open(&sent[i], f.payload) != 0) printf("plain_frame: sent frame %d does not open\n", i);
#endif
    return f;
}

/* Make `f` (payload in clear) a frame the legitimate sender could have sent: sealed
 * with the deployment key, or given its CRC. */
static meshnn_frame_t valid(meshnn_frame_t f)
{
#if MESHNN_LINK_AUTH
    if (mn_link_seal(&f) != 0) printf("valid: no key\n");
#else
    f.crc = mn_link_crc(&f);
#endif
    return f;
}

static int equal_range(int lo, int hi, const float *want)
{
    int i;
    for (i = lo; i < hi; ++i) if (dst[i] != want[i]) return 0;
    return 1;
}

#if MESHNN_LINK_AUTH
/* ---- attacks on authenticated frames: none may change the tensor or its state ---- */

static const float neg99[N] = {-99, -99, -99, -99, -99, -99, -99, -99, -99, -99, -99, -99, -99,
                               -99, -99, -99, -99, -99, -99, -99, -99, -99, -99, -99, -99};

/* The receiver's tensor is exactly as setup() left it: nothing written, nothing marked. */
static int untouched(void)
{
    return rx.n_got == 0 && got[0] == 0 && equal_range(0, N, neg99);
}

/* What an attacker without the key sends: a frame with every header field right (spoofed
 * source 1, the sniffed seq and epoch) and payload 1000.0f, sealed under `key`. */
static meshnn_frame_t forged(int frag, const uint8_t *key)
{
    meshnn_frame_t f = plain_frame(frag);
    float v = 1000.0f;
    int k;
    for (k = 0; k < f.len / 4; ++k) memcpy(f.payload + 4 * k, &v, 4);
    hal_key = key;
    f = valid(f);
    hal_key = key_a;
    return f;
}

static void attacks(void)
{
    static const uint8_t key_b[MESHNN_LINK_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t wire[MESHNN_MTU_BYTES + 8], flipped[MESHNN_MTU_BYTES + 8];
    meshnn_frame_t f, g;
    uint32_t n, bit, cut;
    int i, k, bad_accepts = 0, bad_cuts = 0;

    /* The payload on air is not the plaintext. */
    setup(MN_FALLBACK_ZERO);
    CHECK(memcmp(sent[0].payload, src, FP * 4) != 0, "payload is encrypted on air");

    /* Forged (right header, tag guessed: all zeros, or the legitimate frame's tag on a
     * chosen payload) and wrong-key frames for every fragment: rejected, nothing
     * written or marked, and the legitimate frames are still accepted afterwards (the
     * forgery displaced nothing). */
    setup(MN_FALLBACK_ZERO);
    for (i = 0; i < NF; ++i) {
        f = forged(i, key_b);
        CHECK(accept(&f) == 0, "wrong-key frame rejected");
        memset(f.tag, 0, sizeof f.tag);
        CHECK(accept(&f) == 0, "forged frame (zero tag) rejected");
        memcpy(f.tag, sent[i].tag, sizeof f.tag);
        CHECK(accept(&f) == 0, "forged frame (legitimate tag, chosen payload) rejected");
    }
    CHECK(untouched(), "forged frames left the tensor untouched");
    for (i = 0; i < NF; ++i) CHECK(accept(&sent[i]) == 1, "legitimate frame accepted after forgeries");
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_COMPLETE && equal_range(0, N, src), "tensor exact after forgeries");

    /* Every single-bit flip of header, ciphertext and tag on the wire: the frame either
     * fails to decode or is rejected, and the tensor is untouched. */
    setup(MN_FALLBACK_ZERO);
    n = mn_link_encode(&sent[NF - 1], wire, sizeof wire);
    for (bit = 0; bit < n * 8; ++bit) {
        memcpy(flipped, wire, n);
        flipped[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (mn_link_decode(flipped, n, &f) == 0 && accept(&f) != 0) bad_accepts++;
    }
    CHECK(bad_accepts == 0 && untouched(), "every bit flip (header, payload, tag) rejected");

    /* Truncated on the wire (every shorter length), and truncated with a consistent
     * length field (the last 4 payload bytes and the tag's tail dropped): rejected. */
    for (cut = 0; cut < n; ++cut) {
        if (mn_link_decode(wire, cut, &f) == 0 && accept(&f) != 0) bad_cuts++;
    }
    CHECK(bad_cuts == 0, "every truncation rejected");
    f = sent[0];
    f.len = (uint16_t)(f.len - 4);
    CHECK(accept(&f) == 0 && untouched(), "frame with shortened length rejected");

    /* The HAL has no key: nothing is sent, nothing accepted. */
    setup(MN_FALLBACK_ZERO);
    hal_key = 0;
    n_sent = 0;
    CHECK(mn_link_send_tensor(1, 2, 7, 5, src, N * 4) == NF && n_sent == 0, "no key: nothing sent");
    CHECK(accept(&sent[0]) == 0 && untouched(), "no key: nothing accepted");
    hal_key = key_a;

    /* Replays. A duplicate of an accepted frame changes nothing; a frame of inference 5
     * replayed into inference 6 is rejected; a frame of an earlier boot (epoch 2, seq 5,
     * authentic, sent before the sender reset and started counting again) is rejected
     * once the receiver has accepted epoch 3, even though its seq is the awaited one. */
    hal_epoch = 2;
    setup(MN_FALLBACK_ZERO);
    g = sent[0]; /* recorded by the attacker in the sender's previous boot */
    hal_epoch = 3;
    setup(MN_FALLBACK_ZERO);
    CHECK(accept(&sent[1]) == 1, "replay: current frame accepted");
    CHECK(accept(&sent[1]) == 0 && rx.n_got == 1, "replay: duplicate rejected");
    CHECK(accept(&g) == 0 && rx.n_got == 1 && dst[0] == -99.0f, "replay: frame of an earlier epoch rejected");
    f = sent[0];
    mn_link_rx_reset(&rx, 1);
    CHECK(mn_link_rx_accept(&rx, 1, 2, 6, &f) == 0 && rx.n_got == 0, "replay: frame of inference 5 rejected in inference 6");

    /* The three-frame attack of issue 17 on every fragment of a fresh inference: the
     * forgeries arrive first; afterwards the genuine fragments are all accepted. */
    setup(MN_FALLBACK_ZERO);
    for (k = 0; k < 3; ++k) {
        f = forged(k % NF, key_b);
        (void)accept(&f);
    }
    CHECK(untouched(), "three forged frames: tensor untouched");
}
#endif

/* ---- int8 payloads: one byte per element, fallbacks in the integer domain ---- */

/* A 61-element int8 tensor (61 bytes, not whole floats) with zero point -5, sent from
 * device 1 to device 2 as tensor 9, inference 5: 3 fragments of 28, 28, 5 bytes
 * (authenticated) or 2 of 44, 17 (CRC only). */
#define N8 61
#define NF8 ((N8 + MESHNN_FRAME_PAYLOAD - 1) / MESHNN_FRAME_PAYLOAD)
#define ZP8 (-5)
static int8_t src8[N8], dst8[N8 + 3], hold8[N8], mean8[N8];
static uint8_t got8[1];
static mn_rx_t rx8;

static void setup8(int fallback)
{
    int i;
    for (i = 0; i < N8; ++i) {
        src8[i] = (int8_t)(i * 5 - 128); /* -128 .. 172 wraps: every byte value class */
        mean8[i] = (int8_t)(i - 30);
    }
    memset(dst8, 0x63, sizeof dst8); /* 99: not a value the tests expect */
    memset(&rx8, 0, sizeof rx8);
    rx8.tensor = 9;
    rx8.src = 1;
    rx8.bytes = N8;
    rx8.frag_count = MN_LINK_FRAGS(N8);
    rx8.data = (uint8_t *)dst8;
    rx8.got = got8;
    rx8.fallback = fallback;
    rx8.hold = hold8;
    rx8.mean = mean8;
    rx8.zero = (uint8_t)(int8_t)ZP8;
    mn_link_rx_reset(&rx8, 1);
    n_sent = 0;
    mn_link_send_tensor(1, 2, 9, 5, src8, N8);
}

static int accept8(const meshnn_frame_t *f) { return mn_link_rx_accept(&rx8, 1, 2, 5, f); }

/* dst8[lo..hi) equals want[lo..hi) (want NULL: the zero point), and the 3 bytes after
 * the tensor are untouched. */
static int equal8(int lo, int hi, const int8_t *want)
{
    int i;
    for (i = lo; i < hi; ++i) if (dst8[i] != (want ? want[i] : ZP8)) return 0;
    return dst8[N8] == 0x63 && dst8[N8 + 1] == 0x63 && dst8[N8 + 2] == 0x63;
}

static void test_int8(void)
{
    meshnn_frame_t f;
    int i, k;
    const int fp = MESHNN_FRAME_PAYLOAD; /* elements per full fragment: one byte each */

    /* Fragmentation on bytes: the last fragment carries the 61 - (NF8-1)*fp remaining. */
    setup8(MN_FALLBACK_ZERO);
    CHECK(n_sent == NF8 && NF8 == (MESHNN_LINK_AUTH ? 3 : 2) && sent[0].len == fp &&
              sent[NF8 - 1].len == N8 - (NF8 - 1) * fp && sent[0].frag_count == NF8,
          "int8: fragmentation in bytes (28+28+5 / 44+17)");
    /* Reordered (last first): complete and exact, nothing written past the tensor. */
    for (i = NF8 - 1; i >= 0; --i) CHECK(accept8(&sent[i]) == 1, "int8: reordered accepted");
    CHECK(mn_link_rx_finish(&rx8) == MESHNN_RX_COMPLETE && equal8(0, N8, src8), "int8: reordered exact");

    /* Duplicate, corrupt, truncated (length one byte short), oversized (one byte more,
     * and beyond the payload), stale and future seq, foreign source and destination,
     * another tensor: all dropped, the tensor untouched. */
    setup8(MN_FALLBACK_ZERO);
    CHECK(accept8(&sent[0]) == 1 && accept8(&sent[0]) == 0 && rx8.n_got == 1, "int8: duplicate ignored");
    f = sent[1]; f.payload[0] ^= 0x01;
    CHECK(accept8(&f) == 0, "int8: corrupt payload dropped");
    f = plain_frame(NF8 - 1); f.len = (uint16_t)(f.len - 1); f = valid(f);
    CHECK(accept8(&f) == 0, "int8: truncated last fragment dropped");
    f = plain_frame(NF8 - 1); f.len = (uint16_t)(f.len + 1); f = valid(f);
    CHECK(accept8(&f) == 0, "int8: oversized last fragment dropped");
    f = sent[1]; f.len = MESHNN_FRAME_PAYLOAD + 1;
    CHECK(accept8(&f) == 0, "int8: length beyond the payload dropped");
    f = plain_frame(1); f.seq = 4; f = valid(f);
    CHECK(accept8(&f) == 0, "int8: stale sequence number dropped");
    f = plain_frame(1); f.seq = 6; f = valid(f);
    CHECK(accept8(&f) == 0, "int8: future sequence number dropped");
    f = plain_frame(1); f.src = 3; f = valid(f);
    CHECK(accept8(&f) == 0, "int8: foreign source dropped");
    f = plain_frame(1); f.dst = 4; f = valid(f);
    CHECK(accept8(&f) == 0, "int8: frame for another device dropped");
    f = plain_frame(1); f.tensor = 7; f = valid(f);
    CHECK(accept8(&f) == 0, "int8: another tensor dropped");
    CHECK(rx8.n_got == 1 && equal8(0, fp, src8) && dst8[fp] == 0x63, "int8: tensor untouched by bad frames");

    /* ZERO fallback = the zero point (-5), never byte 0: fragment 1 lost. */
    for (i = 0; i < NF8; ++i) if (i != 1) (void)accept8(&sent[i]);
    CHECK(mn_link_rx_finish(&rx8) == MESHNN_RX_PARTIAL, "int8: partial state");
    CHECK(equal8(0, fp, src8) && equal8(fp, 2 * fp < N8 ? 2 * fp : N8, 0) && (2 * fp >= N8 || equal8(2 * fp, N8, src8)),
          "int8: lost fragment -> zero point");
    /* All lost: every element the zero point. */
    setup8(MN_FALLBACK_ZERO);
    CHECK(mn_link_rx_finish(&rx8) == MESHNN_RX_FALLBACK && equal8(0, N8, 0) && dst8[0] == -5, "int8: all lost -> zero point");

    /* MEAN: the calibration means, quantised (int8 bytes), for the lost fragment 0. */
    setup8(MN_FALLBACK_MEAN);
    for (i = 1; i < NF8; ++i) (void)accept8(&sent[i]);
    CHECK(mn_link_rx_finish(&rx8) == MESHNN_RX_PARTIAL && equal8(0, fp, mean8) && equal8(fp, N8, src8),
          "int8: lost fragment -> quantised means");

    /* HOLD: the last good bytes. Inference 1 complete; inference 2 only fragment 0
     * arrives (with other values): the rest is held from inference 1. */
    memset(hold8, 0, sizeof hold8);
    setup8(MN_FALLBACK_HOLD);
    for (i = 0; i < NF8; ++i) (void)accept8(&sent[i]);
    CHECK(mn_link_rx_finish(&rx8) == MESHNN_RX_COMPLETE && memcmp(hold8, src8, N8) == 0, "int8: hold remembers the bytes");
    for (i = 0; i < N8; ++i) src8[i] = (int8_t)(100 - i);
    n_sent = 0;
    mn_link_send_tensor(1, 2, 9, 5, src8, N8);
    mn_link_rx_reset(&rx8, 1);
    memset(dst8, 0x63, N8);
    CHECK(accept8(&sent[0]) == 1 && mn_link_rx_finish(&rx8) == MESHNN_RX_PARTIAL, "int8: hold, second inference partial");
    for (i = 0, k = 1; i < N8; ++i) k &= dst8[i] == (i < fp ? (int8_t)(100 - i) : (int8_t)(i * 5 - 128));
    CHECK(k, "int8: hold -> fresh fragment 0, last good bytes elsewhere");
}

int main(void)
{
    meshnn_frame_t f;
    uint8_t wire[MESHNN_MTU_BYTES + 8];
    uint32_t n;
    int i, k;
    static const float zeros[N];

    /* Fragmentation: NF frames, full ones then the rest. */
    setup(MN_FALLBACK_ZERO);
    CHECK(n_sent == NF && sent[0].len == FP * 4 && sent[NF - 1].len == LAST_LEN && sent[1].frag_count == NF, "fragmentation");
    CHECK(NF == (MESHNN_LINK_AUTH ? 4 : 3) && FP == (MESHNN_LINK_AUTH ? 7 : 11), "payload per frame counts the tag");

    /* All frames in order: complete and exact. */
    for (i = 0; i < NF; ++i) CHECK(accept(&sent[i]) == 1, "accept in order");
    CHECK(mn_link_rx_state(&rx) == MESHNN_RX_COMPLETE && equal_range(0, N, src), "complete tensor");

    /* Reordered (last first, then 0, 1, ...): complete and exact. */
    setup(MN_FALLBACK_ZERO);
    CHECK(accept(&sent[NF - 1]), "reordered: last accepted first");
    for (i = 0; i < NF - 1; ++i) CHECK(accept(&sent[i]), "reordered accepted");
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_COMPLETE && equal_range(0, N, src), "reordered exact");

    /* Duplicate: ignored, count unchanged. */
    setup(MN_FALLBACK_ZERO);
    CHECK(accept(&sent[0]) == 1 && accept(&sent[0]) == 0 && rx.n_got == 1, "duplicate ignored");

    /* Corrupt CRC or tag (payload bit flipped): dropped, tensor untouched. */
    setup(MN_FALLBACK_ZERO);
    f = sent[1];
    f.payload[3] ^= 0x10;
    CHECK(accept(&f) == 0 && rx.n_got == 0 && dst[FP] == -99.0f, "corrupt CRC/tag dropped");

    /* Wrong version, another destination, stale and future sequence, unknown tensor,
     * other source: dropped. (Resealed / CRC recomputed so only the field is wrong.) */
    setup(MN_FALLBACK_ZERO);
    f = plain_frame(0); f.version = MESHNN_FRAME_VERSION ^ 3; f = valid(f);
    CHECK(accept(&f) == 0, "wrong version dropped");
    f = plain_frame(0); f.dst = 3; f = valid(f);
    CHECK(accept(&f) == 0, "frame for another device dropped");
    f = plain_frame(0); f.seq = 4; f = valid(f);
    CHECK(accept(&f) == 0, "stale sequence number dropped");
    f = plain_frame(0); f.seq = 6; f = valid(f);
    CHECK(accept(&f) == 0, "future sequence number dropped");
    f = plain_frame(0); f.tensor = 8; f = valid(f);
    CHECK(accept(&f) == 0, "unknown tensor dropped");
    f = plain_frame(0); f.src = 0; f = valid(f);
    CHECK(accept(&f) == 0, "unexpected source dropped");
    /* Fragment index out of range, wrong fragment count, wrong length. */
    f = plain_frame(0); f.frag_index = NF; f = valid(f);
    CHECK(accept(&f) == 0, "fragment index out of range dropped");
    f = plain_frame(0); f.frag_count = NF + 1; f = valid(f);
    CHECK(accept(&f) == 0, "fragment count mismatch dropped");
    f = plain_frame(NF - 1); f.len = LAST_LEN + 4; f = valid(f);
    CHECK(accept(&f) == 0, "length beyond the tensor dropped");
    f = sent[0]; f.len = MESHNN_FRAME_PAYLOAD + 4; f.crc = 0;
    CHECK(accept(&f) == 0, "oversized length dropped");
    CHECK(rx.n_got == 0 && equal_range(0, N, dst) && dst[0] == -99.0f, "tensor untouched by bad frames");

    /* Wire format: encode/decode round trip; truncated, oversized, trailing and corrupt
     * byte strings rejected. */
    n = mn_link_encode(&sent[NF - 1], wire, sizeof wire);
    CHECK(n == MESHNN_FRAME_HEADER_BYTES + LAST_LEN + MESHNN_FRAME_TAG_BYTES, "encode size");
    CHECK(mn_link_decode(wire, n, &f) == 0 && memcmp(f.payload, sent[NF - 1].payload, LAST_LEN) == 0 && f.seq == 5, "decode round trip");
#if MESHNN_LINK_AUTH
    CHECK(f.epoch == 3 && memcmp(f.tag, sent[NF - 1].tag, MESHNN_FRAME_TAG_BYTES) == 0, "decode keeps epoch and tag");
#endif
    CHECK(mn_link_decode(wire, n - 1, &f) != 0, "truncated frame rejected");
    CHECK(mn_link_decode(wire, 10, &f) != 0, "truncated header rejected");
    CHECK(mn_link_decode(wire, n + 1, &f) != 0, "trailing bytes rejected");
    wire[10] = 0xFF;
    CHECK(mn_link_decode(wire, n, &f) != 0, "oversized length field rejected");
#if !MESHNN_LINK_AUTH
    n = mn_link_encode(&sent[2], wire, sizeof wire);
    wire[25] ^= 1;
    CHECK(mn_link_decode(wire, n, &f) != 0, "corrupt byte rejected by CRC");
#endif

    /* The frame CRC is zlib.crc32 of the 20 wire header bytes (crc field 0) and the
     * payload: for sent[2] (1->2, tensor 7, frag 2/3, len 12, seq 5, 23.0 24.0 25.0)
     * Python gives 0x3B889549. */
#if !MESHNN_LINK_AUTH
    CHECK(sent[2].crc == 0x3B889549u && mn_link_crc(&sent[2]) == 0x3B889549u, "frame CRC (zlib)");
#endif
    test_crc32();

    /* Everything lost, ZERO: all zeros, state FALLBACK. */
    setup(MN_FALLBACK_ZERO);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_FALLBACK && equal_range(0, N, zeros), "all lost -> zeros");

    /* Partial (fragment 1 lost), MEAN: its floats FP..2FP-1 get the means. */
    setup(MN_FALLBACK_MEAN);
    for (i = 0; i < NF; ++i) if (i != 1) accept(&sent[i]);
    CHECK(mn_link_rx_finish(&rx) == MESHNN_RX_PARTIAL, "partial state");
    CHECK(equal_range(0, FP, src) && equal_range(FP, 2 * FP, mean) && equal_range(2 * FP, N, src), "partial -> calibration means");

    /* HOLD: a complete inference is remembered; next inference everything lost -> the
     * previous values. */
    memset(hold, 0, sizeof hold);
    setup(MN_FALLBACK_HOLD);
    for (i = 0; i < NF; ++i) accept(&sent[i]);
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
    for (i = 1, k = 0; i < n_sent; ++i) k += accept(&sent[i]);
    CHECK(k == 0, "late: fragments after finish refused");
    for (i = FP, k = 1; i < N; ++i) k &= dst[i] == -7.0f;
    CHECK(k && rx.n_got == 1, "late: buffer untouched");

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
    for (i = 0, k = 1; i < n_sent; ++i) if (i != 1) k &= accept(&sent[i]) == 1;
    CHECK(k, "wait: the rest accepted");
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

    test_int8();
#if MESHNN_LINK_AUTH
    attacks();
#endif
    printf("link (%s): %d passed, %d failed\n", MESHNN_LINK_AUTH ? "authenticated" : "CRC only", passed, failed);
    return failed != 0;
}
