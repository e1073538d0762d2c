/* mn_conv2d_dw_f32: depthwise convolution (group == c_in == c_out) on blocks of
 * MN_DW_CB channels at a time (portable C99 written for auto-vectorisation). See
 * mn_kernels.h; mn_conv2d_f32.c is the reference it matches.
 *
 * Method. The channels are taken MN_DW_CB (8) at a time, interleaved ("NHWC inside the
 * kernel"): the input rows a block needs are copied, zero-padded, into a ring of
 * `span` rows in scratch, laid out [row][padded column][MN_DW_CB], and the block's
 * weights into [tap][MN_DW_CB]. Every tap of every output position then reads
 * MN_DW_CB adjacent floats, whatever the stride or dilation, and the inner loop is one
 * vector multiply-add over the block's channels. A tile holds MN_DW_NR output
 * positions of one row x MN_DW_CB channels in registers over all taps; the tile is
 * stored through the activation, back into the [c][h][w] planes. Each input row is
 * copied once per block (the ring keeps the rows shared by consecutive output rows), so
 * the scratch is a few rows, not a plane. Channels past c_in in the last block are
 * computed on zeros and not stored.
 *
 * Vector units, stride 1 with as many output as input columns and planes of at least
 * MN_DW_FLAT_MIN positions (DS-CNN's, MobileNet's from 6 x 6 up): each channel plane is one
 * flat row instead, vectors of consecutive output positions read consecutive inputs
 * per tap, the taps that cross a row's end masked off (mn_dw_flat_*, described there).
 *
 * Scalar FPUs (MN_DW_NR <= 2: Cortex-M, RV32) take one channel at a time instead: the
 * ring holds plain zero-padded rows ([row][padded column]), and a 3x3 kernel at stride 1
 * or 2 (the MobileNet and DS-CNN shapes) keeps its 9 weights in registers and computes 4
 * output positions per iteration (MN_DW3_ROW); other kernels take their weights from
 * memory, one position at a time. Same scratch bound (the block layout's is larger). */
#include "internal/mn_kernels_internal.h"

#define MN_DW_CB 8 /* channels per block (the vector direction); kernels.rs mirrors it */
/* Output positions per tile, at most: the MN_DW_CB x MN_DW_NR accumulators stay in
 * registers. 8 where the block is one vector register (AVX, NEON: 8 independent multiply-add
 * chains), 2 on scalar FPUs and soft float (16 accumulators of the Cortex-M4F's 32). */
#ifndef MN_DW_NR
#if defined(__AVX__) || defined(__ARM_NEON) || defined(__aarch64__) || defined(__SSE2__) || \
    defined(__riscv_vector) || defined(__ALTIVEC__) || defined(__wasm_simd128__)
#define MN_DW_NR 8
#else
#define MN_DW_NR 2
#endif
#endif
#define MN_DW_SCALAR (MN_DW_NR <= 2) /* one channel at a time, weights in registers */

/* The padded geometry of one channel block. */
typedef struct {
    int32_t span;  /* input rows one output row reads: (k_h - 1) * dil_h + 1 */
    int32_t wp;    /* padded columns read: (out_w - 1) * s_w + (k_w - 1) * dil_w + 1 */
    int32_t row;   /* floats per ring row: wp * MN_DW_CB */
    int32_t taps;  /* k_h * k_w */
    int32_t ring;  /* rows the ring holds: span; on scalar FPUs as many plain rows of wp
                      floats as the scratch holds, up to every padded row read (then each
                      channel's rows are copied in one go and never wrap) */
} mn_dw_geom_t;

static void mn_dw_geometry(const mn_conv_params_t *p, mn_dw_geom_t *g)
{
    g->span = (p->k_h - 1) * p->dil_h + 1;
    g->wp = (p->out_w - 1) * p->stride_w + (p->k_w - 1) * p->dil_w + 1;
    g->row = g->wp * MN_DW_CB;
    g->taps = p->k_h * p->k_w;
    g->ring = g->span;
    if (MN_DW_SCALAR) {
        const int32_t rows = (p->out_h - 1) * p->stride_h + g->span; /* padded rows read */
        const int32_t fit = (g->span * g->row + g->taps * MN_DW_CB) / g->wp;
        g->ring = fit < rows ? fit : rows;
    }
}

int32_t mn_conv2d_dw_f32_scratch_size(const mn_conv_params_t *p)
{
    mn_dw_geom_t g;
    mn_dw_geometry(p, &g);
    /* The ring of rows, then the block's weights. */
    return g.span * g.row + g.taps * MN_DW_CB; /* scalar FPUs: g.ring rows of g.wp */
}

/* Interleave the weights ([c][k_h * k_w]) of channels c0 .. c0 + cb - 1 into
 * wq[tap][MN_DW_CB], zero past cb. */
static void mn_dw_pack_weights(const float *restrict w, int32_t taps, int32_t c0, int32_t cb,
                               float *restrict wq)
{
    int32_t t, c;
    for (t = 0; t < taps; ++t) {
        for (c = 0; c < MN_DW_CB; ++c) {
            wq[t * MN_DW_CB + c] = c < cb ? w[(c0 + c) * taps + t] : 0.0f;
        }
    }
}

/* Copy input row ih of the block's cb planes (xb: plane c at xb + c * plane) into one
 * ring row dst[wp][MN_DW_CB]: zero for padding columns, rows outside the input and
 * channels past cb. */
