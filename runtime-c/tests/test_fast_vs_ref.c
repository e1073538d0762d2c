/* Fast kernels against their reference oracles on randomised shapes (seeded LCG, so
 * every run tests the same cases): strides, asymmetric pads, dilations, groups,
 * depthwise, 1x1, 1-D, odd sizes, batches and fused activations. Outputs must agree
 * within 1e-5 * (1 + |reference|). Exit status is non-zero on any failure. */
#include "mn_kernels.h"

#include <math.h>
#include <stdio.h>

#define CASES 600
#define DW_CASES 200
#define NARROW_CASES 150
#define ROWS2_CASES 120
#define MAX_X 20000
#define MAX_W 20000
#define MAX_Y 40000
#define MAX_S 40000
#define TOL 1e-5f

static uint32_t g_seed = 12345u;
static int g_dw_cases;

static uint32_t lcg(void)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}

/* Uniform integer in [lo, hi]. */
static int32_t rnd(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(lcg() % (uint32_t)(hi - lo + 1));
}

static float rndf(void)
{
    return (float)(lcg() % 20001u) / 10000.0f - 1.0f;
}

static float g_x[MAX_X], g_w[MAX_W], g_b[1024], g_y_ref[MAX_Y], g_y_fast[MAX_Y];
static float g_scratch[MAX_S + 1];
static float g_packed[4 * MAX_W];

static int check_conv(int id, const mn_conv_params_t *pp);

/* An activation of the given kind with parameters where it is not trivial on [-3, 3]. */
static void set_act(mn_act_t *a, int32_t kind)
{
    a->kind = kind;
    a->alpha = kind == MN_ACT_LEAKY_RELU ? 0.1f : (kind == MN_ACT_SWISH ? 1.5f : 0.2f);
    a->lo = kind == MN_ACT_HARD_SIGMOID ? 0.5f : -0.5f; /* HardSigmoid: beta */
    a->hi = 0.75f;
}

static int conv_case(int id)
{
    mn_conv_params_t p;
    int32_t pad_b, pad_r, group, kind;
    const int one_d = id % 5 == 0, depthwise = id % 4 == 1, pointwise = id % 7 == 3;
    const int no_pad = id % 6 == 2;
    p.n = rnd(1, 2);
    group = depthwise ? rnd(1, 12) : (id % 3 == 0 ? rnd(1, 3) : 1);
    p.c_in = depthwise ? group : group * rnd(1, 6);
    p.c_out = depthwise ? group : group * rnd(1, 9);
    p.group = group;
    p.k_h = one_d || pointwise ? 1 : rnd(1, 5);
    p.k_w = pointwise ? 1 : rnd(1, 5);
    p.stride_h = one_d ? 1 : rnd(1, 3);
    p.stride_w = rnd(1, 3);
    p.dil_h = one_d ? 1 : rnd(1, 2);
    p.dil_w = rnd(1, 2);
    if (pointwise) {
        p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1;
    }
    p.pad_top = one_d || pointwise || no_pad ? 0 : rnd(0, 2);
    p.pad_left = pointwise || no_pad ? 0 : rnd(0, 2);
    pad_b = one_d || pointwise || no_pad ? 0 : rnd(0, 2);
    pad_r = pointwise || no_pad ? 0 : rnd(0, 2);
    p.in_h = one_d ? 1 : rnd(1, 19);
    p.in_w = rnd(1, one_d ? 70 : 23);
    /* Inputs must cover one dilated kernel. */
    if (p.in_h + p.pad_top + pad_b < (p.k_h - 1) * p.dil_h + 1) {
        p.in_h = (p.k_h - 1) * p.dil_h + 1;
    }
    if (p.in_w + p.pad_left + pad_r < (p.k_w - 1) * p.dil_w + 1) {
        p.in_w = (p.k_w - 1) * p.dil_w + 1;
    }
    p.out_h = (p.in_h + p.pad_top + pad_b - ((p.k_h - 1) * p.dil_h + 1)) / p.stride_h + 1;
    p.out_w = (p.in_w + p.pad_left + pad_r - ((p.k_w - 1) * p.dil_w + 1)) / p.stride_w + 1;
    kind = rnd(0, MN_ACT_KINDS - 1);
    set_act(&p.act, kind);
    return check_conv(id, &p);
}

