/* mn_gemm_fast_s8: int8 fully connected layer on a folded bias, the dot product on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* Output j of row i from its accumulator. */
static void gemm_fast_s8_store(const mn_gemm_s8_params_t *p, const mn_requant_t *rq,
                               int32_t acc, int32_t j, int8_t *yi)
{
    yi[j] = mn_rq_clamp(mn_rq_scale1(rq[p->per_channel ? j : 0], acc), p->y_zp, p->y_lo,
                        p->y_hi);
}

void mn_gemm_fast_s8(const mn_gemm_s8_params_t *p, const int8_t *restrict a,
                     const int8_t *restrict b, const int32_t *restrict bias,
                     const mn_requant_t *restrict rq, int8_t *restrict y)
{
    int32_t i, j, c;
    for (i = 0; i < p->m; ++i) {
        const int8_t *ai = a + i * p->k;
        int8_t *yi = y + i * p->n;
        for (j = 0; j + 4 <= p->n; j += 4) { /* four columns per pass over a's row */
            int32_t acc[4];
            for (c = 0; c < 4; ++c) {
                acc[c] = bias[j + c];
            }
            mn_dot4_s8(ai, b + j * p->k, p->k, p->k, acc);
            for (c = 0; c < 4; ++c) {
                gemm_fast_s8_store(p, rq, acc[c], j + c, yi);
            }
        }
        for (; j < p->n; ++j) {
            gemm_fast_s8_store(p, rq, bias[j] + mn_dot_s8(ai, b + j * p->k, p->k), j, yi);
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
