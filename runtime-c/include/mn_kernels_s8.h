/*
 * meshnn runtime: portable C99 reference kernels (int8), for quantised models.
 *
 * The conventions of mn_kernels.h (argument order, dense row-major layouts, int32_t
 * element counts, no allocation / VLA / recursion, outputs never overlap inputs).
 * Quantisation follows ONNX: real = scale * (q - zero_point).
 *
 * Activations are int8 only. A uint8 tensor (onnxruntime's default activation type) is
 * the int8 tensor q - 128 with zero point zp - 128: every kernel computes on q - zp, so
 * the results are the same bytes xor 0x80. meshnn converts at the boundary of an integer
 * island (a QuantizeLinear to uint8 becomes mn_quantize_s8 with zp - 128; a uint8 graph
 * input or output is flipped with ^ 0x80), never inside it.
 *
 * Requantisation: an int32 accumulator acc (a sum of products of zero-point-corrected
 * values, plus the int32 bias) becomes the output
 *     y = clamp(y_zp + round(acc * M), y_lo, y_hi)
 * where M = mult * 2^(shift - 31) approximates the real scale (e.g. x_scale * w_scale[c]
 * / y_scale, computed by meshnn at compile time with mn_requant_from_scale) and round() is
 * round-half-to-even of the exact product, as onnxruntime's float multiply followed by
 * nearbyintf rounds it up to the float error (results agree within 1 LSB; see
 * runtime-c/tests/test_kernels_s8.c for the measured rates). A fused ReLU / Clip is a
 * narrower [y_lo, y_hi] (ReLU: y_lo = y_zp); without one it is [-128, 127].
 *
 * Precondition of every accumulating kernel (not checked; meshnn checks it at compile
 * time): the accumulator cannot overflow int32, i.e. taps * 255 * 255 + |bias| < 2^31.
 *
 * On Cortex-M the hot loops are inline assembly where GCC optimises for speed (the same
 * results as their C, which runs at -O0, -Os and elsewhere). The assembly needs every
 * register but sp and pc: a build that keeps a frame pointer (-fno-omit-frame-pointer)
 * defines MN_S8_NO_ASM, which selects the C everywhere.
 */
#ifndef MN_KERNELS_S8_H
#define MN_KERNELS_S8_H

#include "mn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- requantisation */

/* A real scale M = mult * 2^(shift - 31): mult is a Q31 fraction in [2^30, 2^31), or 0
 * for a scale that rounds every int32 accumulator to 0 (M < 2^-32). */
typedef struct {
    int32_t mult;
    int32_t shift; /* in [MN_REQUANT_MIN_SHIFT, MN_REQUANT_MAX_SHIFT] */
} mn_requant_t;

#define MN_REQUANT_MIN_SHIFT (-31)
#define MN_REQUANT_MAX_SHIFT 15

/* The mn_requant_t nearest to `scale` (double precision; mult rounded half away from
 * zero). Returns 0, or -1 (rq untouched) when scale is NaN, negative or >= 2^15. */
int32_t mn_requant_from_scale(double scale, mn_requant_t *rq);

/* round(acc * M / count), rounded half to even on the exact value (count >= 1; pooling
 * divides by its window size here). The helper every kernel below requantises with. */
int32_t mn_requant_apply(const mn_requant_t *rq, int32_t acc, int32_t count);

/* One entry of a per-channel requantisation table (the rq arguments of the convolutions
 * and matrix products below): an mn_requant_t in one word, half the flash of the struct
 * and one load per channel. Bits 31..6 hold mult with its low six bits cleared, bits
 * 5..0 hold shift - MN_REQUANT_MIN_SHIFT. ONNX stores scales as float32, whose 24-bit
 * mantissa leaves the low seven bits of mult 0: the word is exact for every scale meshnn
 * computes (x_scale * w_scale / y_scale in float32, as onnxruntime does). */
typedef int32_t mn_requant_word_t;

/* rq as a table word, mult rounded half up to a multiple of 64 (a mult that rounds up to
 * 2^31 becomes 2^30 with shift + 1). Returns 0, or -1 (word untouched) when that shift
 * passes MN_REQUANT_MAX_SHIFT. meshnn makes its tables at compile time the same way. */
int32_t mn_requant_pack(const mn_requant_t *rq, mn_requant_word_t *word);

/* ---------------------------------------------------------------- convolution */

