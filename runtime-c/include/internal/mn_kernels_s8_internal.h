/*
 * meshnn runtime internals of the int8 kernels: the rounding every one of them
 * requantises with. Not part of the kernel API (mn_kernels_s8.h); meshnn copies it into
 * a device folder beside the kernel sources, as internal/mn_kernels_s8_internal.h.
 */
#ifndef MN_KERNELS_S8_INTERNAL_H
#define MN_KERNELS_S8_INTERNAL_H

#include "mn_kernels_internal.h"
#include "../mn_kernels_s8.h"

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#include <string.h>
#define MN_S8_DSP 1
#else
#define MN_S8_DSP 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* sum a[i] * w[i] over n int8 pairs. On cores with the DSP extension (Cortex-M4/M33/M7)
 * four pairs at a time: two sign-extending byte unpacks (SXTB16, of the word and of it
 * rotated by 8) per operand and two dual 16-bit multiply-accumulates (SMLAD), the loads
 * by memcpy (unaligned word loads are legal there); plain C elsewhere. */
static inline int32_t mn_dot_s8(const int8_t *a, const int8_t *w, int32_t n)
{
    int32_t acc = 0, i = 0;
#if MN_S8_DSP
    for (; i + 4 <= n; i += 4) {
        uint32_t va, vw;
        memcpy(&va, a + i, 4);
        memcpy(&vw, w + i, 4);
        acc = __smlad(__sxtb16(va), __sxtb16(vw), acc);
        acc = __smlad(__sxtb16((va >> 8) | (va << 24)), __sxtb16((vw >> 8) | (vw << 24)),
                      acc); /* bytes 1 and 3: the word rotated right by 8 */
    }
#endif
    for (; i < n; ++i) {
        acc += (int32_t)a[i] * (int32_t)w[i];
    }
    return acc;
}

/* acc[c] += sum a[i] * w[c * stride + i] for the four rows c < 4 of w (one unpacking of
 * a serves four weight rows on the DSP path). */
static inline void mn_dot4_s8(const int8_t *a, const int8_t *w, int32_t stride, int32_t n,
                              int32_t *acc)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
#if MN_S8_DSP
    for (; i + 4 <= n; i += 4) {
        uint32_t va, v0, v1, v2, v3;
        int32_t a02, a13;
        memcpy(&va, a + i, 4);
        a02 = (int32_t)__sxtb16(va);
        a13 = (int32_t)__sxtb16((va >> 8) | (va << 24));
        memcpy(&v0, w + i, 4);
        memcpy(&v1, w + stride + i, 4);
        memcpy(&v2, w + 2 * stride + i, 4);
        memcpy(&v3, w + 3 * stride + i, 4);
        s0 = __smlad(a02, __sxtb16(v0), s0);
        s0 = __smlad(a13, __sxtb16((v0 >> 8) | (v0 << 24)), s0);
        s1 = __smlad(a02, __sxtb16(v1), s1);
        s1 = __smlad(a13, __sxtb16((v1 >> 8) | (v1 << 24)), s1);
        s2 = __smlad(a02, __sxtb16(v2), s2);
        s2 = __smlad(a13, __sxtb16((v2 >> 8) | (v2 << 24)), s2);
        s3 = __smlad(a02, __sxtb16(v3), s3);
        s3 = __smlad(a13, __sxtb16((v3 >> 8) | (v3 << 24)), s3);
    }
#endif
    for (; i < n; ++i) {
        const int32_t av = a[i];
        s0 += av * w[i];
        s1 += av * w[stride + i];
        s2 += av * w[2 * stride + i];
        s3 += av * w[3 * stride + i];
    }
    acc[0] += s0;
    acc[1] += s1;
    acc[2] += s2;
    acc[3] += s3;
}

/* The packed weight layout of mn_conv2d_fast_s8, shared by the kernel and its packer
 * (mn_conv2d_fast_pack_s8.c): the taps of one output channel's window, that count
 * rounded up to a multiple of four (the packed weights and the columns are padded to
 * it), and the output channels of a group rounded up to whole pairs (the packed rows). */
static inline int32_t mn_fast_s8_taps(const mn_conv_s8_params_t *p)
{
    return p->c_in / p->group * p->k_h * p->k_w;
}

static inline int32_t mn_fast_s8_taps4(const mn_conv_s8_params_t *p)
{
    return (mn_fast_s8_taps(p) + 3) & ~3;
}

static inline int32_t mn_fast_s8_cout2(const mn_conv_s8_params_t *p)
{
    return (p->c_out / p->group + 1) & ~1;
}

