/* mn_matmul_f32: batched [m][k] x [k][n] products with batch broadcasting (reference).
 * See mn_kernels.h. */
#include "mn_kernels.h"

void mn_matmul_f32(const mn_matmul_params_t *p, const float *restrict a,
                   const float *restrict b, float *restrict y)
{
    int32_t idx[MN_MAX_DIMS];
    int32_t a_off = 0, b_off = 0;
    int32_t d, i, j, kk;
    const int32_t mn = p->m * p->n;

    for (d = 0; d < p->batch_rank; ++d) {
        if (p->batch_dims[d] <= 0) {
            return;
        }
        idx[d] = 0;
    }
    for (;;) {
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
        /* Odometer step over the batch axes (last axis fastest). */
        for (d = p->batch_rank - 1; d >= 0; --d) {
            a_off += p->a_strides[d];
            b_off += p->b_strides[d];
            if (++idx[d] < p->batch_dims[d]) {
                break;
            }
            a_off -= p->a_strides[d] * p->batch_dims[d];
            b_off -= p->b_strides[d] * p->batch_dims[d];
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}
