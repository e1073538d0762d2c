/*
 * Tests of the int8 kernels (mn_kernels_s8.h):
 *   - hand-calculated requantisation (mn_requant_from_scale, rounding half to even, the
 *     two-scale sum of Add);
 *   - every kernel against onnxruntime on the vectors of s8_vectors.h (written by
 *     make_s8_vectors.py), reporting per kernel the share of elements equal to
 *     onnxruntime's and within 1 LSB; the acceptance is >= 99.9 % within 1 LSB and never
 *     more than 2 LSB apart (float outputs: dequantize exactly, softmax within 1e-6).
 */
#include "internal/mn_kernels_s8_internal.h" /* MN_S8_DSP: which dot product runs */
#include "mn_kernels_s8.h"
#include "s8_vectors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                              \
            printf(__VA_ARGS__);                                                     \
            printf("\n");                                                            \
        }                                                                            \
    } while (0)

/* ---------------------------------------------------------------- hand-calculated */

static mn_requant_t rq_of(double scale)
{
    mn_requant_t rq = {0, 0};
    CHECK(mn_requant_from_scale(scale, &rq) == 0, "from_scale(%g)", scale);
    return rq;
}

/* A per-channel table word of scale (rq_of, packed). */
static mn_requant_word_t rqw_of(double scale)
{
    const mn_requant_t rq = rq_of(scale);
    mn_requant_word_t w = 0;
    CHECK(mn_requant_pack(&rq, &w) == 0, "pack(%g)", scale);
    return w;
}

static void test_requant_by_hand(void)
{
    mn_requant_t rq = {123, 4};
    /* 0.75 = 0.75 * 2^0: mult = 0.75 * 2^31. */
    const mn_requant_t r34 = rq_of(0.75);
    /* 0.1 = 0.8 * 2^-3: mult = round(0.8 * 2^31) = round(1717986918.4). */
    const mn_requant_t r01 = rq_of(0.1);
    /* 2^-20 = 0.5 * 2^-19. */
    const mn_requant_t rp = rq_of(1.0 / 1048576.0);
    CHECK(r34.mult == 1610612736 && r34.shift == 0, "0.75 -> %d %d", (int)r34.mult, (int)r34.shift);
    CHECK(r01.mult == 1717986918 && r01.shift == -3, "0.1 -> %d %d", (int)r01.mult, (int)r01.shift);
    CHECK(rp.mult == 1073741824 && rp.shift == -19, "2^-20 -> %d %d", (int)rp.mult, (int)rp.shift);
    /* acc * 0.75: 2.25 -> 2, 1.5 -> 2, 4.5 -> 4, -1.5 -> -2, -4.5 -> -4, 5.25 -> 5. */
    CHECK(mn_requant_apply(&r34, 3, 1) == 2, "3 * 0.75");
    CHECK(mn_requant_apply(&r34, 2, 1) == 2, "2 * 0.75 (tie to even 2)");
    CHECK(mn_requant_apply(&r34, 6, 1) == 4, "6 * 0.75 (tie to even 4)");
    CHECK(mn_requant_apply(&r34, -2, 1) == -2, "-2 * 0.75 (tie to even -2)");
    CHECK(mn_requant_apply(&r34, -6, 1) == -4, "-6 * 0.75 (tie to even -4)");
    CHECK(mn_requant_apply(&r34, 7, 1) == 5, "7 * 0.75");
    /* with a count: 10 * 0.75 / 3 = 2.5 -> 2, 14 * 0.75 / 3 = 3.5 -> 4, 9 * 0.75 / 3 =
     * 2.25 -> 2, -11 * 0.75 / 3 = -2.75 -> -3. */
    CHECK(mn_requant_apply(&r34, 10, 3) == 2, "10 * 0.75 / 3");
    CHECK(mn_requant_apply(&r34, 14, 3) == 4, "14 * 0.75 / 3");
    CHECK(mn_requant_apply(&r34, 9, 3) == 2, "9 * 0.75 / 3");
    CHECK(mn_requant_apply(&r34, -11, 3) == -3, "-11 * 0.75 / 3");
    /* The Q31 multiplier of 0.1 is 0.1 - 1.9e-11: 5 * it is just below 0.5 -> 0, 15 * it
     * just below 1.5 -> 1, 25 * it just below 2.5 -> 2. */
    CHECK(mn_requant_apply(&r01, 5, 1) == 0, "5 * 0.1");
    CHECK(mn_requant_apply(&r01, 15, 1) == 1, "15 * 0.1");
    CHECK(mn_requant_apply(&r01, 25, 1) == 2, "25 * 0.1");
    /* 3 * 2^19 * 2^-20 = 1.5 -> 2; 5 * 2^19 * 2^-20 = 2.5 -> 2. */
    CHECK(mn_requant_apply(&rp, 3 << 19, 1) == 2, "1.5 at 2^-20");
    CHECK(mn_requant_apply(&rp, 5 << 19, 1) == 2, "2.5 at 2^-20");
    /* out of range scales are refused and leave rq alone; tiny ones become 0. */
    CHECK(mn_requant_from_scale(-1.0, &rq) == -1 && rq.mult == 123, "negative scale");
    CHECK(mn_requant_from_scale(NAN, &rq) == -1 && rq.mult == 123, "NaN scale");
    CHECK(mn_requant_from_scale(32768.0, &rq) == -1 && rq.mult == 123, "2^15 scale");
    CHECK(mn_requant_from_scale(1e-12, &rq) == 0 && rq.mult == 0, "tiny scale");
    CHECK(mn_requant_apply(&rq, 2147483647, 1) == 0, "zero multiplier");
}

