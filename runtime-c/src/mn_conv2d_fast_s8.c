/* mn_conv2d_fast_s8: int8 convolution on int16 columns of two output positions and
 * 2 x 2 register tiles (two output channels by two positions), the dot products on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

#include <string.h>

/* The columns: tap k of column c at col[k * FAST_S8_STEP + c * col1], col1 from
 * fast_s8_col1. DSP: each column on its own ([column][taps4]: the dot product loads two
 * taps of one column per word). Plain: the columns interleaved ([taps4][column]: one
 * word holds a tap of both). */
#if MN_S8_DSP
#define FAST_S8_STEP 1
#else
#define FAST_S8_STEP 2
#endif

/* Column 1's offset from column 0, in int16 elements. */
static int32_t fast_s8_col1(int32_t taps4)
{
#if MN_S8_DSP
    return taps4;
#else
    (void)taps4;
    return 1;
#endif
}

/* The output clamp: y zero point and range (locals, so stores through int8_t pointers,
 * which may alias anything, do not reload them). */
typedef struct {
    int32_t zp, lo, hi;
} fast_s8_clamp_t;

/* What every position of one call shares, computed once per call. */
typedef struct {
    int32_t cin_g, cout_g, taps, taps4, col1, in_plane, out_plane;
    int32_t in_h, in_w, k_h, k_w, dil_h, dil_w, x_zp;
    fast_s8_clamp_t clamp;
} fast_s8_geom_t;

static fast_s8_geom_t fast_s8_geom(const mn_conv_s8_params_t *p)
{
    fast_s8_geom_t r;
    r.cin_g = p->c_in / p->group;
    r.cout_g = p->c_out / p->group;
    r.taps = mn_fast_s8_taps(p);
    r.taps4 = mn_fast_s8_taps4(p);
    r.col1 = fast_s8_col1(r.taps4);
    r.in_plane = p->in_h * p->in_w;
    r.out_plane = p->out_h * p->out_w;
    r.in_h = p->in_h, r.in_w = p->in_w, r.k_h = p->k_h, r.k_w = p->k_w;
    r.dil_h = p->dil_h, r.dil_w = p->dil_w, r.x_zp = p->x_zp;
    r.clamp.zp = p->y_zp, r.clamp.lo = p->y_lo, r.clamp.hi = p->y_hi;
    return r;
}

/* The window of an output position as its input offsets: the first tap's row and column
 * (may be negative), and whether the whole window is inside the input. */
typedef struct {
    int32_t ih, iw, inside;
} fast_s8_win_t;

static inline fast_s8_win_t fast_s8_win(const mn_conv_s8_params_t *p, int32_t oh, int32_t ow)
{
    fast_s8_win_t r;
    r.ih = oh * p->stride_h - p->pad_top;
    r.iw = ow * p->stride_w - p->pad_left;
    r.inside = r.iw >= 0 && r.iw + (p->k_w - 1) * p->dil_w < p->in_w && r.ih >= 0 &&
               r.ih + (p->k_h - 1) * p->dil_h < p->in_h;
    return r;
}

/* The columns hold x itself (the input zero point is folded into the bias, see
 * fast_s8_channels), x_zp in the padding (x - x_zp = 0 there) and past the last tap
 * (where the weights are 0). */

/* Both columns from two windows wholly inside the input (their first taps at xa, xb):
 * no bounds checks, the window rows walked by offset steps, 3-wide rows unrolled. */
static void fast_s8_columns_inside(const fast_s8_geom_t *q, const int8_t *xa, const int8_t *xb,
                                   int16_t *d0)
{
    const int32_t k_w = q->k_w, dil_w = q->dil_w;
    const int32_t row_step = q->dil_h * q->in_w; /* to the next window row */
    const int32_t plane_step = q->in_plane - q->k_h * row_step; /* to the next channel */
    int16_t *d1 = d0 + q->col1;
    int32_t ci, kh, kw;
    for (ci = 0; ci < q->cin_g; ++ci, xa += plane_step, xb += plane_step) {
        for (kh = 0; kh < q->k_h; ++kh, xa += row_step, xb += row_step) {
            if (k_w == 3 && dil_w == 1) {
                d0[0] = xa[0], d0[FAST_S8_STEP] = xa[1], d0[2 * FAST_S8_STEP] = xa[2];
                d1[0] = xb[0], d1[FAST_S8_STEP] = xb[1], d1[2 * FAST_S8_STEP] = xb[2];
                d0 += 3 * FAST_S8_STEP, d1 += 3 * FAST_S8_STEP;
            } else {
                for (kw = 0; kw < k_w; ++kw, d0 += FAST_S8_STEP, d1 += FAST_S8_STEP) {
                    *d0 = xa[kw * dil_w], *d1 = xb[kw * dil_w];
                }
            }
        }
    }
}

