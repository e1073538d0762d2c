/* mn_conv2d_fast_f32: convolution as a register-blocked matrix product over a padded,
 * stride-phase-split copy of the input (portable C99 written for auto-vectorisation).
 * See mn_kernels.h for the contract and mn_conv2d_f32.c for the reference it matches.
 *
 * Method. The input is copied once per image into scratch as xq[c][phase][hq][wq]: the
 * zero-padded input split into stride_h * stride_w phases, so that every kernel tap
 * (kh, kw) reads a *contiguous* run of one phase plane. Output position (oh, ow) maps
 * to j = oh * wq + ow ("wide rows": the columns ow >= out_w are computed and dropped),
 * and the convolution becomes, per group,
 *     Y[oc][j] = b[oc] + sum_{ic, tap} W[oc][ic][tap] * xq[ic][off(tap) + j],
 * a matrix product whose inner loop runs over MR output channels x NR consecutive j
 * with the accumulators in registers. The weights are packed (see
 * mn_conv2d_fast_f32_pack) so that the MR weights of one (tap, input channel) are
 * adjacent; channel tiles are padded with zero weights, so every tile is full height. With no padding and stride 1 the input is read
 * in place and no scratch is used. On vector units, planes narrower than a tile run
 * channel tiles (mn_cf_tile_chan), and planes half a tile wide run tiles of two output
 * rows (mn_cf_tile_rows2) instead of wide rows. */
#include "internal/mn_kernels_internal.h"

#include <string.h>

#define MN_CF_MR MN_CONV_FAST_MR /* output channels per tile (8: mn_cf_tile spells them out) */
/* Output positions per tile (the vector direction): the 8 x MN_CF_NR accumulators must
 * fit the vector registers, with room for inputs and weights. 16 with AVX-512; 8 with
 * AVX/AVX2 (16 would need all 16 ymm registers and spills; 8 runs nonn_k4 about 10 %
 * faster in an interleaved A/B) and NEON (by the same register count; not measured);
 * 3 on scalar FPUs (Cortex-M4F/M33, RV32F), where the 8 x 3 accumulators, 3 inputs
 * and one weight of mn_cf_tile's scalar form fit the 32 FPU registers (8 x 2 was a third
 * fewer instructions than 16 for nonn_k4 on a Cortex-M4F; 8 x 3 loads 11 floats per 24
 * multiply-adds instead of 10 per 16), 2 with soft float (Cortex-M0+, RV32IMC). At most
 * MN_CF_SLACK. */
#ifndef MN_CF_NR /* tests build every form: -DMN_CF_NR=2, 3, 8 */
#if defined(__AVX512F__)
#define MN_CF_NR 16 /* 8 accumulator rows = 8 of the 32 zmm registers */
#elif defined(__AVX__) || defined(__ARM_NEON) || defined(__aarch64__)
#define MN_CF_NR 8 /* 8 rows of 8 lanes: 8 ymm of 16 (AVX2), 16 q of 32 (NEON) */
#elif defined(__SSE2__) || defined(__riscv_vector) || defined(__ALTIVEC__) || \
    defined(__wasm_simd128__)
#define MN_CF_NR 16
#elif (defined(__ARM_FP) && (__ARM_FP & 4)) || (defined(__riscv_flen) && __riscv_flen >= 32)
#define MN_CF_NR 3 /* a scalar FPU of 32 single-precision registers */
#else
#define MN_CF_NR 2 /* soft float: 8 x 3 ran nonn_k4 7 % slower than 8 x 2 on a Cortex-M0+ */
#endif
#endif
/* Positions per channel tile (mn_cf_tile_chan), on vector units: planes narrower than
 * a tile are vectorised across the channels instead. 0: not built. */
#if MN_CF_NR >= 8
#define MN_CF_PC 12 /* 12 accumulator vectors, a weight vector, broadcasts from memory */
#else
#define MN_CF_PC 0
#endif
/* With 8 positions (MN_CF_NR = 8) GCC would unroll the position loop completely and then
 * vectorise across the 8 channel rows instead (weights in a vector, each input
 * broadcast), which needs a transpose per tile; keeping the loop makes it vectorise
 * across positions. (mn_cf_tile_chan is that form on purpose, for planes narrower than
 * a tile.) */
#if MN_CF_NR == 8 && defined(__GNUC__)
#define MN_CF_KEEP_LOOP _Pragma("GCC unroll 1")
#else
#define MN_CF_KEEP_LOOP
#endif
/* Also with MN_CF_NR = 8, GCC's unroll-and-jam (-O3) interleaves two input channels of
 * the tile loop, and their 16 broadcast weights no longer fit the registers next to the 8
 * accumulators: keep one channel per iteration (cnn32 ran about 25 % faster with AVX2). */
