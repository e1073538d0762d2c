/* mn_conv2d_fast_s8: int8 convolution on int16 columns of two output positions and
 * 2 x 2 register tiles (two output channels by two positions), the dot products on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

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
        for (k = 0; k < taps4; ++k) { /* slot k holds tap k with bits 0 and 1 swapped */
            const int32_t tap = (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1);
            packed[oc * taps4 + k] = tap < taps ? w[oc * taps + tap] : 0;
        }
    }
}

/* Where tap k of column 0 sits among the interleaved columns: blocks of four taps,
 * [block][column][4], so one pointer walks both in the dot product (column 1: + 4). */
static inline int32_t fast_s8_at(int32_t k)
{
    return k + (k & ~3);
}

/* The window of an output position as its input offsets: the first tap's row and column
 * (may be negative), and whether every column of a window row is inside the input. */
typedef struct {
    int32_t ih, iw, wfull;
} fast_s8_win_t;

static inline fast_s8_win_t fast_s8_win(const mn_conv_s8_params_t *p, int32_t oh, int32_t ow)
{
    fast_s8_win_t r;
    r.ih = oh * p->stride_h - p->pad_top;
    r.iw = ow * p->stride_w - p->pad_left;
    r.wfull = r.iw >= 0 && r.iw + (p->k_w - 1) * p->dil_w < p->in_w;
    return r;
}

/* The windows a and b of two output positions over the channels of one group (xg) as
 * columns 0 and 1, in the order of the weights (channel, row, column): x - x_zp as
 * int16, 0 in the padding and past the last tap. A window row inside the input in both
 * (the interior) is copied without bounds checks, both columns in one pass. */
static void fast_s8_columns(const mn_conv_s8_params_t *p, const int8_t *xg, fast_s8_win_t a,
                            fast_s8_win_t b, int16_t *col)
{
    const int32_t cin_g = p->c_in / p->group, k_h = p->k_h, k_w = p->k_w;
    const int32_t in_h = p->in_h, in_w = p->in_w, plane = in_h * in_w;
    const int32_t dil_h = p->dil_h, dil_w = p->dil_w, x_zp = p->x_zp;
    const int32_t taps4 = fast_s8_taps4(p);
    int32_t ci, kh, kw, k = 0;
    for (ci = 0; ci < cin_g; ++ci) {
        for (kh = 0; kh < k_h; ++kh) {
            const int32_t ra = a.ih + kh * dil_h, rb = b.ih + kh * dil_h;
            const int32_t ina = (uint32_t)ra < (uint32_t)in_h;
            const int32_t inb = (uint32_t)rb < (uint32_t)in_h;
            const int32_t oa = ci * plane + ra * in_w + a.iw; /* offsets, used only inside */
            const int32_t ob = ci * plane + rb * in_w + b.iw;
            if (ina && inb && a.wfull && b.wfull) {
                const int8_t *xa = xg + oa, *xb = xg + ob;
                for (kw = 0; kw < k_w; ++kw, ++k, xa += dil_w, xb += dil_w) {
                    int16_t *d = col + fast_s8_at(k);
                    d[0] = (int16_t)(*xa - x_zp);
                    d[4] = (int16_t)(*xb - x_zp);
                }
                continue;
            }
            for (kw = 0; kw < k_w; ++kw, ++k) {
                const int32_t dw = kw * dil_w;
                int16_t *d = col + fast_s8_at(k);
                d[0] = (int16_t)(ina && (uint32_t)(a.iw + dw) < (uint32_t)in_w ? xg[oa + dw] - x_zp : 0);
                d[4] = (int16_t)(inb && (uint32_t)(b.iw + dw) < (uint32_t)in_w ? xg[ob + dw] - x_zp : 0);
            }
        }
    }
    for (; k < taps4; ++k) {
        int16_t *d = col + fast_s8_at(k);
        d[0] = 0;
        d[4] = 0;
    }
}

/* acc[2 * r + c] += the dot product of packed weight row r (w0, w1) with column c of
 * the interleaved columns (taps4 a multiple of four). */
static void fast_s8_dot22(const int8_t *w0, const int8_t *w1, const int16_t *col,
                          int32_t taps4, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3], k;
#if MN_S8_DSP
    for (k = 0; k < taps4; k += 4, col += 8) { /* a packed word: (w0, w1) and (w2, w3) */
        uint32_t v0, v1, x0, x1, z0, z1, lo, hi;
        memcpy(&v0, w0 + k, 4);
        memcpy(&v1, w1 + k, 4);
        memcpy(&x0, col, 4);
        memcpy(&x1, col + 2, 4);
        memcpy(&z0, col + 4, 4);
        memcpy(&z1, col + 6, 4);
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
    for (k = 0; k < taps4; k += 4, col += 8) { /* packed: taps k + 1 and k + 2 swapped */
        a00 += w0[k] * col[0] + w0[k + 2] * col[1] + w0[k + 1] * col[2] + w0[k + 3] * col[3];
        a01 += w0[k] * col[4] + w0[k + 2] * col[5] + w0[k + 1] * col[6] + w0[k + 3] * col[7];
        a10 += w1[k] * col[0] + w1[k + 2] * col[1] + w1[k + 1] * col[2] + w1[k + 3] * col[3];
        a11 += w1[k] * col[4] + w1[k + 2] * col[5] + w1[k + 1] * col[6] + w1[k + 3] * col[7];
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
static void fast_s8_positions(const mn_conv_s8_params_t *p, const int8_t *w, const int32_t *b,
                              const mn_requant_t *rq, const int16_t *col, int32_t two,
                              int32_t g, int8_t *yg)
{
    const int32_t taps4 = fast_s8_taps4(p);
    const int32_t cout_g = p->c_out / p->group;
    const int32_t out_plane = p->out_h * p->out_w;
    const int32_t per_channel = p->per_channel;
    const fast_s8_clamp_t q = {p->y_zp, p->y_lo, p->y_hi};
    int32_t j;
    for (j = 0; j < cout_g; j += 2) {
        const int32_t oc = g * cout_g + j;
        const int32_t pair = j + 1 < cout_g; /* a second channel in this tile */
        const int8_t *w0 = w + oc * taps4;
        int32_t acc[4];
        acc[0] = acc[1] = b ? b[oc] : 0;
        acc[2] = acc[3] = b && pair ? b[oc + 1] : 0;
        fast_s8_dot22(w0, pair ? w0 + taps4 : w0, col, taps4, acc);
        fast_s8_store(q, rq[per_channel ? oc : 0], acc, two, yg + j * out_plane);
        if (pair) {
            fast_s8_store(q, rq[per_channel ? oc + 1 : 0], acc + 2, two,
                          yg + (j + 1) * out_plane);
        }
    }
}

void mn_conv2d_fast_s8(const mn_conv_s8_params_t *p, const int8_t *restrict x,
                       const int8_t *restrict w, const int32_t *restrict b,
                       const mn_requant_t *restrict rq, int8_t *restrict scratch,
                       int8_t *restrict y)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    int16_t *col = (int16_t *)(void *)scratch; /* 4-byte aligned (the contract) */
    int32_t n, g, pos;
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->group; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * cin_g) * in_plane;
            int8_t *yg = y + (n * p->c_out + g * cout_g) * out_plane;
            int32_t oh = 0, ow = 0; /* of pos */
            for (pos = 0; pos < out_plane; pos += 2) {
                const int32_t two = pos + 1 < out_plane;
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
                fast_s8_columns(p, xg, wa, wb, col);
                fast_s8_positions(p, w, b, rq, col, two, g, yg + pos);
            }
        }
    }
}