/* The depthwise shapes of MobileNets and DS-CNN: 3x3 and 5x5, stride 1 and 2, dilation 1
 * and (every sixth case) 2, "same" padding, channel counts around the kernel's 8-channel
 * blocks, rows narrow and wide (every tile width and its tails), planes under and over
 * the flat path's 32 positions (stride 1, out_w == in_w, on vector units), every fused
 * activation. Every fifth case is a tall
 * plane with few channels and padding on one side only (top/left or bottom/right), so
 * that the scalar path's ring of rows wraps around (its ring holds what the scratch
 * does, up to the whole plane). */
static int dw_case(int id)
{
    mn_conv_params_t p;
    const int32_t k = id % 2 ? 5 : 3;
    const int tall = id % 5 == 4;
    int32_t pad_b, pad_r;
    p.n = 1 + id % 7 / 6;
    p.c_in = p.c_out = p.group = tall ? rnd(1, 6) : rnd(1, 40);
    p.k_h = p.k_w = k;
    p.stride_h = p.stride_w = 1 + id / 2 % 2;
    p.dil_h = p.dil_w = id % 6 == 3 ? 2 : 1; /* dilated: the "same" padding doubles */
    p.pad_top = p.pad_left = tall && id % 3 == 0 ? 0 : k / 2 * p.dil_h;
    pad_b = pad_r = tall && id % 3 == 1 ? 0 : k / 2 * p.dil_h;
    p.in_h = tall ? rnd(40, 90) : rnd(1, 25);
    p.in_w = tall ? rnd(k, 13) : rnd(1, 30);
    p.out_h = (p.in_h + p.pad_top + pad_b - (k - 1) * p.dil_h - 1) / p.stride_h + 1;
    p.out_w = (p.in_w + p.pad_left + pad_r - (k - 1) * p.dil_w - 1) / p.stride_w + 1;
    set_act(&p.act, id % MN_ACT_KINDS);
    return check_conv(CASES + id, &p);
}

/* 1x1 and k x 1 convolutions on output planes of 1 to 15 positions (MobileNet's last
 * 3 x 3 and 2 x 2 stages, a 1 x 1 plane): on vector units planes narrower than a tile take
 * the channel tiles (mn_cf_tile_chan, split into near-even runs of up to 12 positions),
 * channel counts on and off the 8-channel blocks; every fused activation. */
static int narrow_case(int id)
{
    static const int32_t planes[][2] = {{3, 3}, {2, 4}, {1, 8}, {3, 5}, {4, 3}, {2, 7},
                                        {1, 15}, {3, 4}, {5, 3}, {7, 2}, {1, 1}, {2, 2},
                                        {1, 5}, {2, 3}, {1, 7}};
    mn_conv_params_t p;
    p.n = 1 + id % 5 / 4;
    p.group = 1;
    p.c_in = rnd(1, 20);
    p.c_out = id % 4 == 3 ? rnd(1, 7) : rnd(8, 40);
    p.k_h = id % 3 == 2 ? rnd(2, 3) : 1;
    p.k_w = 1;
    p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1;
    p.pad_top = p.pad_left = 0;
    p.out_h = planes[id % 15][0];
    p.out_w = planes[id % 15][1];
    p.in_h = p.out_h + p.k_h - 1;
    p.in_w = p.out_w;
    set_act(&p.act, id % MN_ACT_KINDS);
    return check_conv(CASES + DW_CASES + id, &p);
}

/* Convolutions whose output rows are 4 or 8 wide (half of the 8- and 16-wide tiles of the
 * AVX2/NEON and AVX-512/SSE2 builds: cnn32's 8 x 8 stage): on vector units they run tiles
 * of two output rows (mn_cf_tile_rows2, in pairs of four rows where pairs are built), the
 * last tile overlapping. Kernels 1 to 5 wide with padding, strides, dilations, groups,
 * planes 1 to 13 rows tall, channel counts on and off the 8-channel blocks, every fused
 * activation. */