#if MN_CF_NR == 8
#define MN_CF_NO_JAM MN_NO_UNROLL_AND_JAM
#else
#define MN_CF_NO_JAM
#endif
#define MN_CF_SLACK 16 /* floats of scratch slack: >= MN_CF_NR */
/* MN_CF_ROWS2: on vector units, planes MN_CF_NR / 2 wide (cnn32's 8 x 8 stage with
 * AVX-512) run tiles of two output rows, each row's half of the vector loaded from its
 * own input row and the two joined by one shuffle (GCC 12 and Clang: vector extensions),
 * instead of wide rows that compute 10 positions per 8 outputs and store through
 * mn_conv_store_wide_f32. Tests force it off with -DMN_CF_ROWS2=0. */
#ifndef MN_CF_ROWS2
#if MN_CF_NR >= 8 && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12))
#define MN_CF_ROWS2 1
#else
#define MN_CF_ROWS2 0
#endif
#endif
#if MN_CF_ROWS2
typedef float mn_cf_half_t __attribute__((vector_size(MN_CF_NR * 2), aligned(4), may_alias));
typedef float mn_cf_vec_t __attribute__((vector_size(MN_CF_NR * 4)));
#if MN_CF_NR == 16
#define MN_CF_ROWS2_LANES 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
#elif MN_CF_NR == 8
#define MN_CF_ROWS2_LANES 0, 1, 2, 3, 4, 5, 6, 7
#else
#error "MN_CF_ROWS2 needs MN_CF_NR 8 or 16"
#endif
/* xv = x[0 .. NR/2) then x[hs .. hs + NR/2): two input rows' runs as one tile's inputs. */
static MN_ALWAYS_INLINE void mn_cf_rows2(const float *x, int32_t hs, float xv[MN_CF_NR])
{
    const mn_cf_vec_t v = __builtin_shufflevector(*(const mn_cf_half_t *)x,
                                                  *(const mn_cf_half_t *)(x + hs),
                                                  MN_CF_ROWS2_LANES);
    memcpy(xv, &v, sizeof v);
}
#endif

/* The loops of the vector tiles: every kernel tap t and input channel ic of the group, xk
 * the tile's first input of that tap and channel, w that pair's MN_CF_MR weights (the
 * packed order); the arguments accumulate them. Callers declare t, ic and have xj, taps,
 * n_taps, cin_g, pitch and w. */
#define MN_CF_EACH_TAP_INPUT(...)                                                         \
    for (t = 0; t < n_taps; ++t) {                                                        \
        const float *xk = xj + taps[t];                                                   \
        for (ic = 0; ic < cin_g; ++ic) {                                                  \
            __VA_ARGS__                                                                   \
            xk += pitch;                                                                  \
            w += MN_CF_MR;                                                                \
        }                                                                                 \
    }

int32_t mn_conv2d_fast_f32_scratch_size(const mn_conv_params_t *p)
{
    mn_conv_pad_geom_t g;
    mn_conv_pad_geometry(p, &g);
    /* MN_CF_SLACK floats of slack: the last tile may read (and drop) past the end. */
    return g.direct ? 0 : p->c_in * g.pitch + MN_CF_SLACK;
}

/* Copy image x ([c_in][in_h][in_w]) into the phase-split padded layout. */
static void mn_cf_pack(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                       const float *restrict x, float *restrict xq)
{
    int32_t c, j;
    for (c = 0; c < p->c_in; ++c) {
        mn_conv_pad_channel_f32(p, g, x + c * p->in_h * p->in_w, xq + c * g->pitch);
    }
    for (j = 0; j < MN_CF_SLACK; ++j) {
        xq[p->c_in * g->pitch + j] = 0.0f;
    }
}

#if MN_CF_NR <= 3
/* One tile on a scalar FPU or soft float: 8 channels x MN_CF_NR (3 or 2) positions, the
 * accumulators and inputs spelled out as scalars so that they live in the 32 FPU
 * registers, each weight loaded just before its multiply-adds (one register); one
 * instruction per multiply-add where the FPU fuses (MN_MADD). 8 weights + 3 inputs load
 * per 24 multiply-adds (8 x 2: 10 per 16). Stored from the registers through the
 * activation (MN_ACT_STORE_REGS). MN_CF_COLS(M, r) applies M(r, v) to the columns v. */
#if MN_CF_NR == 3
#define MN_CF_COLS(M, r) M(r, 0); M(r, 1); M(r, 2)
#else
#define MN_CF_COLS(M, r) M(r, 0); M(r, 1)
#endif
#define MN_CF_MAC(r, v) c##r##v = MN_MADD(wr, x##v, c##r##v)
#define MN_CF_ROW(r)                                                                      \
    do {                                                                                  \
        const float wr = w[r];                                                            \
        MN_CF_COLS(MN_CF_MAC, r);                                                         \
    } while (0)
#define MN_CF_X(r, v) const float x##v = xk_[v]
/* One input channel of one tap: the weights w[0..8) and the inputs xk[0..MN_CF_NR). */
#define MN_CF_STEP(xk)                                                                    \
    do {                                                                                  \
        const float *xk_ = (xk);                                                          \
        MN_CF_COLS(MN_CF_X, 0);                                                           \
        MN_CF_ROW(0);                                                                     \
        MN_CF_ROW(1);                                                                     \
        MN_CF_ROW(2);                                                                     \
        MN_CF_ROW(3);                                                                     \
        MN_CF_ROW(4);                                                                     \
        MN_CF_ROW(5);                                                                     \
        MN_CF_ROW(6);                                                                     \
        MN_CF_ROW(7);                                                                     \
        w += MN_CF_MR;                                                                    \
    } while (0)