/* Add with scales 0.5 and 0.25: 1*0.5 + 2*0.25 = 1; 1*0.5 = 0.5 -> 0; 3*0.5 = 1.5 -> 2;
 * 1*0.5 - 4*0.25 = -0.5 -> 0; 5*0.5 + 1*0.25 = 2.75 -> 3 (+ y_zp 10); and with scales
 * 2^-30 and 1 (exponents 30 bits apart): 127*2^-30 + 1 -> 1. */
static void test_add_by_hand(void)
{
    const int8_t a[5] = {1, 1, 3, 1, 5}, b[5] = {2, 0, 0, -4, 1};
    const int8_t want[5] = {11, 10, 12, 10, 13};
    int8_t y[5];
    mn_binary_s8_params_t p;
    int32_t i;
    memset(&p, 0, sizeof p);
    p.kind = MN_BINARY_S8_ADD;
    p.rank = 1;
    p.dims[0] = 5;
    p.a_strides[0] = 1;
    p.b_strides[0] = 1;
    p.y_zp = 10;
    p.y_lo = -128;
    p.y_hi = 127;
    p.a_rq = rq_of(0.5);
    p.b_rq = rq_of(0.25);
    mn_binary_s8(&p, a, b, y);
    for (i = 0; i < 5; ++i) {
        CHECK(y[i] == want[i], "add[%d] = %d, want %d", (int)i, y[i], want[i]);
    }
    p.a_rq = rq_of(1.0 / 1073741824.0);
    p.b_rq = rq_of(1.0);
    p.dims[0] = 1;
    {
        const int8_t a1 = 127, b1 = 1;
        int8_t y1 = 0;
        mn_binary_s8(&p, &a1, &b1, &y1);
        CHECK(y1 == 11, "add across 30 bits of exponent = %d", y1);
    }
}

/* ---------------------------------------------------------------- fast against reference */

static uint32_t rng_state = 12345u;

/* xorshift32: uniform in [lo, hi]. */
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return lo + (int32_t)(rng_state % (uint32_t)(hi - lo + 1));
}

/* mn_gemm_fast_s8 on the folded bias equals mn_gemm_s8 bit for bit (lengths with every
 * remainder of the four-pair DSP step, zero points, per-tensor and per-channel). */
static void test_gemm_fast_vs_ref(void)
{
    static int8_t a[8 * 80], b[12 * 80], y_ref[8 * 12], y_fast[8 * 12];
    int32_t bias[12], folded[12];
    mn_requant_word_t rq[12];
    int32_t t, i, diffs = 0;
    for (t = 0; t < 300; ++t) {
        mn_gemm_s8_params_t p;
        p.m = rnd(1, 8), p.n = rnd(1, 12), p.k = rnd(1, 80), p.trans_b = 1;
        p.a_zp = rnd(-128, 127), p.b_zp = 0, p.y_zp = rnd(-128, 127);
        p.y_lo = rnd(0, 1) ? -128 : p.y_zp, p.y_hi = 127, p.per_channel = rnd(0, 1);
        for (i = 0; i < p.m * p.k; ++i) {
            a[i] = (int8_t)rnd(-128, 127);
        }
        for (i = 0; i < p.n * p.k; ++i) {
            b[i] = (int8_t)rnd(-128, 127);
        }
        for (i = 0; i < p.n; ++i) {
            bias[i] = rnd(-40000, 40000);
            rq[i] = rqw_of((double)rnd(1, 1000) / 256000.0);
        }
        mn_gemm_s8(&p, a, b, t % 3 ? bias : NULL, rq, y_ref);
        mn_gemm_fast_s8_fold_bias(&p, b, t % 3 ? bias : NULL, folded);
        mn_gemm_fast_s8(&p, a, b, folded, rq, y_fast);
        diffs += memcmp(y_ref, y_fast, (size_t)(p.m * p.n)) != 0;
    }
    CHECK(diffs == 0, "gemm fast differs from reference in %d of 300 cases", (int)diffs);
    printf("  gemm_fast (%s dot product) equals gemm on 300 random cases\n",
           MN_S8_DSP ? "DSP SMLAD" : "plain C");
}

/* The table word by hand: mult's low six bits rounded half up, shift + 31 below them;
 * exact (mn_requant_unpack gives rq back) for every scale of float32 precision. */
