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

/* Stores v as tap k of a column at dst and returns where tap k + 1 goes: the two columns
 * are interleaved by blocks of four taps ([block][column][4]), so one pointer walks both
 * in the dot product. */
static inline int16_t *fast_s8_put(int16_t *dst, int32_t k, int32_t v)
{
    *dst = (int16_t)v;
    return dst + ((k & 3) == 3 ? 5 : 1);
}

/* The window of output position (oh, ow) over the channels of one group (xg) as column c,
 * in the order of the weights (channel, row, column): x - x_zp as int16, 0 in the
 * padding and past the last tap. */
static void fast_s8_column(const mn_conv_s8_params_t *p, const int8_t *xg, int32_t oh,
                           int32_t ow, int32_t c, int16_t *col)
{
    const int32_t cin_g = p->c_in / p->group, k_h = p->k_h, k_w = p->k_w;
    const int32_t plane = p->in_h * p->in_w, in_w = p->in_w, dil_w = p->dil_w;
    const int32_t x_zp = p->x_zp, taps4 = fast_s8_taps4(p);
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    int16_t *dst = col + c * 4;
    int32_t kh0, kh1, kw0, kw1, ci, kh, kw, k = 0;
    mn_tap_range(ih0, p->dil_h, k_h, 0, p->in_h, &kh0, &kh1);
    mn_tap_range(iw0, dil_w, k_w, 0, in_w, &kw0, &kw1);
    for (ci = 0; ci < cin_g; ++ci) {
        for (kh = 0; kh < k_h; ++kh) {
            const int8_t *xr = xg + ci * plane + (ih0 + kh * p->dil_h) * in_w + iw0;
            const int32_t row_in = kh >= kh0 && kh < kh1;
            if (row_in && kw0 == 0 && kw1 == k_w) { /* the whole row inside the input */
                for (kw = 0; kw < k_w; ++kw, ++k) {
                    dst = fast_s8_put(dst, k, xr[kw * dil_w] - x_zp);
                }
                continue;
            }
            for (kw = 0; kw < k_w; ++kw, ++k) {
                const int32_t in = row_in && kw >= kw0 && kw < kw1;
                dst = fast_s8_put(dst, k, in ? xr[kw * dil_w] - x_zp : 0);
            }
        }
    }
    for (; k < taps4; ++k) {
        dst = fast_s8_put(dst, k, 0);
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
            for (pos = 0; pos < out_plane; pos += 2) {
                const int32_t two = pos + 1 < out_plane;
                const int32_t next = two ? pos + 1 : pos; /* column 1 repeats column 0 */
                fast_s8_column(p, xg, pos / p->out_w, pos % p->out_w, 0, col);
                fast_s8_column(p, xg, next / p->out_w, next % p->out_w, 1, col);
                fast_s8_positions(p, w, b, rq, col, two, g, yg + pos);
            }
        }
    }
}
