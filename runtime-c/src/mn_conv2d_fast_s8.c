/* mn_conv2d_fast_s8: int8 convolution on int16 columns of two output positions and
 * 2 x 2 register tiles (two output channels by two positions), the dot products on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

#include <string.h>

/* Taps of one output channel's window, and that count rounded up to a multiple of four
 * (the packed weights and the columns are zero-padded to it). */
static int32_t fast_s8_taps(const mn_conv_s8_params_t *p)
{
    return p->c_in / p->group * p->k_h * p->k_w;
}

static int32_t fast_s8_taps4(const mn_conv_s8_params_t *p)
{
    return (fast_s8_taps(p) + 3) & ~3;
}

/* The tap that slot k of a packed channel holds: within each block of four taps the
 * middle two swapped (an involution: also the slot of tap k), k plus a step looked up
 * by k mod 4 (cheaper than the bit swap on the M0+, where the columns use it per tap). */
static inline int32_t fast_s8_slot(int32_t k)
{
    static const int8_t step[4] = {0, 1, -1, 0};
    return k + step[k & 3];
}

int32_t mn_conv2d_fast_s8_scratch_size(const mn_conv_s8_params_t *p)
{
    return 2 * fast_s8_taps4(p) * (int32_t)sizeof(int16_t);
}

void mn_conv2d_fast_s8_pack(const mn_conv_s8_params_t *p, const int8_t *restrict w,
                            int8_t *restrict packed)
{
    const int32_t taps = fast_s8_taps(p), taps4 = fast_s8_taps4(p);
    int32_t oc, k;
    for (oc = 0; oc < p->c_out; ++oc) {
        for (k = 0; k < taps4; ++k) {
            const int32_t tap = fast_s8_slot(k);
            packed[oc * taps4 + k] = tap < taps ? w[oc * taps + tap] : 0;
        }
    }
}

/* Where tap k of column 0 sits among the interleaved columns (column 1: + FAST_S8_COL1),
 * so that one pointer walks both in the dot product. DSP: blocks of four taps in tap
 * order, [block][column][4] (SMLAD takes the pairs (x0, x1) and (x2, x3)). Plain C:
 * [slot][column] with the slots of the packed weights (one tap of both columns, then the
 * next weight). */
#if MN_S8_DSP
#define FAST_S8_COL1 4
static inline int32_t fast_s8_at(int32_t k)
{
    return k + (k & ~3);
}
#else
/* Column 0 in the low half of a slot's 32-bit word, whatever the byte order. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FAST_S8_C0 1
#else
#define FAST_S8_C0 0
#endif
#define FAST_S8_COL1 (1 - 2 * FAST_S8_C0)
static inline int32_t fast_s8_at(int32_t k)
{
    return 2 * fast_s8_slot(k) + FAST_S8_C0;
}
#endif

/* Two int16 taps of the columns: written as halves (cell[at / 2].h[at % 2], at from
 * fast_s8_at) and read as one word by the dot products (a union: the views may alias). */
typedef union {
    int16_t h[2];
    int32_t w;
} fast_s8_cell_t;

static inline void fast_s8_put(fast_s8_cell_t *col, int32_t at, int32_t v)
{
    col[at >> 1].h[at & 1] = (int16_t)v;
}

/* What every position of one call shares, computed once per call. */
typedef struct {
    int32_t cin_g, cout_g, taps4, in_plane, out_plane;
    int32_t in_h, in_w, k_h, k_w, dil_h, dil_w, x_zp;
} fast_s8_geom_t;

static fast_s8_geom_t fast_s8_geom(const mn_conv_s8_params_t *p)
{
    fast_s8_geom_t r;
    r.cin_g = p->c_in / p->group;
    r.cout_g = p->c_out / p->group;
    r.taps4 = fast_s8_taps4(p);
    r.in_plane = p->in_h * p->in_w;
    r.out_plane = p->out_h * p->out_w;
    r.in_h = p->in_h, r.in_w = p->in_w, r.k_h = p->k_h, r.k_w = p->k_w;
    r.dil_h = p->dil_h, r.dil_w = p->dil_w, r.x_zp = p->x_zp;
    return r;
}