static void mn_dw_pack_row(const mn_conv_params_t *p, const mn_dw_geom_t *g,
                           const float *restrict xb, int32_t cb, int32_t ih,
                           float *restrict dst)
{
    const int32_t plane = p->in_h * p->in_w;
    const int32_t lo = p->pad_left;
    const int32_t hi = lo + p->in_w < g->wp ? lo + p->in_w : g->wp; /* columns [lo, hi) */
    const float *src = xb + ih * p->in_w - lo;
    int32_t col, c;
    if (ih < 0 || ih >= p->in_h || cb < MN_DW_CB) {
        for (col = 0; col < g->row; ++col) {
            dst[col] = 0.0f;
        }
        if (ih < 0 || ih >= p->in_h) {
            return;
        }
    } else { /* a full block: only the padding columns need zeros */
        for (col = 0; col < lo * MN_DW_CB; ++col) {
            dst[col] = 0.0f;
        }
        for (col = hi * MN_DW_CB; col < g->row; ++col) {
            dst[col] = 0.0f;
        }
    }
    if (cb == MN_DW_CB) { /* the channel loop a constant: 8 loads, one vector store */
        for (col = lo; col < hi; ++col) {
            for (c = 0; c < MN_DW_CB; ++c) {
                dst[col * MN_DW_CB + c] = src[c * plane + col];
            }
        }
        return;
    }
    for (c = 0; c < cb; ++c) {
        for (col = lo; col < hi; ++col) {
            dst[col * MN_DW_CB + c] = src[c * plane + col];
        }
    }
}

/* Store a tile acc[nr][MN_DW_CB] through the activation into the block's output planes
 * (yb: plane c at yb + c * out_plane), positions at yb[pos .. pos + nr). */
static void mn_dw_store(const mn_act_t *act, const float *restrict acc, int32_t nr, int32_t cb,
                        int32_t out_plane, float *restrict yb)
{
    float o[8 * MN_DW_CB], lo, hi;
    int32_t r, c;
    if (mn_act_clamp_bounds(act, &lo, &hi)) { /* the clamp inline, on the way out */
        for (c = 0; c < cb; ++c) {
            for (r = 0; r < nr; ++r) {
                yb[c * out_plane + r] = mn_clampf(acc[r * MN_DW_CB + c], lo, hi);
            }
        }
        return;
    }
    mn_act_store_f32(act, acc, o, nr * MN_DW_CB);
    for (c = 0; c < cb; ++c) {
        for (r = 0; r < nr; ++r) {
            yb[c * out_plane + r] = o[r * MN_DW_CB + c];
        }
    }
}

/* The accumulators of one position: a[c] over the block's MN_DW_CB channels (one vector
 * register with AVX/NEON; each position its own array, so that compilers keep them in
 * registers and vectorise across channels, never across positions or taps). */
#define MN_DW_ZERO(a)                                                                         \
    for (c = 0; c < MN_DW_CB; ++c) {                                                          \
        a[c] = bias[c];                                                                       \
    }
#define MN_DW_MAC(a, r)                                                                       \
    MN_KEEP_LOOP                                                                              \
    for (c = 0; c < MN_DW_CB; ++c) {                                                          \
        a[c] += wt[c] * xk[(r) * step + c];                                                   \
    }
#define MN_DW_OUT(a, r)                                                                       \
    MN_KEEP_LOOP                                                                              \
    for (c = 0; c < MN_DW_CB; ++c) {                                                          \
        out[(r) * MN_DW_CB + c] = a[c];                                                       \
    }

/* The tap loops of a tile; BODY accumulates every position of the tile for one tap:
 * rows[kh] is the ring row of tap row kh, off the offset of the first position's window
 * in it, step = stride_w * MN_DW_CB floats between positions, wt the tap's weights. */
#define MN_DW_TAPS(BODY)                                                                      \
    for (kh = 0; kh < p->k_h; ++kh) {                                                         \
        const float *restrict xr = rows[kh] + off;                                            \
        const float *restrict wr = wq + kh * p->k_w * MN_DW_CB;                               \
        for (kw = 0; kw < p->k_w; ++kw) {                                                     \
            const float *restrict xk = xr + kw * dil_w;                                       \
            const float *restrict wt = wr + kw * MN_DW_CB;                                    \
            BODY                                                                              \
        }                                                                                     \
    }

/* MN_DW_MAC and MN_DW_OUT keep their channel loops (MN_KEEP_LOOP): GCC would unroll them
 * completely and then fail to vectorise the straight code (scalar multiply-adds,
 * accumulators in memory; the stores rebuilt element by element); kept as loops of
 * MN_DW_CB, the loop vectoriser makes each one vector multiply-add or store. */

#define MN_DW_TILE_ARGS                                                                       \
    const mn_conv_params_t *p, const float *const *rows, int32_t off, int32_t step,           \
        const float *restrict wq, const float *restrict bias, float *restrict out

static void mn_dw_tile8(MN_DW_TILE_ARGS)
{
    const int32_t dil_w = p->dil_w * MN_DW_CB;
    float a0[MN_DW_CB], a1[MN_DW_CB], a2[MN_DW_CB], a3[MN_DW_CB];
    float a4[MN_DW_CB], a5[MN_DW_CB], a6[MN_DW_CB], a7[MN_DW_CB];
    int32_t kh, kw, c;
    MN_DW_ZERO(a0) MN_DW_ZERO(a1) MN_DW_ZERO(a2) MN_DW_ZERO(a3)
    MN_DW_ZERO(a4) MN_DW_ZERO(a5) MN_DW_ZERO(a6) MN_DW_ZERO(a7)
    MN_DW_TAPS(MN_DW_MAC(a0, 0) MN_DW_MAC(a1, 1) MN_DW_MAC(a2, 2) MN_DW_MAC(a3, 3)
               MN_DW_MAC(a4, 4) MN_DW_MAC(a5, 5) MN_DW_MAC(a6, 6) MN_DW_MAC(a7, 7))
    MN_DW_OUT(a0, 0) MN_DW_OUT(a1, 1) MN_DW_OUT(a2, 2) MN_DW_OUT(a3, 3)
    MN_DW_OUT(a4, 4) MN_DW_OUT(a5, 5) MN_DW_OUT(a6, 6) MN_DW_OUT(a7, 7)
}