/* One column's taps inside the input from a window reaching outside it (the rest of the
 * column already holds x_zp): the rectangle of rows and columns inside, found once
 * (mn_tap_range). */
static void fast_s8_column_edge(const fast_s8_geom_t *q, const int8_t *xc, fast_s8_win_t a,
                                int16_t *d)
{
    const int32_t k_h = q->k_h, k_w = q->k_w, dil_w = q->dil_w;
    int32_t h0, h1, w0, w1, ci, kh, kw;
    mn_tap_range(a.ih, q->dil_h, k_h, 0, q->in_h, &h0, &h1);
    mn_tap_range(a.iw, dil_w, k_w, 0, q->in_w, &w0, &w1);
    for (ci = 0; ci < q->cin_g; ++ci, xc += q->in_plane) {
        for (kh = h0; kh < h1; ++kh) {
            const int8_t *xr = xc + (a.ih + kh * q->dil_h) * q->in_w + a.iw + w0 * dil_w;
            int16_t *dr = d + ((ci * k_h + kh) * k_w + w0) * FAST_S8_STEP;
            for (kw = w0; kw < w1; ++kw, dr += FAST_S8_STEP, xr += dil_w) {
                *dr = *xr;
            }
        }
    }
}

/* The windows a and b of two output positions over the channels of one group (xg) as
 * columns 0 and 1, in the order of the weights (channel, row, column). */
static void fast_s8_columns(const fast_s8_geom_t *q, const int8_t *xg, fast_s8_win_t a,
                            fast_s8_win_t b, int16_t *col)
{
    const int16_t zp = (int16_t)q->x_zp;
    int32_t k;
    if (a.inside && b.inside) {
        fast_s8_columns_inside(q, xg + a.ih * q->in_w + a.iw, xg + b.ih * q->in_w + b.iw,
                               col);
        for (k = q->taps; k < q->taps4; ++k) {
            col[k * FAST_S8_STEP] = zp;
            col[k * FAST_S8_STEP + q->col1] = zp;
        }
    } else {
        /* both columns, in either layout: 2 * taps4 elements, four words at a time (the
         * scratch is 4-byte aligned: said to GCC, or the Cortex-M0+ calls memcpy) */
        const uint32_t zz = (uint32_t)(uint16_t)zp * 0x10001u;
        int16_t *c4 = MN_ASSUME_ALIGNED4(col);
        for (k = 0; k < 2 * q->taps4; k += 8) {
            memcpy(c4 + k, &zz, 4);
            memcpy(c4 + k + 2, &zz, 4);
            memcpy(c4 + k + 4, &zz, 4);
            memcpy(c4 + k + 6, &zz, 4);
        }
        fast_s8_column_edge(q, xg, a, col);
        fast_s8_column_edge(q, xg, b, col + q->col1);
    }
}

/* The DSP loop as Thumb-2 assembly where GCC optimises (18 instructions per 16
 * multiply-accumulates: GCC 12 neither folds the rotation into SXTB16 nor keeps the
 * 14 live values of this loop in registers); the same loop in ACLE intrinsics
 * otherwise: at -O0 (the frame pointer leaves too few registers) and with Clang (which
 * folds the rotation itself, and cannot give an asm statement 14 registers). The weights
 * are loaded by LDR, which may be unaligned (C-literal weight tables are not aligned);
 * the columns by LDRD (the scratch is 4-byte aligned, each column 8-byte sized). Every
 * operand the loop writes is early-clobber ("+&r"): GCC may otherwise give the end
 * pointer the register of column 1's pointer, which starts at the same address. */
