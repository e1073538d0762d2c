/* mn_pool2d_f32: 2-D max / average pooling with pads, dilation, count_include_pad
 * (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

void mn_pool2d_f32(const mn_pool_params_t *p, const float *restrict x, float *restrict y)
{
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    int32_t c, oh, ow, kh, kw;

    for (c = 0; c < p->channels; ++c) {
        const float *xc = x + c * in_plane;
        float *yc = y + c * out_plane;
        for (oh = 0; oh < p->out_h; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            int32_t kh0, kh1, ph0, ph1;
            mn_tap_range(ih0, p->dil_h, p->k_h, 0, p->in_h, &kh0, &kh1);
            mn_tap_range(ih0, p->dil_h, p->k_h, -p->pad_top, p->in_h + p->pad_bottom,
                         &ph0, &ph1);
            for (ow = 0; ow < p->out_w; ++ow) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t kw0, kw1;
                mn_tap_range(iw0, p->dil_w, p->k_w, 0, p->in_w, &kw0, &kw1);
                if (p->kind == MN_POOL_MAX) {
                    float m = -INFINITY;
                    for (kh = kh0; kh < kh1; ++kh) {
                        const int32_t row = (ih0 + kh * p->dil_h) * p->in_w + iw0;
                        for (kw = kw0; kw < kw1; ++kw) {
                            const float v = xc[row + kw * p->dil_w];
                            m = mn_max_nan(m, v);
                        }
                    }
                    yc[oh * p->out_w + ow] = m;
                } else {
                    float sum = 0.0f;
                    int32_t count;
                    for (kh = kh0; kh < kh1; ++kh) {
                        const int32_t row = (ih0 + kh * p->dil_h) * p->in_w + iw0;
                        for (kw = kw0; kw < kw1; ++kw) {
                            sum += xc[row + kw * p->dil_w];
                        }
                    }
                    if (p->count_include_pad) {
                        int32_t pw0, pw1;
                        mn_tap_range(iw0, p->dil_w, p->k_w, -p->pad_left,
                                     p->in_w + p->pad_right, &pw0, &pw1);
                        count = (ph1 - ph0) * (pw1 - pw0);
                    } else {
                        count = (kh1 - kh0) * (kw1 - kw0);
                    }
                    yc[oh * p->out_w + ow] = count > 0 ? sum / (float)count : 0.0f;
                }
            }
        }
    }
}
