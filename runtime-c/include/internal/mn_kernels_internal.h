/*
 * meshnn runtime internals: helpers shared by several kernel sources. Not part of the
 * kernel API (mn_kernels.h): generated code never calls them, and they may change with
 * the kernels. Kernel sources include this header (it includes mn_kernels.h); meshnn
 * copies it into a device folder, as internal/mn_kernels_internal.h, beside the kernel
 * sources that include it (the layout of runtime-c/include, so "../mn_kernels.h"
 * resolves in both).
 */
#ifndef MN_KERNELS_INTERNAL_H
#define MN_KERNELS_INTERNAL_H

#include "../mn_kernels.h"

#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GCC's -O3 unroll-and-jam interleaves two iterations of an outer loop around the inner
 * loop that the vectoriser should keep whole, which left the depthwise kernel's tap loop
 * scalar and made the convolution tile spill with AVX2. The fast kernels opt out of it on
 * GCC. */
#if defined(__GNUC__) && !defined(__clang__)
#define MN_NO_UNROLL_AND_JAM __attribute__((optimize("no-loop-unroll-and-jam")))
#else
#define MN_NO_UNROLL_AND_JAM
#endif

/* a * b + c in the scalar tiles of MCU builds (mn_conv2d_fast_f32's 8 x 3 tile,
 * mn_conv2d_dw_f32's per-channel path): one fused multiply-add (fmaf, one rounding) where
 * the compiler says the target has a fast one (__FP_FAST_FMAF: Cortex-M4F/M33 `vfma.f32`),
 * a multiply and an add elsewhere. ISO C mode (-std=c99) does not contract `a * b + c`,
 * so without this the Cortex-M4F ran `vmul.f32` + `vadd.f32` per multiply-add. The SIMD
 * tiles of host builds do not use it (they fuse only under -ffp-contract=fast, as
 * `meshnn bench` builds them). */
#if defined(FP_FAST_FMAF) || defined(__FP_FAST_FMAF)
#define MN_MADD(a, b, c) fmaf((a), (b), (c))
#else
#define MN_MADD(a, b, c) ((a) * (b) + (c))
#endif

/* Store a tile of accumulators from registers through the activation `act` (a
 * `const mn_act_t *` in scope): STORE(F) stores every accumulator v as F(v); the kind is
 * tested once per tile, ReLU and none inline, the other kinds through mn_act_apply (the
 * scalar tiles of MCU builds). */
#define MN_ACT_SAME(v) (v)
#define MN_ACT_ANY(v) mn_act_apply(act, v)
#define MN_ACT_STORE_REGS(STORE)                                                          \
    do {                                                                                  \
        if (act->kind == MN_ACT_RELU) {                                                   \
            STORE(mn_relu);                                                               \
        } else if (act->kind == MN_ACT_NONE) {                                            \
            STORE(MN_ACT_SAME);                                                           \
        } else {                                                                          \
            STORE(MN_ACT_ANY);                                                            \
        }                                                                                 \
    } while (0)

/* The activations that are a clamp, mn_clampf (none: -inf, inf; ReLU: 0, inf, the same
 * values as mn_relu, -0 and NaN included; Clip: its bounds): their
 * bounds in *lo, *hi and 1, or 0 for the other kinds. The SIMD tiles of host builds store
 * these inline (a max and a min per vector) instead of calling mn_act_store_f32 per row. */
static inline int mn_act_clamp_bounds(const mn_act_t *a, float *lo, float *hi)
{
    switch (a->kind) {
    case MN_ACT_NONE: *lo = -HUGE_VALF, *hi = HUGE_VALF; return 1;
    case MN_ACT_RELU: *lo = 0.0f, *hi = HUGE_VALF; return 1;
    case MN_ACT_CLIP: *lo = a->lo, *hi = a->hi; return 1;
    default: return 0;
    }
}

/* y[0 .. n) = clamp(src[0 .. n)) with the bounds of mn_act_clamp_bounds (n a constant
 * where the compiler should make it whole vectors: GCC unrolls a loop of 8 or 16
 * completely first and then leaves it scalar, so it is kept a loop). */
