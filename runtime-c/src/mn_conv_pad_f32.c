/* mn_conv_pad_f32: the zero-padded, stride-phase-split input layout shared by the fast
 * convolutions (mn_conv2d_fast_f32, mn_conv2d_dw_f32). See mn_kernels.h. */
#include "mn_kernels.h"

void mn_conv_pad_geometry(const mn_conv_params_t *p, mn_conv_pad_geom_t *g)
{
    /* Padded extent actually read (bottom/right padding implied by out_h / out_w). */
    const int32_t hp = (p->out_h - 1) * p->stride_h + (p->k_h - 1) * p->dil_h + 1;
    const int32_t wp = (p->out_w - 1) * p->stride_w + (p->k_w - 1) * p->dil_w + 1;
    g->s_h = p->stride_h;
    g->s_w = p->stride_w;
    g->direct = p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                p->pad_left == 0 && wp == p->in_w && hp <= p->in_h;
    if (g->direct) {
        g->hq = p->in_h;
        g->wq = p->in_w;
        g->pitch = p->in_h * p->in_w;
    } else {
        g->hq = (hp + p->stride_h - 1) / p->stride_h;
        g->wq = (wp + p->stride_w - 1) / p->stride_w;
        g->pitch = p->stride_h * p->stride_w * g->hq * g->wq;
    }
    g->n_pos = (p->out_h - 1) * g->wq + p->out_w;
}

/* Run [*lo, *hi) of the columns j < n with 0 <= j * s + c0 < in_w. */
static void mn_pad_col_run(int32_t in_w, int32_t s, int32_t c0, int32_t n, int32_t *lo,
                           int32_t *hi)
{
    int32_t a = c0 < 0 ? (-c0 + s - 1) / s : 0;
    int32_t b = in_w - c0 <= 0 ? 0 : (in_w - c0 + s - 1) / s;
    if (b > n) {
        b = n;
    }
    if (a > b) {
        a = b;
    }
    *lo = a;
    *hi = b;
}

/* dst[j] = src[j * s + c0] for lo <= j < hi, zero for the other j < n. */
static void mn_pad_pack_row(const float *restrict src, int32_t s, int32_t c0, int32_t lo,
                            int32_t hi, float *restrict dst, int32_t n)
{
    int32_t j;
    for (j = 0; j < lo; ++j) {
        dst[j] = 0.0f;
    }
    if (s == 1) {
        const float *from = src + c0;
        for (j = lo; j < hi; ++j) {
            dst[j] = from[j];
        }
    } else if (s == 2) {
        for (j = lo; j < hi; ++j) {
            dst[j] = src[2 * j + c0];
        }
    } else {
        for (j = lo; j < hi; ++j) {
            dst[j] = src[j * s + c0];
        }
    }
    for (j = hi; j < n; ++j) {
        dst[j] = 0.0f;
    }
}

void mn_conv_pad_channel_f32(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                             const float *restrict xc, float *restrict xq)
{
    int32_t ph, pw, i, j;
    for (ph = 0; ph < g->s_h; ++ph) {
        for (pw = 0; pw < g->s_w; ++pw) {
            int32_t lo, hi;
            mn_pad_col_run(p->in_w, g->s_w, pw - p->pad_left, g->wq, &lo, &hi);
            for (i = 0; i < g->hq; ++i) {
                const int32_t r = i * g->s_h + ph - p->pad_top;
                float *dst = xq + (ph * g->s_w + pw) * g->hq * g->wq + i * g->wq;
                if (r < 0 || r >= p->in_h) {
                    for (j = 0; j < g->wq; ++j) {
                        dst[j] = 0.0f;
                    }
                } else {
                    mn_pad_pack_row(xc + r * p->in_w, g->s_w, pw - p->pad_left, lo, hi,
                                    dst, g->wq);
                }
            }
        }
    }
}
