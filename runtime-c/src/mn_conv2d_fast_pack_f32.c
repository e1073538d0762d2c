/* mn_conv2d_fast_pack_f32: the weights of mn_conv2d_fast_f32 in its packed order. meshnn
 * packs at compile time (its port is checked against this function), so this file is
 * never copied into a device's firmware. See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

int32_t mn_conv2d_fast_f32_packed_size(const mn_conv_params_t *p)
{
    const int32_t cout_g = p->c_out / p->group;
    const int32_t tiles = (cout_g + MN_CONV_FAST_MR - 1) / MN_CONV_FAST_MR;
    return p->group * tiles * MN_CONV_FAST_MR * (p->c_in / p->group) * p->k_h * p->k_w;
}

void mn_conv2d_fast_f32_pack(const mn_conv_params_t *p, const float *restrict w,
                             float *restrict packed)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t n_taps = p->k_h * p->k_w;
    int32_t gi, oc0, t, ic, r;
    for (gi = 0; gi < p->group; ++gi) {
        for (oc0 = 0; oc0 < cout_g; oc0 += MN_CONV_FAST_MR) {
            for (t = 0; t < n_taps; ++t) {
                for (ic = 0; ic < cin_g; ++ic) {
                    for (r = 0; r < MN_CONV_FAST_MR; ++r) {
                        const int32_t oc = oc0 + r;
                        *packed++ = oc < cout_g
                                        ? w[((gi * cout_g + oc) * cin_g + ic) * n_taps + t]
                                        : 0.0f;
                    }
                }
            }
        }
    }
}