static void test_requant_pack_by_hand(void)
{
    const mn_requant_t r34 = rq_of(0.75), r01 = rq_of(0.1), r01f = rq_of((double)0.1f);
    const mn_requant_t carry = {2147483647, 3}, over = {2147483647, 15}, zero = {0, 0};
    const mn_requant_t half = {0x40000020, 0}, below = {0x4000001F, 0};
    mn_requant_word_t w = 7;
    mn_requant_t u;
    int32_t i, inexact = 0;
    /* 0.75 * 2^31 = 0x60000000, shift 0 */
    CHECK(mn_requant_pack(&r34, &w) == 0 && w == (0x60000000 | 31), "pack 0.75: %d", (int)w);
    /* 0.1: 0x66666666 rounds up to 0x66666680 (0x26 >= 32), shift -3: which is float
     * 0.1f's multiplier exactly (its mantissa 0xCCCCCD << 7) */
    CHECK(mn_requant_pack(&r01, &w) == 0 && w == (0x66666680 | 28), "pack 0.1: %d", (int)w);
    CHECK(r01f.mult == 0x66666680 && r01f.shift == -3, "0.1f -> %d", (int)r01f.mult);
    u = mn_requant_unpack(w);
    CHECK(u.mult == 0x66666680 && u.shift == -3, "unpack 0.1: %d %d", (int)u.mult, (int)u.shift);
    /* half up: low bits 32 round up, 31 down */
    CHECK(mn_requant_pack(&half, &w) == 0 && w == (0x40000040 | 31), "half: %d", (int)w);
    CHECK(mn_requant_pack(&below, &w) == 0 && w == (0x40000000 | 31), "below: %d", (int)w);
    /* 2^31 - 1 rounds up to 2^31: 2^30 with shift + 1 */
    CHECK(mn_requant_pack(&carry, &w) == 0 && w == (0x40000000 | 35), "carry: %d", (int)w);
    CHECK(mn_requant_pack(&over, &w) == -1 && w == (0x40000000 | 35), "shift past 15");
    CHECK(mn_requant_pack(&zero, &w) == 0 && w == 31, "zero: %d", (int)w);
    u = mn_requant_unpack(w);
    CHECK(u.mult == 0 && u.shift == 0, "unpack zero");
    for (i = 0; i < 20000; ++i) { /* float32 scales over the whole range */
        const float s = ldexpf((float)rnd(1 << 23, (1 << 24) - 1), rnd(-70, 14) - 24);
        const mn_requant_t r = rq_of((double)s);
        CHECK(mn_requant_pack(&r, &w) == 0, "pack %g", (double)s);
        u = mn_requant_unpack(w);
        inexact += u.mult != r.mult || u.shift != r.shift;
    }
    CHECK(inexact == 0, "%d float32 scales not exact in a table word", (int)inexact);
}

/* mn_rq_scale1 equals mn_rq_scale(.., 1) on random and extreme accumulators and scales
 * (every shift, ties, the largest multiplier, the int32 extremes). */
static void test_rq_scale1(void)
{
    static const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, 2147483647, -2147483647 - 1,
                                   1073741824, -1073741824, 65536, -65536, 12345, -12345};
    int32_t t, shift, i, diffs = 0, checked = 0;
    for (shift = MN_REQUANT_MIN_SHIFT; shift <= MN_REQUANT_MAX_SHIFT; ++shift) {
        for (t = 0; t < 400; ++t) {
            const int32_t mults[3] = {1073741824, 2147483647, rnd(1073741824, 2147483647)};
            mn_requant_t rq;
            rq.mult = mults[t % 3], rq.shift = shift;
            for (i = 0; i < (int32_t)(sizeof accs / sizeof accs[0]) + 1; ++i) {
                const int32_t acc = i < (int32_t)(sizeof accs / sizeof accs[0])
                                        ? accs[i]
                                        : (rnd(0, 65535) - rnd(0, 65535)) * rnd(1, 32767);
                if (shift >= 0 && (acc > 65535 || acc < -65535)) {
                    continue; /* |acc * M| >= 2^31: outside the contract */
                }
                diffs += mn_rq_scale1(rq, acc) != mn_rq_scale(rq, acc, 1);
                ++checked;
            }
        }
    }
    CHECK(diffs == 0, "mn_rq_scale1 differs from mn_rq_scale in %d of %d", (int)diffs,
          (int)checked);
}

/* mn_mul_s32_by16 (the product of ARMv6-M builds, its high and low words from 32-bit
 * adds with carries) and mn_mul_s32 (on ARMv6-M the Thumb-1 assembly of the same) equal
 * the 64-bit product on the extremes, operands whose middle products carry into the high
 * word, and random operands. */
static void test_mul_s32_by16(void)
{
    static const int32_t as[] = {0, 1, -1, 65535, -65536, 65536, -65535, 2147483647,
                                 -2147483647 - 1, 1073741824, -1073741825, -65537,
                                 2147450881, -2147450881}; /* and carries into the high word */
    static const int32_t bs[] = {0, 1, 65535, 65536, 65537, 1073741824, 2147418113, 2147483647};
    int32_t i, j, diffs = 0;
    for (i = 0; i < (int32_t)(sizeof as / sizeof as[0]); ++i) {
        for (j = 0; j < (int32_t)(sizeof bs / sizeof bs[0]); ++j) {
            diffs += mn_mul_s32_by16(as[i], bs[j]) != (uint64_t)((int64_t)as[i] * bs[j]);
            diffs += mn_mul_s32(as[i], bs[j]) != (uint64_t)((int64_t)as[i] * bs[j]);
        }
    }
    for (i = 0; i < 20000; ++i) {
        const int32_t a = (int32_t)(((uint32_t)rnd(0, 65535) << 16) | (uint32_t)rnd(0, 65535));
        const int32_t b = (int32_t)(((uint32_t)rnd(0, 32767) << 16) | (uint32_t)rnd(0, 65535));
        diffs += mn_mul_s32_by16(a, b) != (uint64_t)((int64_t)a * b);
        diffs += mn_mul_s32(a, b) != (uint64_t)((int64_t)a * b);
    }
    CHECK(diffs == 0, "mn_mul_s32_by16 differs from the 64-bit product in %d cases",
          (int)diffs);
}

