/* mn_gemm_s8: int8 fully connected layer / MatMul with per-column requantisation
 * (reference). See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

void mn_gemm_s8(const mn_gemm_s8_params_t *p, const int8_t *restrict a,
                const int8_t *restrict b, const int32_t *restrict bias,
                const mn_requant_word_t *restrict rq, int8_t *restrict y)
{
    /* B[kk][j] is b[kk * b_k + j * b_n]. */
    const int32_t b_k = p->trans_b ? 1 : p->n;
    const int32_t b_n = p->trans_b ? p->k : 1;
    int32_t i, j, kk;

    for (i = 0; i < p->m; ++i) {
        const int8_t *ai = a + i * p->k;
        for (j = 0; j < p->n; ++j) {
            const int8_t *bj = b + j * b_n;
            int32_t acc = bias ? bias[j] : 0;
            for (kk = 0; kk < p->k; ++kk) {
                acc += ((int32_t)ai[kk] - p->a_zp) * ((int32_t)bj[kk * b_k] - p->b_zp);
            }
            const mn_requant_t r = mn_requant_of(rq, p->per_channel, j);
            y[i * p->n + j] = mn_rq_clamp(mn_requant_apply(&r, acc, 1), p->y_zp, p->y_lo,
                                          p->y_hi);
        }
    }
}
