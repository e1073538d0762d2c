/* mn_conv2d_fast_s8: int8 convolution on int16 columns of two output positions and
 * 2 x 2 register tiles (two output channels by two positions), the dot products on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* Taps of one output channel's window, and the int16 stride of a column (even, so the
 * second column stays 4-byte aligned). */
static int32_t fast_s8_taps(const mn_conv_s8_params_t *p)
{
    return p->c_in / p->group * p->k_h * p->k_w;
}

static int32_t fast_s8_stride(const mn_conv_s8_params_t *p)
{
    return (fast_s8_taps(p) + 1) & ~1;
}

int32_t mn_conv2d_fast_s8_scratch_size(const mn_conv_s8_params_t *p)
{
    return 2 * fast_s8_stride(p) * (int32_t)sizeof(int16_t);
}

/* Where tap k of a channel goes in the packed weights: the middle two of each full block
 * of four swapped, the tail (k >= full) in place. */
static int32_t fast_s8_slot(int32_t k, int32_t full)
{
    return k < full ? (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1) : k;
}

void mn_conv2d_fast_s8_pack(const mn_conv_s8_params_t *p, const int8_t *restrict w,
                            int8_t *restrict packed)
{
    const int32_t taps = fast_s8_taps(p);
    const int32_t full = taps & ~3;
    int32_t oc, k;
    for (oc = 0; oc < p->c_out; ++oc) {
        for (k = 0; k < taps; ++k) {
            packed[oc * taps + fast_s8_slot(k, full)] = w[oc * taps + k];
        }
    }
}

/* The window of output position (oh, ow) over the channels of one group (xg), in the
 * order of the weights (channel, row, column): x - x_zp as int16, 0 in the padding. */
static void fast_s8_column(const mn_conv_s8_params_t *p, const int8_t *xg, int32_t oh,
                           int32_t ow, int16_t *col)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t plane = p->in_h * p->in_w;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    int32_t kh0, kh1, kw0, kw1, ci, kh, kw;
    mn_tap_range(ih0, p->dil_h, p->k_h, 0, p->in_h, &kh0, &kh1);
    mn_tap_range(iw0, p->dil_w, p->k_w, 0, p->in_w, &kw0, &kw1);
    for (ci = 0; ci < cin_g; ++ci) {
        for (kh = 0; kh < p->k_h; ++kh) {
            int16_t *cr = col + (ci * p->k_h + kh) * p->k_w;
            kw = 0;
            if (kh >= kh0 && kh < kh1) {
                const int8_t *xr = xg + ci * plane + (ih0 + kh * p->dil_h) * p->in_w + iw0;
                for (; kw < kw0; ++kw) {
                    cr[kw] = 0;
                }
                for (; kw < kw1; ++kw) {
                    cr[kw] = (int16_t)(xr[kw * p->dil_w] - p->x_zp);
                }
            }
            for (; kw < p->k_w; ++kw) {
                cr[kw] = 0;
            }
        }
    }
}

/* acc[2 * r + c] += sum over the taps of weight row r (w0, w1: packed) times column c
 * (c0, c1). */
static void fast_s8_dot22(const int8_t *w0, const int8_t *w1, const int16_t *c0,
                          const int16_t *c1, int32_t taps, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3], k = 0;
#if MN_S8_DSP
    for (; k + 4 <= taps; k += 4) { /* a packed word gives (w0, w1) and (w2, w3) */
        uint32_t v0, v1, x0, x1, z0, z1;
        uint32_t w0a, w0b, w1a, w1b;
        memcpy(&v0, w0 + k, 4);
        memcpy(&v1, w1 + k, 4);
        memcpy(&x0, c0 + k, 4);
        memcpy(&x1, c0 + k + 2, 4);
        memcpy(&z0, c1 + k, 4);
        memcpy(&z1, c1 + k + 2, 4);
        w0a = __sxtb16(v0);
        w0b = __sxtb16((v0 >> 8) | (v0 << 24));
        w1a = __sxtb16(v1);
        w1b = __sxtb16((v1 >> 8) | (v1 << 24));
        a00 = __smlad(w0a, x0, a00);
        a00 = __smlad(w0b, x1, a00);
        a01 = __smlad(w0a, z0, a01);
        a01 = __smlad(w0b, z1, a01);
        a10 = __smlad(w1a, x0, a10);
        a10 = __smlad(w1b, x1, a10);
        a11 = __smlad(w1a, z0, a11);
        a11 = __smlad(w1b, z1, a11);
    }
