/* mn_matmul_f32: batched [m][k] x [k][n] products with batch broadcasting (reference).
 * See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

void mn_matmul_f32(const mn_matmul_params_t *p, const float *restrict a,
                   const float *restrict b, float *restrict y)
{
    int32_t idx[MN_MAX_DIMS];
    int32_t a_off = 0, b_off = 0;
    int32_t i, j, kk;
    const int32_t mn = p->m * p->n;

    if (!mn_odometer_start(p->batch_rank, p->batch_dims, idx)) {
        return;
    }
    do {
        const float *am = a + a_off;
        const float *bm = b + b_off;
        for (i = 0; i < p->m; ++i) {
            float *yrow = y + i * p->n;
            for (j = 0; j < p->n; ++j) {
                yrow[j] = 0.0f;
            }
            for (kk = 0; kk < p->k; ++kk) {
                const float aik = am[i * p->k + kk];
                const float *brow = bm + kk * p->n;
                for (j = 0; j < p->n; ++j) {
                    yrow[j] += aik * brow[j];
                }
            }
        }
        y += mn;
    } while (mn_odometer_next(p->batch_rank, p->batch_dims, idx, p->a_strides, &a_off,
                              p->b_strides, &b_off)); /* batch axes, last fastest */
}
