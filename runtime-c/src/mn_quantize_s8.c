/* mn_quantize_s8: QuantizeLinear, float -> int8 (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* nearbyint(v) for |v| <= 2^23 (beyond, every float is an integer), rounded half to even
 * in plain arithmetic, so no rounding-mode state or libm call is involved. */
static float round_half_even(float v)
{
    const float r = (float)(int32_t)v; /* truncated toward zero */
    const float f = v - r;             /* exact */
    if (f > 0.5f || (f == 0.5f && ((int32_t)r & 1))) {
        return r + 1.0f;
    }
    if (f < -0.5f || (f == -0.5f && ((int32_t)r & 1))) {
        return r - 1.0f;
    }
    return r;
}

void mn_quantize_s8(const mn_quantize_s8_params_t *p, const float *restrict x,
                    int8_t *restrict y)
{
    const float lo = (float)(p->lo - p->zp), hi = (float)(p->hi - p->zp);
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        float v = x[i] / p->scale;
        if (v != v) {
            v = 0.0f; /* NaN */
        }
        v = v < lo ? lo : (v > hi ? hi : v);
        y[i] = (int8_t)((int32_t)round_half_even(v) + p->zp);
    }
}
