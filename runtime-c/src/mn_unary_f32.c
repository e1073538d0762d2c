/* mn_unary_f32: elementwise activations and scaling (reference). See mn_kernels.h.
 * No restrict: y may alias x. */
#include "mn_kernels.h"
#include <math.h>

/* log(1 + exp(v)) without overflow for large v. */
static float mn_softplus(float v)
{
    return v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v));
}

/* The elementwise math functions without parameters (MN_ERF .. MN_SQRT but the
 * parameterised ELU / SELU); a switch per element: these are reference kernels. */
static float mn_math(int32_t kind, float v)
{
    switch (kind) {
    case MN_ERF: return erff(v);
    case MN_RECIPROCAL: return 1.0f / v;
    case MN_NEG: return -v;
    case MN_ABS: return fabsf(v);
    case MN_EXP: return expf(v);
    case MN_LOG: return logf(v);
    case MN_SIN: return sinf(v);
    case MN_COS: return cosf(v);
    case MN_FLOOR: return floorf(v);
    case MN_CEIL: return ceilf(v);
    case MN_ROUND: return rintf(v); /* the default rounding mode: half to even */
    case MN_SIGN: return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v);
    case MN_SOFTPLUS: return mn_softplus(v);
    case MN_MISH: return v * tanhf(mn_softplus(v));
    case MN_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case MN_GELU_TANH:
        return 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    case MN_SOFTSIGN: return v / (1.0f + fabsf(v));
    case MN_SQRT: return sqrtf(v);
    default: /* MN_NOT */ return v == 0.0f ? 1.0f : 0.0f;
    }
}

void mn_unary_f32(const mn_unary_params_t *p, const float *x, float *y)
{
    const float alpha = p->alpha, beta = p->beta;
    int32_t i;

    switch (p->kind) {
    case MN_RELU:
        /* NaN stays NaN (onnxruntime); every activation here propagates NaN. */
        for (i = 0; i < p->size; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
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
    case MN_SWISH:
        for (i = 0; i < p->size; ++i) y[i] = mn_swish(x[i], alpha);
        break;
    case MN_SCALE:
        for (i = 0; i < p->size; ++i) y[i] = alpha * x[i];
        break;
    case MN_ELU:
        for (i = 0; i < p->size; ++i) y[i] = x[i] >= 0.0f ? x[i] : alpha * expm1f(x[i]);
        break;
    case MN_SELU:
        for (i = 0; i < p->size; ++i) y[i] = beta * (x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]));
        break;
    default:
        for (i = 0; i < p->size; ++i) y[i] = mn_math(p->kind, x[i]);
        break;
    }
}