#if defined(__GNUC__) && !defined(__clang__)
#define MN_KEEP_LOOP _Pragma("GCC unroll 1")
#else
#define MN_KEEP_LOOP
#endif
#define MN_CLAMP_STORE(dst, src, n, lo, hi)                                               \
    do {                                                                                  \
        int32_t mn_i_;                                                                    \
        MN_KEEP_LOOP                                                                      \
        for (mn_i_ = 0; mn_i_ < (n); ++mn_i_) {                                           \
            (dst)[mn_i_] = mn_clampf((src)[mn_i_], (lo), (hi));                           \
        }                                                                                 \
    } while (0)

/* GCC turns short copy and zero-fill loops into memcpy / memset calls
 * (-ftree-loop-distribute-patterns), which cost more than the loop on rows of a few
 * floats (the depthwise kernel's ring rows on MCUs); the functions that copy such rows opt
 * out. */
#if defined(__GNUC__) && !defined(__clang__)
#define MN_NO_LIBCALL_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define MN_NO_LIBCALL_LOOPS
#endif

/* A hot inner loop kept out of its (large) caller, so that it gets the registers to
 * itself: inlined into mn_conv2d_fast_s8, the int8 tile's loop spilled accumulators and
 * pointers on the Cortex-M0+ (8 low registers). */
#if defined(__GNUC__)
#define MN_NOINLINE __attribute__((noinline))
#else
#define MN_NOINLINE
#endif

/* A rarely taken path, compiled for size and kept out of its caller (GCC/Clang's cold;
 * the branch that calls it is then laid out as unlikely). Only for calls made on some
 * paths: a function that calls a cold one unconditionally is itself taken as cold and
 * compiled for size (the int8 convolution's once-per-call channel table made so cost
 * nonn_k4 on the Cortex-M4F 7 % more instructions). */
#if defined(__GNUC__)
#define MN_COLD __attribute__((cold, noinline))
#else
#define MN_COLD
#endif

/* A rarely taken helper defined in a header, kept out of its callers' code (static:
 * one copy per source file that calls it, none in the others). */
#if defined(__GNUC__)
#define MN_OUT_OF_LINE __attribute__((noinline, unused))
#else
#define MN_OUT_OF_LINE
#endif

/* Pointer p, which the caller knows to be 4-byte aligned, said so to the compiler (so
 * that memcpy of a word through it is one load or store, also where unaligned accesses
 * fault, as on the Cortex-M0+). */
#if defined(__GNUC__)
#define MN_ASSUME_ALIGNED4(p) __builtin_assume_aligned((p), 4)
#else
#define MN_ASSUME_ALIGNED4(p) (p)
#endif

/* A small helper that must be inlined into its hot caller (GCC's size heuristics keep
 * some out of line at -O2, and then pay a call and a register save per use). */
#if defined(__GNUC__)
#define MN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MN_ALWAYS_INLINE inline
#endif

/* The larger of the running maximum m and v; NaN once either is NaN (max pooling and
 * ReduceMax propagate NaN, as numpy's maximum does). */
static inline float mn_max_nan(float m, float v)
{
    return (v > m || v != v) && m == m ? v : m;
}

/* Range [*start, *end) of kernel (or window) taps i < k with lo <= base + i * dil < hi:
 * the taps of one output position that fall inside [lo, hi) (the reference convolution
 * and pooling). */
static inline void mn_tap_range(int32_t base, int32_t dil, int32_t k, int32_t lo, int32_t hi,
                                int32_t *start, int32_t *end)
{
    int32_t s = 0, e = k;
    if (base < lo) {
        s = (lo - base + dil - 1) / dil;
    }
    if (base + (k - 1) * dil >= hi) {
        e = (hi - base <= 0) ? 0 : (hi - base + dil - 1) / dil;
    }
    if (s > e) {
        s = e;
    }
    *start = s;
    *end = e;
}

/* Window geometry of the N-d reference convolution and pooling (mn_conv_nd_f32,
 * mn_pool_nd_f32): the input offset of tap `tap` (flat, row-major over k[0..nd)) of
 * the window whose first tap lies at base[0..nd) (may be negative), or -1 when it falls
 * outside [0, in[d]) on some axis. */
