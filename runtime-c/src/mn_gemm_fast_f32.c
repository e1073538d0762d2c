/* mn_gemm_fast_f32: y = act(A' Bp + bias) with B packed at compile time (see
 * mn_kernels.h); mn_gemm_f32 is the reference it matches.
 *
 * Method. Bp is B' scaled by alpha, stored [k][n] row-major, so every row of A' updates
 * a whole output row with one contiguous multiply-add loop over n (the vector
 * direction): y[i][:] = bias; y[i][:] += A'[i][kk] * Bp[kk][:] for each kk. A fully
 * connected layer (m = 1) streams its weights once, in order. */
#include "mn_kernels.h"

void mn_gemm_fast_f32(const mn_gemm_params_t *p, const float *restrict a,
                      const float *restrict bp, const float *restrict bias,
                      float *restrict y)
{
    /* Element strides of A'[i][kk] in the stored array. */
    const int32_t a_si = p->trans_a ? 1 : p->k;
    const int32_t a_sk = p->trans_a ? p->m : 1;
    const int32_t n = p->n;
    int32_t i, j, kk;
    for (i = 0; i < p->m; ++i) {
        const float *arow = a + i * a_si;
        float *restrict yi = y + i * n;
        for (j = 0; j < n; ++j) {
            yi[j] = bias ? bias[j] : 0.0f;
        }
        for (kk = 0; kk < p->k; ++kk) {
            const float av = arow[kk * a_sk];
            const float *restrict brow = bp + kk * n;
            for (j = 0; j < n; ++j) {
                yi[j] += av * brow[j];
            }
        }
        if (p->act.kind != MN_ACT_NONE) {
            for (j = 0; j < n; ++j) {
                yi[j] = mn_act_apply(&p->act, yi[j]);
            }
        }
    }
}