#if MN_S8_DSP && defined(__thumb2__) && defined(__GNUC__) && !defined(__clang__) &&         \
    defined(__OPTIMIZE__) && !defined(MN_S8_NO_ASM)
#define FAST_S8_DOT_ASM 1
#else
#define FAST_S8_DOT_ASM 0
#endif

/* The plain loop as Thumb-1 assembly on ARMv6-M / ARMv8-M Baseline (Cortex-M0/M0+/M23)
 * where GCC/Clang optimise for speed: GCC 12 loads all of a block's operands first there
 * and spills them (30 instructions per tap against 18). Not at -Os: GCC then takes the
 * high registers out of allocation on Thumb-1 (the accumulators' "h" operands could not
 * be placed; the plain C loop runs). Little-endian only (it loads a tap of both columns
 * as one word, column 0 in its low half). */
#if !MN_S8_DSP && defined(__thumb__) && !defined(__thumb2__) && defined(__GNUC__) &&        \
    defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__) && !defined(MN_S8_NO_ASM) &&       \
    defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FAST_S8_DOT_THUMB1 1
#else
#define FAST_S8_DOT_THUMB1 0
#endif

/* The sums of one 2 x 2 tile: a<r><c> for packed weight row r and column c. */
typedef struct {
    int32_t a00, a01, a10, a11;
} fast_s8_acc_t;

#if !MN_S8_DSP && !FAST_S8_DOT_THUMB1
/* Plain C: tap c[0] of column 0 and c[1] of column 1 (two sign-extending halfword loads,
 * one instruction each on RISC-V) times that tap's weight in each row (v0, v1). */
static MN_ALWAYS_INLINE void fast_s8_tap(const int16_t *c, int32_t v0, int32_t v1,
                                         fast_s8_acc_t *t)
{
    const int32_t xa = c[0], xb = c[1];
    t->a00 += v0 * xa;
    t->a01 += v0 * xb;
    t->a10 += v1 * xa;
    t->a11 += v1 * xb;
}
#endif

/* The plain C tile runs out of its caller's registers (MN_NOINLINE). */
#if MN_S8_DSP
#define FAST_S8_DOT_ATTR MN_ALWAYS_INLINE
#else
#define FAST_S8_DOT_ATTR MN_NOINLINE
#endif

/* The dot products of one packed pair of weight rows w ([taps4 / 4][row][4]) with the
 * two columns (taps4 a multiple of four, at least four). */