/* The window of an output position as its input offsets: the first tap's row and column
 * (may be negative), whether every column of a window row is inside the input, and
 * whether the whole window is. */
typedef struct {
    int32_t ih, iw, wfull, inside;
} fast_s8_win_t;

static inline fast_s8_win_t fast_s8_win(const mn_conv_s8_params_t *p, int32_t oh, int32_t ow)
{
    fast_s8_win_t r;
    r.ih = oh * p->stride_h - p->pad_top;
    r.iw = ow * p->stride_w - p->pad_left;
    r.wfull = r.iw >= 0 && r.iw + (p->k_w - 1) * p->dil_w < p->in_w;
    r.inside = r.wfull && r.ih >= 0 && r.ih + (p->k_h - 1) * p->dil_h < p->in_h;
    return r;
}

/* Taps k .. k + k_w - 1 of column c (c: 0 or FAST_S8_COL1) from window row r of
 * input channel plane xc: x - x_zp, 0 outside the input (a row outside: all 0). */
static void fast_s8_window_row(const fast_s8_geom_t *q, const int8_t *xc, fast_s8_win_t a,
                               int32_t r, int32_t k, fast_s8_cell_t *col, int32_t c)
{
    const int32_t k_w = q->k_w, dil_w = q->dil_w, x_zp = q->x_zp, in_w = q->in_w;
    const int32_t end = k + k_w;
    if ((uint32_t)r >= (uint32_t)q->in_h) {
        for (; k < end; ++k) {
            fast_s8_put(col, fast_s8_at(k) + c, 0);
        }
    } else if (a.wfull) {
        const int8_t *xr = xc + r * in_w + a.iw;
        for (; k < end; ++k, xr += dil_w) {
            fast_s8_put(col, fast_s8_at(k) + c, *xr - x_zp);
        }
    } else {
        const int8_t *xr = xc + r * in_w;
        int32_t iw = a.iw;
        for (; k < end; ++k, iw += dil_w) {
            fast_s8_put(col, fast_s8_at(k) + c, (uint32_t)iw < (uint32_t)in_w ? xr[iw] - x_zp : 0);
        }
    }
}

/* Taps 0 .. taps - 1 of both columns from two windows wholly inside the input (their
 * first taps at xg[oa] and xg[ob]): no bounds checks, the rows walked by offset steps
 * (offsets, not pointers: the steps after the last row may pass the input's end). */
static void fast_s8_columns_inside(const fast_s8_geom_t *q, const int8_t *xg, int32_t oa,
                                   int32_t ob, fast_s8_cell_t *col)
{
    const int32_t k_w = q->k_w, dil_w = q->dil_w, x_zp = q->x_zp;
    const int32_t row_step = q->dil_h * q->in_w - k_w * dil_w; /* to the next window row */
    const int32_t plane_step = q->in_plane - q->k_h * q->dil_h * q->in_w;
    int32_t ci, kh, kw, k = 0;
    for (ci = 0; ci < q->cin_g; ++ci, oa += plane_step, ob += plane_step) {
        for (kh = 0; kh < q->k_h; ++kh, oa += row_step, ob += row_step) {
            for (kw = 0; kw < k_w; ++kw, ++k, oa += dil_w, ob += dil_w) {
                const int32_t at = fast_s8_at(k);
                fast_s8_put(col, at, xg[oa] - x_zp);
                fast_s8_put(col, at + FAST_S8_COL1, xg[ob] - x_zp);
            }
        }
    }
}

/* Taps 0 .. taps - 1 of both columns from two windows that are not both inside the
 * input: a window row inside the input in both is copied without bounds checks, both
 * columns in one pass; otherwise each column's row on its own (fast_s8_window_row). */