static inline int32_t mn_window_tap_offset(int32_t nd, const int32_t *in, const int32_t *k,
                                           const int32_t *dil, const int32_t *base,
                                           int32_t tap)
{
    int32_t d, off = 0, stride = 1;
    for (d = nd - 1; d >= 0; --d) {
        const int32_t pos = base[d] + (tap % k[d]) * dil[d];
        if (pos < 0 || pos >= in[d]) {
            return -1;
        }
        off += pos * stride;
        stride *= in[d];
        tap /= k[d];
    }
    return off;
}

/* base[d] = o_d * stride[d] - pad[d] for the output position o (flat, row-major over
 * out[0..nd)): the first tap of its window. */
static inline void mn_window_base(int32_t nd, const int32_t *out, const int32_t *stride,
                                  const int32_t *pad, int32_t o, int32_t *base)
{
    int32_t d;
    for (d = nd - 1; d >= 0; --d) {
        base[d] = (o % out[d]) * stride[d] - pad[d];
        o /= out[d];
    }
}

/* The product of dims[0..n). */
static inline int32_t mn_prod(int32_t n, const int32_t *dims)
{
    int32_t d, p = 1;
    for (d = 0; d < n; ++d) {
        p *= dims[d];
    }
    return p;
}

/* Odometer over the outer axes of a strided loop nest (last axis fastest), for the
 * strided kernels (binary, copy, matmul, reduce).
 * mn_odometer_start zeroes idx[0..rank) and returns 0 when some dims[d] <= 0 (an empty
 * tensor: nothing to do), 1 otherwise.
 * mn_odometer_next advances idx over dims[0..rank) by one step, moving *a_off by the
 * strides sa and, when sb is not NULL, *b_off by sb along the axes that change; it
 * returns 0 once the odometer has wrapped around (the last step was taken). */
static inline int mn_odometer_start(int32_t rank, const int32_t *dims, int32_t *idx)
{
    int32_t d;
    for (d = 0; d < rank; ++d) {
        if (dims[d] <= 0) {
            return 0;
        }
        idx[d] = 0;
    }
    return 1;
}

static inline int mn_odometer_next(int32_t rank, const int32_t *dims, int32_t *idx,
                                   const int32_t *sa, int32_t *a_off, const int32_t *sb,
                                   int32_t *b_off)
{
    int32_t d;
    for (d = rank - 1; d >= 0; --d) {
        *a_off += sa[d];
        if (sb) {
            *b_off += sb[d];
        }
        if (++idx[d] < dims[d]) {
            return 1;
        }
        *a_off -= sa[d] * dims[d];
        if (sb) {
            *b_off -= sb[d] * dims[d];
        }
        idx[d] = 0;
    }
    return 0;
}

/* dst[i] = act(src[i]) for i < n, with the activation chosen once per call so that each
 * case is a loop compilers vectorise: the store of the fast kernels' accumulators
 * (mn_act_store_f32.c). src and dst must not overlap. (A function of its own, not
 * inline: inlined eight times into the convolution tile it slowed the tile's inner loop
 * by a third.) */
void mn_act_store_f32(const mn_act_t *a, const float *src, float *dst, int32_t n);

/* ---------------------------------------------------------------- fast convolutions */

/* Shared by the fast convolutions (mn_conv_pad_f32.c): the padded extent they read,
 * split into stride phases. With `direct`, the input is read in place (no padding,
 * stride 1); otherwise one input channel becomes s_h * s_w phase planes of hq x wq floats
 * (`pitch` floats in all), zero where the window falls on padding. Output position
 * (oh, ow) is "wide row" position j = oh * wq + ow; columns ow >= out_w are computed and
 * dropped. */
typedef struct {
    int32_t s_h, s_w;  /* strides */
    int32_t hq, wq;    /* rows, columns of one phase plane */
    int32_t pitch;     /* floats per input channel in the planes read */
    int32_t direct;    /* 1: read x in place (no padding, stride 1) */
    int32_t n_pos;     /* positions j computed: (out_h - 1) * wq + out_w */
} mn_conv_pad_geom_t;

void mn_conv_pad_geometry(const mn_conv_params_t *p, mn_conv_pad_geom_t *g);

/* Copy one input channel xc ([in_h][in_w]) into the phase-split padded layout xq
 * (g->pitch floats). */