static FAST_S8_DOT_ATTR fast_s8_acc_t fast_s8_dot22(const int8_t *w, const int16_t *col,
                                                    int32_t taps4)
{
    fast_s8_acc_t t = {0, 0, 0, 0};
#if FAST_S8_DOT_ASM
    /* per block of four taps: one packed word of each row unpacked into the pairs
     * (w0, w1) and (w2, w3), then column 0's two words, then column 1's */
    const int16_t *c1 = col + taps4, *end = col + taps4;
    uint32_t v0, v1, l0, l1, x0, x1;
    __asm__("1:\n\t"
            "ldr %[v0], [%[w]], #4\n\t"
            "ldr %[v1], [%[w]], #4\n\t"
            "ldrd %[x0], %[x1], [%[c0]], #8\n\t"
            "sxtb16 %[l0], %[v0]\n\t"
            "sxtb16 %[v0], %[v0], ror #8\n\t"
            "sxtb16 %[l1], %[v1]\n\t"
            "sxtb16 %[v1], %[v1], ror #8\n\t"
            "smlad %[a00], %[l0], %[x0], %[a00]\n\t"
            "smlad %[a00], %[v0], %[x1], %[a00]\n\t"
            "smlad %[a10], %[l1], %[x0], %[a10]\n\t"
            "smlad %[a10], %[v1], %[x1], %[a10]\n\t"
            "ldrd %[x0], %[x1], [%[c1]], #8\n\t"
            "smlad %[a01], %[l0], %[x0], %[a01]\n\t"
            "smlad %[a01], %[v0], %[x1], %[a01]\n\t"
            "smlad %[a11], %[l1], %[x0], %[a11]\n\t"
            "smlad %[a11], %[v1], %[x1], %[a11]\n\t"
            "cmp %[c0], %[e]\n\t"
            "bne 1b"
            : [a00] "+&r"(t.a00), [a01] "+&r"(t.a01), [a10] "+&r"(t.a10), [a11] "+&r"(t.a11),
              [w] "+&r"(w), [c0] "+&r"(col), [c1] "+&r"(c1), [v0] "=&r"(v0), [v1] "=&r"(v1),
              [l0] "=&r"(l0), [l1] "=&r"(l1), [x0] "=&r"(x0), [x1] "=&r"(x1)
            : [e] "r"(end)
            : "cc", "memory");
#elif MN_S8_DSP
    const int16_t *c1 = col + taps4;
    int32_t k;
    for (k = 0; k < taps4; k += 4, w += 8) {
        uint32_t v0, v1, x0, x1, z0, z1, lo, hi;
        memcpy(&v0, w, 4);
        memcpy(&v1, w + 4, 4);
        memcpy(&x0, col + k, 4);
        memcpy(&x1, col + k + 2, 4);
        memcpy(&z0, c1 + k, 4);
        memcpy(&z1, c1 + k + 2, 4);
        lo = __sxtb16(v0);
        hi = __sxtb16((v0 >> 8) | (v0 << 24));
        t.a00 = __smlad(lo, x0, __smlad(hi, x1, t.a00));
        t.a01 = __smlad(lo, z0, __smlad(hi, z1, t.a01));
        lo = __sxtb16(v1);
        hi = __sxtb16((v1 >> 8) | (v1 << 24));
        t.a10 = __smlad(lo, x0, __smlad(hi, x1, t.a10));
        t.a11 = __smlad(lo, z0, __smlad(hi, z1, t.a11));
    }
#elif FAST_S8_DOT_THUMB1
    /* per block of four taps, each tap (in slot order: taps 0, 2, 1, 3) as one word of
     * both columns split into xa and xb, times that slot's weight in each row (v0 from
     * row 0 at w + o, v1 from row 1 at w1 + o, w1 = w + 4, o the slot's offset: LDRSB
     * loads and sign-extends in one, with a register offset only); MULS overwrites one
     * factor, so each product takes the factor used last and v0, needed twice first, is
     * loaded again: 15 instructions per tap. The accumulators and the end in high
     * registers (Thumb-1 multiplies and loads through low registers only, but adds into
     * any and compares any), the eight working values in r0-r7 (so not with a frame
     * pointer: MN_S8_NO_ASM). */
    const int16_t *end = col + 2 * taps4;
    const int8_t *w1 = w + 4;
    int32_t xa, xb, v0, v1, o = 0;
#define FAST_S8_T1_TAP(tap, next)                                                      \
    "ldr %[xb], [%[c], #" #tap " * 4]\n\t"                                             \
    "ldrsb %[v0], [%[w], %[o]]\n\t"                                                    \
    "ldrsb %[v1], [%[w1], %[o]]\n\t"                                                   \
    "sxth %[xa], %[xb]\n\t"                                                            \
    "asrs %[xb], %[xb], #16\n\t"                                                       \
    "muls %[v0], %[xa]\n\t"                                                            \
    "add %[a00], %[v0]\n\t"                                                            \
    "ldrsb %[v0], [%[w], %[o]]\n\t"                                                    \
    "muls %[v0], %[xb]\n\t"                                                            \
    "add %[a01], %[v0]\n\t"                                                            \
    "muls %[xa], %[v1]\n\t"                                                            \
    "add %[a10], %[xa]\n\t"                                                            \
    "muls %[xb], %[v1]\n\t"                                                            \
    "add %[a11], %[xb]\n\t"                                                            \
    "adds %[o], #" #next "\n\t"
    /* the slots' offsets step by one; the last steps past row 1 to the next block */
    __asm__(".syntax unified\n" /* GCC hands Thumb-1 inline asm over in divided syntax */
            "1:\n\t" FAST_S8_T1_TAP(0, 1) FAST_S8_T1_TAP(2, 1) FAST_S8_T1_TAP(1, 1)
                FAST_S8_T1_TAP(3, 5) "adds %[c], #16\n\t"
                                     "cmp %[c], %[e]\n\t"
                                     "bne 1b"
            : [a00] "+&h"(t.a00), [a01] "+&h"(t.a01), [a10] "+&h"(t.a10), [a11] "+&h"(t.a11),
              [c] "+&l"(col), [o] "+&l"(o), [xa] "=&l"(xa), [xb] "=&l"(xb), [v0] "=&l"(v0),
              [v1] "=&l"(v1)
            : [w] "l"(w), [w1] "l"(w1), [e] "h"(end)
            : "cc", "memory");
#undef FAST_S8_T1_TAP
#else
    int32_t k;
    for (k = 0; k < taps4; k += 4, w += 8, col += 8) { /* tap k: col[2 * k], col[2 * k + 1] */
        fast_s8_tap(col, w[MN_FAST_S8_SLOT(0)], w[4 + MN_FAST_S8_SLOT(0)], &t);
        fast_s8_tap(col + 2, w[MN_FAST_S8_SLOT(1)], w[4 + MN_FAST_S8_SLOT(1)], &t);
        fast_s8_tap(col + 4, w[MN_FAST_S8_SLOT(2)], w[4 + MN_FAST_S8_SLOT(2)], &t);
        fast_s8_tap(col + 6, w[MN_FAST_S8_SLOT(3)], w[4 + MN_FAST_S8_SLOT(3)], &t);
    }
#endif
    return t;
}