static void fast_s8_columns_edge(const fast_s8_geom_t *q, const int8_t *xg, fast_s8_win_t a,
                                 fast_s8_win_t b, fast_s8_cell_t *col)
{
    const int32_t k_h = q->k_h, k_w = q->k_w, in_h = q->in_h, in_w = q->in_w;
    const int32_t dil_h = q->dil_h, dil_w = q->dil_w, x_zp = q->x_zp;
    const int32_t both_wfull = a.wfull && b.wfull;
    const int8_t *xc = xg;
    int32_t ci, kh, kw, k = 0;
    for (ci = 0; ci < q->cin_g; ++ci, xc += q->in_plane) {
        for (kh = 0; kh < k_h; ++kh, k += k_w) {
            const int32_t ra = a.ih + kh * dil_h, rb = b.ih + kh * dil_h;
            if (both_wfull && (uint32_t)ra < (uint32_t)in_h && (uint32_t)rb < (uint32_t)in_h) {
                const int8_t *xa = xc + ra * in_w + a.iw, *xb = xc + rb * in_w + b.iw;
                for (kw = 0; kw < k_w; ++kw, xa += dil_w, xb += dil_w) {
                    const int32_t at = fast_s8_at(k + kw);
                    fast_s8_put(col, at, *xa - x_zp);
                    fast_s8_put(col, at + FAST_S8_COL1, *xb - x_zp);
                }
            } else {
                fast_s8_window_row(q, xc, a, ra, k, col, 0);
                fast_s8_window_row(q, xc, b, rb, k, col, FAST_S8_COL1);
            }
        }
    }
}

/* The windows a and b of two output positions over the channels of one group (xg) as
 * columns 0 and 1, in the order of the weights (channel, row, column): x - x_zp as
 * int16, 0 in the padding and past the last tap. */
static void fast_s8_columns(const fast_s8_geom_t *q, const int8_t *xg, fast_s8_win_t a,
                            fast_s8_win_t b, fast_s8_cell_t *col)
{
    int32_t k = q->cin_g * q->k_h * q->k_w;
    if (a.inside && b.inside) {
        fast_s8_columns_inside(q, xg, a.ih * q->in_w + a.iw, b.ih * q->in_w + b.iw, col);
    } else {
        fast_s8_columns_edge(q, xg, a, b, col);
    }
    for (; k < q->taps4; ++k) {
        fast_s8_put(col, fast_s8_at(k), 0);
        fast_s8_put(col, fast_s8_at(k) + FAST_S8_COL1, 0);
    }
}

/* The plain C tile runs out of its caller's registers (MN_NOINLINE); the DSP one is
 * shorter inlined (no call per tile, and its loop does not spill there). */
#if MN_S8_DSP
#define FAST_S8_DOT_ATTR
#else
#define FAST_S8_DOT_ATTR MN_NOINLINE
#endif

/* acc[2 * r + c] += the dot product of packed weight row r (w0, w1) with column c of
 * the interleaved columns (taps4 a multiple of four). */
FAST_S8_DOT_ATTR static void fast_s8_dot22(const int8_t *w0, const int8_t *w1,
                                           const fast_s8_cell_t *col, int32_t taps4,
                                           int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3], k;
#if MN_S8_DSP
    for (k = 0; k < taps4; k += 4, col += 4) { /* a packed word: (w0, w1) and (w2, w3) */
        const uint32_t x0 = (uint32_t)col[0].w, x1 = (uint32_t)col[1].w;
        const uint32_t z0 = (uint32_t)col[2].w, z1 = (uint32_t)col[3].w;
        uint32_t v0, v1, lo, hi;
        memcpy(&v0, w0 + k, 4);
        memcpy(&v1, w1 + k, 4);
        lo = __sxtb16(v0);
        hi = __sxtb16((v0 >> 8) | (v0 << 24));
        a00 = __smlad(lo, x0, a00);
        a00 = __smlad(hi, x1, a00);
        a01 = __smlad(lo, z0, a01);
        a01 = __smlad(hi, z1, a01);
        lo = __sxtb16(v1);
        hi = __sxtb16((v1 >> 8) | (v1 << 24));
        a10 = __smlad(lo, x0, a10);
        a10 = __smlad(hi, x1, a10);
        a11 = __smlad(lo, z0, a11);
        a11 = __smlad(hi, z1, a11);
    }
