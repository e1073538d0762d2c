/* mn_conv2d_f32: grouped, dilated, padded 2-D convolution (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

void mn_conv2d_f32(const mn_conv_params_t *p, const float *restrict x,
                   const float *restrict w, const float *restrict b, float *restrict y)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    const int32_t w_per_oc = cin_g * p->k_h * p->k_w;
    int32_t n, g, oc, oh, ow, ic, kh, kw;

    for (n = 0; n < p->n; ++n) {
        for (g = 0; g < p->group; ++g) {
            const float *xg = x + (n * p->c_in + g * cin_g) * in_plane;
            for (oc = g * cout_g; oc < (g + 1) * cout_g; ++oc) {
                const float *woc = w + oc * w_per_oc;
                const float bias = b ? b[oc] : 0.0f;
                float *yoc = y + (n * p->c_out + oc) * out_plane;
                for (oh = 0; oh < p->out_h; ++oh) {
                    const int32_t ih0 = oh * p->stride_h - p->pad_top;
                    int32_t kh0, kh1;
                    mn_tap_range(ih0, p->dil_h, p->k_h, 0, p->in_h, &kh0, &kh1);
                    for (ow = 0; ow < p->out_w; ++ow) {
                        const int32_t iw0 = ow * p->stride_w - p->pad_left;
                        int32_t kw0, kw1;
                        float acc = bias;
                        mn_tap_range(iw0, p->dil_w, p->k_w, 0, p->in_w, &kw0, &kw1);
                        for (ic = 0; ic < cin_g; ++ic) {
                            const float *xc = xg + ic * in_plane;
                            const float *wc = woc + ic * p->k_h * p->k_w;
                            for (kh = kh0; kh < kh1; ++kh) {
                                /* Integer index, not a pointer: iw0 may be negative. */
                                const int32_t row = (ih0 + kh * p->dil_h) * p->in_w + iw0;
                                const float *wrow = wc + kh * p->k_w;
                                for (kw = kw0; kw < kw1; ++kw) {
                                    acc += xc[row + kw * p->dil_w] * wrow[kw];
                                }
                            }
                        }
                        yoc[oh * p->out_w + ow] = mn_act_apply(&p->act, acc);
                    }
                }
            }
        }
    }
}