static int rows2_case(int id)
{
    mn_conv_params_t p;
    int32_t pad_b, pad_r, span_h, span_w;
    p.n = 1 + id % 6 / 5;
    p.group = id % 4 == 3 ? 2 : 1;
    p.c_in = p.group * rnd(1, 8);
    p.c_out = p.group * (id % 5 == 4 ? rnd(1, 20) : 8 * rnd(1, 3));
    p.k_h = rnd(1, 5);
    p.k_w = rnd(1, 5);
    p.stride_h = rnd(1, 2);
    p.stride_w = rnd(1, 2);
    p.dil_h = id % 3 == 2 ? 2 : 1;
    p.dil_w = id % 6 == 5 ? 2 : 1;
    p.pad_top = id % 7 == 6 ? 0 : rnd(0, 2);
    p.pad_left = id % 7 == 6 ? 0 : rnd(0, 2);
    pad_b = id % 7 == 6 ? 0 : rnd(0, 2);
    pad_r = id % 7 == 6 ? 0 : rnd(0, 2);
    p.out_h = rnd(1, 13);
    p.out_w = id % 2 ? 8 : 4;
    span_h = (p.k_h - 1) * p.dil_h + 1;
    span_w = (p.k_w - 1) * p.dil_w + 1;
    /* the input the output size needs, at least 1 (pad_b, pad_r: the implied padding) */
    p.in_h = (p.out_h - 1) * p.stride_h + span_h - p.pad_top - pad_b;
    p.in_w = (p.out_w - 1) * p.stride_w + span_w - p.pad_left - pad_r;
    if (p.in_h < 1) {
        pad_b += 1 - p.in_h;
        p.in_h = 1;
    }
    if (p.in_w < 1) {
        pad_r += 1 - p.in_w;
        p.in_w = 1;
    }
    set_act(&p.act, id % MN_ACT_KINDS);
    return check_conv(CASES + DW_CASES + NARROW_CASES + id, &p);
}

/* Run the reference, fast and (when depthwise) depthwise kernels on case p; 1 when they
 * disagree, -1 when the case is too big for the static buffers. */
