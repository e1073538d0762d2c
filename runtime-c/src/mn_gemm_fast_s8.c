/* mn_gemm_fast_s8: int8 fully connected layer on a folded bias, the dot product on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

void mn_gemm_fast_s8(const mn_gemm_s8_params_t *p, const int8_t *restrict a,
                     const int8_t *restrict b, const int32_t *restrict bias,
                     const mn_requant_t *restrict rq, int8_t *restrict y)
{
    int32_t i, j;
    for (i = 0; i < p->m; ++i) {
        const int8_t *ai = a + i * p->k;
        for (j = 0; j < p->n; ++j) {
            const int32_t acc = bias[j] + mn_dot_s8(ai, b + j * p->k, p->k);
            y[i * p->n + j] = mn_rq_clamp(mn_rq_scale(rq[p->per_channel ? j : 0], acc, 1),
                                          p->y_zp, p->y_lo, p->y_hi);
        }
    }
}

void mn_gemm_fast_s8_fold_bias(const mn_gemm_s8_params_t *p, const int8_t *restrict b,
                               const int32_t *restrict bias, int32_t *restrict folded)
{
    int32_t j, kk;
    for (j = 0; j < p->n; ++j) {
        int32_t sum = 0;
        for (kk = 0; kk < p->k; ++kk) {
            sum += b[j * p->k + kk];
        }
        folded[j] = (bias ? bias[j] : 0) - p->a_zp * sum;
    }
}
