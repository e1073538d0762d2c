/* mn_pool2d_s8: int8 2-D max / average pooling with the windows of mn_pool2d_f32
 * (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* The pooled value of output (oh, ow) of one channel plane xc, requantised. */
static int8_t pool_s8_one(const mn_pool_s8_params_t *p, const int8_t *xc, int32_t oh,
                          int32_t ow)
{
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    int32_t kh0, kh1, kw0, kw1, kh, kw, count;
    int32_t m = -129, sum = 0;
    mn_tap_range(ih0, p->dil_h, p->k_h, 0, p->in_h, &kh0, &kh1);
    mn_tap_range(iw0, p->dil_w, p->k_w, 0, p->in_w, &kw0, &kw1);
    for (kh = kh0; kh < kh1; ++kh) {
        const int8_t *xr = xc + (ih0 + kh * p->dil_h) * p->in_w + iw0;
        for (kw = kw0; kw < kw1; ++kw) {
            const int32_t v = xr[kw * p->dil_w];
            m = v > m ? v : m;
            sum += v - p->x_zp;
        }
    }
    count = (kh1 - kh0) * (kw1 - kw0);
    if (count == 0) {
        return mn_rq_clamp(0, p->y_zp, p->y_lo, p->y_hi);
    }
    if (p->kind == MN_POOL_MAX) {
        return mn_rq_clamp(mn_requant_apply(&p->rq, m - p->x_zp, 1), p->y_zp, p->y_lo, p->y_hi);
    }
    if (p->count_include_pad) {
        int32_t ph0, ph1, pw0, pw1;
        mn_tap_range(ih0, p->dil_h, p->k_h, -p->pad_top, p->in_h + p->pad_bottom, &ph0, &ph1);
        mn_tap_range(iw0, p->dil_w, p->k_w, -p->pad_left, p->in_w + p->pad_right, &pw0, &pw1);
        count = (ph1 - ph0) * (pw1 - pw0);
    }
    return mn_rq_clamp(mn_requant_apply(&p->rq, sum, count), p->y_zp, p->y_lo, p->y_hi);
}

void mn_pool2d_s8(const mn_pool_s8_params_t *p, const int8_t *restrict x, int8_t *restrict y)
{
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    int32_t c, oh, ow;
    for (c = 0; c < p->channels; ++c) {
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                y[c * out_plane + oh * p->out_w + ow] =
                    pool_s8_one(p, x + c * in_plane, oh, ow);
            }
        }
    }
}