static void mn_dw_tile4(MN_DW_TILE_ARGS)
{
    const int32_t dil_w = p->dil_w * MN_DW_CB;
    float a0[MN_DW_CB], a1[MN_DW_CB], a2[MN_DW_CB], a3[MN_DW_CB];
    int32_t kh, kw, c;
    MN_DW_ZERO(a0) MN_DW_ZERO(a1) MN_DW_ZERO(a2) MN_DW_ZERO(a3)
    MN_DW_TAPS(MN_DW_MAC(a0, 0) MN_DW_MAC(a1, 1) MN_DW_MAC(a2, 2) MN_DW_MAC(a3, 3))
    MN_DW_OUT(a0, 0) MN_DW_OUT(a1, 1) MN_DW_OUT(a2, 2) MN_DW_OUT(a3, 3)
}

static void mn_dw_tile2(MN_DW_TILE_ARGS)
{
    const int32_t dil_w = p->dil_w * MN_DW_CB;
    float a0[MN_DW_CB], a1[MN_DW_CB];
    int32_t kh, kw, c;
    MN_DW_ZERO(a0) MN_DW_ZERO(a1)
    MN_DW_TAPS(MN_DW_MAC(a0, 0) MN_DW_MAC(a1, 1))
    MN_DW_OUT(a0, 0) MN_DW_OUT(a1, 1)
}

static void mn_dw_tile1(MN_DW_TILE_ARGS)
{
    const int32_t dil_w = p->dil_w * MN_DW_CB;
    float a0[MN_DW_CB];
    int32_t kh, kw, c;
    MN_DW_ZERO(a0)
    MN_DW_TAPS(MN_DW_MAC(a0, 0))
    MN_DW_OUT(a0, 0)
}

/* Tiles of 8, 4, 2 and 1 positions: a row of out_w positions is covered by the widest
 * that fit (at most MN_DW_NR), so narrow rows (DS-CNN's 5 columns) still get several
 * independent accumulators. */
/* The widest tile (<= MN_DW_NR) that fits `left` positions, its width in *nr. */
static void mn_dw_tile_any(const mn_conv_params_t *p, const float *const *rows, int32_t off,
                           int32_t step, const float *wq, const float *bias, int32_t left,
                           int32_t *nr, float *acc)
{
    if (MN_DW_NR >= 8 && left >= 8) {
        *nr = 8;
        mn_dw_tile8(p, rows, off, step, wq, bias, acc);
    } else if (MN_DW_NR >= 4 && left >= 4) {
        *nr = 4;
        mn_dw_tile4(p, rows, off, step, wq, bias, acc);
    } else if (left >= 2) {
        *nr = 2;
        mn_dw_tile2(p, rows, off, step, wq, bias, acc);
    } else {
        *nr = 1;
        mn_dw_tile1(p, rows, off, step, wq, bias, acc);
    }
}

/* Copy input row ih of one channel plane xc into a ring row dst[wp], zero-padded
 * (scalar FPUs). */
static void mn_dw_copy_row(const mn_conv_params_t *p, const mn_dw_geom_t *g,
                           const float *restrict xc, int32_t ih, float *restrict dst)
{
    const int32_t lo = p->pad_left < g->wp ? p->pad_left : g->wp;
    const int32_t hi = p->pad_left + p->in_w < g->wp ? p->pad_left + p->in_w : g->wp;
    const float *src = xc + ih * p->in_w - p->pad_left;
    int32_t col = 0;
    if (ih >= 0 && ih < p->in_h) {
        for (; col < lo; ++col) {
            dst[col] = 0.0f;
        }
        for (; col < hi; ++col) {
            dst[col] = src[col];
        }
    }
    for (; col < g->wp; ++col) {
        dst[col] = 0.0f;
    }
}

/* Floats per ring row. */
#define MN_DW_RING_ROW(g) (MN_DW_SCALAR ? (g)->wp : (g)->row)

/* Fill the ring of a block (one channel on scalar FPUs; xb its first input plane) for an
 * output row that reads padded rows [first, first + span): copy in the rows from `next`
 * (the first padded row not copied yet) on, as many as the ring holds without overwriting
 * [first, ...); returns the new `next`. Each input row is copied once per block. Callers
 * call it only when next < first + span. */
static int32_t MN_NO_LIBCALL_LOOPS mn_dw_fill(const mn_conv_params_t *p,
                                              const mn_dw_geom_t *g, const float *xb,
                                              int32_t cb, int32_t first, int32_t next,
                                              float *ring)
{
    const int32_t end = first + g->ring; /* rows [first, end) fit the ring */
    int32_t r = next > first ? next : first;
    int32_t slot = r % g->ring; /* one division per fill, none per row */
    for (; r < end; ++r, slot = slot + 1 < g->ring ? slot + 1 : 0) {
        float *dst = ring + slot * MN_DW_RING_ROW(g);
        if (MN_DW_SCALAR) {
            mn_dw_copy_row(p, g, xb, r - p->pad_top, dst);
        } else {
            mn_dw_pack_row(p, g, xb, cb, r - p->pad_top, dst);
        }
    }
    return end;
}