/* 2-D convolution (1-D: in_h = out_h = k_h = 1, stride_h = dil_h = 1, pad_top = 0;
 * depthwise: group = c_in = c_out), the geometry of mn_conv_params_t (mn_kernels.h).
 * x: [n, c_in, in_h, in_w]; w: [c_out, c_in / group, k_h, k_w]; b: [c_out] int32 or NULL;
 * rq: [c_out] when per_channel, else [1]; y: [n, c_out, out_h, out_w].
 * y = clamp(y_zp + round((b[oc] + sum (x - x_zp) * (w - w_zp)) * rq[oc]), y_lo, y_hi);
 * padding positions hold x_zp (they contribute 0). */
typedef struct {
    int32_t n, c_in, in_h, in_w;
    int32_t c_out, out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t group;
    int32_t x_zp, w_zp, y_zp, y_lo, y_hi;
    int32_t per_channel;
} mn_conv_s8_params_t;

void mn_conv2d_s8(const mn_conv_s8_params_t *p, const int8_t *x, const int8_t *w,
                  const int32_t *b, const mn_requant_word_t *rq, int8_t *y);

/* Fast int8 convolution, the result of mn_conv2d_s8 bit for bit when w_zp = 0 (int8
 * weights, symmetric as onnxruntime's quantiser makes them; meshnn selects it only then):
 * the windows of two output positions are copied into scratch as int16 columns (x itself,
 * x_zp in the padding: the input zero point is folded into each channel's bias once per
 * call, so none remains in the inner loop), then two output channels by two positions
 * are accumulated at a time, on cores with the DSP extension two multiply-accumulates per
 * SMLAD. w is packed by mn_conv2d_fast_s8_pack (meshnn packs at compile time); scratch
 * holds mn_conv2d_fast_s8_scratch_size(p) bytes, 4-byte aligned (every arena buffer
 * is). Reads the fields of mn_conv2d_s8 but w_zp. */
void mn_conv2d_fast_s8(const mn_conv_s8_params_t *p, const int8_t *x, const int8_t *w,
                       const int32_t *b, const mn_requant_word_t *rq, int8_t *scratch,
                       int8_t *y);

/* Scratch bytes of mn_conv2d_fast_s8: two int16 columns of the window's taps
 * (c_in / group * k_h * k_w, rounded up to a multiple of four), then a table of 20 bytes
 * per output channel (its bias and requantisation constants, made once per call). */
int32_t mn_conv2d_fast_s8_scratch_size(const mn_conv_s8_params_t *p);

/* Fast depthwise int8 convolution (group = c_in = c_out), the result of mn_conv2d_s8 bit
 * for bit when w_zp = 0 (meshnn selects it only then): one channel at a time, the input
 * rows an output row reads copied as int16 into a ring in scratch (x_zp in the padding,
 * folded into the channel's bias); 3 x 3 windows with dil_w = 1 and stride_w 1 or 2 two
 * output positions at a time with the weights in registers (on the DSP extension by
 * SMLAD and SMLAxy), other windows tap by tap. w in its ONNX layout [c][k_h][k_w];
 * scratch holds mn_conv2d_dw_s8_scratch_size(p) bytes, 4-byte aligned. Reads the fields
 * of mn_conv2d_s8 but w_zp, group and c_out (= c_in). */
void mn_conv2d_dw_s8(const mn_conv_s8_params_t *p, const int8_t *x, const int8_t *w,
                     const int32_t *b, const mn_requant_word_t *rq, int8_t *scratch,
                     int8_t *y);

/* Scratch bytes of mn_conv2d_dw_s8: (k_h - 1) * dil_h + 1 rows of int16, each the input
 * columns of one output row (out_w rounded up to even) rounded up to an even count. */
int32_t mn_conv2d_dw_s8_scratch_size(const mn_conv_s8_params_t *p);

/* Bytes of mn_conv2d_fast_s8_pack's output: group * cout2 * taps4, cout2 the output
 * channels of a group rounded up to an even count, taps4 the taps of a window
 * (c_in / group * k_h * k_w) rounded up to a multiple of four. */
int32_t mn_conv2d_fast_s8_packed_size(const mn_conv_s8_params_t *p);

/* The weights w [c_out][taps] of mn_conv2d_s8 in the order mn_conv2d_fast_s8 reads them:
 * per group, its output channels in pairs (an odd last channel with a row of zeros),
 * each pair as blocks of four taps [taps4 / 4][2 rows][4] (the taps past the last 0),
 * within each block the middle two swapped ([w0, w2, w1, w3], so that the two SXTB16 of
 * a word give the pairs (w0, w1) and (w2, w3)). */
void mn_conv2d_fast_s8_pack(const mn_conv_s8_params_t *p, const int8_t *w, int8_t *packed);

/* ---------------------------------------------------------------- matrix products */

