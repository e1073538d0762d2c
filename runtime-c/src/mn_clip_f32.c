/* mn_clip_f32: Clip with bounds read at run time (reference). See mn_kernels.h. */
#include "mn_kernels.h"

void mn_clip_f32(const mn_clip_params_t *p, const float *x, const float *lo, const float *hi,
                 float *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        float v = x[i];
        if (lo && v < *lo) {
            v = *lo;
        }
        if (hi && v > *hi) {
            v = *hi;
        }
        y[i] = v;
    }
}