/* One output channel's bias (with the input zero point folded in) and requantisation
 * constants, made once per call into the scratch after the columns. */
typedef struct {
    int32_t bias;
    mn_rq_fast_t f;
} fast_s8_chan_t;

static MN_ALWAYS_INLINE int8_t fast_s8_out(const fast_s8_chan_t *c, fast_s8_clamp_t k,
                                           int32_t acc)
{
    return mn_rq_clamp(mn_rq_fast(&c->f, acc), k.zp, k.lo, k.hi);
}

/* The dot products of n channels (n <= FAST_S8_CHUNK) with two columns: acc[2 * j + c]
 * for channel j and column c, w their packed row pairs. An odd last channel's pair holds
 * a row of zeros (its sums land in the unused acc[2 * n], acc[2 * n + 1]). */
#define FAST_S8_CHUNK 8
static void fast_s8_sums(const int8_t *w, int32_t taps4, int32_t n, const int16_t *col,
                         int32_t *acc)
{
    int32_t j;
    for (j = 0; j < n; j += 2, w += 2 * taps4, acc += 4) {
        const fast_s8_acc_t t = fast_s8_dot22(w, col, taps4);
        acc[0] = t.a00, acc[1] = t.a01, acc[2] = t.a10, acc[3] = t.a11;
    }
}

/* y0[j * out_plane] and y1[j * out_plane] of channels ch[0 .. n - 1] from their sums
 * (bias added here). */
static void fast_s8_outputs(const fast_s8_chan_t *ch, int32_t n, const int32_t *acc,
                            fast_s8_clamp_t k, int32_t out_plane, int8_t *y0, int8_t *y1)
{
    int32_t j;
    for (j = 0; j < n; ++j, acc += 2, y0 += out_plane, y1 += out_plane) {
        const fast_s8_chan_t c = ch[j]; /* a local: the int8 stores may alias ch */
        y0[0] = fast_s8_out(&c, k, acc[0] + c.bias);
        y1[0] = fast_s8_out(&c, k, acc[1] + c.bias);
    }
}

/* Every output channel of one group at two output positions from their columns, y0 and
 * y1 the positions' outputs in the group's first channel (the same when only one
 * position is left: column 1 then repeats column 0), in chunks of FAST_S8_CHUNK
 * channels: their sums, then their outputs (two loops, each with the registers to
 * itself). */