/* Within a packed block of four taps, the middle two are swapped: slot s holds tap
 * MN_FAST_S8_SLOT(s) of the block (an involution), so that the two SXTB16 of a packed
 * word give the pairs (w0, w1) and (w2, w3). */
#define MN_FAST_S8_SLOT(s) ((s) == 1 ? 2 : (s) == 2 ? 1 : (s))

/* The mn_requant_t of a table word (mn_requant_pack's inverse). */
static inline mn_requant_t mn_requant_unpack(mn_requant_word_t w)
{
    mn_requant_t r;
    r.mult = (int32_t)((uint32_t)w & ~63u);
    r.shift = (int32_t)((uint32_t)w & 63u) + MN_REQUANT_MIN_SHIFT;
    return r;
}

/* Output channel c's requantisation from a table of one word (per_channel 0) or one
 * word per channel. */
static inline mn_requant_t mn_requant_of(const mn_requant_word_t *rq, int32_t per_channel,
                                         int32_t c)
{
    return mn_requant_unpack(rq[per_channel ? c : 0]);
}

/* The right shift that goes with rq: M = mult / 2^mn_rq_bits(rq), in [16, 62]. */
static inline int32_t mn_rq_bits(mn_requant_t rq)
{
    return 31 - rq.shift;
}

/* floor(v / 2^s) without the implementation-defined right shift of a negative value. */
static inline int64_t mn_floor_shift(int64_t v, int32_t s)
{
    const uint64_t m = ((uint64_t)1 << s) - 1u;
    return v >= 0 ? (int64_t)((uint64_t)v >> s) : -(int64_t)((((uint64_t)-v) + m) >> s);
}

/* round(v / (count * 2^t)) rounded half to even, exactly (saturated at +-2^30) (|v| < 2^62, 0 <= t <= 63,
 * count >= 1), without forming count * 2^t: the integer part and remainder of
 * |v| >> t are divided by count, and the fraction (r1 + rem / 2^t) / count is compared
 * with one half. */
static inline int32_t mn_rq_round(int64_t v, int32_t t, int32_t count)
{
    const uint64_t u = v >= 0 ? (uint64_t)v : (uint64_t)-v;
    const uint64_t q = u >> t;
    const uint64_t rem = t > 0 ? u & (((uint64_t)1 << t) - 1u) : 0u;
    const uint64_t half = t > 0 ? (uint64_t)1 << (t - 1) : 0u;
    const uint64_t quot = q / (uint64_t)count;
    const int64_t d = 2 * (int64_t)(q % (uint64_t)count) - count; /* sign of 2 * frac - 1 */
    int up;
    if (d > 0) {
        up = 1;
    } else if (d == 0) {
        up = rem > 0u || (quot & 1u);
    } else if (d == -1 && t > 0) {
        up = rem > half || (rem == half && (quot & 1u));
    } else {
        up = 0;
    }
    uint64_t r = quot + (uint64_t)up;
    r = r > 0x40000000u ? 0x40000000u : r; /* saturate: the caller clamps to int8 */
    return v >= 0 ? (int32_t)r : -(int32_t)r;
}

/* round(acc * M / count) (count >= 1). */
static inline int32_t mn_rq_scale(mn_requant_t rq, int32_t acc, int32_t count)
{
    return mn_rq_round((int64_t)acc * rq.mult, mn_rq_bits(rq), count);
}

/* The high word of (int64_t)a * b as two's complement bits (b >= 0), the low word in
 * *lo, from four 16 x 16 -> 32 products and 32-bit adds with their carries: exact, and
 * shorter on ARMv6-M (Cortex-M0/M0+), which has no 32 x 32 -> 64 multiply, than GCC's
 * call of the 64 x 64 helper __aeabi_lmul or its 64-bit adds. Tested on every core
 * against the plain product (through mn_mul_s32_by16). */
static inline uint32_t mn_mul_s32_hi_by16(int32_t a, int32_t b, uint32_t *lo)
{
    const uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    const uint32_t al = ua & 0xFFFFu, ah = ua >> 16, bl = ub & 0xFFFFu, bh = ub >> 16;
    const uint32_t p1 = al * bh, p2 = ah * bl; /* the middle products, < 2^32 */
    const uint32_t t = al * bl + (p1 << 16);
    const uint32_t l = t + (p2 << 16);
    uint32_t h = ah * bh + (p1 >> 16) + (p2 >> 16);
    h += (uint32_t)(t < (p1 << 16)) + (uint32_t)(l < t); /* the carries into the high word */
    if (a < 0) { /* ua = a + 2^32: take b * 2^32 back off */
        h -= ub;
    }
    *lo = l;
    return h;
}