#define MN_CF_INIT1(r, v) float c##r##v = bias[r]
#define MN_CF_INIT(r) MN_CF_COLS(MN_CF_INIT1, r)
#define MN_CF_ACC1(r, v) acc[r][v] = c##r##v
#define MN_CF_ACC(r) MN_CF_COLS(MN_CF_ACC1, r)
#if MN_CF_NR == 3
#define MN_CF_PUT(r, F)                                                                   \
    y[(r) * out_plane] = F(c##r##0);                                                      \
    y[(r) * out_plane + 1] = F(c##r##1);                                                  \
    y[(r) * out_plane + 2] = F(c##r##2)
#else
#define MN_CF_PUT(r, F)                                                                   \
    y[(r) * out_plane] = F(c##r##0);                                                      \
    y[(r) * out_plane + 1] = F(c##r##1)
#endif
#define MN_CF_STORE(F)                                                                    \
    MN_CF_PUT(0, F); MN_CF_PUT(1, F); MN_CF_PUT(2, F); MN_CF_PUT(3, F);                   \
    MN_CF_PUT(4, F); MN_CF_PUT(5, F); MN_CF_PUT(6, F); MN_CF_PUT(7, F)
static void mn_cf_tile(const float *restrict xj, int32_t cin_g, int32_t pitch,
                       const int32_t *restrict taps, int32_t n_taps,
                       const float *restrict w, const float *restrict bias,
                       float acc[MN_CF_MR][MN_CF_NR], const mn_act_t *act, float *restrict y,
                       int32_t out_plane)
{
    MN_CF_INIT(0); MN_CF_INIT(1); MN_CF_INIT(2); MN_CF_INIT(3);
    MN_CF_INIT(4); MN_CF_INIT(5); MN_CF_INIT(6); MN_CF_INIT(7);
    int32_t ic, t;
    if (cin_g == 1) { /* one channel (a first layer): one loop over the taps */
        for (t = 0; t < n_taps; ++t) {
            MN_CF_STEP(xj + taps[t]);
        }
    } else {
        for (t = 0; t < n_taps; ++t) {
            const float *xk = xj + taps[t];
            for (ic = cin_g; ic > 0; --ic) {
                MN_CF_STEP(xk);
                xk += pitch;
            }
        }
    }
    if (!y) {
        MN_CF_ACC(0); MN_CF_ACC(1); MN_CF_ACC(2); MN_CF_ACC(3);
        MN_CF_ACC(4); MN_CF_ACC(5); MN_CF_ACC(6); MN_CF_ACC(7);
    } else {
        MN_ACT_STORE_REGS(MN_CF_STORE);
    }
}
#undef MN_CF_COLS
#undef MN_CF_MAC
#undef MN_CF_ROW
#undef MN_CF_X
#undef MN_CF_STEP
#undef MN_CF_INIT1
#undef MN_CF_INIT
#undef MN_CF_ACC1
#undef MN_CF_ACC
#undef MN_CF_PUT
#undef MN_CF_STORE
#else
/* MN_CF_PAIR: tiles run in pairs where there are registers for both (AVX-512; with
 * SSE2's 16 registers the pair ran cnn32 5 % slower). Tests force it with -DMN_CF_PAIR=1. */
#ifndef MN_CF_PAIR
#if defined(__AVX512F__) && MN_CF_NR >= 16
#define MN_CF_PAIR 1
#else
#define MN_CF_PAIR 0
#endif
#endif

/* dst[i] = HardSwish(src[i]) for i < n, as mn_act_store_f32 computes it, inline: the SIMD
 * tiles store MobileNetV3's HardSwish this way instead of eight calls per tile (which
 * took 9 % of the model's time). */
#define MN_HSWISH_STORE(dst, src, n)                                                      \
    do {                                                                                  \
        int32_t mn_i_;                                                                    \
        MN_KEEP_LOOP                                                                      \
        for (mn_i_ = 0; mn_i_ < (n); ++mn_i_) {                                           \
            (dst)[mn_i_] = (src)[mn_i_] * mn_unit_clamp((src)[mn_i_] * (1.0f / 6.0f) + 0.5f); \
        }                                                                                 \
    } while (0)

/* Store the rows P0..P7 of a tile to yd through the activation (the clamp inline when
 * `clamp`, HardSwish inline on vector units), or with yd NULL into accd. */
#define MN_CF_STORE_ROWS(P, yd, accd)                                                     \
    do {                                                                                  \
        if (!(yd)) {                                                                      \
            for (v = 0; v < MN_CF_NR; ++v) {                                              \
                accd[0][v] = P##0[v];                                                     \
                accd[1][v] = P##1[v];                                                     \
                accd[2][v] = P##2[v];                                                     \
                accd[3][v] = P##3[v];                                                     \
                accd[4][v] = P##4[v];                                                     \
                accd[5][v] = P##5[v];                                                     \
                accd[6][v] = P##6[v];                                                     \
                accd[7][v] = P##7[v];                                                     \
            }                                                                             \
        } else if (clamp) {                                                               \
            MN_CLAMP_STORE(yd, P##0, MN_CF_NR, lo, hi);                                   \
            MN_CLAMP_STORE(yd + out_plane, P##1, MN_CF_NR, lo, hi);                       \
            MN_CLAMP_STORE(yd + 2 * out_plane, P##2, MN_CF_NR, lo, hi);                   \
            MN_CLAMP_STORE(yd + 3 * out_plane, P##3, MN_CF_NR, lo, hi);                   \
            MN_CLAMP_STORE(yd + 4 * out_plane, P##4, MN_CF_NR, lo, hi);                   \
            MN_CLAMP_STORE(yd + 5 * out_plane, P##5, MN_CF_NR, lo, hi);                   \
            MN_CLAMP_STORE(yd + 6 * out_plane, P##6, MN_CF_NR, lo, hi);                   \
            MN_CLAMP_STORE(yd + 7 * out_plane, P##7, MN_CF_NR, lo, hi);                   \
        } else if (MN_CF_NR >= 8 && act->kind == MN_ACT_HARD_SWISH) {                    \
            MN_HSWISH_STORE(yd, P##0, MN_CF_NR);                                          \
            MN_HSWISH_STORE(yd + out_plane, P##1, MN_CF_NR);                              \
            MN_HSWISH_STORE(yd + 2 * out_plane, P##2, MN_CF_NR);                          \
            MN_HSWISH_STORE(yd + 3 * out_plane, P##3, MN_CF_NR);                          \
            MN_HSWISH_STORE(yd + 4 * out_plane, P##4, MN_CF_NR);                          \
            MN_HSWISH_STORE(yd + 5 * out_plane, P##5, MN_CF_NR);                          \
            MN_HSWISH_STORE(yd + 6 * out_plane, P##6, MN_CF_NR);                          \
            MN_HSWISH_STORE(yd + 7 * out_plane, P##7, MN_CF_NR);                          \
        } else {                                                                          \
            mn_act_store_f32(act, P##0, yd, MN_CF_NR);                                    \
            mn_act_store_f32(act, P##1, yd + out_plane, MN_CF_NR);                        \
            mn_act_store_f32(act, P##2, yd + 2 * out_plane, MN_CF_NR);                    \
            mn_act_store_f32(act, P##3, yd + 3 * out_plane, MN_CF_NR);                    \
            mn_act_store_f32(act, P##4, yd + 4 * out_plane, MN_CF_NR);                    \
            mn_act_store_f32(act, P##5, yd + 5 * out_plane, MN_CF_NR);                    \
            mn_act_store_f32(act, P##6, yd + 6 * out_plane, MN_CF_NR);                    \
            mn_act_store_f32(act, P##7, yd + 7 * out_plane, MN_CF_NR);                    \
        }                                                                                 \
    } while (0)

/* Position v of the rows P0..P7 of a tile += the weights w0..w7 times input x. */
#define MN_CF_MAC_ROWS(P, x)                                                              \
    do {                                                                                  \
        const float x_ = (x);                                                             \
        P##0[v] += w0 * x_;                                                               \
        P##1[v] += w1 * x_;                                                               \
        P##2[v] += w2 * x_;                                                               \
        P##3[v] += w3 * x_;                                                               \
        P##4[v] += w4 * x_;                                                               \
        P##5[v] += w5 * x_;                                                               \
        P##6[v] += w6 * x_;                                                               \
        P##7[v] += w7 * x_;                                                               \
    } while (0)

/* With rows2, point xa and xb at the two tiles' inputs joined from their two rows. */
#if MN_CF_ROWS2
#define MN_CF_ROWS2_LOAD(xa, xb)                                                          \
    float ra_[MN_CF_NR], rb_[MN_CF_NR];                                                   \
    if (rows2) {                                                                          \
        mn_cf_rows2(xa, hs, ra_);                                                         \
        xa = ra_;                                                                         \
        if (nt == 2) {                                                                    \
            mn_cf_rows2(xb, hs, rb_);                                                     \
            xb = rb_;                                                                     \
        }                                                                                 \
    }
#else
#define MN_CF_ROWS2_LOAD(xa, xb) (void)rows2, (void)hs
#endif

/* nt (1 or 2, a constant of each caller) tiles of MN_CF_MR (= 8) channels x MN_CF_NR
 * positions: the first at xj, the second dj positions after it in the input layout and
 * ydj after it in the output planes (the next output row, or the next tile of a plane).
 * With rows2 (a constant too) each tile's second half of positions starts hs after its
 * first instead of right after it (two output rows of MN_CF_NR / 2).
 * The rows are spelled out (a0..a7, b0..b7) so that compilers keep the accumulators in
 * vector registers; a pair broadcasts each weight once for both tiles and has 16
 * independent multiply-add chains (one tile's 8 left the units waiting on their latency
 * on AVX-512). Stored to y through the activation, or with y NULL into acc_a (acc_b). */
static MN_ALWAYS_INLINE void MN_CF_NO_JAM
mn_cf_tiles(const float *restrict xj, int32_t dj, int32_t cin_g, int32_t pitch,
            const int32_t *restrict taps, int32_t n_taps, const float *restrict w,
            const float *restrict bias, float acc_a[MN_CF_MR][MN_CF_NR],
            float acc_b[MN_CF_MR][MN_CF_NR], const mn_act_t *act, float *y, int32_t ydj,
            int32_t out_plane, const int32_t nt, const int32_t rows2, int32_t hs)
{
    float a0[MN_CF_NR], a1[MN_CF_NR], a2[MN_CF_NR], a3[MN_CF_NR];
    float a4[MN_CF_NR], a5[MN_CF_NR], a6[MN_CF_NR], a7[MN_CF_NR];
    float b0[MN_CF_NR], b1[MN_CF_NR], b2[MN_CF_NR], b3[MN_CF_NR];
    float b4[MN_CF_NR], b5[MN_CF_NR], b6[MN_CF_NR], b7[MN_CF_NR];
    float lo = 0.0f, hi = 0.0f;
    int32_t v, ic, t, clamp;
    for (v = 0; v < MN_CF_NR; ++v) {
        a0[v] = b0[v] = bias[0];
        a1[v] = b1[v] = bias[1];
        a2[v] = b2[v] = bias[2];
        a3[v] = b3[v] = bias[3];
        a4[v] = b4[v] = bias[4];
        a5[v] = b5[v] = bias[5];
        a6[v] = b6[v] = bias[6];
        a7[v] = b7[v] = bias[7];
    }
    MN_CF_EACH_TAP_INPUT(
        const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        const float w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7];
        const float *xa = xk, *xb = xk + dj;
        MN_CF_ROWS2_LOAD(xa, xb);
        MN_CF_KEEP_LOOP
        for (v = 0; v < MN_CF_NR; ++v) {
            MN_CF_MAC_ROWS(a, xa[v]);
            if (nt == 2) {
                MN_CF_MAC_ROWS(b, xb[v]);
            }
        })
    clamp = y && mn_act_clamp_bounds(act, &lo, &hi);
    MN_CF_STORE_ROWS(a, y, acc_a);
    if (nt == 2) {
        float *const yb = y ? y + ydj : y;
        MN_CF_STORE_ROWS(b, yb, acc_b);
    }
}
#undef MN_CF_STORE_ROWS
#undef MN_CF_MAC_ROWS
#undef MN_CF_ROWS2_LOAD

/* The tile of MN_CF_NR positions. */
static void MN_CF_NO_JAM mn_cf_tile(const float *restrict xj, int32_t cin_g, int32_t pitch,
                                    const int32_t *restrict taps, int32_t n_taps,
                                    const float *restrict w, const float *restrict bias,
                                    float acc[MN_CF_MR][MN_CF_NR], const mn_act_t *act,
                                    float *y, int32_t out_plane)
{
    mn_cf_tiles(xj, 0, cin_g, pitch, taps, n_taps, w, bias, acc, NULL, act, y, 0, out_plane,
                1, 0, 0);
}

#if MN_CF_ROWS2
/* The tile of two output rows of MN_CF_NR / 2, the second's inputs hs after the first's,
 * stored to y (both rows, consecutive in the output plane). */
static void MN_CF_NO_JAM mn_cf_tile_rows2(const float *restrict xj, int32_t hs, int32_t cin_g,
                                          int32_t pitch, const int32_t *restrict taps,
                                          int32_t n_taps, const float *restrict w,
                                          const float *restrict bias, const mn_act_t *act,
                                          float *y, int32_t out_plane)
{
    mn_cf_tiles(xj, 0, cin_g, pitch, taps, n_taps, w, bias, NULL, NULL, act, y, 0, out_plane,
                1, 1, hs);
}
#endif

#if MN_CF_PAIR
/* Two tiles (mn_cf_tiles), stored to y and y + ydj, or with y NULL into acc2[0] and
 * acc2[1] (rows with dropped columns). */
static void MN_CF_NO_JAM mn_cf_tile_pair(const float *restrict xj, int32_t dj, int32_t cin_g,
                                         int32_t pitch, const int32_t *restrict taps,
                                         int32_t n_taps, const float *restrict w,
                                         const float *restrict bias,
                                         float acc2[2][MN_CF_MR][MN_CF_NR], const mn_act_t *act,
                                         float *y, int32_t ydj, int32_t out_plane)
{
    mn_cf_tiles(xj, dj, cin_g, pitch, taps, n_taps, w, bias, acc2[0], acc2[1], act, y, ydj,
                out_plane, 2, 0, 0);
}

#if MN_CF_ROWS2
/* Two tiles of two output rows (mn_cf_tile_rows2): four rows, stored to y. */
static void MN_CF_NO_JAM mn_cf_tile_pair_rows2(const float *restrict xj, int32_t hs,
                                               int32_t cin_g, int32_t pitch,
                                               const int32_t *restrict taps, int32_t n_taps,
                                               const float *restrict w,
                                               const float *restrict bias, const mn_act_t *act,
                                               float *y, int32_t out_plane)
{
    mn_cf_tiles(xj, 2 * hs, cin_g, pitch, taps, n_taps, w, bias, NULL, NULL, act, y,
                MN_CF_NR, out_plane, 2, 1, hs);
}
#endif
#endif

#endif

/* A tile of nr < MN_CF_NR positions that reads only those positions. */
static void mn_cf_tile_tail(const float *restrict xj, int32_t cin_g, int32_t pitch,
                            const int32_t *restrict taps, int32_t n_taps,
                            const float *restrict w, const float *restrict bias,
                            int32_t nr, float acc[MN_CF_MR][MN_CF_NR])
{
    int32_t r, v, ic, t;
    for (r = 0; r < MN_CF_MR; ++r) {
        for (v = 0; v < nr; ++v) {
            acc[r][v] = bias[r];
        }
    }
    MN_CF_EACH_TAP_INPUT(
        for (r = 0; r < MN_CF_MR; ++r) {
            for (v = 0; v < nr; ++v) {
                acc[r][v] += w[r] * xk[v];
            }
        })
}

#if MN_CF_PC
#if defined(__GNUC__) && !defined(__clang__)
#define MN_UNROLL_ALL _Pragma("GCC unroll 16")
#else
#define MN_UNROLL_ALL
#endif
/* np (a constant of each caller, 1 .. MN_CF_PC) positions x MN_CF_MR channels starting at
 * xj, vectorised across the channels: the MR weights of one (tap, input channel) are one
 * vector (the packed layout), each input is broadcast, and each position keeps its own
 * accumulator vector. For output planes narrower than a tile (MobileNet's 3 x 3 and 2 x 2
 * stages, a 1 x 1 plane), where a tile across positions would compute mostly dropped
 * lanes. The same sums in the same order as mn_cf_tiles. Stores the first mr
 * channels to y through the activation. */
static MN_ALWAYS_INLINE void mn_cf_chan_np(const float *restrict xj, int32_t cin_g,
                                           int32_t pitch, const int32_t *restrict taps,
                                           int32_t n_taps, const float *restrict w,
                                           const float *restrict bias, const mn_act_t *act,
                                           int32_t mr, float *restrict y, int32_t out_plane,
                                           const int32_t np)
{
    float a[MN_CF_PC][MN_CF_MR], o[MN_CF_PC], lo, hi;
    int32_t v, r, ic, t;
    for (v = 0; v < np; ++v) {
        for (r = 0; r < MN_CF_MR; ++r) {
            a[v][r] = bias[r];
        }
    }
    MN_CF_EACH_TAP_INPUT(
        MN_UNROLL_ALL
        for (v = 0; v < np; ++v) {
            const float xv = xk[v];
            MN_KEEP_LOOP
            for (r = 0; r < MN_CF_MR; ++r) {
                a[v][r] += w[r] * xv;
            }
        })
    if (mn_act_clamp_bounds(act, &lo, &hi)) {
        for (r = 0; r < mr; ++r) {
            for (v = 0; v < np; ++v) {
                y[r * out_plane + v] = mn_clampf(a[v][r], lo, hi);
            }
        }
        return;
    }
    for (r = 0; r < mr; ++r) {
        for (v = 0; v < np; ++v) {
            o[v] = a[v][r];
        }
        mn_act_store_f32(act, o, y + r * out_plane, np);
    }
}

/* mn_cf_chan_np for 1 <= np <= MN_CF_PC positions, each count compiled as a constant. */
static void mn_cf_tile_chan(const float *restrict xj, int32_t cin_g, int32_t pitch,
                            const int32_t *restrict taps, int32_t n_taps,
                            const float *restrict w, const float *restrict bias,
                            const mn_act_t *act, int32_t mr, float *restrict y,
                            int32_t out_plane, int32_t np)
{
#define MN_CF_CHAN_CASE(n)                                                                \
    case n:                                                                               \
        mn_cf_chan_np(xj, cin_g, pitch, taps, n_taps, w, bias, act, mr, y, out_plane, n); \
        break
    switch (np) {
        MN_CF_CHAN_CASE(1);
        MN_CF_CHAN_CASE(2);
        MN_CF_CHAN_CASE(3);
        MN_CF_CHAN_CASE(4);
        MN_CF_CHAN_CASE(5);
        MN_CF_CHAN_CASE(6);
        MN_CF_CHAN_CASE(7);
        MN_CF_CHAN_CASE(8);
        MN_CF_CHAN_CASE(9);
        MN_CF_CHAN_CASE(10);
        MN_CF_CHAN_CASE(11);
    default:
        mn_cf_chan_np(xj, cin_g, pitch, taps, n_taps, w, bias, act, mr, y, out_plane,
                      MN_CF_PC);
        break;
    }
#undef MN_CF_CHAN_CASE
}
#endif

#if MN_CF_ROWS2
/* One block of MN_CF_MR channels of a plane MN_CF_NR / 2 wide (at least two rows), tiles
 * of two rows stored directly (pairs of them: four rows); the last tile (pair) overlaps
 * the one before it so that every tile is full. xg: the group's input layout, w: the
 * block's packed weights, yb: its first output plane. */
static void mn_cf_plane_rows2(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                              const float *restrict xg, const int32_t *restrict taps,
                              int32_t n_taps, const float *restrict w,
                              const float *restrict bias, float *yb)
{
    const int32_t cin_g = p->c_in / p->group, out_plane = p->out_h * p->out_w;
    int32_t oh0 = 0, oh;
#if MN_CF_PAIR
    for (; oh0 + 4 <= p->out_h || (p->out_h - oh0 > 2 && oh0 > 0); oh0 += 4) {
        oh = oh0 + 4 <= p->out_h ? oh0 : p->out_h - 4;
        mn_cf_tile_pair_rows2(xg + oh * g->wq, g->wq, cin_g, g->pitch, taps, n_taps, w, bias,
                              &p->act, yb + oh * p->out_w, out_plane);
    }
#endif
    for (; oh0 < p->out_h; oh0 += 2) {
        oh = oh0 + 2 <= p->out_h ? oh0 : p->out_h - 2;
        mn_cf_tile_rows2(xg + oh * g->wq, g->wq, cin_g, g->pitch, taps, n_taps, w, bias,
                         &p->act, yb + oh * p->out_w, out_plane);
    }
}
#endif

void mn_conv2d_fast_f32(const mn_conv_params_t *p, const float *restrict x,
                        const float *restrict w, const float *restrict b,
                        float *restrict scratch, float *restrict y)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t n_taps = p->k_h * p->k_w;
    const int32_t k = cin_g * n_taps;
    const int32_t out_plane = p->out_h * p->out_w;
    int32_t taps[MN_CONV_FAST_MAX_TAPS];
    float acc[MN_CF_MR][MN_CF_NR];
#if MN_CF_PAIR
    float acc2[2][MN_CF_MR][MN_CF_NR];
#endif
    float bias[MN_CF_MR];
    mn_conv_pad_geom_t g;
    int32_t n, gi, oc0, j0, r;

    mn_conv_pad_geometry(p, &g);
    mn_conv_pad_taps(p, &g, taps);
    for (n = 0; n < p->n; ++n) {
        const float *xn = x + n * p->c_in * p->in_h * p->in_w;
        const float *xq = xn;
        const float *wt = w;
        float *yn = y + n * p->c_out * out_plane;
        if (!g.direct) {
            mn_cf_pack(p, &g, xn, scratch);
            xq = scratch;
        }
        for (gi = 0; gi < p->group; ++gi) {
            const float *xg = xq + gi * cin_g * g.pitch;
            for (oc0 = gi * cout_g; oc0 < (gi + 1) * cout_g; oc0 += MN_CF_MR) {
                const int32_t mr =
                    (gi + 1) * cout_g - oc0 < MN_CF_MR ? (gi + 1) * cout_g - oc0 : MN_CF_MR;
                for (r = 0; r < MN_CF_MR; ++r) {
                    bias[r] = b && r < mr ? b[oc0 + r] : 0.0f;
                }
                if (g.wq == p->out_w && g.n_pos >= MN_CF_NR && mr == MN_CF_MR) {
                    /* No dropped columns (1x1 and 1xk kernels): the positions j are the
                     * output plane itself, so tiles run across rows and are stored
                     * directly; the last one overlaps the one before it. */
                    j0 = 0;
#if MN_CF_PAIR
                    /* pairs; with more than one tile left after them, one more pair
                     * ending at the plane's end, overlapping the one before (two single
                     * tiles, each waiting on its multiply-add latency, took twice as long) */
                    for (; j0 + 2 * MN_CF_NR <= g.n_pos || (g.n_pos - j0 > MN_CF_NR && j0 > 0);
                         j0 += 2 * MN_CF_NR) {
                        const int32_t j =
                            j0 + 2 * MN_CF_NR <= g.n_pos ? j0 : g.n_pos - 2 * MN_CF_NR;
                        mn_cf_tile_pair(xg + j, MN_CF_NR, cin_g, g.pitch, taps, n_taps, wt,
                                        bias, NULL, &p->act, yn + oc0 * out_plane + j,
                                        MN_CF_NR, out_plane);
                    }
#endif
                    for (; j0 < g.n_pos; j0 += MN_CF_NR) {
                        const int32_t j = j0 + MN_CF_NR <= g.n_pos ? j0 : g.n_pos - MN_CF_NR;
                        mn_cf_tile(xg + j, cin_g, g.pitch, taps, n_taps, wt, bias, acc,
                                   &p->act, yn + oc0 * out_plane + j, out_plane);
                    }
                    wt += MN_CF_MR * k;
                    continue;
                }
#if MN_CF_PC
                if (g.wq == p->out_w && g.n_pos < MN_CF_NR) {
                    /* As above on a plane narrower than a tile: channel tiles of up to
                     * MN_CF_PC positions, as even as they can be (16 = 8 + 8, not 12 + 4:
                     * each position is its own dependency chain). */
                    int32_t runs = (g.n_pos + MN_CF_PC - 1) / MN_CF_PC, np;
                    for (j0 = 0; j0 < g.n_pos; j0 += np, --runs) { /* runs left */
                        np = (g.n_pos - j0 + runs - 1) / runs;
                        mn_cf_tile_chan(xg + j0, cin_g, g.pitch, taps, n_taps, wt, bias,
                                        &p->act, mr, yn + oc0 * out_plane + j0, out_plane, np);
                    }
                    wt += MN_CF_MR * k;
                    continue;
                }
#endif
                if (p->out_w >= MN_CF_NR && mr == MN_CF_MR) {
                    /* Row tiles, stored directly; the last tile of a row overlaps the one
                     * before it (recomputing a few outputs) so that every tile is full. */
                    int32_t oh = 0, ow0;
#if MN_CF_PAIR
                    for (; oh + 2 <= p->out_h; oh += 2) { /* two rows at a time */
                        for (ow0 = 0; ow0 < p->out_w; ow0 += MN_CF_NR) {
                            const int32_t ow = ow0 + MN_CF_NR <= p->out_w ? ow0
                                                                          : p->out_w - MN_CF_NR;
                            mn_cf_tile_pair(xg + oh * g.wq + ow, g.wq, cin_g, g.pitch, taps,
                                            n_taps, wt, bias, NULL, &p->act,
                                            yn + oc0 * out_plane + oh * p->out_w + ow,
                                            p->out_w, out_plane);
                        }
                    }
#endif
                    for (; oh < p->out_h; ++oh) {
                        for (ow0 = 0; ow0 < p->out_w; ow0 += MN_CF_NR) {
                            const int32_t ow = ow0 + MN_CF_NR <= p->out_w ? ow0
                                                                          : p->out_w - MN_CF_NR;
                            mn_cf_tile(xg + oh * g.wq + ow, cin_g, g.pitch, taps, n_taps, wt,
                                       bias, acc, &p->act,
                                       yn + oc0 * out_plane + oh * p->out_w + ow, out_plane);
                        }
                    }
                    wt += MN_CF_MR * k;
                    continue;
                }
#if MN_CF_ROWS2
                if (2 * p->out_w == MN_CF_NR && p->out_h >= 2 && mr == MN_CF_MR) {
                    mn_cf_plane_rows2(p, &g, xg, taps, n_taps, wt, bias,
                                      yn + oc0 * out_plane);
                    wt += MN_CF_MR * k;
                    continue;
                }
#endif
                j0 = 0;
#if MN_CF_PAIR
                /* pairs; with more than one tile left after them, one more pair ending at
                 * the last position, overlapping the one before, as above (the padded copy
                 * holds every position it reads) */
                for (; j0 + 2 * MN_CF_NR <= g.n_pos ||
                       (g.n_pos - j0 > MN_CF_NR && j0 > 0 && !g.direct);
                     j0 += 2 * MN_CF_NR) {
                    const int32_t j =
                        j0 + 2 * MN_CF_NR <= g.n_pos ? j0 : g.n_pos - 2 * MN_CF_NR;
                    mn_cf_tile_pair(xg + j, MN_CF_NR, cin_g, g.pitch, taps, n_taps, wt, bias,
                                    acc2, &p->act, NULL, 0, 0);
                    mn_conv_store_wide_f32(&p->act, &g, p->out_w, acc2[0][0], MN_CF_NR, mr,
                                           out_plane, j, MN_CF_NR, yn + oc0 * out_plane);
                    mn_conv_store_wide_f32(&p->act, &g, p->out_w, acc2[1][0], MN_CF_NR, mr,
                                           out_plane, j + MN_CF_NR, MN_CF_NR,
                                           yn + oc0 * out_plane);
                }
#endif
                for (; j0 < g.n_pos; j0 += MN_CF_NR) {
                    const int32_t nr = g.n_pos - j0 < MN_CF_NR ? g.n_pos - j0 : MN_CF_NR;
                    /* Full-width reads are safe in scratch (it has MN_CF_SLACK of slack). */
                    if (nr == MN_CF_NR || !g.direct) {
                        mn_cf_tile(xg + j0, cin_g, g.pitch, taps, n_taps, wt, bias, acc, &p->act,
                                   NULL, 0);
                    } else {
                        mn_cf_tile_tail(xg + j0, cin_g, g.pitch, taps, n_taps, wt, bias, nr,
                                        acc);
                    }
                    mn_conv_store_wide_f32(&p->act, &g, p->out_w, acc[0], MN_CF_NR, mr, out_plane,
                                           j0, nr, yn + oc0 * out_plane);
                }
                wt += MN_CF_MR * k;
            }
        }
    }
}
