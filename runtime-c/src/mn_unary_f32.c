/* mn_unary_f32: elementwise activations and scaling (reference). See mn_kernels.h.
 * No restrict: y may alias x. */
#include "mn_kernels.h"
#include <math.h>

void mn_unary_f32(const mn_unary_params_t *p, const float *x, float *y)
{
    const float alpha = p->alpha, beta = p->beta;
    int32_t i;

    switch (p->kind) {
    case MN_RELU:
        for (i = 0; i < p->size; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case MN_LEAKY_RELU:
        for (i = 0; i < p->size; ++i) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i];
        break;
    case MN_CLIP:
        for (i = 0; i < p->size; ++i) {
            /* min(max(x, lo), hi): when lo > hi every value becomes hi (ONNX). */
            const float v = x[i] < alpha ? alpha : x[i];
            y[i] = v > beta ? beta : v;
        }
        break;
    case MN_SIGMOID:
        /* Stable form: expf never sees a large positive argument. */
        for (i = 0; i < p->size; ++i) {
            const float v = x[i];
            if (v >= 0.0f) {
                y[i] = 1.0f / (1.0f + expf(-v));
            } else {
                const float e = expf(v);
                y[i] = e / (1.0f + e);
            }
        }
        break;
    case MN_TANH:
        for (i = 0; i < p->size; ++i) y[i] = tanhf(x[i]);
        break;
    case MN_HARD_SIGMOID:
        for (i = 0; i < p->size; ++i) {
            const float v = alpha * x[i] + beta;
            y[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
        }
        break;
    case MN_HARD_SWISH:
        for (i = 0; i < p->size; ++i) {
            const float v = x[i];
            const float g = v / 6.0f + 0.5f;
            y[i] = v * (g < 0.0f ? 0.0f : (g > 1.0f ? 1.0f : g));
        }
        break;
    case MN_SQRT:
        for (i = 0; i < p->size; ++i) y[i] = sqrtf(x[i]);
        break;
    default: /* MN_SCALE */
        for (i = 0; i < p->size; ++i) y[i] = alpha * x[i];
        break;
    }
}
