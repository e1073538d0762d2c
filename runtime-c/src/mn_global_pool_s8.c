/* mn_global_pool_s8: int8 global average pooling (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

void mn_global_pool_s8(const mn_global_pool_s8_params_t *p, const int8_t *restrict x,
                       int8_t *restrict y)
{
    int32_t c, i;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *xc = x + c * p->size;
        int32_t sum = 0;
        for (i = 0; i < p->size; ++i) {
            sum += (int32_t)xc[i] - p->x_zp;
        }
        y[c] = mn_rq_clamp(p->size > 0 ? mn_requant_apply(&p->rq, sum, p->size) : 0, p->y_zp,
                           p->y_lo, p->y_hi);
    }
}
