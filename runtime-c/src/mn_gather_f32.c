/* mn_gather_f32: gather slices along the middle axis of [outer, axis_len, inner] with
 * constant indices (reference). See mn_kernels.h. */
#include "mn_kernels.h"

void mn_gather_f32(const mn_gather_params_t *p, const float *restrict x,
                   const int32_t *restrict indices, float *restrict y)
{
    const int32_t inner = p->inner;
    int32_t o, j, i;

    for (o = 0; o < p->outer; ++o) {
        const float *xo = x + o * p->axis_len * inner;
        for (j = 0; j < p->n_indices; ++j) {
            int32_t k = indices[j];
            const float *src;
            if (k < 0) {
                k += p->axis_len; /* ONNX: negative indices count from the end */
            }
            src = xo + k * inner;
            for (i = 0; i < inner; ++i) {
                y[i] = src[i];
            }
            y += inner;
        }
    }
}