/* The random zero points, clamp, inputs, weights, biases and scales of a convolution
 * whose geometry p holds (w_zp = 0: the fast kernels' precondition). Returns the output
 * size. */
static int32_t random_conv_data(mn_conv_s8_params_t *p, int8_t *x, int8_t *w, int32_t *bias,
                                mn_requant_word_t *rq)
{
    int32_t i;
    p->x_zp = rnd(-128, 127), p->w_zp = 0, p->y_zp = rnd(-128, 127);
    p->y_lo = rnd(0, 1) ? -128 : p->y_zp, p->y_hi = rnd(0, 3) ? 127 : rnd(p->y_lo, 127);
    p->per_channel = rnd(0, 1);
    for (i = 0; i < p->n * p->c_in * p->in_h * p->in_w; ++i) {
        x[i] = (int8_t)rnd(-128, 127);
    }
    for (i = 0; i < p->c_out * (p->c_in / p->group) * p->k_h * p->k_w; ++i) {
        w[i] = (int8_t)rnd(-128, 127);
    }
    for (i = 0; i < p->c_out; ++i) {
        bias[i] = rnd(-40000, 40000);
        rq[i] = rqw_of(rnd(0, 7) ? (double)rnd(1, 1000) / 256000.0 : (double)rnd(1, 40) / 32.0);
    }
    return p->n * p->c_out * p->out_h * p->out_w;
}

/* One random convolution of test_conv_fast_vs_ref: 1-D or 2-D, grouped or depthwise,
 * strides, dilations, padding, zero points, per-tensor or per-channel scales (some >= 1/2,
 * the other rounding path). Returns the output size. */
static int32_t random_conv(mn_conv_s8_params_t *p, int8_t *x, int8_t *w, int32_t *bias,
                           mn_requant_word_t *rq)
{
    int32_t pad_bottom, pad_right;
    p->n = rnd(1, 2), p->group = rnd(0, 3) ? 1 : rnd(2, 3);
    p->c_in = p->group * rnd(1, 4);
    p->c_out = rnd(0, 2) ? p->group * rnd(1, 5) : p->c_in; /* sometimes depthwise */
    if (p->c_out != p->c_in) {
        p->c_out = p->group * rnd(1, 5);
    }
    if (rnd(0, 3) == 0) {
        p->group = p->c_in, p->c_out = p->c_in; /* depthwise */
    }
    p->in_h = rnd(0, 3) ? rnd(1, 9) : 1, p->in_w = rnd(1, 9);
    p->k_h = rnd(1, p->in_h < 3 ? p->in_h : 3), p->k_w = rnd(1, 4);
    p->stride_h = rnd(1, 2), p->stride_w = rnd(1, 3), p->dil_h = rnd(1, 2), p->dil_w = rnd(1, 2);
    p->pad_top = p->in_h > 1 ? rnd(0, 2) : 0, p->pad_left = rnd(0, 2);
    pad_bottom = p->in_h > 1 ? rnd(0, 2) : 0, pad_right = rnd(0, 2);
    p->out_h = (p->in_h + p->pad_top + pad_bottom - (p->k_h - 1) * p->dil_h - 1) / p->stride_h + 1;
    p->out_w = (p->in_w + p->pad_left + pad_right - (p->k_w - 1) * p->dil_w - 1) / p->stride_w + 1;
    if (p->out_h < 1 || p->out_w < 1) {
        p->dil_h = p->dil_w = 1, p->k_h = 1, p->k_w = 1;
        p->out_h = (p->in_h + p->pad_top + pad_bottom - 1) / p->stride_h + 1;
        p->out_w = (p->in_w + p->pad_left + pad_right - 1) / p->stride_w + 1;
    }
    return random_conv_data(p, x, w, bias, rq);
}