/* (int64_t)a * b as the two's complement bits of the product (b >= 0), by
 * mn_mul_s32_hi_by16. */
static inline uint64_t mn_mul_s32_by16(int32_t a, int32_t b)
{
    uint32_t lo;
    const uint32_t hi = mn_mul_s32_hi_by16(a, b, &lo);
    return ((uint64_t)hi << 32) | lo;
}

#if (defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)) && defined(__thumb__) &&       \
    !defined(__thumb2__) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MN_S8_NO_ASM)
#define MN_MUL_S32_THUMB1 1
#else
#define MN_MUL_S32_THUMB1 0
#endif

#if MN_MUL_S32_THUMB1
/* mn_mul_s32_hi_by16's product as Thumb-1 assembly, 18 instructions in six low registers
 * (GCC 12 makes that C some 45 on the Cortex-M0+, moving its eight live values through
 * the high registers): with a's 16-bit halves signed (ah = a >> 16, al = a & 0xFFFF),
 * a * b = ah * bh * 2^32 + (al * bh + ah * bl) * 2^16 + al * bl, every product exact in
 * 32 bits (|ah * bl| < 2^31, al * bh < 2^31 as b < 2^31), and the two middle products
 * added into the high:low pair by ADDS/ADCS, the one with ah shifted arithmetically. */
static inline uint32_t mn_mul_s32_hi_thumb1(int32_t a, int32_t b, uint32_t *lo)
{
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b, h, bh, t0, t1;
    __asm__(".syntax unified\n\t"
            "asrs %[h], %[a], #16\n\t" /* ah */
            "uxth %[a], %[a]\n\t"      /* al */
            "lsrs %[bh], %[b], #16\n\t"
            "uxth %[b], %[b]\n\t" /* bl */
            "movs %[t0], %[a]\n\t"
            "muls %[t0], %[bh]\n\t" /* al * bh */
            "movs %[t1], %[h]\n\t"
            "muls %[t1], %[b]\n\t" /* ah * bl */
            "muls %[a], %[b]\n\t"  /* al * bl: the low word so far */
            "muls %[h], %[bh]\n\t" /* ah * bh: the high word so far */
            "lsls %[b], %[t0], #16\n\t"
            "lsrs %[t0], %[t0], #16\n\t"
            "adds %[a], %[b]\n\t"
            "adcs %[h], %[t0]\n\t"
            "lsls %[b], %[t1], #16\n\t"
            "asrs %[t1], %[t1], #16\n\t"
            "adds %[a], %[b]\n\t"
            "adcs %[h], %[t1]"
            : [h] "=&l"(h), [bh] "=&l"(bh), [t0] "=&l"(t0), [t1] "=&l"(t1), [a] "+&l"(ua),
              [b] "+&l"(ub)
            :
            : "cc");
    *lo = ua;
    return h;
}
#endif

/* The high word of (int64_t)a * b as two's complement bits (b >= 0), the low word in
 * *lo: on ARMv6-M mn_mul_s32_hi_thumb1 where GCC/Clang optimise, mn_mul_s32_hi_by16
 * otherwise; the 64-bit product elsewhere. */
static inline uint32_t mn_mul_s32_hi(int32_t a, int32_t b, uint32_t *lo)
{
#if MN_MUL_S32_THUMB1
    return mn_mul_s32_hi_thumb1(a, b, lo);
#elif defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
    return mn_mul_s32_hi_by16(a, b, lo);
#elif defined(__thumb2__) && defined(__GNUC__) && !defined(__clang__) && !defined(MN_S8_NO_ASM)
    /* SMULL itself: GCC 12 made some of these products a three-multiply 64-bit product
     * (two MUL/MLA and a UMULL on sign-extended operands) */
    uint32_t l, h;
    __asm__("smull %0, %1, %2, %3" : "=&r"(l), "=&r"(h) : "r"(a), "r"(b));
    *lo = l;
    return h;
#else
    const uint64_t u = (uint64_t)((int64_t)a * b);
    *lo = (uint32_t)u;
    return (uint32_t)(u >> 32);
#endif
}

/* (int64_t)a * b as the two's complement bits of the product (b >= 0). */
static inline uint64_t mn_mul_s32(int32_t a, int32_t b)
{
    uint32_t lo;
    const uint32_t hi = mn_mul_s32_hi(a, b, &lo);
    return ((uint64_t)hi << 32) | lo;
}

