/* mn_copy_f32: strided N-D copy (transpose, slice, concat, expand, pad) (reference).
 * See mn_kernels.h. No restrict: callers may copy within one buffer. */
#include "mn_kernels.h"

void mn_copy_f32(const mn_copy_params_t *p, const float *x, float *y)
{
    int32_t idx[MN_MAX_DIMS];
    const int32_t outer_rank = p->rank > 0 ? p->rank - 1 : 0;
    const int32_t len = p->rank > 0 ? p->dims[p->rank - 1] : 1;
    const int32_t xs = p->rank > 0 ? p->x_strides[p->rank - 1] : 0;
    const int32_t ys = p->rank > 0 ? p->y_strides[p->rank - 1] : 0;
    int32_t x_off = p->x_offset, y_off = p->y_offset;
    int32_t d, i;

    for (d = 0; d < p->rank; ++d) {
        if (p->dims[d] <= 0) {
            return;
        }
        idx[d] = 0;
    }
    for (;;) {
        /* Integer indices: with negative strides a row runs backwards from x_off. */
        for (i = 0; i < len; ++i) {
            y[y_off + i * ys] = x[x_off + i * xs];
        }
        for (d = outer_rank - 1; d >= 0; --d) {
            x_off += p->x_strides[d];
            y_off += p->y_strides[d];
            if (++idx[d] < p->dims[d]) {
                break;
            }
            x_off -= p->x_strides[d] * p->dims[d];
            y_off -= p->y_strides[d] * p->dims[d];
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}