/* mn_conv2d_fast_s8 on packed weights equals mn_conv2d_s8 bit for bit. */
static void test_conv_fast_vs_ref(void)
{
    static int8_t x[2 * 12 * 81], w[15 * 4 * 12], packed[2 * 15 * 4 * 12];
    static int8_t y_ref[2 * 15 * 169], y_fast[2 * 15 * 169];
    static int32_t scratch[128]; /* 4-byte aligned, as the kernel requires */
    int32_t bias[15];
    mn_requant_word_t rq[15];
    int32_t t, diffs = 0;
    for (t = 0; t < 2000; ++t) {
        mn_conv_s8_params_t p;
        const int32_t size = random_conv(&p, x, w, bias, rq);
        CHECK(mn_conv2d_fast_s8_scratch_size(&p) <= (int32_t)sizeof scratch, "scratch");
        CHECK(mn_conv2d_fast_s8_packed_size(&p) <= (int32_t)sizeof packed, "packed");
        mn_conv2d_s8(&p, x, w, t % 3 ? bias : NULL, rq, y_ref);
        mn_conv2d_fast_s8_pack(&p, w, packed);
        mn_conv2d_fast_s8(&p, x, packed, t % 3 ? bias : NULL, rq, (int8_t *)scratch, y_fast);
        diffs += memcmp(y_ref, y_fast, (size_t)size) != 0;
    }
    CHECK(diffs == 0, "conv fast differs from reference in %d of 2000 cases", (int)diffs);
    printf("  conv_fast (%s dot product) equals conv on 2000 random cases\n",
           MN_S8_DSP ? "DSP SMLAD" : "plain C");
}

/* One random depthwise convolution of test_conv_dw_vs_ref: 3 x 3 windows half of the
 * time (the register path: strides 1 and 2, dil_h 1 or 2; sometimes dil_w 2 or stride_w
 * 3, the tap-by-tap path), other windows up to 5 x 5, 1-D and 2-D, odd and even output
 * widths, padding, zero points, per-tensor or per-channel scales. Returns the output
 * size. */
static int32_t random_conv_dw(mn_conv_s8_params_t *p, int8_t *x, int8_t *w, int32_t *bias,
                              mn_requant_word_t *rq)
{
    int32_t pad_bottom, pad_right, span_h, span_w;
    const int32_t three = rnd(0, 1);
    p->n = rnd(1, 2), p->c_in = rnd(1, 6), p->c_out = p->c_in, p->group = p->c_in;
    p->in_h = rnd(0, 4) ? rnd(1, 11) : 1, p->in_w = rnd(1, 11);
    p->k_h = three ? 3 : rnd(1, p->in_h < 5 ? p->in_h : 5), p->k_w = three ? 3 : rnd(1, 5);
    p->stride_h = rnd(1, 3), p->stride_w = three && rnd(0, 7) ? rnd(1, 2) : rnd(1, 3);
    p->dil_h = rnd(0, 3) ? 1 : 2, p->dil_w = three && rnd(0, 7) ? 1 : rnd(1, 2);
    p->pad_top = rnd(0, 2), p->pad_left = rnd(0, 2);
    pad_bottom = rnd(0, 2), pad_right = rnd(0, 2);
    if (p->in_h == 1 && !three) {
        p->k_h = 1, p->dil_h = 1, p->pad_top = 0, pad_bottom = 0;
    }
    span_h = p->in_h + p->pad_top + pad_bottom - (p->k_h - 1) * p->dil_h;
    span_w = p->in_w + p->pad_left + pad_right - (p->k_w - 1) * p->dil_w;
    if (span_h < 1) { /* the window does not fit: pad the bottom so that it does */
        pad_bottom += 1 - span_h, span_h = 1;
    }
    if (span_w < 1) {
        pad_right += 1 - span_w, span_w = 1;
    }
    p->out_h = (span_h - 1) / p->stride_h + 1;
    p->out_w = (span_w - 1) / p->stride_w + 1;
    return random_conv_data(p, x, w, bias, rq);
}

/* mn_conv2d_dw_s8 equals mn_conv2d_s8 bit for bit. Its scratch is allocated with exactly
 * the size it asks for, so that under AddressSanitizer (make test) a read or write past
 * it fails. */
static void test_conv_dw_vs_ref(void)
{
    static int8_t x[2 * 6 * 121], w[6 * 25];
    static int8_t y_ref[2 * 6 * 169], y_dw[2 * 6 * 169];
    int32_t bias[6];
    mn_requant_word_t rq[6];
    int32_t t, diffs = 0;
    for (t = 0; t < 3000; ++t) {
        mn_conv_s8_params_t p;
        const int32_t size = random_conv_dw(&p, x, w, bias, rq);
        int8_t *scratch = malloc((size_t)mn_conv2d_dw_s8_scratch_size(&p)); /* aligned */
        CHECK(scratch != NULL, "dw scratch");
        if (scratch == NULL) {
            return;
        }
        mn_conv2d_s8(&p, x, w, t % 3 ? bias : NULL, rq, y_ref);
        mn_conv2d_dw_s8(&p, x, w, t % 3 ? bias : NULL, rq, scratch, y_dw);
        diffs += memcmp(y_ref, y_dw, (size_t)size) != 0;
        free(scratch);
    }
    CHECK(diffs == 0, "conv dw differs from reference in %d of 3000 cases", (int)diffs);
    printf("  conv_dw (%s) equals conv on 3000 random depthwise cases\n",
           MN_S8_DSP ? "DSP SMLAD" : "plain C");
}

/* mn_pool2d_fast_s8 equals mn_pool2d_s8 bit for bit on random max
 * poolings: window sizes 1-4 (2 x 2 the unrolled path), strides, dilations, padding
 * (windows with no input position), identity and other requantisations, clamps. */
