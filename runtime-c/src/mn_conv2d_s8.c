/* mn_conv2d_s8: int8 2-D / 1-D / grouped / depthwise convolution with per-channel
 * requantisation (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* b[oc] + sum over the window of output (oh, ow) of (x - x_zp) * (w - w_zp), for the
 * input channels of oc's group; taps outside the input are skipped (x_zp there). */
static int32_t conv_s8_acc(const mn_conv_s8_params_t *p, const int8_t *xg, const int8_t *wo,
                           int32_t oh, int32_t ow)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t plane = p->in_h * p->in_w;
    const int32_t ih0 = oh * p->stride_h - p->pad_top;
    const int32_t iw0 = ow * p->stride_w - p->pad_left;
    int32_t kh0, kh1, kw0, kw1, ci, kh, kw, acc = 0;
    mn_tap_range(ih0, p->dil_h, p->k_h, 0, p->in_h, &kh0, &kh1);
    mn_tap_range(iw0, p->dil_w, p->k_w, 0, p->in_w, &kw0, &kw1);
    for (ci = 0; ci < cin_g; ++ci) {
        const int8_t *xc = xg + ci * plane;
        const int8_t *wc = wo + ci * p->k_h * p->k_w;
        for (kh = kh0; kh < kh1; ++kh) {
            const int8_t *xr = xc + (ih0 + kh * p->dil_h) * p->in_w + iw0;
            const int8_t *wr = wc + kh * p->k_w;
            for (kw = kw0; kw < kw1; ++kw) {
                acc += ((int32_t)xr[kw * p->dil_w] - p->x_zp) * ((int32_t)wr[kw] - p->w_zp);
            }
        }
    }
    return acc;
}

void mn_conv2d_s8(const mn_conv_s8_params_t *p, const int8_t *restrict x,
                  const int8_t *restrict w, const int32_t *restrict b,
                  const mn_requant_word_t *restrict rq, int8_t *restrict y)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    int32_t n, oc, oh, ow;

    for (n = 0; n < p->n; ++n) {
        for (oc = 0; oc < p->c_out; ++oc) {
            const int8_t *xg = x + (n * p->c_in + (oc / cout_g) * cin_g) * in_plane;
            const int8_t *wo = w + oc * cin_g * p->k_h * p->k_w;
            const mn_requant_t r = mn_requant_of(rq, p->per_channel, oc);
            const int32_t bias = b ? b[oc] : 0;
            int8_t *yo = y + (n * p->c_out + oc) * out_plane;
            for (oh = 0; oh < p->out_h; ++oh) {
                for (ow = 0; ow < p->out_w; ++ow) {
                    const int32_t acc = bias + conv_s8_acc(p, xg, wo, oh, ow);
                    yo[oh * p->out_w + ow] =
                        mn_rq_clamp(mn_requant_apply(&r, acc, 1), p->y_zp, p->y_lo, p->y_hi);
                }
            }
        }
    }
}
