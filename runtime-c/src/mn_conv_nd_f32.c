/* mn_conv_nd_f32: grouped, dilated, padded N-d convolution (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

void mn_conv_nd_f32(const mn_conv_nd_params_t *p, const float *restrict x,
                    const float *restrict w, const float *restrict b, float *restrict y)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t in_size = mn_prod(p->nd, p->in);
    const int32_t out_size = mn_prod(p->nd, p->out);
    const int32_t taps = mn_prod(p->nd, p->k);
    int32_t base[MN_MAX_DIMS];
    int32_t n, oc, o, ic, t;

    for (n = 0; n < p->n; ++n) {
        for (oc = 0; oc < p->c_out; ++oc) {
            const int32_t g = oc / cout_g;
            const float *xg = x + (n * p->c_in + g * cin_g) * in_size;
            const float *woc = w + oc * cin_g * taps;
            float *yoc = y + (n * p->c_out + oc) * out_size;
            for (o = 0; o < out_size; ++o) {
                float acc = b ? b[oc] : 0.0f;
                mn_window_base(p->nd, p->out, p->strides, p->pads, o, base);
                for (t = 0; t < taps; ++t) {
                    const int32_t off =
                        mn_window_tap_offset(p->nd, p->in, p->k, p->dilations, base, t);
                    if (off < 0) {
                        continue;
                    }
                    for (ic = 0; ic < cin_g; ++ic) {
                        acc += xg[ic * in_size + off] * woc[ic * taps + t];
                    }
                }
                yoc[o] = mn_act_apply(&p->act, acc);
            }
        }
    }
}
