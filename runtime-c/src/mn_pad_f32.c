/* mn_pad_f32: Pad in reflect, edge and wrap modes, and constant mode with cropping
 * (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

/* The input coordinate that output coordinate j - pad (may lie outside [0, n)) reads;
 * -1 in constant mode outside [0, n) (the value). */
static int32_t mn_pad_source(int32_t mode, int32_t j, int32_t n)
{
    if (j >= 0 && j < n) {
        return j;
    }
    switch (mode) {
    case MN_PAD_CONSTANT: return -1;
    case MN_PAD_EDGE: return j < 0 ? 0 : n - 1;
    case MN_PAD_WRAP: return ((j % n) + n) % n;
    default: {
        /* reflect (the edge is not repeated): period 2 (n - 1) */
        const int32_t period = 2 * (n - 1);
        if (period == 0) {
            return 0;
        }
        j = ((j % period) + period) % period;
        return j < n ? j : period - j;
    }
    }
}

void mn_pad_f32(const mn_pad_params_t *p, const float *restrict x, float *restrict y)
{
    int32_t idx[MN_MAX_DIMS];
    const int32_t size = mn_prod(p->rank, p->y_dims);
    int32_t i, d;

    for (i = 0; i < size; ++i) {
        int32_t rest = i, off = 0, stride = 1, inside = 1;
        for (d = p->rank - 1; d >= 0; --d) {
            idx[d] = rest % p->y_dims[d];
            rest /= p->y_dims[d];
        }
        for (d = p->rank - 1; d >= 0 && inside; --d) {
            const int32_t j = mn_pad_source(p->mode, idx[d] - p->pads[d], p->x_dims[d]);
            inside = j >= 0;
            off += j * stride;
            stride *= p->x_dims[d];
        }
        y[i] = inside ? x[off] : p->value;
    }
}