/* The ring row that holds padded row r + d, where slot = r % ring and 0 <= d < ring (no
 * division: one per output row, in the callers, instead of one per tap row). */
static const float *mn_dw_ring_at(const mn_dw_geom_t *g, const float *ring, int32_t slot,
                                  int32_t d)
{
    slot += d;
    return ring + (slot < g->ring ? slot : slot - g->ring) * MN_DW_RING_ROW(g);
}

/* Bring the ring up to output row oh (mn_dw_fill) and point rows[kh] at tap row kh's
 * ring row. */
static void mn_dw_ring(const mn_conv_params_t *p, const mn_dw_geom_t *g, const float *xb,
                       int32_t cb, int32_t oh, int32_t *next, float *ring, const float **rows)
{
    const int32_t first = oh * p->stride_h, slot = first % g->ring;
    int32_t kh;
    if (*next < first + g->span) {
        *next = mn_dw_fill(p, g, xb, cb, first, *next, ring);
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        rows[kh] = mn_dw_ring_at(g, ring, slot, kh * p->dil_h);
    }
}

/* One block of cb channels of one image: xb, yb its first input and output planes. */
static void mn_dw_block(const mn_conv_params_t *p, const mn_dw_geom_t *g, const float *xb,
                        const float *wq, const float *bias, int32_t cb, float *ring,
                        float *yb)
{
    const float *rows[MN_CONV_FAST_MAX_TAPS];
    const int32_t out_plane = p->out_h * p->out_w;
    const int32_t step = p->stride_w * MN_DW_CB;
    float acc[8 * MN_DW_CB];
    int32_t oh, ow, nr, next = 0;
    for (oh = 0; oh < p->out_h; ++oh) {
        float *y = yb + oh * p->out_w;
        mn_dw_ring(p, g, xb, cb, oh, &next, ring, rows);
        for (ow = 0; ow < p->out_w; ow += nr) {
            mn_dw_tile_any(p, rows, ow * step, step, wq, bias, p->out_w - ow, &nr, acc);
            mn_dw_store(&p->act, acc, nr, cb, out_plane, y + ow);
        }
    }
}

/* ---- vector units, stride 1 and out_w == in_w: each channel plane as one flat row ----
 *
 * With stride 1 and as many output columns as input columns, output position i of a
 * plane (flat, oh * in_w + ow) reads tap (kh, kw) at flat input position i + d, d =
 * (kh * dil_h - pad_top) * in_w + kw * dil_w - pad_left, for every position alike: a
 * step of up to MN_DW_FV consecutive outputs (whole vectors of MN_DW_FL) reads as many
 * consecutive inputs per tap, straight from the channel's plane and into its output
 * plane (no interleaving of channels, no copies: the block path's ring and transposes
 * cost more than its multiply-adds on DS-CNN's and MobileNet's planes). The 3 x 3 and
 * 5 x 5 steps keep each position's sum in a register across its taps (mn_dw_flat_rows3,
 * mn_dw_flat_rows5), other kernels in memory. A tap whose column falls outside the input row
 * (col + kw * dil_w - pad_left outside [0, in_w)) would read the neighbouring row there:
 * those lanes add 0 instead (a select, never a multiply by a 0/1 mask, so an infinity in
 * the neighbouring row cannot make a NaN), as the zero padding of the block path does.
 * Rows outside the input are flat positions outside the plane: the vector steps whose
 * reads would leave it (the first and last few of a plane) read a zero-extended copy of
 * their window in the scratch instead. Same order of multiply-adds as the block path
 * (bias, then the taps in (kh, kw) order). */
#define MN_DW_FV 128     /* output positions per step, at most */
#define MN_DW_FL 16      /* positions per vector of a step (steps are whole vectors) */
#define MN_DW_FLAT_KW 8  /* widest kernel the flat path takes (its column masks) */
#define MN_DW_FLAT_MIN 32 /* smallest plane the flat path takes (mn_dw_flat_ok) */

/* The flat path's taps: flat offsets d[t] and column shifts; a step of n positions
 * reads [lo, hi + n) relative to its first position. */
typedef struct {
    int32_t d[MN_CONV_FAST_MAX_TAPS];
    int32_t shift[MN_DW_FLAT_KW]; /* kw * dil_w - pad_left */
    int32_t lo, hi;
    int32_t col0[MN_DW_FV]; /* the column of flat position l < MN_DW_FV */
} mn_dw_flat_t;

static void mn_dw_flat_taps(const mn_conv_params_t *p, mn_dw_flat_t *f)
{
    int32_t kh, kw, l;
    for (l = 0; l < MN_DW_FV; ++l) {
        f->col0[l] = l % p->in_w;
    }
    f->lo = f->hi = -p->pad_top * p->in_w - p->pad_left;
    for (kw = 0; kw < p->k_w; ++kw) {
        f->shift[kw] = kw * p->dil_w - p->pad_left;
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t d = (kh * p->dil_h - p->pad_top) * p->in_w + f->shift[kw];
            f->d[kh * p->k_w + kw] = d;
            f->lo = d < f->lo ? d : f->lo;
            f->hi = d > f->hi ? d : f->hi;
        }
    }
}

