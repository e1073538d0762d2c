/* mn_batchnorm_f32: inference batch normalisation (reference). See mn_kernels.h. */
#include "mn_kernels.h"
#include <math.h>

void mn_batchnorm_f32(const mn_batchnorm_params_t *p, const float *restrict x,
                      const float *restrict scale, const float *restrict bias,
                      const float *restrict mean, const float *restrict var,
                      float *restrict y)
{
    int32_t n, c, i;

    for (n = 0; n < p->n; ++n) {
        for (c = 0; c < p->channels; ++c) {
            const int32_t off = (n * p->channels + c) * p->size;
            const float k = scale[c] / sqrtf(var[c] + p->epsilon);
            const float mu = mean[c];
            const float beta = bias[c];
            for (i = 0; i < p->size; ++i) {
                y[off + i] = (x[off + i] - mu) * k + beta;
            }
        }
    }
}