MN_NOINLINE static void fast_s8_positions(const fast_s8_geom_t *q, const int8_t *w,
                                          const fast_s8_chan_t *ch, const int16_t *col,
                                          int8_t *y0, int8_t *y1)
{
    const int32_t taps4 = q->taps4, out_plane = q->out_plane;
    const fast_s8_clamp_t k = q->clamp;
    int32_t acc[2 * FAST_S8_CHUNK + 2], j;
    for (j = 0; j < q->cout_g; j += FAST_S8_CHUNK) {
        const int32_t n = q->cout_g - j < FAST_S8_CHUNK ? q->cout_g - j : FAST_S8_CHUNK;
        fast_s8_sums(w + j * taps4, taps4, n, col, acc);
        fast_s8_outputs(ch + j, n, acc, k, out_plane, y0 + j * out_plane, y1 + j * out_plane);
    }
}

/* The channel table: every output channel's bias minus x_zp times the sum of its
 * weights (the columns hold x, not x - x_zp), and its requantisation constants. */
MN_NOINLINE static void fast_s8_channels(const mn_conv_s8_params_t *p,
                                         const fast_s8_geom_t *q, const int8_t *w,
                                         const int32_t *b, const mn_requant_word_t *rq,
                                         fast_s8_chan_t *ch)
{
    const int32_t cout2 = mn_fast_s8_cout2(p);
    int32_t g, j, oc = 0;
    for (g = 0; g < p->group; ++g) {
        for (j = 0; j < q->cout_g; ++j, ++oc) {
            /* row j % 2 of the group's pair j / 2: four bytes of every eight */
            const int8_t *row = w + (g * cout2 + (j & ~1)) * q->taps4 + 4 * (j & 1);
            int32_t k, sum = 0;
            for (k = 0; k < q->taps4; k += 4, row += 8) {
                sum += row[0] + row[1] + row[2] + row[3];
            }
            ch[oc].bias = (b ? b[oc] : 0) - q->x_zp * sum;
            ch[oc].f = mn_rq_fast_init(mn_requant_of(rq, p->per_channel, oc));
        }
    }
}

/* The scratch: the two columns, then the channel table. */
static int32_t fast_s8_columns_bytes(const mn_conv_s8_params_t *p)
{
    return 2 * mn_fast_s8_taps4(p) * (int32_t)sizeof(int16_t);
}

int32_t mn_conv2d_fast_s8_scratch_size(const mn_conv_s8_params_t *p)
{
    return fast_s8_columns_bytes(p) + p->c_out * (int32_t)sizeof(fast_s8_chan_t);
}

void mn_conv2d_fast_s8(const mn_conv_s8_params_t *p, const int8_t *restrict x,
                       const int8_t *restrict w, const int32_t *restrict b,
                       const mn_requant_word_t *restrict rq, int8_t *restrict scratch,
                       int8_t *restrict y)
{
    const fast_s8_geom_t q = fast_s8_geom(p);
    int16_t *col = (int16_t *)(void *)scratch; /* 4-byte aligned (the contract) */
    fast_s8_chan_t *ch = (fast_s8_chan_t *)(void *)(scratch + fast_s8_columns_bytes(p));
    const int32_t group_w = mn_fast_s8_cout2(p) * q.taps4; /* packed bytes of a group */
    int32_t n, g, pos;
    fast_s8_channels(p, &q, w, b, rq, ch);
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->group; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * q.cin_g) * q.in_plane;
            int8_t *yg = y + (n * p->c_out + g * q.cout_g) * q.out_plane;
            int32_t oh = 0, ow = 0; /* of pos */
            for (pos = 0; pos < q.out_plane; pos += 2) {
                const int32_t two = pos + 1 < q.out_plane;
                const fast_s8_win_t wa = fast_s8_win(p, oh, ow);
                fast_s8_win_t wb = wa; /* column 1 repeats column 0 when one is left */
                if (++ow == p->out_w) {
                    ow = 0, ++oh;
                }
                if (two) {
                    wb = fast_s8_win(p, oh, ow);
                    if (++ow == p->out_w) {
                        ow = 0, ++oh;
                    }
                }
                fast_s8_columns(&q, xg, wa, wb, col);
                fast_s8_positions(&q, w + g * group_w, ch + g * q.cout_g, col, yg + pos,
                                  yg + pos + two);
            }
        }
    }
}