/* Whether the flat path applies: vector units, stride 1, out_w == in_w, a plane of at
 * least MN_DW_FLAT_MIN positions, a kernel of at most MN_DW_FLAT_KW columns, and the
 * scratch holds a step's window (mn_dw_flat_window). Smaller planes (MobileNet's 3 x 3,
 * hundreds of channels) are faster in blocks of channels: a plane of 9 fills 9 lanes of
 * a 16-lane vector and pays the per-channel set-up the block path spreads over 8
 * channels (336 channels of 3 x 3 on AVX-512: 10.1 us flat, 7.0 in blocks; 192 of
 * 6 x 6: 7.5 flat, 9.3 in blocks). */
static int mn_dw_flat_ok(const mn_conv_params_t *p, const mn_dw_geom_t *g)
{
    const int32_t scratch = g->span * g->row + g->taps * MN_DW_CB;
    const int32_t plane = (p->out_h * p->out_w + MN_DW_FL - 1) / MN_DW_FL * MN_DW_FL;
    const int32_t step = plane < MN_DW_FV ? plane : MN_DW_FV; /* the widest step */
    return !MN_DW_SCALAR && p->stride_h == 1 && p->stride_w == 1 && p->out_w == p->in_w &&
           p->out_h * p->out_w >= MN_DW_FLAT_MIN && p->k_w <= MN_DW_FLAT_KW &&
           g->taps <= MN_CONV_FAST_MAX_TAPS &&
           step + (p->k_h - 1) * p->dil_h * p->in_w + (p->k_w - 1) * p->dil_w <= scratch;
}

/* v where the tap's column is inside the row (m), else 0. Every read of a step is inside
 * its window or plane, so the loads are unconditional: GCC then makes each tap one
 * zero-masking vector load on AVX-512 (a conditional load became a merging load and a
 * blend). */
static inline float mn_dw_sel(float v, int m)
{
    return m ? v : 0.0f;
}

/* One vector step of a channel, 3 x 3 kernel: out[l] for the nv * MN_DW_FL positions
 * whose columns are col[l], tap (kh, kw) reading src[base + d[3 * kh + kw] + l]. The taps
 * are unrolled inside the loop over the positions, so that each position's sum stays in
 * a register across its 9 taps; the three tap rows as restrict parameters, the columns
 * at constant offsets dil_w apart (GCC otherwise checks the pointers for overlap per
 * vector and keeps nine of them on the stack). */
static MN_NOINLINE void mn_dw_flat_rows3(const float *restrict r0, const float *restrict r1,
                                         const float *restrict r2, int32_t dil_w,
                                         const int32_t *restrict col, const int32_t *shift,
                                         int32_t in_w, int32_t nv, const float *restrict wc,
                                         float bias, float *restrict out)
{
    const uint32_t w = (uint32_t)in_w;
    const int32_t s0 = shift[0], s1 = shift[1], s2 = shift[2];
    const float w0 = wc[0], w1 = wc[1], w2 = wc[2], w3 = wc[3], w4 = wc[4], w5 = wc[5];
    const float w6 = wc[6], w7 = wc[7], w8 = wc[8];
    const float *r0b = r0 + dil_w, *r0c = r0 + 2 * dil_w, *r1b = r1 + dil_w;
    const float *r1c = r1 + 2 * dil_w, *r2b = r2 + dil_w, *r2c = r2 + 2 * dil_w;
    const int32_t n = nv * MN_DW_FL;
    int32_t l;
    MN_KEEP_LOOP
    for (l = 0; l < n; ++l) {
        const int m0 = (uint32_t)(col[l] + s0) < w;
        const int m1 = (uint32_t)(col[l] + s1) < w;
        const int m2 = (uint32_t)(col[l] + s2) < w;
        float a = bias;
        a += w0 * mn_dw_sel(r0[l], m0);
        a += w1 * mn_dw_sel(r0b[l], m1);
        a += w2 * mn_dw_sel(r0c[l], m2);
        a += w3 * mn_dw_sel(r1[l], m0);
        a += w4 * mn_dw_sel(r1b[l], m1);
        a += w5 * mn_dw_sel(r1c[l], m2);
        a += w6 * mn_dw_sel(r2[l], m0);
        a += w7 * mn_dw_sel(r2b[l], m1);
        a += w8 * mn_dw_sel(r2c[l], m2);
        out[l] = a;
    }
}

/* mn_dw_flat_rows3 for a 5 x 5 kernel (MobileNetV3's, MnasNet's): tap row kh at rk,
 * its columns dil_w apart. */
#define MN_DW5_ROW(r, t)                                                                     \
    a += wc[(t)] * mn_dw_sel((r)[l], m0);                                                    \
    a += wc[(t) + 1] * mn_dw_sel((r)[l + d1], m1);                                           \
    a += wc[(t) + 2] * mn_dw_sel((r)[l + d2], m2);                                           \
    a += wc[(t) + 3] * mn_dw_sel((r)[l + d3], m3);                                           \
    a += wc[(t) + 4] * mn_dw_sel((r)[l + d4], m4)
