/* mn_reduce_f32: mean / max reduction over any set of axes (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

void mn_reduce_f32(const mn_reduce_params_t *p, const float *restrict x, float *restrict y)
{
    int32_t idx[MN_MAX_DIMS];
    const int32_t outer_rank = p->rank > 0 ? p->rank - 1 : 0;
    const int32_t len = p->rank > 0 ? p->dims[p->rank - 1] : 1;
    const int32_t ys = p->rank > 0 ? p->y_strides[p->rank - 1] : 0;
    const int is_max = p->kind == MN_REDUCE_MAX;
    int32_t x_off = 0, y_off = 0;
    int32_t i;

    for (i = 0; i < p->y_size; ++i) {
        y[i] = is_max ? -INFINITY : 0.0f;
    }
    if (!mn_odometer_start(p->rank, p->dims, idx)) {
        return;
    }
    do {
        const float *xr = x + x_off;
        if (is_max) {
            for (i = 0; i < len; ++i) {
                float *t = &y[y_off + i * ys];
                if (xr[i] > *t) {
                    *t = xr[i];
                }
            }
        } else {
            for (i = 0; i < len; ++i) {
                y[y_off + i * ys] += xr[i];
            }
        }
        x_off += len;
    } while (mn_odometer_next(outer_rank, p->dims, idx, p->y_strides, &y_off, NULL, NULL));
    if (!is_max && p->count > 0) {
        const float inv = 1.0f / (float)p->count;
        for (i = 0; i < p->y_size; ++i) {
            y[i] *= inv;
        }
    }
}
