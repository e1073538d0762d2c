/* mn_pool2d_s8: int8 2-D max / average pooling with the windows of mn_pool2d_f32
 * (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* The pooled value of output (oh, ow) of one channel plane xc, requantised. */
static int8_t pool_s8_one(const mn_pool_s8_params_t *p, const int8_t *xc, int32_t oh,
                          int32_t ow)
{
    const mn_pool_params_t *g = &p->pool;
    const int32_t ih0 = oh * g->stride_h - g->pad_top;
    const int32_t iw0 = ow * g->stride_w - g->pad_left;
    int32_t kh0, kh1, kw0, kw1, kh, kw, count;
    int32_t m = -129, sum = 0;
    mn_tap_range(ih0, g->dil_h, g->k_h, 0, g->in_h, &kh0, &kh1);
    mn_tap_range(iw0, g->dil_w, g->k_w, 0, g->in_w, &kw0, &kw1);
    for (kh = kh0; kh < kh1; ++kh) {
        const int8_t *xr = xc + (ih0 + kh * g->dil_h) * g->in_w + iw0;
        for (kw = kw0; kw < kw1; ++kw) {
            const int32_t v = xr[kw * g->dil_w];
            m = v > m ? v : m;
            sum += v - p->x_zp;
        }
    }
    count = (kh1 - kh0) * (kw1 - kw0);
    if (count == 0) {
        return mn_rq_clamp(0, p->y_zp, p->y_lo, p->y_hi);
    }
    if (g->kind == MN_POOL_MAX) {
        return mn_rq_clamp(mn_rq_scale(p->rq, m - p->x_zp, 1), p->y_zp, p->y_lo, p->y_hi);
    }
    if (g->count_include_pad) {
        int32_t ph0, ph1, pw0, pw1;
        mn_tap_range(ih0, g->dil_h, g->k_h, -g->pad_top, g->in_h + g->pad_bottom, &ph0, &ph1);
        mn_tap_range(iw0, g->dil_w, g->k_w, -g->pad_left, g->in_w + g->pad_right, &pw0, &pw1);
        count = (ph1 - ph0) * (pw1 - pw0);
    }
    return mn_rq_clamp(mn_rq_scale(p->rq, sum, count), p->y_zp, p->y_lo, p->y_hi);
}

void mn_pool2d_s8(const mn_pool_s8_params_t *p, const int8_t *restrict x, int8_t *restrict y)
{
    const mn_pool_params_t *g = &p->pool;
    const int32_t in_plane = g->in_h * g->in_w;
    const int32_t out_plane = g->out_h * g->out_w;
    int32_t c, oh, ow;
    for (c = 0; c < g->channels; ++c) {
        for (oh = 0; oh < g->out_h; ++oh) {
            for (ow = 0; ow < g->out_w; ++ow) {
                y[c * out_plane + oh * g->out_w + ow] =
                    pool_s8_one(p, x + c * in_plane, oh, ow);
            }
        }
    }
}