static MN_NOINLINE void mn_dw_flat_rows5(const float *restrict r0, const float *restrict r1,
                                         const float *restrict r2, const float *restrict r3,
                                         const float *restrict r4, int32_t dil_w,
                                         const int32_t *restrict col, const int32_t *shift,
                                         int32_t in_w, int32_t nv, const float *restrict wc,
                                         float bias, float *restrict out)
{
    const uint32_t w = (uint32_t)in_w;
    const int32_t s0 = shift[0], s1 = shift[1], s2 = shift[2], s3 = shift[3], s4 = shift[4];
    const int32_t d1 = dil_w, d2 = 2 * dil_w, d3 = 3 * dil_w, d4 = 4 * dil_w;
    const int32_t n = nv * MN_DW_FL;
    int32_t l;
    MN_KEEP_LOOP
    for (l = 0; l < n; ++l) {
        const int m0 = (uint32_t)(col[l] + s0) < w, m1 = (uint32_t)(col[l] + s1) < w;
        const int m2 = (uint32_t)(col[l] + s2) < w, m3 = (uint32_t)(col[l] + s3) < w;
        const int m4 = (uint32_t)(col[l] + s4) < w;
        float a = bias;
        MN_DW5_ROW(r0, 0);
        MN_DW5_ROW(r1, 5);
        MN_DW5_ROW(r2, 10);
        MN_DW5_ROW(r3, 15);
        MN_DW5_ROW(r4, 20);
        out[l] = a;
    }
}
#undef MN_DW5_ROW

/* The step of any other kernel (at most MN_DW_FLAT_KW columns): the sums in memory
 * across the taps. */
static MN_ALWAYS_INLINE void mn_dw_flat_step(const mn_conv_params_t *p, const mn_dw_flat_t *f,
                                             const float *restrict src, int32_t base,
                                             const int32_t *col, int32_t nv,
                                             const float *restrict wc, float bias,
                                             float *restrict out)
{
    const uint32_t in_w = (uint32_t)p->in_w;
    const int32_t n = nv * MN_DW_FL;
    int32_t kh, kw, l;
    for (l = 0; l < n; ++l) {
        out[l] = bias;
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t t = kh * p->k_w + kw, s = f->shift[kw];
            const float *restrict xt = src + base + f->d[t];
            const float wt = wc[t];
            for (l = 0; l < n; ++l) {
                out[l] += wt * mn_dw_sel(xt[l], (uint32_t)(col[l] + s) < in_w);
            }
        }
    }
}

/* The window of the vector step at i0 whose reads leave the plane (the first and last
 * steps of a plane): win[j] = xc[i0 + lo + j], 0 outside the plane, for the
 * nv * MN_DW_FL + hi - lo floats the step reads (rows above and below the input as zeros).
 * Plain loops, not memset/memcpy calls (which cost more on these few floats). */
static void MN_NO_LIBCALL_LOOPS mn_dw_flat_window(const mn_dw_flat_t *f, const float *xc,
                                                  int32_t in_plane, int32_t i0, int32_t nv,
                                                  float *restrict win)
{
    const int32_t first = i0 + f->lo, span = nv * MN_DW_FL + f->hi - f->lo;
    const int32_t a = first < 0 ? -first : 0; /* win[a .. e) inside the plane */
    const int32_t e = in_plane - first < span ? in_plane - first : span;
    int32_t j;
    for (j = 0; j < a && j < span; ++j) {
        win[j] = 0.0f;
    }
    for (; j < e; ++j) {
        win[j] = xc[first + j];
    }
    for (; j < span; ++j) {
        win[j] = 0.0f;
    }
}

/* Store n outputs of a step through the activation. */
static void mn_dw_flat_store(const mn_act_t *act, const float *restrict acc, int32_t n,
                             float *restrict y)
{
    float lo, hi;
    if (mn_act_clamp_bounds(act, &lo, &hi)) {
        if (n == MN_DW_FV) {
            MN_CLAMP_STORE(y, acc, MN_DW_FV, lo, hi);
        } else {
            MN_CLAMP_STORE(y, acc, n, lo, hi);
        }
        return;
    }
    mn_act_store_f32(act, acc, y, n);
}

/* One channel on the flat path: xc, yc its planes, wc its weights, win the scratch
 * (mn_dw_flat_window). k: the kernel is k x k (3 or 5), or 0 for any other (a constant in
 * the instances below). */
static MN_ALWAYS_INLINE void mn_dw_flat_plane(const mn_conv_params_t *p, const mn_dw_flat_t *f,
                                              const float *restrict xc,
                                              const float *restrict wc, float bias,
                                              float *restrict win, float *restrict yc,
                                              int k)
{
    const int32_t in_plane = p->in_h * p->in_w, out_plane = p->out_h * p->out_w;
    const int32_t wrap = MN_DW_FV % p->in_w;
    const int32_t *col = f->col0; /* the columns of the step's positions */
    float acc[MN_DW_FV];
    int32_t next[MN_DW_FV], i0, l;
    for (i0 = 0; i0 < out_plane; i0 += MN_DW_FV) {
        const int32_t n = out_plane - i0 < MN_DW_FV ? out_plane - i0 : MN_DW_FV;
        const int32_t nv = (n + MN_DW_FL - 1) / MN_DW_FL; /* vectors of the step */
        const float *src = xc;
        int32_t base = i0;
        if (i0 + f->lo < 0 || i0 + f->hi + nv * MN_DW_FL > in_plane) {
            mn_dw_flat_window(f, xc, in_plane, i0, nv, win);
            src = win, base = -f->lo;
        }
        if (k == 3) { /* the tap rows from the flat offsets of their first taps */
            mn_dw_flat_rows3(src + base + f->d[0], src + base + f->d[3], src + base + f->d[6],
                             p->dil_w, col, f->shift, p->in_w, nv, wc, bias, acc);
        } else if (k == 5) {
            mn_dw_flat_rows5(src + base + f->d[0], src + base + f->d[5], src + base + f->d[10],
                             src + base + f->d[15], src + base + f->d[20], p->dil_w, col,
                             f->shift, p->in_w, nv, wc, bias, acc);
        } else {
            mn_dw_flat_step(p, f, src, base, col, nv, wc, bias, acc);
        }
        mn_dw_flat_store(&p->act, acc, n, yc + i0);
        if (i0 + MN_DW_FV < out_plane) { /* the next step's columns */
            MN_KEEP_LOOP
            for (l = 0; l < MN_DW_FV; ++l) {
                next[l] = col[l] + wrap;
                next[l] -= next[l] >= p->in_w ? p->in_w : 0;
            }
            col = next;
        }
    }
}

