/* mn_softmax_s8: softmax of dequantised int8 rows, float out (reference).
 * See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"
#include <math.h>

void mn_softmax_s8(const mn_softmax_s8_params_t *p, const int8_t *restrict x,
                   float *restrict y)
{
    int32_t r, j;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *xr = x + r * p->n;
        float *yr = y + r * p->n;
        int32_t m = -128;
        float sum = 0.0f;
        for (j = 0; j < p->n; ++j) {
            m = xr[j] > m ? xr[j] : m;
        }
        for (j = 0; j < p->n; ++j) {
            yr[j] = expf(p->scale * (float)((int32_t)xr[j] - m));
            sum += yr[j];
        }
        for (j = 0; j < p->n; ++j) {
            yr[j] /= sum;
        }
    }
}
