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
    rx.win_epoch = 0;
    rx.win_seq = 0;
    mn_link_rx_reset(&rx, 1);
    n_sent = 0;
    mn_link_send_tensor(1, 2, 7, 5, src, N * 4);
}

static int accept(const meshnn_frame_t *f) { return mn_link_rx_accept(&rx, 1, 2, 5, f); }

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

int main(void)
{
    meshnn_frame_t f;
    uint8_t wire[MESHNN_MTU_BYTES + 8];
    uint32_t n;
    int i;
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

#if MESHNN_LINK_AUTH
    attacks();
#endif
    printf("link (%s): %d passed, %d failed\n", MESHNN_LINK_AUTH ? "authenticated" : "CRC only", passed, failed);
    return failed != 0;
}