static void mn_dw_flat_plane3(const mn_conv_params_t *p, const mn_dw_flat_t *f,
                              const float *xc, const float *wc, float bias, float *win,
                              float *yc)
{
    mn_dw_flat_plane(p, f, xc, wc, bias, win, yc, 3);
}

static void mn_dw_flat_plane5(const mn_conv_params_t *p, const mn_dw_flat_t *f,
                              const float *xc, const float *wc, float bias, float *win,
                              float *yc)
{
    mn_dw_flat_plane(p, f, xc, wc, bias, win, yc, 5);
}

static void mn_dw_flat_plane_any(const mn_conv_params_t *p, const mn_dw_flat_t *f,
                                 const float *xc, const float *wc, float bias, float *win,
                                 float *yc)
{
    mn_dw_flat_plane(p, f, xc, wc, bias, win, yc, 0);
}

/* The whole convolution on the flat path (mn_dw_flat_ok), plane by plane. */
static void mn_dw_flat(const mn_conv_params_t *p, const float *x, const float *w,
                       const float *b, float *scratch, float *y)
{
    const int32_t in_plane = p->in_h * p->in_w, out_plane = p->out_h * p->out_w;
    const int32_t taps = p->k_h * p->k_w;
    void (*const plane)(const mn_conv_params_t *, const mn_dw_flat_t *, const float *,
                        const float *, float, float *, float *) =
        p->k_h == 3 && p->k_w == 3   ? mn_dw_flat_plane3
        : p->k_h == 5 && p->k_w == 5 ? mn_dw_flat_plane5
                                     : mn_dw_flat_plane_any;
    mn_dw_flat_t f;
    int32_t n, c;
    mn_dw_flat_taps(p, &f);
    for (n = 0; n < p->n; ++n) {
        for (c = 0; c < p->c_in; ++c) {
            const int32_t plane_at = n * p->c_in + c;
            plane(p, &f, x + plane_at * in_plane, w + c * taps, b ? b[c] : 0.0f, scratch,
                  y + plane_at * out_plane);
        }
    }
}

/* ---- scalar FPUs: one channel at a time ---- */

/* Tap row (wa, wb, wc) of a 3x3 kernel for 4 positions at stride S; x: the row's input
 * under the first position's window. Each position accumulates its taps in order. */
#define MN_DW3_TAPS4(x, wa, wb, wc, S)                                                    \
    a0 = MN_MADD(wa, (x)[0], a0);                                                         \
    a1 = MN_MADD(wa, (x)[(S)], a1);                                                       \
    a2 = MN_MADD(wa, (x)[2 * (S)], a2);                                                   \
    a3 = MN_MADD(wa, (x)[3 * (S)], a3);                                                   \
    a0 = MN_MADD(wb, (x)[1], a0);                                                         \
    a1 = MN_MADD(wb, (x)[(S) + 1], a1);                                                   \
    a2 = MN_MADD(wb, (x)[2 * (S) + 1], a2);                                               \
    a3 = MN_MADD(wb, (x)[3 * (S) + 1], a3);                                               \
    a0 = MN_MADD(wc, (x)[2], a0);                                                         \
    a1 = MN_MADD(wc, (x)[(S) + 2], a1);                                                   \
    a2 = MN_MADD(wc, (x)[2 * (S) + 2], a2);                                               \
    a3 = MN_MADD(wc, (x)[3 * (S) + 2], a3)
#define MN_DW3_TAPS1(x, wa, wb, wc)                                                       \
    a0 = MN_MADD(wa, (x)[0], a0);                                                         \
    a0 = MN_MADD(wb, (x)[1], a0);                                                         \
    a0 = MN_MADD(wc, (x)[2], a0)
#define MN_DW3_PUT4(F)                                                                    \
    y[ow] = F(a0);                                                                        \
    y[ow + 1] = F(a1);                                                                    \
    y[ow + 2] = F(a2);                                                                    \
    y[ow + 3] = F(a3)

/* One channel, 3x3 kernel at stride_w S (dilation 1 across): the 9 weights wc stay in
 * registers for the whole plane; each output row runs 4 positions per iteration, then
 * single positions. xc, yc: the channel's input and output planes. */