static void test_pool_fast_vs_ref(void)
{
    static int8_t x[3 * 11 * 11], y_ref[3 * 16 * 16], y_fast[3 * 16 * 16];
    int32_t t, i, diffs = 0, identities = 0;
    for (t = 0; t < 3000; ++t) {
        mn_pool_s8_params_t p;
        int32_t size;
        p.kind = MN_POOL_MAX; /* the fast kernel's only kind */
        p.channels = rnd(1, 3), p.in_h = rnd(1, 11), p.in_w = rnd(1, 11);
        p.k_h = rnd(0, 1) ? 2 : rnd(1, 4), p.k_w = rnd(0, 1) ? 2 : rnd(1, 4);
        p.stride_h = rnd(1, 3), p.stride_w = rnd(1, 3);
        p.dil_h = rnd(0, 3) ? 1 : 2, p.dil_w = rnd(0, 3) ? 1 : 2;
        p.pad_top = rnd(0, 2), p.pad_left = rnd(0, 2), p.pad_bottom = rnd(0, 2);
        p.pad_right = rnd(0, 2), p.count_include_pad = rnd(0, 1);
        p.out_h = (p.in_h + p.pad_top + p.pad_bottom - (p.k_h - 1) * p.dil_h - 1) / p.stride_h + 1;
        p.out_w = (p.in_w + p.pad_left + p.pad_right - (p.k_w - 1) * p.dil_w - 1) / p.stride_w + 1;
        if (p.in_h + p.pad_top + p.pad_bottom - (p.k_h - 1) * p.dil_h - 1 < 0 ||
            p.in_w + p.pad_left + p.pad_right - (p.k_w - 1) * p.dil_w - 1 < 0) {
            continue;
        }
        p.x_zp = rnd(-128, 127);
        if (rnd(0, 1)) { /* the identity requantisation */
            p.y_zp = p.x_zp, p.y_lo = -128, p.y_hi = 127, p.rq = rq_of(1.0);
            ++identities;
        } else {
            p.y_zp = rnd(-128, 127), p.y_lo = rnd(0, 1) ? -128 : p.y_zp;
            p.y_hi = rnd(0, 3) ? 127 : rnd(p.y_lo, 127);
            p.rq = rq_of((double)rnd(1, 4000) / 1000.0);
        }
        for (i = 0; i < p.channels * p.in_h * p.in_w; ++i) {
            x[i] = (int8_t)rnd(-128, 127);
        }
        size = p.channels * p.out_h * p.out_w;
        mn_pool2d_s8(&p, x, y_ref);
        mn_pool2d_fast_s8(&p, x, y_fast);
        diffs += memcmp(y_ref, y_fast, (size_t)size) != 0;
    }
    CHECK(diffs == 0, "pool fast differs from reference in %d of 3000 cases", (int)diffs);
    CHECK(identities > 1000, "only %d identity requantisations drawn", (int)identities);
    printf("  pool_fast equals pool on 3000 random cases\n");
}

/* ---------------------------------------------------------------- against onnxruntime */

/* Per-kernel agreement with onnxruntime. */
typedef struct {
    long total, exact, within1;
    int32_t max_diff;
} agree_t;

static agree_t agree[S8_SOFTMAX + 1];

static const char *const kind_names[] = {"conv", "gemm", "add", "mul", "maxpool", "avgpool",
                                         "global_avgpool", "concat", "quantize",
                                         "dequantize", "softmax"};

static void compare_s8(const s8_case_t *c, const int8_t *got)
{
    agree_t *g = &agree[c->kind];
    const long exact0 = g->exact;
    int32_t i, worst = 0;
    for (i = 0; i < c->n_y; ++i) {
        const int32_t d = abs((int32_t)got[i] - (int32_t)c->y[i]);
        worst = d > worst ? d : worst;
        g->exact += d == 0;
        g->within1 += d <= 1;
    }
    if (g->exact - exact0 < c->n_y) {
        printf("  %s: %ld of %d elements differ from onnxruntime\n", c->name,
               (long)c->n_y - (g->exact - exact0), (int)c->n_y);
    }
    g->total += c->n_y;
    g->max_diff = worst > g->max_diff ? worst : g->max_diff;
    CHECK(worst <= 2, "%s: %d LSB from onnxruntime", c->name, (int)worst);
}

static mn_requant_t rq_ratio(float num, float den)
{
    return rq_of((double)(num / den));
}

/* onnxruntime's vectors the depthwise kernel ran too. */
static int32_t dw_vectors = 0;