static int check_conv(int id, const mn_conv_params_t *pp)
{
    const mn_conv_params_t p = *pp;
    const int32_t group = p.group, kind = p.act.kind;
    int32_t i, n_y, n_w, n_x, bad = 0;
    n_x = p.n * p.c_in * p.in_h * p.in_w;
    n_w = p.c_out * (p.c_in / group) * p.k_h * p.k_w;
    n_y = p.n * p.c_out * p.out_h * p.out_w;
    if (n_x > MAX_X || n_w > MAX_W || n_y > MAX_Y || p.c_out > 1024 ||
        mn_conv2d_fast_f32_scratch_size(&p) > MAX_S ||
        mn_conv2d_fast_f32_packed_size(&p) > 4 * MAX_W) {
        return -1; /* too big for the static buffers: skipped */
    }
    for (i = 0; i < n_x; ++i) {
        g_x[i] = rndf();
    }
    for (i = 0; i < n_w; ++i) {
        g_w[i] = rndf();
    }
    for (i = 0; i < p.c_out; ++i) {
        g_b[i] = rndf();
    }
    for (i = 0; i < n_y; ++i) {
        g_y_fast[i] = NAN; /* every output must be written */
    }
    g_scratch[mn_conv2d_fast_f32_scratch_size(&p)] = 12345.0f; /* overrun guard */
    {
        const float *bias = id % 2 ? g_b : NULL;
        mn_conv2d_f32(&p, g_x, g_w, bias, g_y_ref);
        mn_conv2d_fast_f32_pack(&p, g_w, g_packed);
        mn_conv2d_fast_f32(&p, g_x, g_packed, bias, g_scratch, g_y_fast);
    }
    if (g_scratch[mn_conv2d_fast_f32_scratch_size(&p)] != 12345.0f) {
        bad = 1;
        printf("conv case %d: scratch overrun\n", id);
    }
    for (i = 0; i < n_y; ++i) {
        const float lim = TOL * (1.0f + fabsf(g_y_ref[i]));
        if (!(fabsf(g_y_fast[i] - g_y_ref[i]) <= lim)) {
            if (bad < 3) {
                printf("conv case %d [%d]: fast %.7g ref %.7g\n", id, (int)i,
                       (double)g_y_fast[i], (double)g_y_ref[i]);
            }
            bad = 1;
        }
    }
    if (!bad && p.group == p.c_in && p.group == p.c_out) { /* depthwise kernel too */
        int32_t ns = mn_conv2d_dw_f32_scratch_size(&p);
        g_scratch[ns] = 12345.0f;
        for (i = 0; i < n_y; ++i) {
            g_y_fast[i] = NAN;
        }
        mn_conv2d_dw_f32(&p, g_x, g_w, id % 2 ? g_b : NULL, g_scratch, g_y_fast);
        if (g_scratch[ns] != 12345.0f) {
            bad = 1;
            printf("conv case %d: depthwise kernel overran scratch\n", id);
        }
        for (i = 0; i < n_y; ++i) {
            const float lim = TOL * (1.0f + fabsf(g_y_ref[i]));
            if (!(fabsf(g_y_fast[i] - g_y_ref[i]) <= lim)) {
                bad = 1;
            }
        }
        ++g_dw_cases;
    }
    if (bad) {
        printf("FAIL conv case %d: n %d c_in %d c_out %d group %d in %dx%d out %dx%d k %dx%d "
               "s %dx%d d %dx%d pad %d,%d act %d\n",
               id, (int)p.n, (int)p.c_in, (int)p.c_out, (int)p.group, (int)p.in_h,
               (int)p.in_w, (int)p.out_h, (int)p.out_w, (int)p.k_h, (int)p.k_w,
               (int)p.stride_h, (int)p.stride_w, (int)p.dil_h, (int)p.dil_w,
               (int)p.pad_top, (int)p.pad_left, (int)kind);
    }
    return bad;
}

static int pool_case(int id)
{
    mn_pool_params_t p;
    int32_t i, n_x, n_y, bad = 0;
    p.kind = id % 2 ? MN_POOL_MAX : MN_POOL_AVG;
    p.channels = rnd(1, 9);
    p.k_h = id % 5 == 0 ? 1 : rnd(1, 4);
    p.k_w = rnd(1, 4);
    p.stride_h = rnd(1, 3);
    p.stride_w = rnd(1, 3);
    p.dil_h = p.dil_w = 1;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 0;
    p.count_include_pad = rnd(0, 1);
    p.in_h = p.k_h + rnd(0, 17);
    p.in_w = p.k_w + rnd(0, 29);
    p.out_h = (p.in_h - p.k_h) / p.stride_h + 1;
    p.out_w = (p.in_w - p.k_w) / p.stride_w + 1;
    n_x = p.channels * p.in_h * p.in_w;
    n_y = p.channels * p.out_h * p.out_w;
    for (i = 0; i < n_x; ++i) {
        g_x[i] = rndf();
    }
    mn_pool2d_f32(&p, g_x, g_y_ref);
    for (i = 0; i < n_y; ++i) {
        g_y_fast[i] = NAN; /* every output must be written */
    }
    mn_pool2d_fast_f32(&p, g_x, g_y_fast);
    for (i = 0; i < n_y; ++i) {
        const float lim = TOL * (1.0f + fabsf(g_y_ref[i]));
        if (!(fabsf(g_y_fast[i] - g_y_ref[i]) <= lim)) {
            bad = 1;
        }
    }
    if (bad) {
        printf("FAIL pool case %d: kind %d c %d in %dx%d out %dx%d k %dx%d s %dx%d\n", id,
               (int)p.kind, (int)p.channels, (int)p.in_h, (int)p.in_w, (int)p.out_h,
               (int)p.out_w, (int)p.k_h, (int)p.k_w, (int)p.stride_h, (int)p.stride_w);
    }
    return bad;
}