/* Fully connected / MatMul: y[i][j] = clamp(y_zp + round((bias[j] + sum_kk (a[i][kk] -
 * a_zp) * (B[kk][j] - b_zp)) * rq[j]), y_lo, y_hi), a: [m][k]; B stored [n][k] when
 * trans_b (Gemm's transB, the layout meshnn packs weights in), else [k][n];
 * bias: [n] or NULL; rq: [n] when per_channel, else [1]; y: [m][n]. */
typedef struct {
    int32_t m, n, k;
    int32_t trans_b;
    int32_t a_zp, b_zp, y_zp, y_lo, y_hi;
    int32_t per_channel;
} mn_gemm_s8_params_t;

void mn_gemm_s8(const mn_gemm_s8_params_t *p, const int8_t *a, const int8_t *b,
                const int32_t *bias, const mn_requant_word_t *rq, int8_t *y);

/* Fast fully connected layer, the result of mn_gemm_s8 bit for bit for trans_b = 1 and
 * b_zp = 0 (int8 weights, symmetric as onnxruntime's quantiser makes them) when `bias`
 * holds the folded bias[j] - a_zp * sum_kk B[j][kk] (mn_gemm_fast_s8_fold_bias; meshnn
 * folds at compile time): the inner loop is then a plain int8 dot product, on cores with
 * the DSP extension four multiply-accumulates per two SMLAD. Reads m, n, k, y_zp, y_lo,
 * y_hi and per_channel of p (a_zp, b_zp and trans_b are folded or fixed); bias is not
 * NULL. */
void mn_gemm_fast_s8(const mn_gemm_s8_params_t *p, const int8_t *a, const int8_t *b,
                     const int32_t *bias, const mn_requant_word_t *rq, int8_t *y);

/* folded[j] = (bias ? bias[j] : 0) - p->a_zp * sum_kk b[j * k + kk] for j < n. */
void mn_gemm_fast_s8_fold_bias(const mn_gemm_s8_params_t *p, const int8_t *b,
                               const int32_t *bias, int32_t *folded);

/* ---------------------------------------------------------------- elementwise */

typedef enum { MN_BINARY_S8_ADD = 0, MN_BINARY_S8_MUL = 1 } mn_binary_s8_kind_t;

/* Add / Mul with broadcasting, each input with its own scale (QLinearAdd / QLinearMul).
 * Over the index space dims[0..rank) (rank <= MN_MAX_DIMS; rank 0 is one element),
 * element i of a is a[sum i_d * a_strides[d]] (b likewise; stride 0 broadcasts) and y is
 * dense. With da = a - a_zp, db = b - b_zp:
 *   ADD: y = clamp(y_zp + round(da * a_rq + db * b_rq), y_lo, y_hi), one rounding of the
 *        exact sum (a_rq = a_scale / y_scale, b_rq = b_scale / y_scale);
 *   MUL: y = clamp(y_zp + round(da * db * a_rq), y_lo, y_hi) (a_rq = a_scale * b_scale /
 *        y_scale; b_rq unused). */
typedef struct {
    int32_t kind; /* mn_binary_s8_kind_t */
    int32_t rank;
    int32_t dims[MN_MAX_DIMS];
    int32_t a_strides[MN_MAX_DIMS];
    int32_t b_strides[MN_MAX_DIMS];
    int32_t a_zp, b_zp, y_zp, y_lo, y_hi;
    mn_requant_t a_rq, b_rq;
} mn_binary_s8_params_t;

void mn_binary_s8(const mn_binary_s8_params_t *p, const int8_t *a, const int8_t *b,
                  int8_t *y);

/* One input of a Concat, requantised into its place in y (inputs with their own scales,
 * as QLinearConcat), and the elementwise requantisation of a tensor (outer = 1):
 * for o < outer, i < inner: y[o * y_stride + y_offset + i] =
 *   clamp(y_zp + round((x[o * inner + i] - x_zp) * rq), y_lo, y_hi).
 * meshnn calls it once per Concat input (inner = the input's size from the concat axis
 * on, y_stride = the output's, y_offset = the sum of the previous inputs' inner). An
 * input with the output's scale and zero point (rq from 1.0) is copied exactly. */
typedef struct {
    int32_t outer, inner, y_stride, y_offset;
    int32_t x_zp, y_zp, y_lo, y_hi;
    mn_requant_t rq;
} mn_concat_s8_params_t;

void mn_concat_s8(const mn_concat_s8_params_t *p, const int8_t *x, int8_t *y);

/* ---------------------------------------------------------------- pooling */

