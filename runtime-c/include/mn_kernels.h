/*
 * meshnn runtime: portable C99 reference kernels (float32).
 *
 * Every kernel is documented here, once. Conventions (CMSIS-NN style):
 *   - argument order: parameters, then input tensors, output last;
 *   - all tensors are dense, row-major (NCHW for images, NCW for 1-D signals);
 *   - no kernel allocates memory, uses a VLA or recurses;
 *   - an output must not overlap any input unless the kernel's comment says it may
 *     (binary, unary, copy); the others declare their pointers `restrict`;
 *   - indices, sizes and strides are int32_t element counts (not bytes);
 *   - shapes are fixed at compile time: meshnn emits each parameter block as a
 *     `static const` struct next to the call.
 * Names follow mn_<op>[_<variant>]_<dtype>. This runtime knows nothing about ONNX.
 * Helpers shared by the kernel sources (not part of this API) are declared in
 * internal/mn_kernels_internal.h.
 */
#ifndef MN_KERNELS_H
#define MN_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Highest tensor rank the generic (strided) kernels handle. */
#define MN_MAX_DIMS 8

/* ---------------------------------------------------------------- activations */

typedef enum {
    MN_ACT_NONE = 0,
    MN_ACT_RELU = 1,
    MN_ACT_LEAKY_RELU = 2,  /* x < 0 ? alpha * x : x */
    MN_ACT_CLIP = 3,        /* min(max(x, lo), hi) */
    MN_ACT_HARD_SIGMOID = 4, /* max(0, min(1, alpha * x + lo)): ONNX alpha, beta = lo */
    MN_ACT_HARD_SWISH = 5,  /* x * max(0, min(1, x / 6 + 0.5)) */
    MN_ACT_SWISH = 6        /* x * sigmoid(alpha * x) (SiLU: alpha = 1) */
} mn_act_kind_t;

#define MN_ACT_KINDS 7 /* number of mn_act_kind_t values */

/* An activation fused into the kernel that produces a tensor. */
typedef struct {
    int32_t kind;  /* mn_act_kind_t */
    float alpha;   /* LeakyRelu and HardSigmoid slope, Swish alpha */
    float lo, hi;  /* Clip bounds; lo: HardSigmoid offset (beta) */
} mn_act_t;

/* max(0, x); NaN stays NaN, as in onnxruntime */
static inline float mn_relu(float x)
{
    return x < 0.0f ? 0.0f : x;
}

