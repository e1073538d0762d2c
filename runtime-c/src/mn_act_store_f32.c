/* mn_act_store_f32: store accumulators through a fused activation. See
 * internal/mn_kernels_internal.h. */
#include "internal/mn_kernels_internal.h"

void mn_act_store_f32(const mn_act_t *a, const float *restrict src, float *restrict dst,
                      int32_t n)
{
    int32_t i;
    switch (a->kind) {
    case MN_ACT_RELU:
        for (i = 0; i < n; ++i) {
            dst[i] = mn_relu(src[i]);
        }
        break;
    case MN_ACT_LEAKY_RELU:
        for (i = 0; i < n; ++i) {
            dst[i] = src[i] < 0.0f ? a->alpha * src[i] : src[i];
        }
        break;
    case MN_ACT_CLIP: {
        const float lo = a->lo, hi = a->hi;
        for (i = 0; i < n; ++i) {
            dst[i] = mn_clampf(src[i], lo, hi);
        }
        break;
    }
    case MN_ACT_HARD_SIGMOID: {
        const float alpha = a->alpha, beta = a->lo;
        for (i = 0; i < n; ++i) {
            dst[i] = mn_unit_clamp(alpha * src[i] + beta);
        }
        break;
    }
    case MN_ACT_HARD_SWISH:
        for (i = 0; i < n; ++i) {
            dst[i] = src[i] * mn_unit_clamp(src[i] * (1.0f / 6.0f) + 0.5f);
        }
        break;
    case MN_ACT_SWISH: {
        const float alpha = a->alpha;
        for (i = 0; i < n; ++i) {
            dst[i] = mn_swish(src[i], alpha);
        }
        break;
    }
    default:
        for (i = 0; i < n; ++i) {
            dst[i] = src[i];
        }
        break;
    }
}