#else
    for (; k + 4 <= taps; k += 4) { /* packed: taps k + 1 and k + 2 swapped */
        a00 += w0[k] * c0[k] + w0[k + 2] * c0[k + 1] + w0[k + 1] * c0[k + 2] +
               w0[k + 3] * c0[k + 3];
        a01 += w0[k] * c1[k] + w0[k + 2] * c1[k + 1] + w0[k + 1] * c1[k + 2] +
               w0[k + 3] * c1[k + 3];
        a10 += w1[k] * c0[k] + w1[k + 2] * c0[k + 1] + w1[k + 1] * c0[k + 2] +
               w1[k + 3] * c0[k + 3];
        a11 += w1[k] * c1[k] + w1[k + 2] * c1[k + 1] + w1[k + 1] * c1[k + 2] +
               w1[k + 3] * c1[k + 3];
    }
#endif
    for (; k < taps; ++k) {
        a00 += w0[k] * c0[k];
        a01 += w0[k] * c1[k];
        a10 += w1[k] * c0[k];
        a11 += w1[k] * c1[k];
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* y at positions pos and pos + 1 (the second only when two) of output channel oc. */
static void fast_s8_store(const mn_conv_s8_params_t *p, const mn_requant_t *rq, int32_t oc,
                          const int32_t *acc, int32_t two, int8_t *yo)
{
    const mn_requant_t r = rq[p->per_channel ? oc : 0];
    yo[0] = mn_rq_clamp(mn_rq_scale1(r, acc[0]), p->y_zp, p->y_lo, p->y_hi);
    if (two) {
        yo[1] = mn_rq_clamp(mn_rq_scale1(r, acc[1]), p->y_zp, p->y_lo, p->y_hi);
    }
}

/* Every output channel of group g of batch entry n at positions pos (and pos + 1 when
 * two), from the columns c0, c1 of those positions. */
static void fast_s8_positions(const mn_conv_s8_params_t *p, const int8_t *w, const int32_t *b,
                              const mn_requant_t *rq, const int16_t *c0, const int16_t *c1,
                              int32_t two, int32_t g, int8_t *yg)
{
    const int32_t taps = fast_s8_taps(p);
    const int32_t cout_g = p->c_out / p->group;
    const int32_t out_plane = p->out_h * p->out_w;
    int32_t j;
    for (j = 0; j < cout_g; j += 2) {
        const int32_t oc = g * cout_g + j;
        const int32_t pair = j + 1 < cout_g; /* a second channel in this tile */
        const int8_t *w0 = w + oc * taps;
        int32_t acc[4];
        acc[0] = acc[1] = b ? b[oc] : 0;
        acc[2] = acc[3] = b && pair ? b[oc + 1] : 0;
        fast_s8_dot22(w0, pair ? w0 + taps : w0, c0, c1, taps, acc);
        fast_s8_store(p, rq, oc, acc, two, yg + j * out_plane);
        if (pair) {
            fast_s8_store(p, rq, oc + 1, acc + 2, two, yg + (j + 1) * out_plane);
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
    int16_t *c0 = (int16_t *)(void *)scratch; /* 4-byte aligned (the contract) */
    int16_t *c1 = c0 + fast_s8_stride(p);
    int32_t n, g, pos;
    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->group; ++g) {
            const int8_t *xg = x + (n * p->c_in + g * cin_g) * in_plane;
            int8_t *yg = y + (n * p->c_out + g * cout_g) * out_plane;
            for (pos = 0; pos < out_plane; pos += 2) {
                const int32_t two = pos + 1 < out_plane;
                fast_s8_column(p, xg, pos / p->out_w, pos % p->out_w, c0);
                if (two) {
                    fast_s8_column(p, xg, (pos + 1) / p->out_w, (pos + 1) % p->out_w, c1);
                }
                fast_s8_positions(p, w, b, rq, c0, two ? c1 : c0, two, g, yg + pos);
            }
        }
    }
}
