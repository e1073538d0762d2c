/* mn_quantize_axis_s8: QuantizeLinear per axis, float -> int8 (reference). See
 * mn_kernels_s8.h. Each slice of one channel is mn_quantize_s8 with that channel's scale
 * and zero point, so both round alike. */
#include "internal/mn_kernels_s8_internal.h"

void mn_quantize_axis_s8(const mn_quantize_axis_s8_params_t *p, const float *restrict scale,
                         const int32_t *restrict zp, const float *restrict x,
                         int8_t *restrict y)
{
    mn_quantize_s8_params_t q;
    int32_t o, c, off = 0;
    q.size = p->inner;
    q.lo = p->lo;
    q.hi = p->hi;
    for (o = 0; o < p->outer; ++o) {
        for (c = 0; c < p->channels; ++c) {
            q.scale = scale[c];
            q.zp = zp[c];
            mn_quantize_s8(&q, x + off, y + off);
            off += p->inner;
        }
    }
}
