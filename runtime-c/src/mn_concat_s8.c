/* mn_concat_s8: one Concat input requantised into its place in the output; also the
 * elementwise requantisation of a tensor (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

void mn_concat_s8(const mn_concat_s8_params_t *p, const int8_t *restrict x,
                  int8_t *restrict y)
{
    int32_t o, i;
    for (o = 0; o < p->outer; ++o) {
        const int8_t *xo = x + o * p->inner;
        int8_t *yo = y + o * p->y_stride + p->y_offset;
        for (i = 0; i < p->inner; ++i) {
            const int32_t v = mn_rq_scale1(p->rq, (int32_t)xo[i] - p->x_zp);
            yo[i] = mn_rq_clamp(v, p->y_zp, p->y_lo, p->y_hi);
        }
    }
}