/* min(max(x, lo), hi): lo > hi gives hi, as ONNX Clip; NaN stays NaN */
static inline float mn_clampf(float x, float lo, float hi)
{
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

/* max(0, min(1, v)) */
static inline float mn_unit_clamp(float v)
{
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

/* x * sigmoid(alpha * x) (Swish; SiLU is alpha = 1), in a form where expf never sees a
 * large positive argument. */
static inline float mn_swish(float x, float alpha)
{
    const float v = alpha * x;
    const float e = expf(v < 0.0f ? v : -v); /* in (0, 1] */
    return v < 0.0f ? x * e / (1.0f + e) : x / (1.0f + e);
}

/* Apply a fused activation to one value. */
static inline float mn_act_apply(const mn_act_t *a, float x)
{
    switch (a->kind) {
    case MN_ACT_RELU: return mn_relu(x);
    case MN_ACT_LEAKY_RELU: return x < 0.0f ? a->alpha * x : x;
    case MN_ACT_CLIP: return mn_clampf(x, a->lo, a->hi);
    case MN_ACT_HARD_SIGMOID: return mn_unit_clamp(a->alpha * x + a->lo);
    case MN_ACT_HARD_SWISH: return x * mn_unit_clamp(x / 6.0f + 0.5f);
    case MN_ACT_SWISH: return mn_swish(x, a->alpha);
    default: return x;
    }
}

/* ---------------------------------------------------------------- convolution */

/* 2-D convolution (1-D is h = 1, k_h = 1, stride_h = dil_h = 1, pad_top = 0).
 * x: [n, c_in, in_h, in_w]; w: [c_out, c_in / group, k_h, k_w];
 * b: [c_out] or NULL; y: [n, c_out, out_h, out_w].
 * Positions outside the input (padding) contribute zero. The activation is applied
 * to every output element. As in ONNX, c_in and c_out are multiples of group, and
 * output channel oc reads input channels [g * c_in/group, (g + 1) * c_in/group) with
 * g = oc / (c_out/group); bottom/right padding is implied by out_h / out_w. */
typedef struct {
    int32_t n, c_in, in_h, in_w;
    int32_t c_out, out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t group;
    mn_act_t act;
} mn_conv_params_t;

void mn_conv2d_f32(const mn_conv_params_t *p, const float *x, const float *w,
                   const float *b, float *y);

/* Fast convolution, same contract and result as mn_conv2d_f32 (up to float rounding:
 * sums are accumulated in a different order). Computes the convolution as a
 * register-blocked matrix product (MN_CONV_FAST_MR output channels x 16 positions per
 * tile) over a zero-padded, stride-phase-split copy of each input image in `scratch`,
 * which must hold mn_conv2d_fast_f32_scratch_size(p) floats (0 when the convolution has
 * no padding and stride 1: the input is then read in place and scratch may be NULL).
 * scratch must not overlap x, w, b or y. 1x1 convolutions are plain matrix products on
 * this path. w is *packed*: mn_conv2d_fast_f32_packed_size(p) floats laid out
 * [group][ceil(cout_g / MR)][k_h * k_w][c_in / group][MR] (cout_g = c_out / group,
 * MR = MN_CONV_FAST_MR; channels past cout_g are zero), as mn_conv2d_fast_f32_pack
 * writes it from the [c_out][c_in / group][k_h][k_w] weights (meshnn packs at compile
 * time: packed_conv_weights in meshnn::kernels).
 * Precondition (not checked): k_h * k_w <= MN_CONV_FAST_MAX_TAPS, out_h, out_w, c_out
 * >= 1. meshnn only calls it where `use_fast_conv` (meshnn::kernels) holds. */
#define MN_CONV_FAST_MAX_TAPS 64
#define MN_CONV_FAST_MR 8

int32_t mn_conv2d_fast_f32_scratch_size(const mn_conv_params_t *p);

int32_t mn_conv2d_fast_f32_packed_size(const mn_conv_params_t *p);

void mn_conv2d_fast_f32_pack(const mn_conv_params_t *p, const float *w, float *packed);

void mn_conv2d_fast_f32(const mn_conv_params_t *p, const float *x, const float *w,
                        const float *b, float *scratch, float *y);

/* Depthwise convolution (group == c_in == c_out), same contract and result as
 * mn_conv2d_f32 up to float rounding, weights as given ([c][1][k_h][k_w]). scratch holds
 * mn_conv2d_dw_f32_scratch_size(p) floats (one padded channel; 0 and NULL allowed without
 * padding at stride 1) and must not overlap the other arguments.
 * Precondition (not checked): group == c_in == c_out and k_h * k_w <=
 * MN_CONV_FAST_MAX_TAPS. meshnn only calls it where `use_fast_conv` and `is_depthwise`
 * (meshnn::kernels) hold. */
int32_t mn_conv2d_dw_f32_scratch_size(const mn_conv_params_t *p);

void mn_conv2d_dw_f32(const mn_conv_params_t *p, const float *x, const float *w,
                      const float *b, float *scratch, float *y);

/* N-d convolution (reference; meshnn uses it for 3-D and wider windows): nd spatial
 * axes, 1 <= nd <= MN_MAX_DIMS - 2. x: [n, c_in, in[0], .., in[nd-1]];
 * w: [c_out, c_in / group, k[0], .., k[nd-1]]; b: [c_out] or NULL;
 * y: [n, c_out, out[0], .., out[nd-1]]. Output position o reads input positions
 * o_d * strides[d] - pads[d] + i_d * dilations[d], i_d < k[d]; positions outside the input
 * (padding) contribute zero; grouping and the activation as in mn_conv2d_f32. */
typedef struct {
    int32_t n, c_in, c_out, group;
    int32_t nd;
    int32_t in[MN_MAX_DIMS], out[MN_MAX_DIMS], k[MN_MAX_DIMS];
    int32_t strides[MN_MAX_DIMS], dilations[MN_MAX_DIMS], pads[MN_MAX_DIMS];
    mn_act_t act;
} mn_conv_nd_params_t;

void mn_conv_nd_f32(const mn_conv_nd_params_t *p, const float *x, const float *w,
                    const float *b, float *y);

/* ---------------------------------------------------------------- matrix products */

/* General matrix multiply: y[m][n] = act(alpha * sum_k A'[m][k] * B'[k][n] + beta * C[m][n]).
 * A' = trans_a ? A^T : A where A is stored [k][m] (trans_a) or [m][k];
 * B' likewise ([n][k] when trans_b, else [k][n]).
 * c may be NULL; otherwise element (i, j) of C is c[i * c_stride_m + j * c_stride_n]
 * (a stride of 0 broadcasts along that axis). y: [m][n]. As in ONNX, beta * C is added
 * whenever c is non-NULL, even when beta is 0. */
typedef struct {
    int32_t m, n, k;
    int32_t trans_a, trans_b;
    float alpha, beta;
    int32_t c_stride_m, c_stride_n;
    mn_act_t act;
} mn_gemm_params_t;

void mn_gemm_f32(const mn_gemm_params_t *p, const float *a, const float *b,
                 const float *c, float *y);

/* Fast Gemm for a constant B (a fully connected layer): y[m][n] = act(A' Bp + bias),
 * the result of mn_gemm_f32 up to float rounding when bp[kk * n + j] = alpha * B'[kk][j]
 * (B' packed [k][n] row-major, alpha applied) and bias[j] = beta * C[i][j] for a C that
 * does not vary along m (bias NULL: no C). Reads m, n, k, trans_a and act of p (alpha,
 * beta, trans_b and the C strides are already applied by the packing). */
void mn_gemm_fast_f32(const mn_gemm_params_t *p, const float *a, const float *bp,
                      const float *bias, float *y);

/* Batched matrix product with broadcasting over batch axes:
 * for every batch index (i_0..i_{rank-1}) over batch_dims, the [m][k] matrix at
 * a + sum(i_d * a_strides[d]) times the [k][n] matrix at b + sum(i_d * b_strides[d])
 * is written densely to y (batches in row-major order, each [m][n]).
 * batch_rank may be 0 (one product). Each matrix is dense; only the batch axes are
 * strided (stride 0 broadcasts a batch axis). */
typedef struct {
    int32_t m, n, k;
    int32_t batch_rank;
    int32_t batch_dims[MN_MAX_DIMS];
    int32_t a_strides[MN_MAX_DIMS];
    int32_t b_strides[MN_MAX_DIMS];
} mn_matmul_params_t;

void mn_matmul_f32(const mn_matmul_params_t *p, const float *a, const float *b, float *y);

/* ---------------------------------------------------------------- elementwise */

/* Bool tensors are stored as float 0.0f / 1.0f; comparisons and logic write 1.0f for
 * true, logic reads any non-zero value as true. act applies to the arithmetic kinds. */
typedef enum {
    MN_ADD = 0,
    MN_SUB = 1,
    MN_MUL = 2,
    MN_DIV = 3,
    MN_FMOD = 4,          /* C fmodf: the sign of a */
    MN_MIN = 5,           /* NaN in either operand gives NaN */
    MN_MAX = 6,           /* likewise */
    MN_EQUAL = 7,
    MN_LESS = 8,
    MN_LESS_EQUAL = 9,
    MN_GREATER = 10,
    MN_GREATER_EQUAL = 11,
    MN_AND = 12,
    MN_OR = 13,
    MN_XOR = 14,
    MN_MOD = 15,          /* fmodf, then the sign of b (Python / numpy mod) */
    MN_POW = 16           /* powf(a, b): NaN for a negative base with a non-integer exponent */
} mn_binary_kind_t;

/* Broadcasting binary operation y = act(a OP b) over an output of shape dims[0..rank).
 * Element (i_0..) of a is a[sum(i_d * a_strides[d])] (stride 0 on broadcast axes), same
 * for b; y is dense. y may alias a or b when that operand is dense with y's shape. */
typedef struct {
    int32_t kind; /* mn_binary_kind_t */
    int32_t rank;
    int32_t dims[MN_MAX_DIMS];
    int32_t a_strides[MN_MAX_DIMS];
    int32_t b_strides[MN_MAX_DIMS];
    mn_act_t act;
} mn_binary_params_t;

void mn_binary_f32(const mn_binary_params_t *p, const float *a, const float *b, float *y);

typedef enum {
    MN_RELU = 0,
    MN_LEAKY_RELU = 1,   /* alpha */
    MN_CLIP = 2,         /* alpha = lo, beta = hi */
    MN_SIGMOID = 3,
    MN_TANH = 4,
    MN_HARD_SIGMOID = 5, /* max(0, min(1, alpha * x + beta)) */
    MN_HARD_SWISH = 6,   /* x * max(0, min(1, x / 6 + 0.5)) */
    MN_SCALE = 7,        /* alpha * x */
    MN_ERF = 8,
    MN_RECIPROCAL = 9,
    MN_NEG = 10,
    MN_ABS = 11,
    MN_EXP = 12,
    MN_LOG = 13,         /* natural logarithm */
    MN_SIN = 14,
    MN_COS = 15,
    MN_FLOOR = 16,
    MN_CEIL = 17,
    MN_ROUND = 18,       /* half to even */
    MN_SIGN = 19,        /* -1, 0, 1; NaN stays NaN */
    MN_SOFTPLUS = 20,    /* log(1 + exp(x)) */
    MN_MISH = 21,        /* x * tanh(softplus(x)) */
    MN_GELU = 22,        /* 0.5 x (1 + erf(x / sqrt 2)) */
    MN_GELU_TANH = 23,   /* 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) */
    MN_ELU = 24,         /* x >= 0 ? x : alpha (exp(x) - 1) */
    MN_SELU = 25,        /* beta * (x > 0 ? x : alpha (exp(x) - 1)) */
    MN_SOFTSIGN = 26,    /* x / (1 + |x|) */
    MN_NOT = 27,         /* bool (0 / 1) x: 1 where x is 0, else 0 */
    MN_SQRT = 28,        /* sqrtf(x), NaN for x < 0 */
    MN_SWISH = 29        /* x * sigmoid(alpha * x) (SiLU: alpha = 1) */
} mn_unary_kind_t;

/* Elementwise y[i] = f(x[i]) for i < size. y may alias x. */
typedef struct {
    int32_t kind; /* mn_unary_kind_t */
    int32_t size;
    float alpha, beta;
} mn_unary_params_t;

void mn_unary_f32(const mn_unary_params_t *p, const float *x, float *y);

/* Clip with bounds computed at run time: y[i] = min(max(x[i], *lo), *hi) for i < size
 * (lo > hi gives hi, NaN stays NaN, as in ONNX). lo and hi point at one float each, or
 * are NULL for no bound. y may alias x. */
typedef struct {
    int32_t size;
} mn_clip_params_t;

void mn_clip_f32(const mn_clip_params_t *p, const float *x, const float *lo, const float *hi,
                 float *y);

/* Broadcasting y = c ? x : y_false over an output of shape dims[0..rank); c is bool
 * (non-zero: true), each operand addressed by its strides as for mn_binary_f32 (stride 0
 * on broadcast axes); out is dense and must not alias an operand that is broadcast. */
typedef struct {
    int32_t rank;
    int32_t dims[MN_MAX_DIMS];
    int32_t c_strides[MN_MAX_DIMS];
    int32_t x_strides[MN_MAX_DIMS];
    int32_t y_strides[MN_MAX_DIMS];
} mn_where_params_t;

void mn_where_f32(const mn_where_params_t *p, const float *c, const float *x,
                  const float *y_false, float *out);

/* ---------------------------------------------------------------- pooling */

typedef enum { MN_POOL_MAX = 0, MN_POOL_AVG = 1 } mn_pool_kind_t;

/* 2-D max / average pooling (1-D: in_h = out_h = k_h = 1, stride_h = dil_h = 1, pads 0).
 * x: [channels, in_h, in_w] where channels = N * C; y: [channels, out_h, out_w].
 * The window of output (oh, ow) covers input rows oh*stride_h - pad_top + i*dil_h,
 * i < k_h (columns likewise). Max ignores positions outside the input and treats NaN
 * as onnxruntime does: a value replaces the running maximum m unless value <= m, taps
 * in row-major order (so [0, NaN] gives NaN, [NaN, 1] gives 1). Average divides
 * by the number of window positions inside the input, or, with count_include_pad, by
 * the number inside the padded extent [-pad_top, in_h + pad_bottom) x [-pad_left,
 * in_w + pad_right) (positions beyond that extent, which ceil_mode can create, never
 * count). A window with no position inside the input (impossible with legal ONNX
 * pads) yields -INFINITY for max and 0 for average. */
typedef struct {
    int32_t kind; /* mn_pool_kind_t */
    int32_t channels;
    int32_t in_h, in_w, out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t count_include_pad;
} mn_pool_params_t;

void mn_pool2d_f32(const mn_pool_params_t *p, const float *x, float *y);

/* Fast pooling, same contract and result as mn_pool2d_f32 (average sums in the same
 * order) for windows without padding or dilation that lie inside the input.
 * Precondition (not checked): pads 0, dil_h = dil_w = 1, k_h, k_w, out_h, out_w >= 1,
 * (out_h - 1) * stride_h + k_h <= in_h and likewise for width. meshnn only calls it
 * where `pool_fast_ok` (meshnn::kernels) holds. */
void mn_pool2d_fast_f32(const mn_pool_params_t *p, const float *x, float *y);

/* N-d max / average pooling (reference; meshnn uses it for 3-D and wider windows), the
 * rules of mn_pool2d_f32 on nd spatial axes (1 <= nd <= MN_MAX_DIMS - 2).
 * x: [channels, in[0], .., in[nd-1]] where channels = N * C; y: [channels, out[0], ..].
 * The window of output position o covers o_d * strides[d] - pads_begin[d] +
 * i_d * dilations[d], i_d < k[d]; count_include_pad counts the positions inside
 * [-pads_begin[d], in[d] + pads_end[d]) on every axis. */
typedef struct {
    int32_t kind; /* mn_pool_kind_t */
    int32_t channels;
    int32_t nd;
    int32_t in[MN_MAX_DIMS], out[MN_MAX_DIMS], k[MN_MAX_DIMS];
    int32_t strides[MN_MAX_DIMS], dilations[MN_MAX_DIMS];
    int32_t pads_begin[MN_MAX_DIMS], pads_end[MN_MAX_DIMS];
    int32_t count_include_pad;
} mn_pool_nd_params_t;

void mn_pool_nd_f32(const mn_pool_nd_params_t *p, const float *x, float *y);

/* Global max / average over each channel: x: [channels, size]; y: [channels]. */
typedef struct {
    int32_t kind; /* mn_pool_kind_t */
    int32_t channels;
    int32_t size;
} mn_global_pool_params_t;

void mn_global_pool_f32(const mn_global_pool_params_t *p, const float *x, float *y);

/* ---------------------------------------------------------------- normalisation */

/* Inference batch normalisation: y = scale * (x - mean) / sqrt(var + epsilon) + bias per
 * channel. x, y: [n, channels, size]; scale, bias, mean, var: [channels]. */
typedef struct {
    int32_t n, channels, size;
    float epsilon;
} mn_batchnorm_params_t;

void mn_batchnorm_f32(const mn_batchnorm_params_t *p, const float *x, const float *scale,
                      const float *bias, const float *mean, const float *var, float *y);

/* Layer, instance and group normalisation: x viewed as [outer, groups, inner]; every
 * block of inner elements is normalised with its own mean and variance (two passes in
 * float: the mean, then the mean of squared deviations), then scaled and shifted:
 *   y = (x - mean) * (1 / sqrtf(var + epsilon)) * scale[k] + bias[k],
 * where element i of group g uses k = (g * inner + i) / affine_div (affine_div 1: one value
 * per element of the block, LayerNormalization; the spatial size: one per channel;
 * inner: one per group). bias may be NULL (no shift). y may not alias x. mean and
 * inv_std, when not NULL, receive each block's mean and 1 / sqrtf(var + epsilon)
 * (outer * groups values; LayerNormalization's Mean and InvStdDev outputs). */
typedef struct {
    int32_t outer, groups, inner;
    int32_t affine_div;
    float epsilon;
} mn_norm_params_t;

void mn_norm_f32(const mn_norm_params_t *p, const float *x, const float *scale,
                 const float *bias, float *y, float *mean, float *inv_std);

/* Softmax (or log-softmax) along the middle axis of x viewed as [outer, axis_len, inner];
 * numerically stable (max subtracted): log-softmax is x - max - log(sum exp(x - max)).
 * y: same shape. */
typedef struct {
    int32_t outer, axis_len, inner;
    int32_t log;
} mn_softmax_params_t;

void mn_softmax_f32(const mn_softmax_params_t *p, const float *x, float *y);

/* ---------------------------------------------------------------- reductions */

typedef enum {
    MN_REDUCE_MEAN = 0,
    MN_REDUCE_MAX = 1,
    MN_REDUCE_SUM = 2,
    MN_REDUCE_MIN = 3,
    MN_REDUCE_PROD = 4,
    MN_REDUCE_SUM_SQUARE = 5,
    MN_REDUCE_L1 = 6,        /* sum of |x| */
    MN_REDUCE_L2 = 7,        /* sqrtf(sum of x * x) */
    MN_REDUCE_LOG_SUM = 8,   /* logf(sum of x) */
    MN_REDUCE_LOG_SUM_EXP = 9 /* log(sum of exp(x)), stable running form (below) */
} mn_reduce_kind_t;

/* Reduction: x has shape dims[0..rank); every element (i_0..) is combined into
 * y[sum(i_d * y_strides[d])] where y_strides is 0 on reduced axes. y has y_size elements.
 * Mean divides by count (the number of elements folded into each output): it sums, then
 * multiplies by 1.0f / count. The kernel initialises all y_size outputs itself (0 for the
 * sums, 1 for prod, -INFINITY for max and log-sum-exp, INFINITY for min), so y need not be
 * cleared by the caller. Max and min propagate NaN. Log-sum-exp folds each x into the
 * running value r as hi + log1pf(expf(lo - hi)) with hi = max(r, x), lo = min(r, x)
 * (x = -INFINITY adds nothing). */
typedef struct {
    int32_t kind; /* mn_reduce_kind_t */
    int32_t rank;
    int32_t dims[MN_MAX_DIMS];
    int32_t y_strides[MN_MAX_DIMS];
    int32_t y_size;
    int32_t count;
} mn_reduce_params_t;

void mn_reduce_f32(const mn_reduce_params_t *p, const float *x, float *y);

/* ---------------------------------------------------------------- data movement */

/* Strided N-D copy: for every index (i_0..) over dims[0..rank),
 * y[y_offset + sum(i_d * y_strides[d])] = x[x_offset + sum(i_d * x_strides[d])].
 * Strides may be 0 (broadcast) or negative (reversed slices). Used for Transpose, Slice,
 * Concat, Split, Expand, Pad and Sum/Mean broadcasting. rank 0 copies one element.
 * Elements are copied in odometer order (last axis fastest); x and y may share a buffer
 * only if no element is overwritten before it is read (e.g. disjoint regions). */
typedef struct {
    int32_t rank;
    int32_t dims[MN_MAX_DIMS];
    int32_t x_offset;
    int32_t x_strides[MN_MAX_DIMS];
    int32_t y_offset;
    int32_t y_strides[MN_MAX_DIMS];
} mn_copy_params_t;

void mn_copy_f32(const mn_copy_params_t *p, const float *x, float *y);

typedef enum {
    MN_PAD_CONSTANT = 0,
    MN_PAD_REFLECT = 1,
    MN_PAD_EDGE = 2,
    MN_PAD_WRAP = 3
} mn_pad_mode_t;

/* Pad in the reflect, edge and wrap modes, and constant mode with cropping (meshnn emits
 * constant padding without cropping as mn_fill_f32 then mn_copy_f32).
 * x: dense [x_dims[0..rank)]; y: dense [y_dims[0..rank)], y_dims[d] = x_dims[d] + pads[d]
 * + pads after, where a negative pad crops. Output coordinate i reads input coordinate
 * j = i - pads[d] when inside [0, x_dims[d]); outside, constant mode writes value,
 * reflect mirrors about the edge without repeating it (period 2 (n - 1)), edge repeats
 * the edge value, wrap reads j mod n. Every x_dims[d] >= 1 unless the mode is constant. */
typedef struct {
    int32_t mode; /* mn_pad_mode_t */
    int32_t rank;
    int32_t x_dims[MN_MAX_DIMS];
    int32_t y_dims[MN_MAX_DIMS];
    int32_t pads[MN_MAX_DIMS]; /* before each axis; negative crops */
    float value;               /* constant mode */
} mn_pad_params_t;

void mn_pad_f32(const mn_pad_params_t *p, const float *x, float *y);

/* y[i] = value for i < size. */
void mn_fill_f32(float *y, int32_t size, float value);

/* Gather along one axis with constant indices: x viewed as [outer, axis_len, inner];
 * y[o][j][i] = x[o][indices[j]][i] for j < n_indices. Indices are in [0, axis_len);
 * as in ONNX, a negative index in [-axis_len, 0) counts from the end. */
typedef struct {
    int32_t outer, axis_len, inner;
    int32_t n_indices;
} mn_gather_params_t;

void mn_gather_f32(const mn_gather_params_t *p, const float *x, const int32_t *indices,
                   float *y);

/* ---------------------------------------------------------------- recurrent */

/* Recurrent layers (RNN, GRU, LSTM) over seq time steps, with the default activations
 * (sigmoid gates, tanh candidate and output). Weights as stored by ONNX, per direction d:
 * w [dirs][gates * hidden][input], r [dirs][gates * hidden][hidden], b (or NULL: zero)
 * [dirs][2 * gates * hidden] (the input biases Wb of every gate, then the recurrent
 * biases Rb); gate order RNN: one; GRU: z, r, h; LSTM: i, o, f, c.
 * layout (batch_first = 0): x [seq][batch][input], y [seq][dirs][batch][hidden],
 * states h0, c0, y_h, y_c [dirs][batch][hidden]; batch_first = 1: x [batch][seq][input],
 * y [batch][seq][dirs][hidden], states [batch][dirs][hidden].
 * Direction 0 runs t = 0 .. seq - 1 (backwards when reverse = 1); with dirs = 2 direction
 * 1 runs backwards. h0 / c0 NULL: zero initial state. Every output may be NULL (not
 * computed); none may overlap an input or scratch. scratch holds
 * MN_RNN_SCRATCH_FLOATS(cell gates, hidden) floats: the state and the gate values of one
 * direction and batch entry. */
typedef struct {
    int32_t seq, batch, input, hidden;
    int32_t dirs;                /* 1 or 2 (bidirectional) */
    int32_t reverse;             /* dirs = 1: run the sequence backwards */
    int32_t batch_first;         /* ONNX layout = 1 */
    int32_t linear_before_reset; /* GRU: r . (R_h h + Rb_h) instead of R_h (r . h) + Rb_h */
} mn_rnn_params_t;

/* Scratch floats of the recurrent kernels: (gates + 2) * hidden. */
#define MN_RNN_SCRATCH_FLOATS(gates, hidden) (((gates) + 2) * (hidden))

/* H = tanh(W x + R H + Wb + Rb). */
void mn_rnn_f32(const mn_rnn_params_t *p, const float *x, const float *w, const float *r,
                const float *b, const float *h0, float *y, float *y_h, float *scratch);

/* z = sig(W_z x + R_z H + Wb_z + Rb_z), r likewise, candidate
 * n = tanh(W_h x + Wb_h + R_h (r . H) + Rb_h) (linear_before_reset = 0) or
 * n = tanh(W_h x + Wb_h + r . (R_h H + Rb_h)) (= 1); H = (1 - z) . n + z . H. */
void mn_gru_f32(const mn_rnn_params_t *p, const float *x, const float *w, const float *r,
                const float *b, const float *h0, float *y, float *y_h, float *scratch);

/* i = sig(W_i x + R_i H + P_i . C + Wb_i + Rb_i), f likewise with P_f,
 * C = f . C + i . tanh(W_c x + R_c H + Wb_c + Rb_c), o = sig(W_o x + R_o H + P_o . C + ..),
 * H = o . tanh(C). peep [dirs][3 * hidden] (P_i, P_o, P_f) or NULL: no peepholes. */
void mn_lstm_f32(const mn_rnn_params_t *p, const float *x, const float *w, const float *r,
                 const float *b, const float *h0, const float *c0, const float *peep,
                 float *y, float *y_h, float *y_c, float *scratch);

/* ---------------------------------------------------------------- redundancy */

/* Mean of n same-shaped copies of a tensor over the copies that arrived:
 * y[i] = sum_{k: arrived[k]} xs[k][i] / (number arrived). When none arrived, the mean
 * of all copies (their fallback values) is used. xs[k], y: [size]. */
typedef struct {
    int32_t n;
    int32_t size;
} mn_mean_arrived_params_t;

void mn_mean_arrived_f32(const mn_mean_arrived_params_t *p, const float *const *xs,
                         const int32_t *arrived, float *y);

#ifdef __cplusplus
}
#endif

#endif /* MN_KERNELS_H */