static void run_conv(const s8_case_t *c, int8_t *y)
{
    mn_requant_word_t rq[64];
    mn_conv_s8_params_t p;
    const int32_t *g = c->geom;
    int32_t i;
    CHECK(c->n_scale <= 64, "%s: too many channels", c->name);
    for (i = 0; i < c->n_scale && i < 64; ++i) {
        rq[i] = rqw_of(c->scale[i]);
    }
    p.n = g[0], p.c_in = g[1], p.in_h = g[2], p.in_w = g[3];
    p.c_out = g[4], p.out_h = g[5], p.out_w = g[6], p.k_h = g[7], p.k_w = g[8];
    p.stride_h = g[9], p.stride_w = g[10], p.dil_h = g[11], p.dil_w = g[12];
    p.pad_top = g[13], p.pad_left = g[14], p.group = g[15];
    p.x_zp = c->q[0], p.w_zp = c->q[1], p.y_zp = c->q[2], p.y_lo = c->q[3], p.y_hi = c->q[4];
    p.per_channel = 1;
    mn_conv2d_s8(&p, c->a, c->b, c->bias, rq, y);
    if (p.w_zp == 0) { /* the fast kernel on the same vector gives the same bytes */
        static int8_t packed[4096], y_fast[4096];
        static int32_t scratch[1024];
        CHECK(c->n_y <= 4096 && mn_conv2d_fast_s8_packed_size(&p) <= 4096 &&
                  mn_conv2d_fast_s8_scratch_size(&p) <= 4096,
              "%s: size", c->name);
        mn_conv2d_fast_s8_pack(&p, c->b, packed);
        mn_conv2d_fast_s8(&p, c->a, packed, c->bias, rq, (int8_t *)scratch, y_fast);
        CHECK(memcmp(y, y_fast, (size_t)c->n_y) == 0, "%s: fast differs from reference",
              c->name);
    }
    if (p.w_zp == 0 && p.group == p.c_in && p.group == p.c_out) { /* and the depthwise one */
        static int8_t y_dw[4096];
        static int32_t scratch[1024];
        CHECK(mn_conv2d_dw_s8_scratch_size(&p) <= 4096, "%s: dw scratch", c->name);
        mn_conv2d_dw_s8(&p, c->a, c->b, c->bias, rq, (int8_t *)scratch, y_dw);
        CHECK(memcmp(y, y_dw, (size_t)c->n_y) == 0, "%s: dw differs from reference",
              c->name);
        ++dw_vectors;
    }
}

static void run_gemm(const s8_case_t *c, int8_t *y)
{
    mn_requant_word_t rq[64];
    mn_gemm_s8_params_t p;
    int32_t i;
    for (i = 0; i < c->n_scale && i < 64; ++i) {
        rq[i] = rqw_of(c->scale[i]);
    }
    p.m = c->geom[0], p.n = c->geom[1], p.k = c->geom[2], p.trans_b = c->geom[3];
    p.a_zp = c->q[0], p.b_zp = c->q[1], p.y_zp = c->q[2], p.y_lo = c->q[3], p.y_hi = c->q[4];
    p.per_channel = c->n_scale > 1;
    mn_gemm_s8(&p, c->a, c->b, c->bias, rq, y);
}

/* geom: rank, dims, a_strides, b_strides; q: a_zp, b_zp, y_zp; scale: a, b, y. */
static void run_binary(const s8_case_t *c, int8_t *y)
{
    mn_binary_s8_params_t p;
    const int32_t r = c->geom[0];
    int32_t d;
    memset(&p, 0, sizeof p);
    p.kind = c->kind == S8_MUL ? MN_BINARY_S8_MUL : MN_BINARY_S8_ADD;
    p.rank = r;
    for (d = 0; d < r; ++d) {
        p.dims[d] = c->geom[1 + d];
        p.a_strides[d] = c->geom[1 + r + d];
        p.b_strides[d] = c->geom[1 + 2 * r + d];
    }
    p.a_zp = c->q[0], p.b_zp = c->q[1], p.y_zp = c->q[2], p.y_lo = -128, p.y_hi = 127;
    if (c->kind == S8_MUL) {
        p.a_rq = rq_ratio(c->scale[0] * c->scale[1], c->scale[2]);
    } else {
        p.a_rq = rq_ratio(c->scale[0], c->scale[2]);
        p.b_rq = rq_ratio(c->scale[1], c->scale[2]);
    }
    mn_binary_s8(&p, c->a, c->b, y);
}

/* geom: the mn_pool_s8_params_t fields after kind; q: x_zp, y_zp; scale: x, y. */
static void run_pool(const s8_case_t *c, int8_t *y)
{
    mn_pool_s8_params_t p;
    const int32_t *g = c->geom;
    p.kind = c->kind == S8_MAXPOOL ? MN_POOL_MAX : MN_POOL_AVG;
    p.channels = g[0], p.in_h = g[1], p.in_w = g[2];
    p.out_h = g[3], p.out_w = g[4], p.k_h = g[5], p.k_w = g[6];
    p.stride_h = g[7], p.stride_w = g[8], p.dil_h = g[9], p.dil_w = g[10];
    p.pad_top = g[11], p.pad_left = g[12], p.pad_bottom = g[13];
    p.pad_right = g[14], p.count_include_pad = g[15];
    p.x_zp = c->q[0], p.y_zp = c->q[1], p.y_lo = -128, p.y_hi = 127;
    p.rq = rq_ratio(c->scale[0], c->scale[1]);
    mn_pool2d_s8(&p, c->a, y);
    if (p.kind == MN_POOL_MAX) { /* the fast kernel on the same vector gives the same bytes */
        static int8_t y_fast[4096];
        CHECK(c->n_y <= 4096, "%s: pool vector too large", c->name);
        mn_pool2d_fast_s8(&p, c->a, y_fast);
        CHECK(memcmp(y, y_fast, (size_t)c->n_y) == 0, "%s: fast pool differs from reference",
              c->name);
    }
}

