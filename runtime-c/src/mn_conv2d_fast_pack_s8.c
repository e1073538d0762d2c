/* mn_conv2d_fast_pack_s8: the weights of mn_conv2d_fast_s8 in its packed order. meshnn
 * packs at compile time (its port is checked against this function), so this file is
 * never copied into a device's firmware. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

int32_t mn_conv2d_fast_s8_packed_size(const mn_conv_s8_params_t *p)
{
    return p->group * mn_fast_s8_cout2(p) * mn_fast_s8_taps4(p);
}

void mn_conv2d_fast_s8_pack(const mn_conv_s8_params_t *p, const int8_t *restrict w,
                            int8_t *restrict packed)
{
    const int32_t taps = mn_fast_s8_taps(p), taps4 = mn_fast_s8_taps4(p);
    const int32_t cout_g = p->c_out / p->group, cout2 = mn_fast_s8_cout2(p);
    int32_t g, j, blk, r, s;
    for (g = 0; g < p->group; ++g) {
        for (j = 0; j < cout2; j += 2) {
            for (blk = 0; blk < taps4; blk += 4) {
                for (r = 0; r < 2; ++r) {
                    const int32_t oc = g * cout_g + j + r;
                    for (s = 0; s < 4; ++s) {
                        const int32_t tap = blk + MN_FAST_S8_SLOT(s);
                        const int real = j + r < cout_g && tap < taps;
                        *packed++ = real ? w[oc * taps + tap] : 0;
                    }
                }
            }
        }
    }
}
