/* mn_copy_f32: strided N-D copy (transpose, slice, concat, expand, pad) (reference).
 * See mn_kernels.h. No restrict: callers may copy within one buffer. */
#include "internal/mn_kernels_internal.h"

void mn_copy_f32(const mn_copy_params_t *p, const float *x, float *y)
{
    int32_t idx[MN_MAX_DIMS];
    const int32_t outer_rank = p->rank > 0 ? p->rank - 1 : 0;
    const int32_t len = p->rank > 0 ? p->dims[p->rank - 1] : 1;
    const int32_t xs = p->rank > 0 ? p->x_strides[p->rank - 1] : 0;
    const int32_t ys = p->rank > 0 ? p->y_strides[p->rank - 1] : 0;
    int32_t x_off = p->x_offset, y_off = p->y_offset;
    int32_t i;

    if (!mn_odometer_start(p->rank, p->dims, idx)) {
        return;
    }
    do {
        /* Integer indices: with negative strides a row runs backwards from x_off. */
        for (i = 0; i < len; ++i) {
            y[y_off + i * ys] = x[x_off + i * xs];
        }
    } while (mn_odometer_next(outer_rank, p->dims, idx, p->x_strides, &x_off, p->y_strides,
                              &y_off));
}
