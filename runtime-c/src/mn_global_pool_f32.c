/* mn_global_pool_f32: max / average over each channel (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

/* Channels c .. c + 3 at once: four independent sums (or maxima), each in the one-channel
 * order below, so that they overlap instead of waiting on one another (MobileNetV3's
 * squeeze-and-excite pools: 5 % of the model's time one channel at a time). */
static void global_pool4(const mn_global_pool_params_t *p, const float *x0, float *y)
{
    const float *x1 = x0 + p->size, *x2 = x1 + p->size, *x3 = x2 + p->size;
    int32_t i;
    if (p->kind == MN_POOL_MAX) {
        float m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY;
        for (i = 0; i < p->size; ++i) {
            m0 = mn_max_nan(m0, x0[i]);
            m1 = mn_max_nan(m1, x1[i]);
            m2 = mn_max_nan(m2, x2[i]);
            m3 = mn_max_nan(m3, x3[i]);
        }
        y[0] = m0, y[1] = m1, y[2] = m2, y[3] = m3;
    } else {
        const float n = (float)p->size;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (i = 0; i < p->size; ++i) {
            s0 += x0[i];
            s1 += x1[i];
            s2 += x2[i];
            s3 += x3[i];
        }
        y[0] = s0 / n, y[1] = s1 / n, y[2] = s2 / n, y[3] = s3 / n;
    }
}

void mn_global_pool_f32(const mn_global_pool_params_t *p, const float *restrict x,
                        float *restrict y)
{
    int32_t c = 0, i;

    if (p->size > 0) {
        for (; c + 4 <= p->channels; c += 4) {
            global_pool4(p, x + c * p->size, y + c);
        }
    }
    for (; c < p->channels; ++c) {
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
