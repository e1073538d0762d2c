/* mn_reduce_f32: sum / mean / max / min / prod / sum-square / L1 / L2 / log-sum /
 * log-sum-exp reduction over any set of axes (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

/* The value a reduction of kind starts from. */
static float mn_reduce_start(int32_t kind)
{
    switch (kind) {
    case MN_REDUCE_MAX:
    case MN_REDUCE_LOG_SUM_EXP:
        return -INFINITY;
    case MN_REDUCE_MIN:
        return INFINITY;
    case MN_REDUCE_PROD:
        return 1.0f;
    default:
        return 0.0f;
    }
}

/* log(exp(r) + exp(v)) in a form that never overflows; NaN propagates. */
static float mn_log_add_exp(float r, float v)
{
    float hi, lo;
    if (v == -INFINITY) {
        return r;
    }
    if (v > r) {
        hi = v;
        lo = r;
    } else {
        hi = r;
        lo = v;
    }
    return hi + log1pf(expf(lo - hi));
}

/* Element v folded into the running value r. */
static float mn_reduce_step(int32_t kind, float r, float v)
{
    switch (kind) {
    case MN_REDUCE_MAX:
        return mn_max_nan(r, v);
    case MN_REDUCE_MIN:
        return -mn_max_nan(-r, -v);
    case MN_REDUCE_PROD:
        return r * v;
    case MN_REDUCE_SUM_SQUARE:
    case MN_REDUCE_L2:
        return r + v * v;
    case MN_REDUCE_L1:
        return r + fabsf(v);
    case MN_REDUCE_LOG_SUM_EXP:
        return mn_log_add_exp(r, v);
    default: /* MEAN, SUM, LOG_SUM */
        return r + v;
    }
}

/* The final value of each output: the mean, the square root or the logarithm. */
static void mn_reduce_finish(const mn_reduce_params_t *p, float *y)
{
    int32_t i;
    if (p->kind == MN_REDUCE_MEAN && p->count > 0) {
        const float inv = 1.0f / (float)p->count;
        for (i = 0; i < p->y_size; ++i) y[i] *= inv;
    } else if (p->kind == MN_REDUCE_L2) {
        for (i = 0; i < p->y_size; ++i) y[i] = sqrtf(y[i]);
    } else if (p->kind == MN_REDUCE_LOG_SUM) {
        for (i = 0; i < p->y_size; ++i) y[i] = logf(y[i]);
    }
}

void mn_reduce_f32(const mn_reduce_params_t *p, const float *restrict x, float *restrict y)
{
    int32_t idx[MN_MAX_DIMS];
    const int32_t outer_rank = p->rank > 0 ? p->rank - 1 : 0;
    const int32_t len = p->rank > 0 ? p->dims[p->rank - 1] : 1;
    const int32_t ys = p->rank > 0 ? p->y_strides[p->rank - 1] : 0;
    const float start = mn_reduce_start(p->kind);
    int32_t x_off = 0, y_off = 0;
    int32_t i;

    for (i = 0; i < p->y_size; ++i) {
        y[i] = start;
    }
    if (mn_odometer_start(p->rank, p->dims, idx)) {
        do {
            const float *xr = x + x_off;
            for (i = 0; i < len; ++i) {
                float *t = &y[y_off + i * ys];
                *t = mn_reduce_step(p->kind, *t, xr[i]);
            }
            x_off += len;
        } while (mn_odometer_next(outer_rank, p->dims, idx, p->y_strides, &y_off, NULL, NULL));
    }
    mn_reduce_finish(p, y);
}