#define MN_DW3_CHANNEL(name, S)                                                           \
    static void name(const mn_conv_params_t *p, const mn_dw_geom_t *g,                   \
                     const float *restrict xc, const float *restrict wc, float bias,      \
                     float *ring, float *restrict yc)                                     \
    {                                                                                     \
        const mn_act_t *act = &p->act;                                                    \
        const float w0 = wc[0], w1 = wc[1], w2 = wc[2], w3 = wc[3], w4 = wc[4];           \
        const float w5 = wc[5], w6 = wc[6], w7 = wc[7], w8 = wc[8];                       \
        int32_t oh, next = 0;                                                             \
        for (oh = 0; oh < p->out_h; ++oh) {                                               \
            const int32_t first = oh * p->stride_h, slot = first % g->ring;               \
            float *restrict y = yc + oh * p->out_w;                                       \
            const float *restrict r0, *restrict r1, *restrict r2;                         \
            int32_t ow = 0;                                                               \
            if (next < first + g->span) {                                                 \
                next = mn_dw_fill(p, g, xc, 1, first, next, ring);                        \
            }                                                                             \
            r0 = mn_dw_ring_at(g, ring, slot, 0);                                         \
            r1 = mn_dw_ring_at(g, ring, slot, p->dil_h);                                  \
            r2 = mn_dw_ring_at(g, ring, slot, 2 * p->dil_h);                              \
            for (; ow + 4 <= p->out_w; ow += 4) {                                         \
                float a0 = bias, a1 = bias, a2 = bias, a3 = bias;                         \
                MN_DW3_TAPS4(r0 + ow * (S), w0, w1, w2, S);                               \
                MN_DW3_TAPS4(r1 + ow * (S), w3, w4, w5, S);                               \
                MN_DW3_TAPS4(r2 + ow * (S), w6, w7, w8, S);                               \
                MN_ACT_STORE_REGS(MN_DW3_PUT4);                                           \
            }                                                                             \
            for (; ow < p->out_w; ++ow) {                                                 \
                float a0 = bias;                                                          \
                MN_DW3_TAPS1(r0 + ow * (S), w0, w1, w2);                                  \
                MN_DW3_TAPS1(r1 + ow * (S), w3, w4, w5);                                  \
                MN_DW3_TAPS1(r2 + ow * (S), w6, w7, w8);                                  \
                y[ow] = mn_act_apply(act, a0);                                            \
            }                                                                             \
        }                                                                                 \
    }
MN_DW3_CHANNEL(mn_dw3_channel_s1, 1)
MN_DW3_CHANNEL(mn_dw3_channel_s2, 2)
#undef MN_DW3_CHANNEL
#undef MN_DW3_PUT4
#undef MN_DW3_TAPS1
#undef MN_DW3_TAPS4

/* One channel, any kernel: the weights wc[kh * k_w + kw] read from memory, one position
 * at a time. */
static void mn_dw_channel_any(const mn_conv_params_t *p, const mn_dw_geom_t *g,
                              const float *restrict xc, const float *restrict wc, float bias,
                              float *ring, float *restrict yc)
{
    const float *rows[MN_CONV_FAST_MAX_TAPS];
    int32_t oh, ow, kh, kw, next = 0;
    for (oh = 0; oh < p->out_h; ++oh) {
        mn_dw_ring(p, g, xc, 1, oh, &next, ring, rows);
        for (ow = 0; ow < p->out_w; ++ow) {
            float a = bias;
            for (kh = 0; kh < p->k_h; ++kh) {
                const float *restrict xr = rows[kh] + ow * p->stride_w;
                for (kw = 0; kw < p->k_w; ++kw) {
                    a = MN_MADD(wc[kh * p->k_w + kw], xr[kw * p->dil_w], a);
                }
            }
            yc[oh * p->out_w + ow] = mn_act_apply(&p->act, a);
        }
    }
}

/* One channel of one image on a scalar FPU: xc, yc its planes, wc its weights. */
static void mn_dw_channel(const mn_conv_params_t *p, const mn_dw_geom_t *g, const float *xc,
                          const float *wc, float bias, float *ring, float *yc)
{
    const int32_t k3 = p->k_h == 3 && p->k_w == 3 && p->dil_w == 1;
    if (k3 && p->stride_w == 1) {
        mn_dw3_channel_s1(p, g, xc, wc, bias, ring, yc);
    } else if (k3 && p->stride_w == 2) {
        mn_dw3_channel_s2(p, g, xc, wc, bias, ring, yc);
    } else {
        mn_dw_channel_any(p, g, xc, wc, bias, ring, yc);
    }
}

void mn_conv2d_dw_f32(const mn_conv_params_t *p, const float *restrict x,
                      const float *restrict w, const float *restrict b,
                      float *restrict scratch, float *restrict y)
{
    const int32_t in_plane = p->in_h * p->in_w, out_plane = p->out_h * p->out_w;
    mn_dw_geom_t g;
    float *wq;
    int32_t n, c0, c;

    mn_dw_geometry(p, &g);
    if (mn_dw_flat_ok(p, &g)) {
        mn_dw_flat(p, x, w, b, scratch, y);
        return;
    }
    wq = scratch + g.span * g.row;
    for (n = 0; n < p->n; ++n) {
        const float *xn = x + n * p->c_in * in_plane;
        float *yn = y + n * p->c_out * out_plane;
        if (MN_DW_SCALAR) {
            for (c = 0; c < p->c_in; ++c) {
                mn_dw_channel(p, &g, xn + c * in_plane, w + c * g.taps, b ? b[c] : 0.0f,
                              scratch, yn + c * out_plane);
            }
            continue;
        }
        for (c0 = 0; c0 < p->c_in; c0 += MN_DW_CB) {
            const int32_t cb = p->c_in - c0 < MN_DW_CB ? p->c_in - c0 : MN_DW_CB;
            float bias[MN_DW_CB];
            for (c = 0; c < MN_DW_CB; ++c) {
                bias[c] = b && c < cb ? b[c0 + c] : 0.0f;
            }
            mn_dw_pack_weights(w, g.taps, c0, cb, wq);
            mn_dw_block(p, &g, xn + c0 * in_plane, wq, bias, cb, scratch, yn + c0 * out_plane);
        }
    }
}
