/* mn_global_pool_f32: max / average over each channel (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

void mn_global_pool_f32(const mn_global_pool_params_t *p, const float *restrict x,
                        float *restrict y)
{
    int32_t c, i;

    for (c = 0; c < p->channels; ++c) {
        const float *xc = x + c * p->size;
        if (p->kind == MN_POOL_MAX) {
            float m = -INFINITY;
            for (i = 0; i < p->size; ++i) {
                m = mn_max_nan(m, xc[i]);
            }
            y[c] = m;
        } else {
            float sum = 0.0f;
            for (i = 0; i < p->size; ++i) {
                sum += xc[i];
            }
            y[c] = p->size > 0 ? sum / (float)p->size : 0.0f;
        }
    }
}
