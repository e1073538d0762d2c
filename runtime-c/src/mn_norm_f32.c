/* mn_norm_f32: layer / instance / group normalisation over [outer, groups, inner]
 * (reference). See mn_kernels.h. */
#include "mn_kernels.h"
#include <math.h>

/* Normalises one block of n elements; element i uses affine value (first + i) / div.
 * Stores the block's mean and 1 / sqrt(var + epsilon) in stats[0], stats[1]. */
static void mn_norm_block(const mn_norm_params_t *p, int32_t first, const float *restrict x,
                          const float *restrict scale, const float *restrict bias,
                          float *restrict y, float stats[2])
{
    const int32_t n = p->inner;
    float mean = 0.0f, var = 0.0f, inv;
    int32_t i;

    stats[0] = 0.0f;
    stats[1] = 1.0f / sqrtf(p->epsilon);
    if (n <= 0) {
        return;
    }
    for (i = 0; i < n; ++i) {
        mean += x[i];
    }
    mean /= (float)n;
    for (i = 0; i < n; ++i) {
        const float d = x[i] - mean;
        var += d * d;
    }
    var /= (float)n;
    inv = 1.0f / sqrtf(var + p->epsilon);
    stats[0] = mean;
    stats[1] = inv;
    for (i = 0; i < n; ++i) {
        const int32_t k = (first + i) / p->affine_div;
        y[i] = (x[i] - mean) * inv * scale[k] + (bias ? bias[k] : 0.0f);
    }
}

void mn_norm_f32(const mn_norm_params_t *p, const float *restrict x,
                 const float *restrict scale, const float *restrict bias, float *restrict y,
                 float *restrict mean, float *restrict inv_std)
{
    int32_t o, g;

    for (o = 0; o < p->outer; ++o) {
        for (g = 0; g < p->groups; ++g) {
            const int32_t b = o * p->groups + g;
            float stats[2];
            mn_norm_block(p, g * p->inner, x + b * p->inner, scale, bias, y + b * p->inner,
                          stats);
            if (mean) {
                mean[b] = stats[0];
            }
            if (inv_std) {
                inv_std[b] = stats[1];
            }
        }
    }
}