static void run_global_pool(const s8_case_t *c, int8_t *y)
{
    mn_global_pool_s8_params_t p;
    p.channels = c->geom[0], p.size = c->geom[1];
    p.x_zp = c->q[0], p.y_zp = c->q[1], p.y_lo = -128, p.y_hi = 127;
    p.rq = rq_ratio(c->scale[0], c->scale[1]);
    mn_global_pool_s8(&p, c->a, y);
}

/* geom: outer, inner of each input; q: each input's zp, y_zp; scale likewise. */
static void run_concat(const s8_case_t *c, int8_t *y)
{
    const int32_t parts = c->n_geom - 1, outer = c->geom[0];
    int32_t i, y_stride = 0, y_offset = 0;
    const int8_t *x = c->a;
    for (i = 0; i < parts; ++i) {
        y_stride += c->geom[1 + i];
    }
    for (i = 0; i < parts; ++i) {
        mn_concat_s8_params_t p;
        p.outer = outer, p.inner = c->geom[1 + i], p.y_stride = y_stride;
        p.y_offset = y_offset;
        p.x_zp = c->q[i], p.y_zp = c->q[parts], p.y_lo = -128, p.y_hi = 127;
        p.rq = rq_ratio(c->scale[i], c->scale[parts]);
        mn_concat_s8(&p, x, y);
        x += outer * p.inner;
        y_offset += p.inner;
    }
}

static void check_float_case(const s8_case_t *c)
{
    float got[512];
    agree_t *g = &agree[c->kind];
    int32_t i;
    CHECK(c->n_fy <= 512, "%s: too large", c->name);
    if (c->kind == S8_DEQUANT) {
        const mn_dequantize_s8_params_t p = {c->n_a, c->scale[0], c->q[0]};
        mn_dequantize_s8(&p, c->a, got);
    } else {
        const mn_softmax_s8_params_t p = {c->geom[0], c->geom[1], c->scale[0]};
        mn_softmax_s8(&p, c->a, got);
    }
    for (i = 0; i < c->n_fy; ++i) {
        const float tol = c->kind == S8_DEQUANT ? 0.0f : 1e-6f;
        const int ok = fabsf(got[i] - c->fy[i]) <= tol;
        g->exact += got[i] == c->fy[i];
        g->within1 += ok;
        CHECK(ok, "%s[%d]: %g, onnxruntime %g", c->name, (int)i, got[i], c->fy[i]);
    }
    g->total += c->n_fy;
}

static void check_case(const s8_case_t *c)
{
    static int8_t y[8192];
    if (c->kind == S8_DEQUANT || c->kind == S8_SOFTMAX) {
        check_float_case(c);
        return;
    }
    if (c->n_y > 8192) {
        CHECK(0, "%s: output too large", c->name);
        return;
    }
    memset(y, 0x5a, sizeof y);
    switch (c->kind) {
    case S8_CONV: run_conv(c, y); break;
    case S8_GEMM: run_gemm(c, y); break;
    case S8_ADD:
    case S8_MUL: run_binary(c, y); break;
    case S8_MAXPOOL:
    case S8_AVGPOOL: run_pool(c, y); break;
    case S8_GAP: run_global_pool(c, y); break;
    case S8_CONCAT: run_concat(c, y); break;
    default: {
        const mn_quantize_s8_params_t p = {c->n_fin, c->scale[0], c->q[0], c->q[1], c->q[2]};
        mn_quantize_s8(&p, c->fin, y);
    }
    }
    compare_s8(c, y);
}

static void report_agreement(void)
{
    int32_t k;
    for (k = 0; k <= S8_SOFTMAX; ++k) {
        const agree_t *g = &agree[k];
        const double within = g->total ? 100.0 * (double)g->within1 / (double)g->total : 0.0;
        CHECK(g->total > 0, "no onnxruntime case for %s", kind_names[k]);
        printf("  %-15s %5ld elements: %7.3f %% equal to onnxruntime, %7.3f %% within %s, "
               "max %d\n",
               kind_names[k], g->total,
               g->total ? 100.0 * (double)g->exact / (double)g->total : 0.0, within,
               k == S8_SOFTMAX ? "1e-6" : (k == S8_DEQUANT ? "0" : "1 LSB"), (int)g->max_diff);
        CHECK(within >= 99.9, "%s: %.3f %% within 1 LSB", kind_names[k], within);
    }
}

int main(void)
{
    int32_t i;
    test_requant_by_hand();
    test_requant_pack_by_hand();
    test_add_by_hand();
    test_gemm_fast_vs_ref();
    test_rq_scale1();
    test_mul_s32_by16();
    test_conv_fast_vs_ref();
    test_conv_dw_vs_ref();
    test_pool_fast_vs_ref();
    for (i = 0; i < S8_CASES; ++i) {
        check_case(&s8_cases[i]);
    }
    report_agreement();
    CHECK(dw_vectors >= 1, "no onnxruntime depthwise vector ran the depthwise kernel");
    if (failures) {
        printf("test_kernels_s8: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_kernels_s8: all passed (%d onnxruntime cases, %d of them depthwise on "
           "mn_conv2d_dw_s8 too)\n",
           (int)S8_CASES, (int)dw_vectors);
    return 0;
}
