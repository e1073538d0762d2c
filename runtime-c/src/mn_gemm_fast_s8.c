/* mn_gemm_fast_s8: int8 fully connected layer on a folded bias, the dot product on the
 * DSP extension where the core has it. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* Outputs j0 .. j0 + count - 1 of row yi from their dot products (the bias added here). */
MN_NOINLINE static void gemm_fast_s8_store(const mn_gemm_s8_params_t *p,
                                           const int32_t *bias, const mn_requant_word_t *rq,
                                           const int32_t *acc, int32_t j0, int32_t count,
                                           int8_t *yi)
{
    int32_t c;
    for (c = 0; c < count; ++c) {
        const int32_t j = j0 + c;
        const mn_requant_t r = mn_requant_of(rq, p->per_channel, j);
        yi[j] = mn_rq_clamp(mn_rq_scale1(r, bias[j] + acc[c]), p->y_zp, p->y_lo, p->y_hi);
    }
}

/* Four columns per pass over a's row (one unpacking of a serves four rows of b). With
 * n >= 4 the last pass takes the last four columns (it may redo up to three: the same
 * values stored again), so there is no one-column loop to keep in flash; with n < 4
 * each column is a pass of its own, its row read as all four (stride 0). */
void mn_gemm_fast_s8(const mn_gemm_s8_params_t *p, const int8_t *restrict a,
                     const int8_t *restrict b, const int32_t *restrict bias,
                     const mn_requant_word_t *restrict rq, int8_t *restrict y)
{
    const int32_t n = p->n, k = p->k, four = n >= 4;
    int32_t i, j;
    for (i = 0; i < p->m; ++i) {
        const int8_t *ai = a + i * k;
        for (j = 0; j < n; j += four ? 4 : 1) {
            const int32_t j0 = four && j + 4 > n ? n - 4 : j;
            int32_t acc[4] = {0, 0, 0, 0};
            mn_dot4_s8(ai, b + j0 * k, four ? k : 0, k, acc);
            gemm_fast_s8_store(p, bias, rq, acc, j0, four ? 4 : 1, y + i * n);
        }
    }
}
