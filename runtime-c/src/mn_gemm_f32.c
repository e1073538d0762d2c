/* mn_gemm_f32: y = act(alpha * A' B' + beta * C) with optional transposes (reference).
 * See mn_kernels.h. */
#include "mn_kernels.h"

void mn_gemm_f32(const mn_gemm_params_t *p, const float *restrict a, const float *restrict b,
                 const float *restrict c, float *restrict y)
{
    /* Element strides of A'[i][kk] and B'[kk][j] in the stored arrays. */
    const int32_t a_si = p->trans_a ? 1 : p->k;
    const int32_t a_sk = p->trans_a ? p->m : 1;
    const int32_t b_sk = p->trans_b ? 1 : p->n;
    const int32_t b_sj = p->trans_b ? p->k : 1;
    int32_t i, j, kk;

    for (i = 0; i < p->m; ++i) {
        const float *arow = a + i * a_si;
        for (j = 0; j < p->n; ++j) {
            const float *bcol = b + j * b_sj;
            float acc = 0.0f;
            float v;
            for (kk = 0; kk < p->k; ++kk) {
                acc += arow[kk * a_sk] * bcol[kk * b_sk];
            }
            v = p->alpha * acc;
            if (c) {
                v += p->beta * c[i * p->c_stride_m + j * p->c_stride_n];
            }
            y[i * p->n + j] = mn_act_apply(&p->act, v);
        }
    }
}