/* mn_rq_scale(rq, acc, 1)'s constants for one mn_requant_t, computed once per output
 * channel (mn_rq_fast_init) and applied per output (mn_rq_fast). With s = -1 - shift in
 * [1, 30] (M < 1/4, as the requantisation of a convolution or matrix product almost
 * always is) and hi, lo the high and low words of acc * mult (|hi| < 2^30), the result
 * round(acc * mult / 2^(32 + s)) rounded half to even is q = (hi + 2^(s-1)) >> s (an
 * arithmetic shift, as every compiler meshnn builds with does it: no overflow, |hi| <
 * 2^30), the rounding half up, made even on an exact tie (lo = 0 and the s bits shifted
 * out all 0, tested by shifting them up by 32 - s). Other scales (s < 1, and mult = 0)
 * take mn_rq_scale (with rq = {mult, -1 - s}: mult = 0 rounds everything to 0 whatever
 * the shift). |acc * M| < 2^30, inside mn_rq_round's saturation. */
typedef struct {
    int32_t mult, s;
    int32_t half; /* 2^(s-1) */
    int32_t up;   /* 32 - s */
} mn_rq_fast_t;

static inline mn_rq_fast_t mn_rq_fast_init(mn_requant_t rq)
{
    mn_rq_fast_t f;
    f.mult = rq.mult;
    f.s = rq.mult != 0 ? -1 - rq.shift : 0;
    f.half = f.s >= 1 ? (int32_t)1 << (f.s - 1) : 0;
    f.up = 32 - f.s;
    return f;
}

/* mn_rq_fast's other scales, by the one out-of-line mn_requant_apply (one copy of the
 * exact rounding per firmware). Out of line itself too: inlined, building its argument
 * took registers from the hot store loops (nonn_k4 int8 on the M4F +7 % instructions). */
MN_OUT_OF_LINE static int32_t mn_rq_fast_other(const mn_rq_fast_t *f, int32_t acc)
{
    mn_requant_t rq;
    rq.mult = f->mult;
    rq.shift = -1 - f->s;
    return mn_requant_apply(&rq, acc, 1);
}

static MN_ALWAYS_INLINE int32_t mn_rq_fast(const mn_rq_fast_t *f, int32_t acc)
{
    uint32_t lo;
    int32_t t, q;
    if (f->s < 1) {
        return mn_rq_fast_other(f, acc);
    }
    t = (int32_t)mn_mul_s32_hi(acc, f->mult, &lo) + f->half;
    q = t >> f->s;
    if ((((uint32_t)t << f->up) | lo) == 0u) { /* a tie: to even */
        q &= ~(int32_t)1;
    }
    return q;
}

/* mn_rq_scale(rq, acc, 1) (mn_rq_fast with the constants made on the spot). */
static inline int32_t mn_rq_scale1(mn_requant_t rq, int32_t acc)
{
    const mn_rq_fast_t f = mn_rq_fast_init(rq);
    return mn_rq_fast(&f, acc);
}

/* clamp(zp + v, lo, hi) as an int8. */
static inline int8_t mn_rq_clamp(int32_t v, int32_t zp, int32_t lo, int32_t hi)
{
    const int32_t y = v + zp;
    return (int8_t)(y < lo ? lo : (y > hi ? hi : y));
}

/* round(da * ra + db * rb), one rounding of the exact sum. The term with the coarser
 * exponent is shifted up to the other's; past 22 bits of difference (scale ratios over
 * 2^22) the finer term is floored instead so the sum stays inside int64. */
static inline int32_t mn_rq_sum2(mn_requant_t ra, int32_t da, mn_requant_t rb, int32_t db)
{
    int64_t pa = (int64_t)da * ra.mult, pb = (int64_t)db * rb.mult;
    int32_t ta = mn_rq_bits(ra), tb = mn_rq_bits(rb), d;
    if (rb.mult == 0) {
        return mn_rq_round(pa, ta, 1);
    }
    if (ra.mult == 0) {
        return mn_rq_round(pb, tb, 1);
    }
    if (ta < tb) { /* make a the finer term */
        const int64_t pv = pa;
        const int32_t tv = ta;
        pa = pb;
        ta = tb;
        pb = pv;
        tb = tv;
    }
    d = ta - tb;
    if (d > 22) {
        pa = mn_floor_shift(pa, d - 22);
        ta -= d - 22;
        d = 22;
    }
    return mn_rq_round(pa + pb * ((int64_t)1 << d), ta, 1);
}

#ifdef __cplusplus
}
#endif

#endif /* MN_KERNELS_S8_INTERNAL_H */