#else
    const int8_t *w0e = w0 + taps4, *w1e = w1 + taps4; /* indexed from -taps4 up to 0 */
    for (k = -taps4; k < 0; ++k, ++col) {
        /* one slot: a tap of both columns as one word (one load; the halves split by
         * the conversion to int16 and the arithmetic right shift every compiler we
         * build with does), then each weight of that slot times both */
        const int32_t pair = col->w, xa = (int16_t)pair, xb = pair >> 16;
        int32_t v = w0e[k];
        a00 += v * xa;
        a01 += v * xb;
        v = w1e[k];
        a10 += v * xa;
        a11 += v * xb;
    }
#endif
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* The output clamp: y zero point and range (locals, so stores through int8_t pointers,
 * which may alias anything, do not reload them). */
typedef struct {
    int32_t zp, lo, hi;
} fast_s8_clamp_t;

/* y at position pos (yo[0]) and, when two, pos + 1 of one output channel. */
static inline void fast_s8_store(fast_s8_clamp_t q, mn_requant_t r, const int32_t *acc,
                                 int32_t two, int8_t *yo)
{
    const mn_rq_fast_t f = mn_rq_fast_init(r); /* once for both positions */
    yo[0] = mn_rq_clamp(mn_rq_fast(&f, acc[0]), q.zp, q.lo, q.hi);
    if (two) {
        yo[1] = mn_rq_clamp(mn_rq_fast(&f, acc[1]), q.zp, q.lo, q.hi);
    }
}

/* Every output channel of group g at position pos (and pos + 1 when two) from the
 * interleaved columns of those positions. */
static void fast_s8_positions(const mn_conv_s8_params_t *p, const fast_s8_geom_t *q,
                              const int8_t *w, const int32_t *b, const mn_requant_t *rq,
                              const fast_s8_cell_t *col, int32_t two, int32_t g, int8_t *yg)
{
    const int32_t taps4 = q->taps4, cout_g = q->cout_g, out_plane = q->out_plane;
    const int32_t per_channel = p->per_channel;
    const fast_s8_clamp_t c = {p->y_zp, p->y_lo, p->y_hi};
    int32_t j;
    for (j = 0; j < cout_g; j += 2) {
        const int32_t oc = g * cout_g + j;
        const int32_t pair = j + 1 < cout_g; /* a second channel in this tile */
        const int8_t *w0 = w + oc * taps4;
        int32_t acc[4];
        acc[0] = acc[1] = b ? b[oc] : 0;
        acc[2] = acc[3] = b && pair ? b[oc + 1] : 0;
        fast_s8_dot22(w0, pair ? w0 + taps4 : w0, col, taps4, acc);
        fast_s8_store(c, rq[per_channel ? oc : 0], acc, two, yg + j * out_plane);
        if (pair) {
            fast_s8_store(c, rq[per_channel ? oc + 1 : 0], acc + 2, two,
                          yg + (j + 1) * out_plane);
        }
    }
}

void mn_conv2d_fast_s8(const mn_conv_s8_params_t *p, const int8_t *restrict x,
                       const int8_t *restrict w, const int32_t *restrict b,
                       const mn_requant_t *restrict rq, int8_t *restrict scratch,
                       int8_t *restrict y)
{
    const fast_s8_geom_t q = fast_s8_geom(p);
    fast_s8_cell_t *col = (fast_s8_cell_t *)(void *)scratch; /* 4-byte aligned (the contract) */
    int32_t n, g, pos;
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
                fast_s8_positions(p, &q, w, b, rq, col, two, g, yg + pos);
            }
        }
    }
}
