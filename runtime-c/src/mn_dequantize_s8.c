/* mn_dequantize_s8: DequantizeLinear, int8 -> float (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

void mn_dequantize_s8(const mn_dequantize_s8_params_t *p, const int8_t *restrict x,
                      float *restrict y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        y[i] = (float)((int32_t)x[i] - p->zp) * p->scale;
    }
}
