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

/* The running maximum of max pooling, NaN-aware as onnxruntime's: v replaces m unless
 * v <= m, so a NaN replaces m and is kept until a later value replaces it (a window
 * [0, NaN] gives NaN, [NaN, 1] gives 1). */
static inline float mn_max_nan(float m, float v)
{
    return v <= m ? m : v;
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

/* Store the accumulators acc[0..nr) of wide-row positions j0 .. j0 + nr - 1 (rows of
 * g->wq positions) through the activation into one output plane y ([out_h][out_w]),
 * skipping the dropped columns ow >= out_w. */
void mn_conv_store_wide_f32(const mn_act_t *act, const mn_conv_pad_geom_t *g, int32_t out_w,
                            const float *acc, int32_t j0, int32_t nr, float *y);

#ifdef __cplusplus
}
#endif

#endif /* MN_KERNELS_INTERNAL_H */
