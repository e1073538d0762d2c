/*
 * Instructions per multiply-accumulate of the int8 kernels on an MCU: MODE 1 runs the
 * reference fully connected layer (mn_gemm_s8, 1 x 256 -> 64), MODE 2 the fast one
 * (mn_gemm_fast_s8, the same layer on the folded bias), MODE 3 the reference convolution
 * (mn_conv2d_s8, 8 -> 16 channels, 3x3, 8x8, padding 1), MODE 0 none of them. Built and
 * run under QEMU by scripts/s8_cost.sh, which counts the instructions of each MODE and
 * divides the difference to MODE 0 by the MACs (fast against reference is checked by
 * tests/test_kernels_s8.c, which the script also runs on each core).
 */
#include "mn_kernels_s8.h"

#define K 256
#define N 64
#define CI 8
#define CO 16
#define HW 8

static int8_t a_[K], w_[N * K], y_ref_[N], y_fast_[N];
static int8_t x_[CI * HW * HW], cw_[CO * CI * 9], cy_[CO * HW * HW];
static int32_t bias_[N], folded_[N];
static mn_requant_word_t rq_[N];

/* Deterministic bytes (xorshift32). */
static void fill(int8_t *v, int32_t n, uint32_t *s)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        v[i] = (int8_t)(*s >> 24);
    }
}

int main(void)
{
    uint32_t s = 2463534242u;
    int32_t j;
    mn_gemm_s8_params_t g = {1, N, K, 1, -5, 0, 3, -128, 127, 1};
    mn_conv_s8_params_t c = {1, CI, HW, HW, CO, HW, HW, 3, 3, 1, 1, 1, 1, 1, 1, 1,
                             -5, 0, 3, -128, 127, 1};
    fill(a_, K, &s);
    fill(w_, N * K, &s);
    fill(x_, CI * HW * HW, &s);
    fill(cw_, CO * CI * 9, &s);
    for (j = 0; j < N; ++j) {
        bias_[j] = 1000 * (j - N / 2);
        mn_requant_t rq;
        if (mn_requant_from_scale(0.0007 + 0.00001 * j, &rq) != 0 ||
            mn_requant_pack(&rq, &rq_[j]) != 0) {
            return 1;
        }
    }
    mn_gemm_fast_s8_fold_bias(&g, w_, bias_, folded_);
#if MODE == 1
    mn_gemm_s8(&g, a_, w_, bias_, rq_, y_ref_);
#elif MODE == 2
    mn_gemm_fast_s8(&g, a_, w_, folded_, rq_, y_fast_);
#elif MODE == 3
    mn_conv2d_s8(&c, x_, cw_, bias_, rq_, cy_);
#endif
    (void)c;
    /* Exit status 0; reading the outputs keeps the work from being optimised away. */
    return (y_ref_[0] + y_fast_[0] + cy_[0]) == 1000;
}