/* 2-D max / average pooling with the fields (the first 17, in the same order), windows,
 * pads and counts of mn_pool_params_t / mn_pool2d_f32 (mn_kernels.h; kind MN_POOL_MAX or
 * MN_POOL_AVG), rq = x_scale / y_scale:
 *   max: y = clamp(y_zp + round((max - x_zp) * rq), y_lo, y_hi) (max is monotonic, so
 *        an identity rq copies the maximum; a window with no input position gives y_zp);
 *   avg: y = clamp(y_zp + round(sum (x - x_zp) * rq / count), y_lo, y_hi), one rounding
 *        of the exact quotient (count as mn_pool2d_f32; 0 gives y_zp). */
typedef struct {
    int32_t kind; /* mn_pool_kind_t */
    int32_t channels;
    int32_t in_h, in_w, out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
    int32_t count_include_pad;
    int32_t x_zp, y_zp, y_lo, y_hi;
    mn_requant_t rq;
} mn_pool_s8_params_t;

void mn_pool2d_s8(const mn_pool_s8_params_t *p, const int8_t *x, int8_t *y);

/* Fast max pooling, the result of mn_pool2d_s8 bit for bit for every p of kind
 * MN_POOL_MAX: windows inside the input without bounds checks (2 x 2 unrolled), no
 * requantisation when rq is the identity (1.0, x_zp = y_zp, clamp [-128, 127]). Max
 * pooling only: kind is not read (average pooling runs mn_pool2d_s8; not calling it
 * here keeps the reference out of a device that has no average pooling). */
void mn_pool2d_fast_s8(const mn_pool_s8_params_t *p, const int8_t *x, int8_t *y);

/* Global average pooling: x: [channels, size], y: [channels],
 * y = clamp(y_zp + round(sum (x - x_zp) * rq / size), y_lo, y_hi), rq = x_scale / y_scale. */
typedef struct {
    int32_t channels, size;
    int32_t x_zp, y_zp, y_lo, y_hi;
    mn_requant_t rq;
} mn_global_pool_s8_params_t;

void mn_global_pool_s8(const mn_global_pool_s8_params_t *p, const int8_t *x, int8_t *y);

/* ---------------------------------------------------------------- float boundary */

/* QuantizeLinear (per tensor): y = clamp(nearbyint(x / scale) + zp, lo, hi), x / scale in
 * float and rounded half to even, as onnxruntime computes it; NaN gives zp, infinities
 * saturate. [lo, hi] is [-128, 127] (a Relu / Clip before the quantize may narrow it).
 * Precondition (not checked; meshnn refuses anything else at compile time): scale is
 * finite and > 0, and -128 <= lo <= hi <= 127. */
typedef struct {
    int32_t size;
    float scale;
    int32_t zp, lo, hi;
} mn_quantize_s8_params_t;

void mn_quantize_s8(const mn_quantize_s8_params_t *p, const float *x, int8_t *y);

/* QuantizeLinear per axis (ONNX's `axis`): x: [outer][channels][inner], y likewise,
 * y[o][c][i] = clamp(nearbyint(x[o][c][i] / scale[c]) + zp[c], lo, hi), each channel's
 * slice exactly as mn_quantize_s8 with scale[c] and zp[c]. scale: [channels], zp:
 * [channels]. Precondition (not checked; meshnn refuses anything else at compile time):
 * every scale is finite and > 0, and -128 <= lo <= hi <= 127. */
typedef struct {
    int32_t outer, channels, inner;
    int32_t lo, hi;
} mn_quantize_axis_s8_params_t;

void mn_quantize_axis_s8(const mn_quantize_axis_s8_params_t *p, const float *scale,
                         const int32_t *zp, const float *x, int8_t *y);

/* DequantizeLinear (per tensor): y = (float)(x - zp) * scale. */
typedef struct {
    int32_t size;
    float scale;
    int32_t zp;
} mn_dequantize_s8_params_t;

void mn_dequantize_s8(const mn_dequantize_s8_params_t *p, const int8_t *x, float *y);

/* Softmax of dequantised rows, int8 in, float out: x: [rows][n], y: [rows][n],
 * y[r][j] = e_j / sum e with e_j = expf(scale * (x[r][j] - max_r)) (the zero point
 * cancels; max_r is the row's maximum, so every exponent is <= 0). */
typedef struct {
    int32_t rows, n;
    float scale;
} mn_softmax_s8_params_t;

void mn_softmax_s8(const mn_softmax_s8_params_t *p, const int8_t *x, float *y);

#ifdef __cplusplus
}
#endif

#endif /* MN_KERNELS_S8_H */
