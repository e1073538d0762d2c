/* mn_where_f32: broadcasting out = c ? x : y (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

void mn_where_f32(const mn_where_params_t *p, const float *c, const float *x,
                  const float *y_false, float *out)
{
    /* Two odometers over the same dims: one moves the c and x offsets, one the y offset. */
    int32_t idx_cx[MN_MAX_DIMS], idx_y[MN_MAX_DIMS];
    int32_t c_off = 0, x_off = 0, y_off = 0, o = 0, unused = 0;

    if (!mn_odometer_start(p->rank, p->dims, idx_cx) ||
        !mn_odometer_start(p->rank, p->dims, idx_y)) {
        return;
    }
    do {
        out[o++] = c[c_off] != 0.0f ? x[x_off] : y_false[y_off];
        (void)mn_odometer_next(p->rank, p->dims, idx_y, p->y_strides, &y_off, NULL, &unused);
    } while (mn_odometer_next(p->rank, p->dims, idx_cx, p->c_strides, &c_off, p->x_strides,
                              &x_off));
}
