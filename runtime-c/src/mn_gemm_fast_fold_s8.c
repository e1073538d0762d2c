/* mn_gemm_fast_fold_s8: the folded bias mn_gemm_fast_s8 reads. meshnn folds at compile
 * time (its port is checked against this function), so this file is never copied into
 * a device's firmware. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

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
