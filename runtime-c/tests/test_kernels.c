/* Reference-kernel tests: every expected value is computed by hand in the comments.
 * One helper, check(), compares a kernel's output with the expectation and prints the
 * failing case, index, value and expectation. Exit status is non-zero on any failure. */
#include "mn_kernels.h"
#include "internal/mn_kernels_internal.h" /* mn_act_store_f32 */

#include <math.h>
#include <stdio.h>
#include <string.h>

static int g_passed, g_failed;

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define TOL 1e-5f

/* Whether got matches want: within tol * (1 + |want|), or, for tol < 0, exactly (NaN
 * matches NaN, -0 matches 0). A NaN never passes the tolerance comparison. */
static int matches(float got, float want, float tol)
{
    if (tol < 0.0f) {
        return (got != got && want != want) || got == want;
    }
    return fabsf(got - want) <= tol * (1.0f + fabsf(want));
}

/* Compare n floats with tolerance tol * (1 + |want|) (tol < 0: exactly); one test per
 * call. */
static void check(const char *name, const float *got, const float *want, int n, float tol)
{
    int i, bad = 0;
    for (i = 0; i < n; ++i) {
        if (!matches(got[i], want[i], tol)) {
            if (bad < 4) {
                printf("FAIL %s: [%d] = %.7g, expected %.7g\n", name, i, (double)got[i],
                       (double)want[i]);
            }
            ++bad;
        }
    }
    if (bad) {
        ++g_failed;
    } else {
        ++g_passed;
    }
}

/* One test that passes when cond holds (NaN and infinity results). */
static void check_true(const char *name, int cond)
{
    if (cond) {
        ++g_passed;
    } else {
        printf("FAIL %s\n", name);
        ++g_failed;
    }
}

/* Compare n floats exactly (NaN matches NaN, -0 matches 0): for exact results and
 * special values (infinities, NaN). */
static void check_exact(const char *name, const float *got, const float *want, int n)
{
    check(name, got, want, n, -1.0f);
}

static const mn_act_t NO_ACT = {MN_ACT_NONE, 0.0f, 0.0f, 0.0f};

/* x = 1..9 as a 3x3 image, used by conv and pool tests:
 *   1 2 3
 *   4 5 6
 *   7 8 9 */