/* Gemm with a constant B: random m, n, k, transposes, alpha, beta and C that is absent,
 * a scalar, a [n] row or [1][n]; B packed here as the compiler packs it. */
static int gemm_case(int id)
{
    mn_gemm_params_t p;
    int32_t i, j, kk, n_a, c_kind = id % 4, bad = 0;
    const float *c = NULL;
    p.m = id % 3 == 0 ? rnd(1, 5) : 1;
    p.n = rnd(1, 70);
    p.k = rnd(1, 90);
    p.trans_a = rnd(0, 1);
    p.trans_b = rnd(0, 1);
    p.alpha = id % 5 == 0 ? 0.5f + rndf() : 1.0f;
    p.beta = id % 7 == 0 ? 0.25f + rndf() : 1.0f;
    p.c_stride_m = 0;
    p.c_stride_n = c_kind == 1 ? 0 : 1;
    set_act(&p.act, id % MN_ACT_KINDS);
    n_a = p.m * p.k;
    for (i = 0; i < n_a; ++i) {
        g_x[i] = rndf();
    }
    for (i = 0; i < p.k * p.n; ++i) {
        g_w[i] = rndf();
    }
    for (j = 0; j < p.n; ++j) {
        g_b[j] = rndf();
    }
    if (c_kind != 0) {
        c = g_b;
    }
    /* Pack: B'[kk][j] scaled by alpha, and the bias beta * C. */
    for (kk = 0; kk < p.k; ++kk) {
        for (j = 0; j < p.n; ++j) {
            const float bkj = p.trans_b ? g_w[j * p.k + kk] : g_w[kk * p.n + j];
            g_packed[kk * p.n + j] = p.alpha * bkj;
        }
    }
    for (j = 0; j < p.n; ++j) {
        g_scratch[j] = c ? p.beta * c[j * p.c_stride_n] : 0.0f;
    }
    mn_gemm_f32(&p, g_x, g_w, c, g_y_ref);
    mn_gemm_fast_f32(&p, g_x, g_packed, c ? g_scratch : NULL, g_y_fast);
    for (i = 0; i < p.m * p.n; ++i) {
        const float lim = TOL * (1.0f + fabsf(g_y_ref[i]));
        if (!(fabsf(g_y_fast[i] - g_y_ref[i]) <= lim)) {
            bad = 1;
        }
    }
    if (bad) {
        printf("FAIL gemm case %d: m %d n %d k %d trans %d%d alpha %g beta %g c %d\n", id,
               (int)p.m, (int)p.n, (int)p.k, (int)p.trans_a, (int)p.trans_b, (double)p.alpha,
               (double)p.beta, (int)c_kind);
    }
    return bad;
}

int main(void)
{
    int id, failed = 0, run = 0;
    for (id = 0; id < CASES; ++id) {
        const int r = conv_case(id);
        if (r >= 0) {
            ++run;
            failed += r;
        }
    }
    for (id = 0; id < DW_CASES; ++id) {
        const int r = dw_case(id);
        if (r >= 0) {
            ++run;
            failed += r;
        }
    }
    for (id = 0; id < NARROW_CASES; ++id) {
        const int r = narrow_case(id);
        if (r >= 0) {
            ++run;
            failed += r;
        }
    }
    for (id = 0; id < ROWS2_CASES; ++id) {
        const int r = rows2_case(id);
        if (r >= 0) {
            ++run;
            failed += r;
        }
    }
    for (id = 0; id < 200; ++id) {
        failed += pool_case(id);
    }
    for (id = 0; id < 200; ++id) {
        failed += gemm_case(id);
    }
    printf("fast vs reference: %d conv cases (%d depthwise), 200 pool cases, 200 gemm cases, "
           "%d failed\n",
           run, g_dw_cases, failed);
    return failed != 0 || run < (CASES + DW_CASES) / 2 || g_dw_cases < DW_CASES / 2;
}