void mn_conv_pad_channel_f32(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                             const float *xc, float *xq);

/* Offset in that layout of each kernel tap (kh * k_w + kw) relative to output position
 * 0: taps holds k_h * k_w values. */
void mn_conv_pad_taps(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                      int32_t *taps);

/* Store the accumulators of wide-row positions j0 .. j0 + nr - 1 (rows of g->wq
 * positions) of `rows` output planes (plane r's at acc + r * acc_stride, its plane at
 * y + r * out_plane, [out_h][out_w]) through the activation, skipping the dropped columns
 * ow >= out_w. */
void mn_conv_store_wide_f32(const mn_act_t *act, const mn_conv_pad_geom_t *g, int32_t out_w,
                            const float *acc, int32_t acc_stride, int32_t rows,
                            int32_t out_plane, int32_t j0, int32_t nr, float *y);

/* ---- recurrent kernels (RNN, GRU, LSTM) ---- */

/* acc[i] += sum_j m[i * cols + j] * v[j] for i < rows (m row-major). */
static inline void mn_matvec_acc_f32(const float *m, const float *v, int32_t rows,
                                     int32_t cols, float *acc)
{
    int32_t i, j;
    for (i = 0; i < rows; ++i) {
        const float *row = m + i * cols;
        float s = 0.0f;
        for (j = 0; j < cols; ++j) {
            s += row[j] * v[j];
        }
        acc[i] += s;
    }
}

static inline float mn_sigmoid_f32(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Offset of x[t] of batch entry b (mn_rnn_params_t layouts). */
static inline int32_t mn_rnn_x_at(const mn_rnn_params_t *p, int32_t t, int32_t b)
{
    return (p->batch_first ? b * p->seq + t : t * p->batch + b) * p->input;
}

/* Offset of y[t] of direction d and batch entry b. */
static inline int32_t mn_rnn_y_at(const mn_rnn_params_t *p, int32_t t, int32_t d, int32_t b)
{
    const int32_t row = p->batch_first ? (b * p->seq + t) * p->dirs + d
                                       : (t * p->dirs + d) * p->batch + b;
    return row * p->hidden;
}

/* Offset of the state (h0, c0, y_h, y_c) of direction d and batch entry b. */
static inline int32_t mn_rnn_state_at(const mn_rnn_params_t *p, int32_t d, int32_t b)
{
    return (p->batch_first ? b * p->dirs + d : d * p->batch + b) * p->hidden;
}

/* Time index of step s of direction d. */
static inline int32_t mn_rnn_time(const mn_rnn_params_t *p, int32_t d, int32_t s)
{
    return (d == 1 || p->reverse) ? p->seq - 1 - s : s;
}

/* h[0..n) = src + off, or zero when src is NULL (an absent initial state). */
static inline void mn_rnn_init_state(const float *src, int32_t off, int32_t n, float *h)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        h[i] = src ? src[off + i] : 0.0f;
    }
}

/* dst + off = h[0..n) when dst is not NULL (an output the node has). */
static inline void mn_rnn_store(float *dst, int32_t off, int32_t n, const float *h)
{
    int32_t i;
    if (dst) {
        for (i = 0; i < n; ++i) {
            dst[off + i] = h[i];
        }
    }
}

/* g[i] = bias[i] + (W x)[i] for i < n (bias NULL: zero); w is [n][input]. */
static inline void mn_rnn_gates_set(const float *bias, const float *w, const float *x,
                                    int32_t n, int32_t input, float *g)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        g[i] = bias ? bias[i] : 0.0f;
    }
    mn_matvec_acc_f32(w, x, n, input, g);
}

/* g[i] += bias[i] + (R h)[i] for i < n (bias NULL: zero); r is [n][hidden]. */
static inline void mn_rnn_gates_add(const float *bias, const float *r, const float *h,
                                    int32_t n, int32_t hidden, float *g)
{
    int32_t i;
    if (bias) {
        for (i = 0; i < n; ++i) {
            g[i] += bias[i];
        }
    }
    mn_matvec_acc_f32(r, h, n, hidden, g);
}

#ifdef __cplusplus
}
#endif

#endif /* MN_KERNELS_INTERNAL_H */