static const float X33[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

/* ------------------------------------------------------------------ conv2d */
static void test_conv(void)
{
    /* 2x2 kernel [1 2; 3 4], stride 1, pad 1 on every side -> 4x4. With P the zero-padded
     * 5x5 image, y[i][j] = P[i][j] + 2 P[i][j+1] + 3 P[i+1][j] + 4 P[i+1][j+1]:
     *   row 0: 4*1=4, 3*1+4*2=11, 3*2+4*3=18, 3*3=9
     *   row 1: 2*1+4*4=18, 1+4+12+20=37, 2+6+15+24=47, 3+18=21
     *   row 2: 2*4+4*7=36, 4+10+21+32=67, 5+12+24+36=77, 6+27=33
     *   row 3: 2*7=14, 7+16=23, 8+18=26, 9 */
    static const float w[4] = {1, 2, 3, 4};
    static const float want[16] = {4, 11, 18, 9, 18, 37, 47, 21,
                                   36, 67, 77, 33, 14, 23, 26, 9};
    mn_conv_params_t p = {1, 1, 3, 3, 1, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1,
                          {MN_ACT_NONE, 0, 0, 0}};
    float y[16];
    mn_conv2d_f32(&p, X33, w, NULL, y);
    check("conv 3x3 k2 s1 pad1", y, want, 16, TOL);

    {
        /* Same, stride 2 -> 2x2 picks rows/cols 0 and 2: 4, 18, 36, 77;
         * bias -20 and ReLU: 0, 0, 16, 57. */
        static const float b[1] = {-20};
        static const float want2[4] = {0, 0, 16, 57};
        mn_conv_params_t q = p;
        q.out_h = q.out_w = 2;
        q.stride_h = q.stride_w = 2;
        q.act.kind = MN_ACT_RELU;
        mn_conv2d_f32(&q, X33, w, b, y);
        check("conv s2 bias relu", y, want2, 4, TOL);
    }
    {
        /* Dilation 2, pad 1 -> 3x3 (effective kernel 3). Taps at (0,0) (0,2) (2,0) (2,2):
         * y[i][j] = P[i][j] + 2 P[i][j+2] + 3 P[i+2][j] + 4 P[i+2][j+2]:
         *   row 0: 4*5=20, 3*4+4*6=36, 3*5=15
         *   row 1: 2*2+4*8=36, 1+6+21+36=64, 2+3*8=26
         *   row 2: 2*5=10, 4+2*6=16, 5 */
        static const float want3[9] = {20, 36, 15, 36, 64, 26, 10, 16, 5};
        mn_conv_params_t q = p;
        q.out_h = q.out_w = 3;
        q.dil_h = q.dil_w = 2;
        mn_conv2d_f32(&q, X33, w, NULL, y);
        check("conv dilation 2 pad 1", y, want3, 9, TOL);
    }
    {
        /* Two input channels [1 2; 3 4] and [5 6; 7 8], 2x2 kernels, no pad -> 1x1.
         * Depthwise (group 2): w0 = [1 0; 0 1] -> 1+4 = 5, +1 bias = 6;
         *                      w1 = [1 1; 1 1] -> 26, -1 bias = 25.
         * Dense (group 1, one output): 5 + 26 = 31, batch n = 2 with the second image
         * equal to the first doubled -> 62. */
        static const float x[16] = {1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 6, 8, 10, 12, 14, 16};
        static const float wd[8] = {1, 0, 0, 1, 1, 1, 1, 1};
        static const float bd[2] = {1, -1};
        static const float want_dw[2] = {6, 25};
        static const float want_dense[2] = {31, 62};
        mn_conv_params_t q = {1, 2, 2, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 2,
                              {MN_ACT_NONE, 0, 0, 0}};
        mn_conv2d_f32(&q, x, wd, bd, y);
        check("conv depthwise group=C", y, want_dw, 2, TOL);
        q.n = 2;
        q.c_out = 1;
        q.group = 1;
        mn_conv2d_f32(&q, x, wd, NULL, y);
        check("conv 2 in channels, batch 2", y, want_dense, 2, TOL);
    }
    {
        /* 1-D conv (h = 1): x = [1 2 3 4], k = [1 -1], stride 1, pad_left 1 -> 4 outputs:
         * -1, 1-2=-1, 2-3=-1, 3-4=-1; plus a 5th output beyond the right edge: 4. */
        static const float x[4] = {1, 2, 3, 4};
        static const float k[2] = {1, -1};
        static const float want1[5] = {-1, -1, -1, -1, 4};
        mn_conv_params_t q = {1, 1, 1, 4, 1, 1, 5, 1, 2, 1, 1, 1, 1, 0, 1, 1,
                              {MN_ACT_NONE, 0, 0, 0}};
        mn_conv2d_f32(&q, x, k, NULL, y);
        check("conv 1-D pad both sides", y, want1, 5, TOL);
    }
}

/* ------------------------------------------------------------------ gemm */
static void test_gemm(void)
{
    /* A = [1 2 3; 4 5 6], B = [1 0; 0 1; 1 1]: A B = [4 5; 10 11]. */
    static const float a[6] = {1, 2, 3, 4, 5, 6};
    static const float b[6] = {1, 0, 0, 1, 1, 1};
    static const float at[6] = {1, 4, 2, 5, 3, 6}; /* A^T stored [3][2] */
    static const float bt[6] = {1, 0, 1, 0, 1, 1}; /* B^T stored [2][3] */
    float y[4];
    mn_gemm_params_t p = {2, 2, 3, 0, 0, 1.0f, 1.0f, 0, 1, {MN_ACT_NONE, 0, 0, 0}};
    {
        /* C row [10 20] broadcast over rows: [14 25; 20 31]. */
        static const float c[2] = {10, 20};
        static const float want[4] = {14, 25, 20, 31};
        mn_gemm_f32(&p, a, b, c, y);
        check("gemm C row broadcast", y, want, 4, TOL);
    }
    {
        /* transA, transB, alpha 2, beta 0.5, scalar C = 4: 2 AB + 2 = [10 12; 22 24]. */
        static const float c[1] = {4};
        static const float want[4] = {10, 12, 22, 24};
        mn_gemm_params_t q = p;
        q.trans_a = q.trans_b = 1;
        q.alpha = 2.0f;
        q.beta = 0.5f;
        q.c_stride_m = q.c_stride_n = 0;
        mn_gemm_f32(&q, at, bt, c, y);
        check("gemm transA transB alpha beta scalar C", y, want, 4, TOL);
    }
    {
        /* Full C [5 0; 0 20], beta -1, ReLU: [4-5 5; 10 11-20] -> [0 5 10 0]. */
        static const float c[4] = {5, 0, 0, 20};
        static const float want[4] = {0, 5, 10, 0};
        mn_gemm_params_t q = p;
        q.beta = -1.0f;
        q.c_stride_m = 2;
        q.act.kind = MN_ACT_RELU;
        mn_gemm_f32(&q, a, b, c, y);
        check("gemm full C beta -1 relu", y, want, 4, TOL);
    }
    {
        /* C column [1; 2] (stride_m 1, stride_n 0), only transA: [5 6; 12 13]. */
        static const float c[2] = {1, 2};
        static const float want[4] = {5, 6, 12, 13};
        mn_gemm_params_t q = p;
        q.trans_a = 1;
        q.c_stride_m = 1;
        q.c_stride_n = 0;
        mn_gemm_f32(&q, at, b, c, y);
        check("gemm transA C column broadcast", y, want, 4, TOL);
    }
    {
        /* No C, alpha -1, LeakyRelu 0.1: 0.1 * -[4 5; 10 11]. */
        static const float want[4] = {-0.4f, -0.5f, -1.0f, -1.1f};
        mn_gemm_params_t q = p;
        q.trans_b = 1;
        q.alpha = -1.0f;
        q.act.kind = MN_ACT_LEAKY_RELU;
        q.act.alpha = 0.1f;
        mn_gemm_f32(&q, a, bt, NULL, y);
        check("gemm no C transB leaky", y, want, 4, TOL);
    }
}

/* ------------------------------------------------------------------ matmul */
static void test_matmul(void)
{
    float y[8];
    {
        /* a: two 2x2 matrices, b: one 2x2 matrix shared (batch stride 0).
         * [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50]; [0 1; 1 0] [5 6; 7 8] = [7 8; 5 6]. */
        static const float a[8] = {1, 2, 3, 4, 0, 1, 1, 0};
        static const float b[4] = {5, 6, 7, 8};
        static const float want[8] = {19, 22, 43, 50, 7, 8, 5, 6};
        mn_matmul_params_t p;
        memset(&p, 0, sizeof p);
        p.m = p.n = p.k = 2;
        p.batch_rank = 1;
        p.batch_dims[0] = 2;
        p.a_strides[0] = 4;
        p.b_strides[0] = 0;
        mn_matmul_f32(&p, a, b, y);
        check("matmul batch broadcast b", y, want, 8, TOL);
    }
    {
        /* Batch [2,2] from a: [2,1,1,2] and b: [1,2,2,1] (outer-product broadcast).
         * a0 = [1 2], a1 = [3 4]; b0 = [1; 1], b1 = [1; -1]:
         * (0,0) 3, (0,1) -1, (1,0) 7, (1,1) -1. */
        static const float a[4] = {1, 2, 3, 4};
        static const float b[4] = {1, 1, 1, -1};
        static const float want[4] = {3, -1, 7, -1};
        mn_matmul_params_t p;
        memset(&p, 0, sizeof p);
        p.m = 1;
        p.k = 2;
        p.n = 1;
        p.batch_rank = 2;
        p.batch_dims[0] = p.batch_dims[1] = 2;
        p.a_strides[0] = 2;
        p.a_strides[1] = 0;
        p.b_strides[0] = 0;
        p.b_strides[1] = 2;
        mn_matmul_f32(&p, a, b, y);
        check("matmul 2-D batch broadcast", y, want, 4, TOL);
    }
    {
        /* batch_rank 0: [1 2 3] . [4 5 6] = 32. */
        static const float a[3] = {1, 2, 3};
        static const float b[3] = {4, 5, 6};
        static const float want[1] = {32};
        mn_matmul_params_t p;
        memset(&p, 0, sizeof p);
        p.m = 1;
        p.k = 3;
        p.n = 1;
        mn_matmul_f32(&p, a, b, y);
        check("matmul rank 0", y, want, 1, TOL);
    }
    {
        /* Attention-style ranks: a [1,2,1,2] x b [2,2,1] -> [1,2,1,1]; batch [1,2], b's
         * batch right-aligned (stride 0 on the leading 1). a0 = [1 2], a1 = [3 4];
         * b0 = [1; 1], b1 = [2; -1]: a0 b0 = 3, a1 b1 = 6 - 4 = 2. */
        static const float a[4] = {1, 2, 3, 4};
        static const float b[4] = {1, 1, 2, -1};
        static const float want[2] = {3, 2};
        mn_matmul_params_t p;
        memset(&p, 0, sizeof p);
        p.m = 1;
        p.k = 2;
        p.n = 1;
        p.batch_rank = 2;
        p.batch_dims[0] = 1;
        p.batch_dims[1] = 2;
        p.a_strides[0] = 4;
        p.a_strides[1] = 2;
        p.b_strides[0] = 0;
        p.b_strides[1] = 2;
        mn_matmul_f32(&p, a, b, y);
        check("matmul rank-4 x rank-3 batch broadcast", y, want, 2, TOL);
    }
}

/* ------------------------------------------------------------------ binary */
static void test_binary(void)
{
    float y[8];
    mn_binary_params_t p;
    {
        /* [2,3] + [3]: [1 2 3; 4 5 6] + [10 20 30] = [11 22 33; 14 25 36]; then in place. */
        float a[6] = {1, 2, 3, 4, 5, 6};
        static const float b[3] = {10, 20, 30};
        static const float want[6] = {11, 22, 33, 14, 25, 36};
        memset(&p, 0, sizeof p);
        p.kind = MN_ADD;
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 3;
        p.a_strides[0] = 3;
        p.a_strides[1] = 1;
        p.b_strides[0] = 0;
        p.b_strides[1] = 1;
        p.act = NO_ACT;
        mn_binary_f32(&p, a, b, y);
        check("binary add [2,3]+[3]", y, want, 6, TOL);
        mn_binary_f32(&p, a, b, a);
        check("binary add in place (y == a)", a, want, 6, TOL);
    }
    {
        /* Dense [1,3,5,7] Sub and Mul (the chunked path: six chunks of 16 and a tail of
         * 9), ReLU / Clip(-1, 1), in place over a and over b; the want computed here one
         * element at a time: a[i] = i / 8 - 6, b[i] = i % 7 - 3 (both clip ends hit). */
        static float a[105], b[105], want_sub[105], want_mul[105];
        mn_binary_params_t q; /* p keeps the state the cases below build on */
        float sub_bad = 0.0f, mul_bad = 0.0f;
        int i;
        for (i = 0; i < 105; ++i) {
            const float u = (float)i / 8.0f - 6.0f, v = (float)(i % 7) - 3.0f;
            a[i] = u;
            b[i] = v;
            want_sub[i] = u - v > 0.0f ? u - v : 0.0f;
            want_mul[i] = u * v < -1.0f ? -1.0f : (u * v > 1.0f ? 1.0f : u * v);
        }
        memset(&q, 0, sizeof q);
        q.kind = MN_SUB;
        q.rank = 4;
        q.dims[0] = 1, q.dims[1] = 3, q.dims[2] = 5, q.dims[3] = 7;
        q.a_strides[0] = q.b_strides[0] = 0; /* a size-1 dim: its stride is not walked */
        q.a_strides[1] = q.b_strides[1] = 35;
        q.a_strides[2] = q.b_strides[2] = 7;
        q.a_strides[3] = q.b_strides[3] = 1;
        q.act.kind = MN_ACT_RELU;
        mn_binary_f32(&q, a, b, a);
        for (i = 0; i < 105; ++i) {
            sub_bad += fabsf(a[i] - want_sub[i]);
            a[i] = (float)i / 8.0f - 6.0f;
        }
        check_true("binary dense sub + ReLU, in place (y == a)", sub_bad == 0.0f);
        q.kind = MN_MUL;
        q.act.kind = MN_ACT_CLIP;
        q.act.lo = -1.0f;
        q.act.hi = 1.0f;
        mn_binary_f32(&q, a, b, b);
        for (i = 0; i < 105; ++i) {
            mul_bad += fabsf(b[i] - want_mul[i]);
        }
        check_true("binary dense mul + Clip, in place (y == b)", mul_bad == 0.0f);
    }
    {
        /* Scalar 2 * [1..6] written over b (y == b): [2 4 6 8 10 12]. */
        float b[6] = {1, 2, 3, 4, 5, 6};
        static const float a[1] = {2};
        static const float want[6] = {2, 4, 6, 8, 10, 12};
        p.kind = MN_MUL;
        p.a_strides[0] = p.a_strides[1] = 0;
        p.b_strides[0] = 3;
        p.b_strides[1] = 1;
        mn_binary_f32(&p, a, b, b);
        check("binary mul scalar, in place (y == b)", b, want, 6, TOL);
    }
    {
        /* [2,1] / [1,3]: [6; 12] / [1 2 3] = [6 3 2; 12 6 4]. */
        static const float a[2] = {6, 12};
        static const float b[3] = {1, 2, 3};
        static const float want[6] = {6, 3, 2, 12, 6, 4};
        p.kind = MN_DIV;
        p.a_strides[0] = 1;
        p.a_strides[1] = 0;
        p.b_strides[0] = 0;
        p.b_strides[1] = 1;
        mn_binary_f32(&p, a, b, y);
        check("binary div [2,1]/[1,3]", y, want, 6, TOL);
    }
    {
        /* Rank 3 [2,2,2]: (0..7) - [100 200] on axis 0 -> -100..-97, -196..-193. */
        static const float a[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        static const float b[2] = {100, 200};
        static const float want[8] = {-100, -99, -98, -97, -196, -195, -194, -193};
        memset(&p, 0, sizeof p);
        p.kind = MN_SUB;
        p.rank = 3;
        p.dims[0] = p.dims[1] = p.dims[2] = 2;
        p.a_strides[0] = 4;
        p.a_strides[1] = 2;
        p.a_strides[2] = 1;
        p.b_strides[0] = 1;
        p.act = NO_ACT;
        mn_binary_f32(&p, a, b, y);
        check("binary sub rank 3 axis-0 broadcast", y, want, 8, TOL);
    }
    {
        /* Pow [4] ^ [1]: 2^3 = 8, 9^0.5 = 3, (-2)^2 = 4, 4^-1 = 0.25 elementwise; then
         * [4] ^ scalar 2: 4, 81, 4, 16; (-8)^(1/3) is NaN (non-integer exponent). */
        static const float a[4] = {2, 9, -2, 4};
        static const float b[4] = {3, 0.5f, 2, -1};
        static const float two[1] = {2}, third[1] = {1.0f / 3.0f}, neg[1] = {-8};
        static const float want[4] = {8, 3, 4, 0.25f};
        static const float want_sq[4] = {4, 81, 4, 16};
        memset(&p, 0, sizeof p);
        p.kind = MN_POW;
        p.rank = 1;
        p.dims[0] = 4;
        p.a_strides[0] = p.b_strides[0] = 1;
        p.act = NO_ACT;
        mn_binary_f32(&p, a, b, y);
        check("binary pow elementwise", y, want, 4, TOL);
        p.b_strides[0] = 0;
        mn_binary_f32(&p, a, two, y);
        check("binary pow scalar exponent", y, want_sq, 4, TOL);
        p.dims[0] = 1;
        mn_binary_f32(&p, neg, third, y);
        check_true("binary pow negative base, fractional exponent -> NaN", isnan(y[0]));
    }
    {
        /* Rank 0: 3 - 5 = -2; ReLU -> 0; LeakyRelu 0.5 -> -1. */
        static const float a[1] = {3};
        static const float b[1] = {5};
        static const float want_relu[1] = {0};
        static const float want_leaky[1] = {-1};
        memset(&p, 0, sizeof p);
        p.kind = MN_SUB;
        p.act.kind = MN_ACT_RELU;
        mn_binary_f32(&p, a, b, y);
        check("binary rank 0 relu", y, want_relu, 1, TOL);
        p.act.kind = MN_ACT_LEAKY_RELU;
        p.act.alpha = 0.5f;
        mn_binary_f32(&p, a, b, y);
        check("binary rank 0 leaky", y, want_leaky, 1, TOL);
    }
}

/* ------------------------------------------------------------------ unary */
static void test_unary(void)
{
    static const float x[5] = {-8, -1, 0, 0.5f, 4};
    /* Sigmoid: 1/(1+e^8), 1/(1+e), 1/2, 1/(1+e^-0.5), 1/(1+e^-4). */
    static const float w_sig[5] = {0.000335350130f, 0.268941421f, 0.5f, 0.622459331f,
                                   0.982013790f};
    static const float w_tanh[5] = {-0.999999775f, -0.761594156f, 0.0f, 0.462117157f,
                                    0.999329300f};
    static const float w_relu[5] = {0, 0, 0, 0.5f, 4};
    static const float w_leaky[5] = {-0.8f, -0.1f, 0, 0.5f, 4};     /* alpha 0.1 */
    static const float w_clip[5] = {-1, -1, 0, 0.5f, 2};            /* [-1, 2] */
    static const float w_hsig[5] = {0, 0.3f, 0.5f, 0.6f, 1};         /* 0.2x + 0.5 */
    /* HardSwish: x/6 + 0.5 = -0.83 -> 0, 1/3, 0.5, 7/12, 1.17 -> 1. */
    static const float w_hswish[5] = {0, -1.0f / 3.0f, 0, 0.5f * 7.0f / 12.0f, 4};
    static const float w_scale[5] = {16, 2, 0, -1, -8};              /* alpha -2 */
    float y[5];
    mn_unary_params_t p = {MN_RELU, 5, 0.0f, 0.0f};

    mn_unary_f32(&p, x, y);
    check("unary relu", y, w_relu, 5, TOL);
    p.kind = MN_LEAKY_RELU;
    p.alpha = 0.1f;
    mn_unary_f32(&p, x, y);
    check("unary leaky relu", y, w_leaky, 5, TOL);
    p.kind = MN_CLIP;
    p.alpha = -1.0f;
    p.beta = 2.0f;
    mn_unary_f32(&p, x, y);
    check("unary clip", y, w_clip, 5, TOL);
    p.kind = MN_SIGMOID;
    mn_unary_f32(&p, x, y);
    check("unary sigmoid", y, w_sig, 5, TOL);
    p.kind = MN_TANH;
    mn_unary_f32(&p, x, y);
    check("unary tanh", y, w_tanh, 5, TOL);
    p.kind = MN_HARD_SIGMOID;
    p.alpha = 0.2f;
    p.beta = 0.5f;
    mn_unary_f32(&p, x, y);
    check("unary hard sigmoid", y, w_hsig, 5, TOL);
    p.kind = MN_HARD_SWISH;
    mn_unary_f32(&p, x, y);
    check("unary hard swish", y, w_hswish, 5, TOL);
    p.kind = MN_SCALE;
    p.alpha = -2.0f;
    mn_unary_f32(&p, x, y);
    check("unary scale", y, w_scale, 5, TOL);
    {
        /* Sqrt: 0, 0.25 -> 0.5, 4 -> 2, 2 -> 1.4142136; -1 -> NaN. */
        static const float xs[5] = {0, 0.25f, 4, 2, -1};
        static const float w_sqrt[4] = {0, 0.5f, 2, 1.41421356f};
        p.kind = MN_SQRT;
        mn_unary_f32(&p, xs, y);
        check("unary sqrt", y, w_sqrt, 4, TOL);
        check_true("unary sqrt of a negative -> NaN", isnan(y[4]));
    }
    {
        float z[5];
        memcpy(z, x, sizeof z);
        p.kind = MN_RELU;
        mn_unary_f32(&p, z, z);
        check("unary relu in place", z, w_relu, 5, TOL);
    }
}

/* One unary kind over x[5] against want[5] (tolerance TOL, or exact when exact). */
static void check_unary(const char *name, int32_t kind, float alpha, float beta,
                        const float *x, const float *want, int exact)
{
    float y[5];
    mn_unary_params_t p;
    p.kind = kind;
    p.size = 5;
    p.alpha = alpha;
    p.beta = beta;
    mn_unary_f32(&p, x, y);
    if (exact) {
        check_exact(name, y, want, 5);
    } else {
        check(name, y, want, 5, TOL);
    }
}

/* Compare n floats: exactly where want is NaN or infinite, within TOL elsewhere. */
static void check_special(const char *name, const float *got, const float *want, int n)
{
    int i, bad = 0;
    for (i = 0; i < n; ++i) {
        bad += !matches(got[i], want[i], isfinite(want[i]) ? TOL : -1.0f);
    }
    if (bad) {
        printf("FAIL %s: %d of %d values differ (first: %.7g %.7g %.7g %.7g %.7g)\n", name,
               bad, n, (double)got[0], (double)got[1], (double)got[2], (double)got[3],
               (double)got[4]);
        ++g_failed;
    } else {
        ++g_passed;
    }
}

/* One unary kind over x[5] against want[5] (check_special). */
static void nan_unary(const char *name, int32_t kind, float alpha, float beta,
                      const float *x, const float *want)
{
    float y[5];
    mn_unary_params_t p;
    p.kind = kind;
    p.size = 5;
    p.alpha = alpha;
    p.beta = beta;
    mn_unary_f32(&p, x, y);
    check_special(name, y, want, 5);
}

/* NaN propagates through every activation, fused or not, as in onnxruntime. Input
 * {NaN, -1, 2, inf, -inf}; every expectation was printed by onnxruntime 1.32 (CPU) for
 * the ONNX operator on this input (opset 20; Clip with min 0, max 1; LeakyRelu alpha
 * 0.1; HardSigmoid, Elu, Selu with their default attributes; Max/Min against 0). */
static void test_activations_nan(void)
{
    static const float x[5] = {NAN, -1, 2, INFINITY, -INFINITY};
    static const float w_relu[5] = {NAN, 0, 2, INFINITY, 0};
    static const float w_leaky[5] = {NAN, -0.1f, 2, INFINITY, -INFINITY};
    static const float w_clip[5] = {NAN, 0, 1, 1, 0};
    static const float w_hsig[5] = {NAN, 0.3f, 0.9f, 1, 0};
    static const float w_hswish[5] = {NAN, -0.3333333f, 1.6666667f, INFINITY, NAN};
    static const float w_elu[5] = {NAN, -0.63212055f, 2, INFINITY, -1};
    static const float w_selu[5] = {NAN, -1.1113307f, 2.101402f, INFINITY, -1.7580993f};
    static const float w_sig[5] = {NAN, 0.26894143f, 0.8807971f, 1, 0};
    static const float w_softplus[5] = {NAN, 0.3132617f, 2.126928f, INFINITY, 0};
    static const float w_softsign[5] = {NAN, -0.5f, 0.6666667f, NAN, NAN};
    static const float w_max0[5] = {NAN, 0, 2, INFINITY, 0};
    static const float w_min0[5] = {NAN, -1, 0, 0, -INFINITY};
    static const float zero[1] = {0};
    const mn_act_t relu = {MN_ACT_RELU, 0.0f, 0.0f, 0.0f};
    const mn_act_t leaky = {MN_ACT_LEAKY_RELU, 0.1f, 0.0f, 0.0f};
    const mn_act_t clip = {MN_ACT_CLIP, 0.0f, 0.0f, 1.0f};
    const mn_act_t *acts[3];
    const float *acts_want[3];
    float y[5];
    int a, i;

    nan_unary("NaN: unary relu", MN_RELU, 0, 0, x, w_relu);
    nan_unary("NaN: unary leaky relu", MN_LEAKY_RELU, 0.1f, 0, x, w_leaky);
    nan_unary("NaN: unary clip", MN_CLIP, 0, 1, x, w_clip);
    nan_unary("NaN: unary hard sigmoid", MN_HARD_SIGMOID, 0.2f, 0.5f, x, w_hsig);
    nan_unary("NaN: unary hard swish", MN_HARD_SWISH, 0, 0, x, w_hswish);
    nan_unary("NaN: unary elu", MN_ELU, 1.0f, 0, x, w_elu);
    nan_unary("NaN: unary selu", MN_SELU, 1.67326319f, 1.05070102f, x, w_selu);
    nan_unary("NaN: unary sigmoid", MN_SIGMOID, 0, 0, x, w_sig);
    nan_unary("NaN: unary softplus", MN_SOFTPLUS, 0, 0, x, w_softplus);
    nan_unary("NaN: unary softsign", MN_SOFTSIGN, 0, 0, x, w_softsign);
    {
        mn_clip_params_t cp;
        const float lo = 0.0f, hi = 1.0f;
        cp.size = 5;
        mn_clip_f32(&cp, x, &lo, &hi, y);
        check_special("NaN: clip with run-time bounds", y, w_clip, 5);
    }
    {
        mn_binary_params_t bp;
        memset(&bp, 0, sizeof bp);
        bp.kind = MN_MAX;
        bp.rank = 1;
        bp.dims[0] = 5;
        bp.a_strides[0] = 1;
        bp.b_strides[0] = 0;
        bp.act = NO_ACT;
        mn_binary_f32(&bp, x, zero, y);
        check_special("NaN: max against 0", y, w_max0, 5);
        bp.kind = MN_MIN;
        mn_binary_f32(&bp, x, zero, y);
        check_special("NaN: min against 0", y, w_min0, 5);
        /* A fused activation on a binary op goes through mn_act_apply. */
        bp.kind = MN_ADD;
        bp.act = relu;
        mn_binary_f32(&bp, x, zero, y);
        check_special("NaN: add + fused relu", y, w_relu, 5);
    }
    /* mn_act_apply, the fused activation of every reference kernel, value by value. */
    acts[0] = &relu;
    acts[1] = &leaky;
    acts[2] = &clip;
    acts_want[0] = w_relu;
    acts_want[1] = w_leaky;
    acts_want[2] = w_clip;
    for (a = 0; a < 3; ++a) {
        for (i = 0; i < 5; ++i) {
            y[i] = mn_act_apply(acts[a], x[i]);
        }
        check_special("NaN: mn_act_apply", y, acts_want[a], 5);
        /* mn_act_store_f32, the fused activation of the fast conv and gemm kernels. */
        mn_act_store_f32(acts[a], x, y, 5);
        check_special("NaN: mn_act_store_f32", y, acts_want[a], 5);
    }
}

static void test_unary_math(void)
{
    /* x = -2.5, -0.5, 0, 0.5, 2.5; transcendental values from Python's math module. */
    static const float x[5] = {-2.5f, -0.5f, 0, 0.5f, 2.5f};
    static const float w_erf[5] = {-0.999593048f, -0.520499878f, 0, 0.520499878f,
                                   0.999593048f};
    static const float w_exp[5] = {0.0820849986f, 0.60653066f, 1, 1.64872127f, 12.182494f};
    static const float w_recip[5] = {-0.4f, -2, INFINITY, 2, 0.4f};
    static const float w_neg[5] = {2.5f, 0.5f, 0, -0.5f, -2.5f};
    static const float w_abs[5] = {2.5f, 0.5f, 0, 0.5f, 2.5f};
    static const float w_floor[5] = {-3, -1, 0, 0, 2};
    static const float w_ceil[5] = {-2, 0, 0, 1, 3};
    static const float w_round[5] = {-2, 0, 0, 0, 2}; /* half to even */
    static const float w_sign[5] = {-1, -1, 0, 1, 1};
    static const float w_softsign[5] = {-2.5f / 3.5f, -0.5f / 1.5f, 0, 0.5f / 1.5f,
                                        2.5f / 3.5f};
    /* log(1) = 0, log(e) = 1, log(0) = -inf, log(-1) = NaN, log(1/e) = -1. */
    static const float lx[5] = {1, 2.718281828f, 0, -1, 0.3678794412f};
    static const float w_log[5] = {0, 1, -INFINITY, NAN, -1};
    /* sin / cos at 0, pi/2, pi, -pi/2, pi/6. */
    static const float tx[5] = {0, 1.5707963268f, 3.1415926536f, -1.5707963268f,
                                0.5235987756f};
    static const float w_sin[5] = {0, 1, 0, -1, 0.5f};
    static const float w_cos[5] = {1, 0, -1, 0, 0.8660254038f};
    /* Not of bools stored as floats. */
    static const float bx[5] = {0, 1, 0, 1, 1};
    static const float w_not[5] = {1, 0, 1, 0, 0};
    static const float w_sign_nan_in[5] = {NAN, -0.0f, 3, -3, 0};
    static const float w_sign_nan[5] = {NAN, 0, 1, -1, 0};

    check_unary("unary erf", MN_ERF, 0, 0, x, w_erf, 0);
    check_unary("unary exp", MN_EXP, 0, 0, x, w_exp, 0);
    check_unary("unary reciprocal (1/0 = inf)", MN_RECIPROCAL, 0, 0, x, w_recip, 1);
    check_unary("unary neg", MN_NEG, 0, 0, x, w_neg, 1);
    check_unary("unary abs", MN_ABS, 0, 0, x, w_abs, 1);
    check_unary("unary floor", MN_FLOOR, 0, 0, x, w_floor, 1);
    check_unary("unary ceil", MN_CEIL, 0, 0, x, w_ceil, 1);
    check_unary("unary round half to even", MN_ROUND, 0, 0, x, w_round, 1);
    check_unary("unary sign", MN_SIGN, 0, 0, x, w_sign, 1);
    check_unary("unary sign NaN stays NaN", MN_SIGN, 0, 0, w_sign_nan_in, w_sign_nan, 1);
    check_unary("unary softsign", MN_SOFTSIGN, 0, 0, x, w_softsign, 0);
    {
        float y[5];
        mn_unary_params_t p = {MN_LOG, 5, 0.0f, 0.0f};
        mn_unary_f32(&p, lx, y);
        check("unary log", y, w_log, 2, TOL);
        check("unary log(1/e)", y + 4, w_log + 4, 1, TOL);
        check_exact("unary log(0) = -inf, log(-1) = NaN", y + 2, w_log + 2, 2);
    }
    check_unary("unary sin", MN_SIN, 0, 0, tx, w_sin, 0);
    check_unary("unary cos", MN_COS, 0, 0, tx, w_cos, 0);
    check_unary("unary not", MN_NOT, 0, 0, bx, w_not, 1);
}

static void test_unary_activations(void)
{
    /* Same x as test_unary_math; values from Python's math module. */
    static const float x[5] = {-2.5f, -0.5f, 0, 0.5f, 2.5f};
    static const float w_softplus[5] = {0.0788897343f, 0.474076984f, 0.693147181f,
                                        0.974076984f, 2.57888973f};
    static const float w_mish[5] = {-0.196816204f, -0.220743775f, 0, 0.375245211f,
                                    2.4713923f};
    static const float w_gelu[5] = {-0.0155241633f, -0.154268769f, 0, 0.345731231f,
                                    2.48447584f};
    static const float w_gelu_tanh[5] = {-0.0150842661f, -0.15428599f, 0, 0.34571401f,
                                         2.48491573f};
    static const float w_elu[5] = {-0.917915001f, -0.39346934f, 0, 0.5f, 2.5f};
    static const float w_selu[5] = {-1.61378576f, -0.691758188f, 0, 0.525350494f,
                                    2.62675247f};
    /* Softplus of a large x must not overflow: softplus(100) = 100. */
    static const float big[5] = {100, -100, 0, 0, 0};
    static const float w_big[5] = {100, 3.72007598e-44f, 0.693147181f, 0.693147181f,
                                   0.693147181f};
    static const float w_silu[5] = {-0.18964545f, -0.188770334f, 0, 0.311229666f,
                                    2.31035455f};
    static const float w_swish2[5] = {-0.0167321273f, -0.134470711f, 0, 0.365529289f,
                                      2.48326787f};
    static const float w_swish_big[5] = {100, -3.72007598e-42f, 0, 0, 0};

    check_unary("unary softplus", MN_SOFTPLUS, 0, 0, x, w_softplus, 0);
    check_unary("unary softplus large |x|", MN_SOFTPLUS, 0, 0, big, w_big, 0);
    check_unary("unary mish", MN_MISH, 0, 0, x, w_mish, 0);
    check_unary("unary gelu (erf)", MN_GELU, 0, 0, x, w_gelu, 0);
    check_unary("unary gelu (tanh)", MN_GELU_TANH, 0, 0, x, w_gelu_tanh, 0);
    check_unary("unary elu alpha 1", MN_ELU, 1.0f, 0, x, w_elu, 0);
    check_unary("unary selu", MN_SELU, 1.67326324f, 1.05070099f, x, w_selu, 0);
    check_unary("unary swish alpha 1 (silu)", MN_SWISH, 1.0f, 0, x, w_silu, 0);
    check_unary("unary swish alpha 2", MN_SWISH, 2.0f, 0, x, w_swish2, 0);
    check_unary("unary swish large |x|", MN_SWISH, 1.0f, 0, big, w_swish_big, 0);
}

/* The fused activations of mn_act_t, one value at a time (mn_act_apply, the reference
 * kernels') and as the fast kernels store them (mn_act_store_f32); values from Python's
 * math module. */
static void test_fused_activations(void)
{
    static const float x[5] = {-4.0f, -2.5f, 0, 2.5f, 4.0f};
    static const float w_hsig[5] = {0, 0.0833333333f, 0.5f, 0.916666667f, 1};
    static const float w_hswish[5] = {0, -0.208333333f, 0, 2.29166667f, 4};
    static const float w_swish[5] = {-0.0719448398f, -0.18964545f, 0, 2.31035455f,
                                     3.92805516f};
    static const struct {
        const char *name;
        mn_act_t act;
        const float *want;
    } cases[3] = {
        {"fused hard sigmoid (alpha 1/6, beta 0.5)",
         {MN_ACT_HARD_SIGMOID, 1.0f / 6.0f, 0.5f, 0.0f}, w_hsig},
        {"fused hard swish", {MN_ACT_HARD_SWISH, 0.0f, 0.0f, 0.0f}, w_hswish},
        {"fused swish alpha 1 (silu)", {MN_ACT_SWISH, 1.0f, 0.0f, 0.0f}, w_swish},
    };
    int c, i;
    for (c = 0; c < 3; ++c) {
        float one[5], stored[5];
        for (i = 0; i < 5; ++i) {
            one[i] = mn_act_apply(&cases[c].act, x[i]);
        }
        check(cases[c].name, one, cases[c].want, 5, TOL);
        mn_act_store_f32(&cases[c].act, x, stored, 5);
        check(cases[c].name, stored, cases[c].want, 5, TOL);
    }
}

/* One binary kind over a[4] (op) b[4], same shape, against want[4] exactly. */
static void check_binary4(const char *name, int32_t kind, const float *a, const float *b,
                          const float *want)
{
    float y[4];
    mn_binary_params_t p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.rank = 1;
    p.dims[0] = 4;
    p.a_strides[0] = p.b_strides[0] = 1;
    p.act = NO_ACT;
    mn_binary_f32(&p, a, b, y);
    check_exact(name, y, want, 4);
}

static void test_binary_math_logic(void)
{
    /* Mod with mixed signs: fmod takes a's sign, Python mod b's. */
    static const float ma[4] = {-7, 7, -7, 7.5f};
    static const float mb[4] = {3, -3, -3, 2};
    static const float w_fmod[4] = {-1, 1, -1, 1.5f};
    static const float w_mod[4] = {2, -2, -1, 1.5f};
    /* Min / Max with a NaN operand give NaN. */
    static const float xa[4] = {1, 5, NAN, -2};
    static const float xb[4] = {3, 2, 0, NAN};
    static const float w_min[4] = {1, 2, NAN, NAN};
    static const float w_max[4] = {3, 5, NAN, NAN};
    /* Comparisons of {1, 2, 3, NaN} with 2: NaN compares false. */
    static const float ca[4] = {1, 2, 3, NAN};
    static const float cb[4] = {2, 2, 2, 2};
    static const float w_eq[4] = {0, 1, 0, 0};
    static const float w_lt[4] = {1, 0, 0, 0};
    static const float w_le[4] = {1, 1, 0, 0};
    static const float w_gt[4] = {0, 0, 1, 0};
    static const float w_ge[4] = {0, 1, 1, 0};
    /* Logic over the truth table (a, b) = (0,0) (0,1) (1,0) (1,1). */
    static const float la[4] = {0, 0, 1, 1};
    static const float lb[4] = {0, 1, 0, 1};
    static const float w_and[4] = {0, 0, 0, 1};
    static const float w_or[4] = {0, 1, 1, 1};
    static const float w_xor[4] = {0, 1, 1, 0};

    check_binary4("binary fmod", MN_FMOD, ma, mb, w_fmod);
    check_binary4("binary mod (sign of b)", MN_MOD, ma, mb, w_mod);
    check_binary4("binary min NaN", MN_MIN, xa, xb, w_min);
    check_binary4("binary max NaN", MN_MAX, xa, xb, w_max);
    check_binary4("binary equal", MN_EQUAL, ca, cb, w_eq);
    check_binary4("binary less", MN_LESS, ca, cb, w_lt);
    check_binary4("binary less or equal", MN_LESS_EQUAL, ca, cb, w_le);
    check_binary4("binary greater", MN_GREATER, ca, cb, w_gt);
    check_binary4("binary greater or equal", MN_GREATER_EQUAL, ca, cb, w_ge);
    check_binary4("binary and", MN_AND, la, lb, w_and);
    check_binary4("binary or", MN_OR, la, lb, w_or);
    check_binary4("binary xor", MN_XOR, la, lb, w_xor);
}

/* ------------------------------------------------------------------ where */
static void test_where(void)
{
    mn_where_params_t p;
    float out[6];
    {
        /* c [2,1] = {1; 0}, x [3] = {1 2 3}, y scalar -1:
         * [1 2 3; -1 -1 -1]. */
        static const float c[2] = {1, 0};
        static const float x[3] = {1, 2, 3};
        static const float y[1] = {-1};
        static const float want[6] = {1, 2, 3, -1, -1, -1};
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 3;
        p.c_strides[0] = 1;
        p.x_strides[1] = 1;
        mn_where_f32(&p, c, x, y, out);
        check_exact("where [2,1] ? [3] : scalar", out, want, 6);
    }
    {
        /* c [3] = {0 1 0}, x scalar 9, y [2,3] = 1..6: [1 9 3; 4 9 6]. */
        static const float c[3] = {0, 1, 0};
        static const float x[1] = {9};
        static const float y[6] = {1, 2, 3, 4, 5, 6};
        static const float want[6] = {1, 9, 3, 4, 9, 6};
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 3;
        p.c_strides[1] = 1;
        p.y_strides[0] = 3;
        p.y_strides[1] = 1;
        mn_where_f32(&p, c, x, y, out);
        check_exact("where [3] ? scalar : [2,3]", out, want, 6);
    }
    {
        /* Rank 0: true ? 4 : 5 = 4. */
        static const float c[1] = {1}, x[1] = {4}, y[1] = {5}, want[1] = {4};
        memset(&p, 0, sizeof p);
        mn_where_f32(&p, c, x, y, out);
        check_exact("where rank 0", out, want, 1);
    }
}

/* ------------------------------------------------------------------ pool2d */
static void test_pool(void)
{
    float y[32];
    mn_pool_params_t p;
    {
        /* Max 2x2, stride 1, pad 1 each side on two channels: X33 and -X33. Pads are
         * ignored, so the negative channel gives -(min of the window's inputs). */
        static const float want[32] = {1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 7, 8, 9, 9,
                                       -1, -1, -2, -3, -1, -1, -2, -3,
                                       -4, -4, -5, -6, -7, -7, -8, -9};
        float x[18];
        int i;
        for (i = 0; i < 9; ++i) {
            x[i] = X33[i];
            x[9 + i] = -X33[i];
        }
        p.kind = MN_POOL_MAX;
        p.channels = 2;
        p.in_h = p.in_w = 3;
        p.out_h = p.out_w = 4;
        p.k_h = p.k_w = 2;
        p.stride_h = p.stride_w = 1;
        p.dil_h = p.dil_w = 1;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
        p.count_include_pad = 0;
        mn_pool2d_f32(&p, x, y);
        check("maxpool k2 s1 pad1 two channels", y, want, 32, TOL);
    }
    {
        /* Average, same windows. Window sums:
         *   row 0: 1, 3, 5, 3       row 1: 5, 12, 16, 9
         *   row 2: 11, 24, 28, 15   row 3: 7, 15, 17, 9
         * Inside-input counts: corners 1, edges 2, centre 4. count_include_pad: all 4. */
        static const float want_ex[16] = {1, 1.5f, 2.5f, 3, 2.5f, 3, 4, 4.5f,
                                          5.5f, 6, 7, 7.5f, 7, 7.5f, 8.5f, 9};
        static const float want_in[16] = {0.25f, 0.75f, 1.25f, 0.75f, 1.25f, 3, 4, 2.25f,
                                          2.75f, 6, 7, 3.75f, 1.75f, 3.75f, 4.25f, 2.25f};
        p.kind = MN_POOL_AVG;
        p.channels = 1;
        mn_pool2d_f32(&p, X33, y);
        check("avgpool pad1 exclude pad", y, want_ex, 16, TOL);
        p.count_include_pad = 1;
        mn_pool2d_f32(&p, X33, y);
        check("avgpool pad1 count_include_pad", y, want_in, 16, TOL);
    }
    {
        /* 1-D, x = [1 2 3 4], k 3, stride 2, pads 1/1, ceil_mode -> 3 outputs.
         * Windows: {-1,0,1}, {1,2,3}, {3,4,5}. Position 5 lies beyond pad_end.
         *   sums 3, 9, 4; inside-input counts 2, 3, 1; padded-extent counts 3, 3, 2.
         *   max: 2, 4, 4. */
        static const float x[4] = {1, 2, 3, 4};
        static const float want_ex[3] = {1.5f, 3, 4};
        static const float want_in[3] = {1, 3, 2};
        static const float want_max[3] = {2, 4, 4};
        p.kind = MN_POOL_AVG;
        p.channels = 1;
        p.in_h = 1;
        p.in_w = 4;
        p.out_h = 1;
        p.out_w = 3;
        p.k_h = 1;
        p.k_w = 3;
        p.stride_h = 1;
        p.stride_w = 2;
        p.pad_top = p.pad_bottom = 0;
        p.pad_left = p.pad_right = 1;
        p.count_include_pad = 0;
        mn_pool2d_f32(&p, x, y);
        check("avgpool ceil_mode exclude pad", y, want_ex, 3, TOL);
        p.count_include_pad = 1;
        mn_pool2d_f32(&p, x, y);
        check("avgpool ceil_mode window beyond pad_end", y, want_in, 3, TOL);
        p.kind = MN_POOL_MAX;
        mn_pool2d_f32(&p, x, y);
        check("maxpool ceil_mode", y, want_max, 3, TOL);
    }
    {
        /* 1-D max, x = [1 5 2 4 3], k 2, dilation 2, stride 1 -> max(x0,x2), max(x1,x3),
         * max(x2,x4) = 2, 5, 3. */
        static const float x[5] = {1, 5, 2, 4, 3};
        static const float want[3] = {2, 5, 3};
        p.in_w = 5;
        p.k_w = 2;
        p.stride_w = 1;
        p.dil_w = 2;
        p.pad_left = p.pad_right = 0;
        mn_pool2d_f32(&p, x, y);
        check("maxpool dilation 2", y, want, 3, TOL);
    }
}

/* Sets the nd spatial axes of an N-d window: sizes in/out/k, stride, dilation, pad. */
static void set_axes(int32_t nd, int32_t *dst, int32_t v)
{
    int32_t d;
    for (d = 0; d < nd; ++d) {
        dst[d] = v;
    }
}

/* A window of more than MN_ND_TAPS (512) taps takes the per-channel path: x and w of
 * ones, 2 channels in, 2 out (groups of 1), a 9x8x8 window (576 taps), pad 1 in front of
 * the last axis, stride 1 -> two outputs per channel along it: 9*8*7 = 504 and 576 taps
 * inside, so y = 504 + bias, 576 + bias per channel (group 2: one input channel each). */
static void test_conv_nd_large_window(void)
{
    static float x[2 * 9 * 8 * 8], w[2 * 9 * 8 * 8];
    static const float b[2] = {0.5f, -1.0f};
    static const float want[4] = {504.5f, 576.5f, 503.0f, 575.0f};
    float y[4];
    mn_conv_nd_params_t p;
    int32_t i;
    for (i = 0; i < 2 * 9 * 8 * 8; ++i) x[i] = w[i] = 1.0f;
    memset(&p, 0, sizeof p);
    p.n = 1;
    p.c_in = p.c_out = p.group = 2;
    p.nd = 3;
    p.act = NO_ACT;
    p.in[0] = p.k[0] = 9;
    p.in[1] = p.in[2] = p.k[1] = p.k[2] = 8;
    p.out[0] = p.out[1] = 1;
    p.out[2] = 2;
    set_axes(3, p.strides, 1);
    set_axes(3, p.dilations, 1);
    p.pads[2] = 1;
    p.pads[5] = 0;
    mn_conv_nd_f32(&p, x, w, b, y);
    check("conv3d window of 576 taps", y, want, 4, TOL);
}

static void test_conv_nd(void)
{
    static const float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float y[8];
    mn_conv_nd_params_t p;
    memset(&p, 0, sizeof p);
    p.n = p.c_in = p.c_out = p.group = 1;
    p.nd = 3;
    p.act = NO_ACT;
    {
        /* x 2x2x2 = 1..8, w 2x2x2 of ones, no padding: one output, the sum 36. */
        static const float w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        static const float want[1] = {36};
        set_axes(3, p.in, 2);
        set_axes(3, p.out, 1);
        set_axes(3, p.k, 2);
        set_axes(3, p.strides, 1);
        set_axes(3, p.dilations, 1);
        mn_conv_nd_f32(&p, x8, w, NULL, y);
        check("conv3d k2 sum", y, want, 1, TOL);
    }
    {
        /* Same w, pad 1 in front, stride 2 -> 2x2x2 outputs; window o covers positions
         * {2o-1, 2o} on each axis, of which only o lies inside: y = x + bias 0.5. */
        static const float w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        static const float b[1] = {0.5f};
        static const float want[8] = {1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 8.5f};
        set_axes(3, p.out, 2);
        set_axes(3, p.strides, 2);
        set_axes(3, p.pads, 1);
        mn_conv_nd_f32(&p, x8, w, b, y);
        check("conv3d pad1 stride2 bias", y, want, 8, TOL);
    }
    {
        /* x [1, 1, 1, 5] = 1..5 (3-D: 1x1x5), k 1x1x2, dilation 3, w = {1, 10}:
         * y0 = x0 + 10 x3 = 41, y1 = x1 + 10 x4 = 52. Relu keeps them. */
        static const float w[2] = {1, 10};
        static const float want[2] = {41, 52};
        static const mn_act_t relu = {MN_ACT_RELU, 0.0f, 0.0f, 0.0f};
        set_axes(3, p.in, 1);
        p.in[2] = 5;
        set_axes(3, p.out, 1);
        p.out[2] = 2;
        set_axes(3, p.k, 1);
        p.k[2] = 2;
        set_axes(3, p.strides, 1);
        set_axes(3, p.dilations, 1);
        p.dilations[2] = 3;
        set_axes(3, p.pads, 0);
        p.act = relu;
        mn_conv_nd_f32(&p, x8, w, NULL, y);
        check("conv3d dilation 3 relu", y, want, 2, TOL);
    }
    {
        /* Depthwise, group 2, 1x1x2 inputs, k 1x1x1: channel 0 x {1, 2} times 2,
         * channel 1 x {3, 4} times 3 -> {2, 4, 9, 12}. */
        static const float w[2] = {2, 3};
        static const float want[4] = {2, 4, 9, 12};
        p.c_in = p.c_out = p.group = 2;
        p.in[2] = p.out[2] = 2;
        p.k[2] = 1;
        p.dilations[2] = 1;
        p.act = NO_ACT;
        mn_conv_nd_f32(&p, x8, w, NULL, y);
        check("conv3d depthwise group 2", y, want, 4, TOL);
    }
}

static void test_pool_nd(void)
{
    static const float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float y[8];
    mn_pool_nd_params_t p;
    memset(&p, 0, sizeof p);
    p.channels = 1;
    p.nd = 3;
    set_axes(3, p.in, 2);
    set_axes(3, p.out, 1);
    set_axes(3, p.k, 2);
    set_axes(3, p.strides, 1);
    set_axes(3, p.dilations, 1);
    {
        /* One 2x2x2 window over 1..8: max 8, mean 36 / 8 = 4.5. */
        static const float want_max[1] = {8};
        static const float want_avg[1] = {4.5f};
        p.kind = MN_POOL_MAX;
        mn_pool_nd_f32(&p, x8, y);
        check("maxpool3d k2", y, want_max, 1, TOL);
        p.kind = MN_POOL_AVG;
        mn_pool_nd_f32(&p, x8, y);
        check("avgpool3d k2", y, want_avg, 1, TOL);
    }
    {
        /* k2, stride 2, pads 1 before and after: window o covers {2o-1, 2o} per axis, of
         * which only o is inside (1 of 8 taps) and all 8 lie in the padded extent
         * [-1, 3): the average is x excluding the pad, x / 8 including it. */
        static const float want_in[8] = {0.125f, 0.25f, 0.375f, 0.5f,
                                         0.625f, 0.75f, 0.875f, 1};
        set_axes(3, p.out, 2);
        set_axes(3, p.strides, 2);
        set_axes(3, p.pads_begin, 1);
        set_axes(3, p.pads_end, 1);
        mn_pool_nd_f32(&p, x8, y);
        check("avgpool3d pad1 exclude pad", y, x8, 8, TOL);
        p.count_include_pad = 1;
        mn_pool_nd_f32(&p, x8, y);
        check("avgpool3d pad1 count_include_pad", y, want_in, 8, TOL);
        p.kind = MN_POOL_MAX;
        mn_pool_nd_f32(&p, x8, y);
        check("maxpool3d pad1 stride2", y, x8, 8, TOL);
    }
}

/* Max pooling propagates NaN (numpy's maximum): x = [NaN, 1, 0, NaN], k 2, stride 1
 * gives [NaN, 1, NaN]. */
static void test_maxpool_nan(void)
{
    const float x[4] = {NAN, 1, 0, NAN};
    float y[3] = {0, 0, 0};
    mn_pool_params_t p = {MN_POOL_MAX, 1, 1, 4, 1, 3, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    mn_pool_nd_params_t q;
    int ok;
    mn_pool2d_f32(&p, x, y);
    ok = isnan(y[0]) && y[1] == 1 && isnan(y[2]);
    mn_pool2d_fast_f32(&p, x, y);
    ok = ok && isnan(y[0]) && y[1] == 1 && isnan(y[2]);
    memset(&q, 0, sizeof q);
    q.kind = MN_POOL_MAX;
    q.channels = q.nd = 1;
    q.in[0] = 4;
    q.out[0] = 3;
    q.k[0] = 2;
    q.strides[0] = q.dilations[0] = 1;
    mn_pool_nd_f32(&q, x, y);
    ok = ok && isnan(y[0]) && y[1] == 1 && isnan(y[2]);
    if (ok) {
        ++g_passed;
    } else {
        printf("FAIL maxpool NaN: got %g %g %g, expected nan 1 nan\n", (double)y[0],
               (double)y[1], (double)y[2]);
        ++g_failed;
    }
}

static void test_clip(void)
{
    /* x = [-2, 0.5, 3]: bounds [0, 1] -> [0, 0.5, 1]; only lo -> [0, 0.5, 3];
     * only hi -> [-2, 0.5, 1]; lo 2 > hi 1 -> hi everywhere. */
    static const float x[3] = {-2, 0.5f, 3};
    static const float lo = 0, hi = 1, lo2 = 2;
    static const float want_both[3] = {0, 0.5f, 1}, want_lo[3] = {0, 0.5f, 3};
    static const float want_hi[3] = {-2, 0.5f, 1}, want_cross[3] = {1, 1, 1};
    float y[3];
    mn_clip_params_t p = {3};
    mn_clip_f32(&p, x, &lo, &hi, y);
    check("clip both bounds", y, want_both, 3, TOL);
    mn_clip_f32(&p, x, &lo, NULL, y);
    check("clip min only", y, want_lo, 3, TOL);
    mn_clip_f32(&p, x, NULL, &hi, y);
    check("clip max only", y, want_hi, 3, TOL);
    mn_clip_f32(&p, x, &lo2, &hi, y);
    check("clip min > max gives max", y, want_cross, 3, TOL);
}

static void test_pad_modes(void)
{
    /* x = [1 2 3] padded 2 before and 3 after (rank 1):
     *   reflect: 3 2 | 1 2 3 | 2 1 2    edge: 1 1 | 1 2 3 | 3 3 3
     *   wrap:    2 3 | 1 2 3 | 1 2 3 */
    static const float x[3] = {1, 2, 3};
    static const float want_reflect[8] = {3, 2, 1, 2, 3, 2, 1, 2};
    static const float want_edge[8] = {1, 1, 1, 2, 3, 3, 3, 3};
    static const float want_wrap[8] = {2, 3, 1, 2, 3, 1, 2, 3};
    /* 2x2 [[1 2] [3 4]] padded 1 before on both axes, edge -> 3x3
     *   1 1 2 / 1 1 2 / 3 3 4 */
    static const float x22[4] = {1, 2, 3, 4};
    static const float want_2d[9] = {1, 1, 2, 1, 1, 2, 3, 3, 4};
    float y[9];
    mn_pad_params_t p;
    memset(&p, 0, sizeof p);
    p.rank = 1;
    p.x_dims[0] = 3;
    p.y_dims[0] = 8;
    p.pads[0] = 2;
    p.mode = MN_PAD_REFLECT;
    mn_pad_f32(&p, x, y);
    check("pad reflect", y, want_reflect, 8, TOL);
    p.mode = MN_PAD_EDGE;
    mn_pad_f32(&p, x, y);
    check("pad edge", y, want_edge, 8, TOL);
    p.mode = MN_PAD_WRAP;
    mn_pad_f32(&p, x, y);
    check("pad wrap", y, want_wrap, 8, TOL);
    p.mode = MN_PAD_EDGE;
    p.rank = 2;
    p.x_dims[0] = p.x_dims[1] = 2;
    p.y_dims[0] = p.y_dims[1] = 3;
    p.pads[0] = p.pads[1] = 1;
    mn_pad_f32(&p, x22, y);
    check("pad edge 2-D", y, want_2d, 9, TOL);
    {
        /* Constant mode, cropping: [1 2 3] with pads -1 before, +2 after, value 7 ->
         * 2 3 7 7. */
        static const float want_crop[4] = {2, 3, 7, 7};
        p.mode = MN_PAD_CONSTANT;
        p.rank = 1;
        p.x_dims[0] = 3;
        p.y_dims[0] = 4;
        p.pads[0] = -1;
        p.value = 7;
        mn_pad_f32(&p, x, y);
        check("pad constant cropping", y, want_crop, 4, TOL);
    }
}

static void test_global_pool(void)
{
    /* Channels [1 5 3] and [-2 -8 -4]: max 5, -2; mean 3, -14/3. */
    static const float x[6] = {1, 5, 3, -2, -8, -4};
    static const float want_max[2] = {5, -2};
    static const float want_avg[2] = {3, -14.0f / 3.0f};
    float y[2];
    mn_global_pool_params_t p = {MN_POOL_MAX, 2, 3};
    mn_global_pool_f32(&p, x, y);
    check("global max pool", y, want_max, 2, TOL);
    p.kind = MN_POOL_AVG;
    mn_global_pool_f32(&p, x, y);
    check("global average pool", y, want_avg, 2, TOL);
    {
        /* NaN propagates through max pooling: a 2x2 plane [1 NaN; 3 4], one window, in
         * the global, reference and fast (2x2 stride 2) kernels. */
        const float xn[4] = {1, NAN, 3, 4};
        mn_pool_params_t q;
        memset(&q, 0, sizeof q);
        p.kind = MN_POOL_MAX;
        p.channels = 1;
        p.size = 4;
        mn_global_pool_f32(&p, xn, y);
        check_true("global max pool propagates NaN", isnan(y[0]));
        q.kind = MN_POOL_MAX;
        q.channels = 1;
        q.in_h = q.in_w = q.k_h = q.k_w = q.stride_h = q.stride_w = 2;
        q.out_h = q.out_w = q.dil_h = q.dil_w = 1;
        mn_pool2d_f32(&q, xn, y);
        check_true("max pool propagates NaN", isnan(y[0]));
        mn_pool2d_fast_f32(&q, xn, y);
        check_true("fast max pool 2x2 propagates NaN", isnan(y[0]));
        q.k_w = q.stride_w = 1; /* columns [1 3] -> 3 and [NaN 4] -> NaN */
        q.out_w = 2;
        mn_pool2d_fast_f32(&q, xn, y);
        check_true("fast max pool propagates NaN", isnan(y[1]) && y[0] == 3.0f);
    }
}

/* ------------------------------------------------------------------ batchnorm */
static void test_batchnorm(void)
{
    /* n 2, channels 2, size 2. ch0: scale 4, sqrt(3.99 + 0.01) = 2 -> 2 (x - 1) + 1;
     * ch1: scale 0.5, sqrt(0.24 + 0.01) = 0.5 -> (x - 4) - 1.
     * x = [1 2 | 3 4 | 5 6 | 7 8] -> [1 3 | -2 -1 | 9 11 | 2 3]. */
    static const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const float scale[2] = {4, 0.5f}, bias[2] = {1, -1};
    static const float mean[2] = {1, 4}, var[2] = {3.99f, 0.24f};
    static const float want[8] = {1, 3, -2, -1, 9, 11, 2, 3};
    float y[8];
    mn_batchnorm_params_t p = {2, 2, 2, 0.01f};
    mn_batchnorm_f32(&p, x, scale, bias, mean, var, y);
    check("batchnorm", y, want, 8, TOL);
}

/* ------------------------------------------------------------------ norm */
static void test_norm(void)
{
    /* Layer norm, [2, 4] over the last axis, epsilon 0:
     *   [1 3 1 3]: mean 2, variance 1 -> [-1 1 -1 1];
     *   [0 0 8 8]: mean 4, variance 16 -> [-1 -1 1 1];
     * times scale [1 2 3 4] plus bias [0 0 0 10] (or no bias). */
    static const float x[8] = {1, 3, 1, 3, 0, 0, 8, 8};
    static const float scale4[4] = {1, 2, 3, 4}, bias4[4] = {0, 0, 0, 10};
    static const float want_ln[8] = {-1, 2, -3, 14, -1, -2, 3, 14};
    static const float want_ln_nobias[8] = {-1, 2, -3, 4, -1, -2, 3, 4};
    /* Group norm on the same data as [1, C 4, 2]: groups {ch0, ch1} and {ch2, ch3} are the
     * rows above. Per channel (opset 21): scale [1 2 3 4], bias [0 1 0 1] ->
     *   ch0 [-1 1], ch1 [-2+1 2+1], ch2 [-3 -3], ch3 [4+1 4+1].
     * Per group (opset 18): scale [2 3], bias [0 1] -> [-2 2 -2 2], [-2 -2 4 4]. */
    static const float bias_ch[4] = {0, 1, 0, 1};
    static const float scale_g[2] = {2, 3}, bias_g[2] = {0, 1};
    static const float want_gn_ch[8] = {-1, 1, -1, 3, -3, -3, 5, 5};
    static const float want_gn_g[8] = {-2, 2, -2, 2, -2, -2, 4, 4};
    /* Instance norm [1, C 2, 2], epsilon 3: ch0 [1 3]: variance 1 + 3 = 4 -> [-0.5 0.5],
     * times 2 plus 1 -> [0 2]; ch1 [10 10]: deviations 0 -> bias -1. */
    static const float xi[4] = {1, 3, 10, 10};
    static const float scale_i[2] = {2, 5}, bias_i[2] = {1, -1};
    static const float want_in[4] = {0, 2, -1, -1};
    /* Block statistics of the layer norm: means 2 and 4, 1 / std 1 and 1/4. */
    static const float want_mean[2] = {2, 4}, want_inv[2] = {1, 0.25f};
    float y[8], mean[2], inv[2];
    mn_norm_params_t p = {2, 1, 4, 1, 0.0f};

    mn_norm_f32(&p, x, scale4, bias4, y, mean, inv);
    check("norm layer [2,4]", y, want_ln, 8, TOL);
    check("norm layer mean", mean, want_mean, 2, TOL);
    check("norm layer 1 / std", inv, want_inv, 2, TOL);
    mn_norm_f32(&p, x, scale4, NULL, y, NULL, NULL);
    check("norm layer without bias", y, want_ln_nobias, 8, TOL);
    p.outer = 1;
    p.groups = 2;
    p.inner = 4;
    p.affine_div = 2;
    mn_norm_f32(&p, x, scale4, bias_ch, y, NULL, NULL);
    check("norm group, affine per channel", y, want_gn_ch, 8, TOL);
    p.affine_div = 4;
    mn_norm_f32(&p, x, scale_g, bias_g, y, NULL, NULL);
    check("norm group, affine per group", y, want_gn_g, 8, TOL);
    p.inner = 2;
    p.affine_div = 2;
    p.epsilon = 3.0f;
    mn_norm_f32(&p, xi, scale_i, bias_i, y, NULL, NULL);
    check("norm instance, epsilon", y, want_in, 4, TOL);
}

/* ------------------------------------------------------------------ softmax */
static void test_softmax(void)
{
    /* x: [outer 2, axis 3, inner 2], index o*6 + j*2 + i. Columns along the axis:
     *   (o0,i0) [1 2 3]: e^-2, e^-1, 1 over 1 + e^-1 + e^-2 = 1.5032147
     *                    -> 0.0900306, 0.2447285, 0.6652410; log: x - 3.4076060
     *   (o0,i1) [0 0 0]: 1/3 each; log -ln 3 = -1.0986123
     *   (o1,i0) [1000 1001 1002]: as [1 2 3] (needs the max subtracted)
     *   (o1,i1) [0, ln 3, ln 4]: 1/8, 3/8, 1/2; log -2.0794415, -0.9808293, -0.6931472 */
    static const float x[12] = {1, 0, 2, 0, 3, 0,
                                1000, 0, 1001, 1.0986123f, 1002, 1.3862944f};
    static const float want[12] = {0.0900306f, 1.0f / 3, 0.2447285f, 1.0f / 3,
                                   0.6652410f, 1.0f / 3, 0.0900306f, 0.125f,
                                   0.2447285f, 0.375f, 0.6652410f, 0.5f};
    static const float want_log[12] = {-2.4076060f, -1.0986123f, -1.4076060f, -1.0986123f,
                                       -0.4076060f, -1.0986123f, -2.4076060f, -2.0794415f,
                                       -1.4076060f, -0.9808293f, -0.4076060f, -0.6931472f};
    float y[12];
    mn_softmax_params_t p = {2, 3, 2, 0};
    mn_softmax_f32(&p, x, y);
    check("softmax middle axis", y, want, 12, TOL);
    p.log = 1;
    mn_softmax_f32(&p, x, y);
    /* Looser: 1002 - 1002.4076 loses ~6e-5 to float rounding near 1000. */
    check("log-softmax middle axis", y, want_log, 12, 1e-4f);
    {
        /* First axis (outer 1): x [axis 2, inner 2] = [0 1; ln 3, 1]: column 0 [0, ln 3]
         * -> 1/4, 3/4; column 1 [1, 1] -> 1/2, 1/2. */
        static const float x0[4] = {0, 1, 1.0986123f, 1};
        static const float want0[4] = {0.25f, 0.5f, 0.75f, 0.5f};
        mn_softmax_params_t q = {1, 2, 2, 0};
        mn_softmax_f32(&q, x0, y);
        check("softmax first axis", y, want0, 4, TOL);
    }
    {
        /* Last axis (inner 1): rows [0, ln 3] -> 1/4, 3/4 and [5, 5] -> 1/2, 1/2. */
        static const float x1[4] = {0, 1.0986123f, 5, 5};
        static const float want1[4] = {0.25f, 0.75f, 0.5f, 0.5f};
        mn_softmax_params_t q = {2, 2, 1, 0};
        mn_softmax_f32(&q, x1, y);
        check("softmax last axis", y, want1, 4, TOL);
    }
}

/* ------------------------------------------------------------------ reduce */
static void test_reduce(void)
{
    /* x: [2,3,2], index o*6 + j*2 + i:
     *   o0: j0 [3 -1], j1 [7 -5], j2 [2 -2];  o1: j0 [-9 0], j1 [-3 -4], j2 [-6 -8] */
    static const float x[12] = {3, -1, 7, -5, 2, -2, -9, 0, -3, -4, -6, -8};
    float y[4];
    mn_reduce_params_t p;
    memset(&p, 0, sizeof p);
    p.rank = 3;
    p.dims[0] = 2;
    p.dims[1] = 3;
    p.dims[2] = 2;
    {
        /* Mean over axes 0 and 2 -> [3]: (3-1-9+0)/4 = -1.75, (7-5-3-4)/4 = -1.25,
         * (2-2-6-8)/4 = -3.5. */
        static const float want[3] = {-1.75f, -1.25f, -3.5f};
        p.kind = MN_REDUCE_MEAN;
        p.y_strides[0] = 0;
        p.y_strides[1] = 1;
        p.y_strides[2] = 0;
        p.y_size = 3;
        p.count = 4;
        mn_reduce_f32(&p, x, y);
        check("reduce mean axes {0,2}", y, want, 3, TOL);
    }
    {
        /* Max over axis 1 -> [2,2]: max(3,7,2) = 7, max(-1,-5,-2) = -1,
         * max(-9,-3,-6) = -3, max(0,-4,-8) = 0. */
        static const float want[4] = {7, -1, -3, 0};
        p.kind = MN_REDUCE_MAX;
        p.y_strides[0] = 2;
        p.y_strides[1] = 0;
        p.y_strides[2] = 1;
        p.y_size = 4;
        p.count = 3;
        mn_reduce_f32(&p, x, y);
        check("reduce max axis 1", y, want, 4, TOL);
    }
    {
        /* All axes: sum -26 -> mean -26/12; max 7. */
        static const float want_mean[1] = {-26.0f / 12.0f};
        static const float want_max[1] = {7};
        p.kind = MN_REDUCE_MEAN;
        p.y_strides[0] = p.y_strides[1] = p.y_strides[2] = 0;
        p.y_size = 1;
        p.count = 12;
        mn_reduce_f32(&p, x, y);
        check("reduce mean all axes", y, want_mean, 1, TOL);
        p.kind = MN_REDUCE_MAX;
        mn_reduce_f32(&p, x, y);
        check("reduce max all axes", y, want_max, 1, TOL);
    }
    {
        /* Axis 1 again: columns [3 7 2], [-1 -5 -2], [-9 -3 -6], [0 -4 -8]. */
        static const float w_sum[4] = {12, -8, -18, -12};
        static const float w_min[4] = {2, -5, -9, -8};
        static const float w_prod[4] = {42, -10, -162, 0};
        static const float w_sq[4] = {62, 30, 126, 80};    /* 9+49+4, 1+25+4, ... */
        static const float w_l1[4] = {12, 8, 18, 12};
        /* sqrt(62), sqrt(30), sqrt(126), sqrt(80) */
        static const float w_l2[4] = {7.87400787f, 5.47722558f, 11.22497216f, 8.94427191f};
        static const struct {
            int32_t kind;
            const char *name;
            const float *want;
        } cases[] = {{MN_REDUCE_SUM, "reduce sum axis 1", w_sum},
                     {MN_REDUCE_MIN, "reduce min axis 1", w_min},
                     {MN_REDUCE_PROD, "reduce prod axis 1", w_prod},
                     {MN_REDUCE_SUM_SQUARE, "reduce sum square axis 1", w_sq},
                     {MN_REDUCE_L1, "reduce L1 axis 1", w_l1},
                     {MN_REDUCE_L2, "reduce L2 axis 1", w_l2}};
        int c;
        p.y_strides[0] = 2;
        p.y_strides[1] = 0;
        p.y_strides[2] = 1;
        p.y_size = 4;
        p.count = 3;
        for (c = 0; c < COUNT(cases); ++c) {
            p.kind = cases[c].kind;
            mn_reduce_f32(&p, x, y);
            check(cases[c].name, y, cases[c].want, 4, TOL);
        }
    }
    {
        /* [2,3] over axis 1: rows [1 2 3] and [1000 1001 1002].
         * LogSum: ln 6 = 1.7917595, ln 3003 = 8.0073928.
         * LogSumExp: 3 + ln(1 + e^-1 + e^-2) = 3.4076060, and 1002.4076060 (no overflow). */
        static const float xl[6] = {1, 2, 3, 1000, 1001, 1002};
        static const float w_ls[2] = {1.79175947f, 8.00736707f};
        static const float w_lse[2] = {3.40760596f, 1002.40760596f};
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 3;
        p.y_strides[0] = 1;
        p.y_size = 2;
        p.count = 3;
        p.kind = MN_REDUCE_LOG_SUM;
        mn_reduce_f32(&p, xl, y);
        check("reduce log sum", y, w_ls, 2, TOL);
        p.kind = MN_REDUCE_LOG_SUM_EXP;
        mn_reduce_f32(&p, xl, y);
        check("reduce log sum exp", y, w_lse, 2, TOL);
    }
    {
        /* NaN propagates through max and min: [1 NaN 3] -> NaN. */
        const float xn[3] = {1, NAN, 3};
        memset(&p, 0, sizeof p);
        p.rank = 1;
        p.dims[0] = 3;
        p.y_size = 1;
        p.count = 3;
        p.kind = MN_REDUCE_MAX;
        mn_reduce_f32(&p, xn, y);
        check_true("reduce max propagates NaN", isnan(y[0]));
        p.kind = MN_REDUCE_MIN;
        mn_reduce_f32(&p, xn, y);
        check_true("reduce min propagates NaN", isnan(y[0]));
    }
    {
        /* Empty input (dims {0}): the identities 0, 1, -inf, +inf; log-sum -inf. */
        memset(&p, 0, sizeof p);
        p.rank = 1;
        p.y_size = 1;
        p.kind = MN_REDUCE_SUM;
        mn_reduce_f32(&p, x, y);
        check_true("reduce sum of nothing is 0", y[0] == 0.0f);
        p.kind = MN_REDUCE_PROD;
        mn_reduce_f32(&p, x, y);
        check_true("reduce prod of nothing is 1", y[0] == 1.0f);
        p.kind = MN_REDUCE_MAX;
        mn_reduce_f32(&p, x, y);
        check_true("reduce max of nothing is -inf", y[0] == -INFINITY);
        p.kind = MN_REDUCE_MIN;
        mn_reduce_f32(&p, x, y);
        check_true("reduce min of nothing is +inf", y[0] == INFINITY);
        p.kind = MN_REDUCE_LOG_SUM;
        mn_reduce_f32(&p, x, y);
        check_true("reduce log sum of nothing is -inf", y[0] == -INFINITY);
    }
}

/* ------------------------------------------------------------------ copy / fill / gather */
static void test_copy(void)
{
    static const float x6[6] = {1, 2, 3, 4, 5, 6}; /* [2,3] */
    float y[8];
    mn_copy_params_t p;
    {
        /* Transpose [2,3] -> [3,2]: output (i,j) reads x[j][i]: 1 4 2 5 3 6. */
        static const float want[6] = {1, 4, 2, 5, 3, 6};
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 3;
        p.dims[1] = 2;
        p.x_strides[0] = 1;
        p.x_strides[1] = 3;
        p.y_strides[0] = 2;
        p.y_strides[1] = 1;
        mn_copy_f32(&p, x6, y);
        check("copy transpose", y, want, 6, TOL);
    }
    {
        /* Transpose perm [0,2,1,3] of x = 0..11 as [1,2,3,2] (strides 12 6 2 1) to
         * [1,3,2,2]: y[0][i][j][l] = x[0][j][i][l] = x[6j + 2i + l], so x strides
         * [12, 2, 6, 1]: i=0: 0 1 6 7, i=1: 2 3 8 9, i=2: 4 5 10 11. */
        static const float x12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        static const float want[12] = {0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11};
        float y12[12];
        memset(&p, 0, sizeof p);
        p.rank = 4;
        p.dims[0] = 1;
        p.dims[1] = 3;
        p.dims[2] = 2;
        p.dims[3] = 2;
        p.x_strides[0] = 12;
        p.x_strides[1] = 2;
        p.x_strides[2] = 6;
        p.x_strides[3] = 1;
        p.y_strides[0] = 12;
        p.y_strides[1] = 4;
        p.y_strides[2] = 2;
        p.y_strides[3] = 1;
        mn_copy_f32(&p, x12, y12);
        check("copy transpose 4-D [0,2,1,3]", y12, want, 12, TOL);
    }
    {
        /* Slice x = 0..9 with start 8, step -3: 8, 5, 2. */
        static const float x10[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        static const float want[3] = {8, 5, 2};
        memset(&p, 0, sizeof p);
        p.rank = 1;
        p.dims[0] = 3;
        p.x_offset = 8;
        p.x_strides[0] = -3;
        p.y_strides[0] = 1;
        mn_copy_f32(&p, x10, y);
        check("copy negative-step slice", y, want, 3, TOL);
    }
    {
        /* Reverse both axes of [2,3]: start at x[5], strides -3, -1: 6 5 4 3 2 1. */
        static const float want[6] = {6, 5, 4, 3, 2, 1};
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 3;
        p.x_offset = 5;
        p.x_strides[0] = -3;
        p.x_strides[1] = -1;
        p.y_strides[0] = 3;
        p.y_strides[1] = 1;
        mn_copy_f32(&p, x6, y);
        check("copy reverse 2-D", y, want, 6, TOL);
    }
    {
        /* Expand [3] -> [2,3] (stride 0 rows) and [2,1] -> [2,3] (stride 0 columns). */
        static const float want_row[6] = {1, 2, 3, 1, 2, 3};
        static const float col[2] = {7, 8};
        static const float want_col[6] = {7, 7, 7, 8, 8, 8};
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 3;
        p.x_strides[0] = 0;
        p.x_strides[1] = 1;
        p.y_strides[0] = 3;
        p.y_strides[1] = 1;
        mn_copy_f32(&p, x6, y);
        check("copy broadcast rows", y, want_row, 6, TOL);
        p.x_strides[0] = 1;
        p.x_strides[1] = 0;
        mn_copy_f32(&p, col, y);
        check("copy broadcast columns", y, want_col, 6, TOL);
    }
    {
        /* Concat: [2,2] = [1 2; 3 4] into columns 2..3 of a zeroed [2,4]. */
        static const float want[8] = {0, 0, 1, 2, 0, 0, 3, 4};
        mn_fill_f32(y, 8, 0.0f);
        memset(&p, 0, sizeof p);
        p.rank = 2;
        p.dims[0] = 2;
        p.dims[1] = 2;
        p.x_strides[0] = 2;
        p.x_strides[1] = 1;
        p.y_offset = 2;
        p.y_strides[0] = 4;
        p.y_strides[1] = 1;
        mn_copy_f32(&p, x6, y);
        check("copy concat via y_offset", y, want, 8, TOL);
    }
    {
        /* Rank 0: y[1] = x[3] = 4; the rest untouched (-1). */
        static const float want[3] = {-1, 4, -1};
        mn_fill_f32(y, 3, -1.0f);
        memset(&p, 0, sizeof p);
        p.x_offset = 3;
        p.y_offset = 1;
        mn_copy_f32(&p, x6, y);
        check("copy rank 0", y, want, 3, TOL);
    }
}

static void test_fill(void)
{
    /* Fill 5 of 6 elements with 2.5; the sixth keeps its sentinel 9. */
    static const float want[6] = {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 9};
    float y[6] = {0, 0, 0, 0, 0, 9};
    mn_fill_f32(y, 5, 2.5f);
    check("fill", y, want, 6, TOL);
}

static void test_gather(void)
{
    /* x = 0..11 as [outer 2, axis 3, inner 2]; indices [2, 0, -1] (-1 is 2):
     * o0 rows 2,0,2 -> 4 5 0 1 4 5; o1 -> 10 11 6 7 10 11. */
    static const float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    static const int32_t idx[3] = {2, 0, -1};
    static const float want[12] = {4, 5, 0, 1, 4, 5, 10, 11, 6, 7, 10, 11};
    float y[12];
    mn_gather_params_t p = {2, 3, 2, 3};
    mn_gather_f32(&p, x, idx, y);
    check("gather axis 1 (negative index)", y, want, 12, TOL);
    {
        /* outer 1, inner 1 (Gather on a vector): x[11], x[0]. */
        static const int32_t idx2[2] = {11, 0};
        static const float want2[2] = {11, 0};
        mn_gather_params_t q = {1, 12, 1, 2};
        mn_gather_f32(&q, x, idx2, y);
        check("gather 1-D", y, want2, 2, TOL);
    }
    {
        /* A scalar index on the first axis (how torch picks q/k/v): x = 0..11 as
         * [3,2,2], index 1 -> x[1] = 4 5 6 7 (outer 1, inner 4). */
        static const int32_t one[1] = {1};
        static const float want3[4] = {4, 5, 6, 7};
        mn_gather_params_t q = {1, 3, 4, 1};
        mn_gather_f32(&q, x, one, y);
        check("gather scalar index, first axis", y, want3, 4, TOL);
    }
    {
        /* A scalar index -1 on the last axis of x = 0..11 as [4,3]: 2 5 8 11. */
        static const int32_t last[1] = {-1};
        static const float want4[4] = {2, 5, 8, 11};
        mn_gather_params_t q = {4, 3, 1, 1};
        mn_gather_f32(&q, x, last, y);
        check("gather scalar index, last axis", y, want4, 4, TOL);
    }
}

/* Recurrent layers: input 1, hidden 1, seq 2, batch 1 (sig = logistic sigmoid). */
static void test_rnn(void)
{
    /* Bidirectional. Direction 0: W 0.5, R -1, Wb 0.1, Rb 0.2; direction 1: W 1, R 0, no
     * bias; x = (1, 2).
     *   d0 t0: tanh(0.5 * 1 + 0.3) = tanh(0.8) = 0.66403677
     *   d0 t1: tanh(0.5 * 2 - 0.66403677 + 0.3) = tanh(0.63596323) = 0.56214470
     *   d1 runs backwards: t1: tanh(2) = 0.96402758, t0: tanh(1 + 0) = 0.76159416
     * y [seq][dirs][batch][hidden]; y_h [dirs]: d0 after t1, d1 after t0. */
    const mn_rnn_params_t p = {2, 1, 1, 1, 2, 0, 0, 0};
    const float x[] = {1, 2}, w[] = {0.5f, 1}, r[] = {-1, 0}, b[] = {0.1f, 0.2f, 0, 0};
    const float y_want[] = {0.66403677f, 0.76159416f, 0.56214470f, 0.96402758f};
    const float yh_want[] = {0.56214470f, 0.76159416f};
    float y[4], y_h[2], scratch[MN_RNN_SCRATCH_FLOATS(1, 1)];
    /* batch_first, one direction run in reverse, initial state 0.5, no Y:
     *   t1: tanh(0.5 * 2 - 0.5 + 0.3) = tanh(0.8); t0: tanh(0.5 - 0.66403677 + 0.3)
     *   = tanh(0.13596323) = 0.13513157 */
    const mn_rnn_params_t rev = {2, 1, 1, 1, 1, 1, 1, 0};
    const float h0 = 0.5f, rev_want = 0.13513157f;
    float rev_h;

    mn_rnn_f32(&p, x, w, r, b, NULL, y, y_h, scratch);
    check("rnn bidirectional y", y, y_want, 4, TOL);
    check("rnn bidirectional y_h", y_h, yh_want, 2, TOL);
    mn_rnn_f32(&rev, x, w, r, b, &h0, NULL, &rev_h, scratch);
    check("rnn reverse y_h", &rev_h, &rev_want, 1, TOL);
}

static void test_gru(void)
{
    /* W (z, r, h) = (1, 1, 1), R = (0.5, -0.5, 2), Wb = 0, Rb = (0, 0, 0.5); x = (1, -1).
     * t0 (h = 0): z = r = sig(1) = 0.73105858;
     *   linear_before_reset 0: n = tanh(1 + 2 * (r * 0) + 0.5) = tanh(1.5) = 0.90514825,
     *     h = (1 - z) * n = 0.24343186;
     *   linear_before_reset 1: n = tanh(1 + r * (2 * 0 + 0.5)) = tanh(1.36552929)
     *     = 0.87766931, h = 0.23604163.
     * t1 (x = -1), lbr 0: z = sig(-1 + 0.5 h) = 0.29353349, r = sig(-1 - 0.5 h) = 0.24569314,
     *   n = tanh(-1 + 2 r h + 0.5) = -0.36303824, h = (1 - z) n + z h = -0.18501895;
     * lbr 1: z = sig(-1 + 0.5 h) = 0.29276781, r = sig(-1 - 0.5 h) = 0.24637859,
     *   n = tanh(-1 + r (2 h + 0.5)) = -0.64137108, h = -0.38449288. */
    mn_rnn_params_t p = {2, 1, 1, 1, 1, 0, 0, 0};
    const float x[] = {1, -1}, w[] = {1, 1, 1}, r[] = {0.5f, -0.5f, 2};
    const float b[] = {0, 0, 0, 0, 0, 0.5f};
    const float want0[] = {0.24343186f, -0.18501895f}, want1[] = {0.23604163f, -0.38449288f};
    float y[2], y_h, scratch[MN_RNN_SCRATCH_FLOATS(3, 1)];

    mn_gru_f32(&p, x, w, r, b, NULL, y, &y_h, scratch);
    check("gru y", y, want0, 2, TOL);
    check("gru y_h", &y_h, &want0[1], 1, TOL);
    p.linear_before_reset = 1;
    mn_gru_f32(&p, x, w, r, b, NULL, y, NULL, scratch);
    check("gru linear_before_reset y", y, want1, 2, TOL);
}

static void test_lstm(void)
{
    /* W (i, o, f, c) = (0.5, 1, -1, 2), R = 0.5 for every gate, no bias, peepholes
     * (P_i, P_o, P_f) = (0.1, 0.2, 0.3), h0 = 0, c0 = 1; x = (1, 0.5).
     * t0: i = sig(0.5 + 0.1 * 1) = 0.64565631, f = sig(-1 + 0.3) = 0.33181223,
     *     c = f * 1 + i * tanh(2) = 0.95424271, o = sig(1 + 0.2 c) = 0.76689279,
     *     h = o * tanh(c) = 0.56880269;
     * t1: i = sig(0.25 + 0.5 h + 0.1 c) = 0.65244992, f = sig(-0.5 + 0.5 h + 0.3 c)
     *     = 0.51766119, c = f c + i tanh(1 + 0.5 h) = 1.05355016,
     *     o = sig(0.5 + 0.5 h + 0.2 c) = 0.73009633, h = o tanh(c) = 0.57179886.
     * Without peepholes and initial state, t0: i = sig(0.5), f = sig(-1), c = i tanh(2)
     *     = 0.62245933 * 0.96402758 = 0.60006796, h = sig(1) tanh(c) = 0.39265005. */
    const mn_rnn_params_t p = {2, 1, 1, 1, 1, 0, 0, 0};
    const mn_rnn_params_t one = {1, 1, 1, 1, 1, 0, 0, 0};
    const float x[] = {1, 0.5f}, w[] = {0.5f, 1, -1, 2}, r[] = {0.5f, 0.5f, 0.5f, 0.5f};
    const float peep[] = {0.1f, 0.2f, 0.3f}, h0 = 0, c0 = 1;
    const float y_want[] = {0.56880269f, 0.57179886f}, c_want = 1.05355016f;
    const float plain_want[] = {0.39265005f, 0.60006796f};
    float y[2], y_h, y_c, plain[2], scratch[MN_RNN_SCRATCH_FLOATS(4, 1)];

    mn_lstm_f32(&p, x, w, r, NULL, &h0, &c0, peep, y, &y_h, &y_c, scratch);
    check("lstm peepholes y", y, y_want, 2, TOL);
    check("lstm peepholes y_h", &y_h, &y_want[1], 1, TOL);
    check("lstm peepholes y_c", &y_c, &c_want, 1, TOL);
    mn_lstm_f32(&one, x, w, r, NULL, NULL, NULL, NULL, NULL, &plain[0], &plain[1], scratch);
    check("lstm defaults y_h, y_c", plain, plain_want, 2, TOL);
}

int main(void)
{
    test_conv();
    test_gemm();
    test_matmul();
    test_binary();
    test_unary();
    test_unary_math();
    test_unary_activations();
    test_activations_nan();
    test_fused_activations();
    test_binary_math_logic();
    test_where();
    test_pool();
    test_conv_nd();
    test_conv_nd_large_window();
    test_pool_nd();
    test_maxpool_nan();
    test_clip();
    test_pad_modes();
    test_global_pool();
    test_batchnorm();
    test_norm();
    test_softmax();
    test_reduce();
    test_copy();
    test_fill();
    test_gather();
    test_rnn();
    test_gru();
    test_lstm();
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
