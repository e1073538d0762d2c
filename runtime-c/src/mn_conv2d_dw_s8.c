/* mn_conv2d_dw_s8: int8 depthwise convolution one channel at a time. The input rows an
 * output row reads are copied as int16 into a ring in scratch (x_zp in the padding; the
 * zero point is folded into the channel's bias, so the sums take x itself); 3 x 3
 * windows (any stride_h and dil_h; stride_w 1 or 2, dil_w 1) run two output positions at
 * a time with the channel's weights in registers, on the DSP extension four SMLAD/SMLAxy
 * per window row, other windows tap by tap. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

#include <string.h>

/* Input columns one output row reads, and the ring's row length: the span of out_w
 * rounded up to even (the 3 x 3 path computes outputs in pairs), itself rounded up to an
 * even count of int16 (the DSP path loads whole words, aligned pairs). */
static int32_t dw_s8_span(int32_t out, int32_t stride, int32_t k, int32_t dil)
{
    return (out - 1) * stride + (k - 1) * dil + 1;
}

static int32_t dw_s8_row_len(const mn_conv_s8_params_t *p)
{
    return (dw_s8_span((p->out_w + 1) & ~1, p->stride_w, p->k_w, p->dil_w) + 1) & ~1;
}

/* Rows of the ring: the input rows one output row reads. */
static int32_t dw_s8_ring_rows(const mn_conv_s8_params_t *p)
{
    return (p->k_h - 1) * p->dil_h + 1;
}

int32_t mn_conv2d_dw_s8_scratch_size(const mn_conv_s8_params_t *p)
{
    return dw_s8_ring_rows(p) * dw_s8_row_len(p) * (int32_t)sizeof(int16_t);
}

/* What every channel of one call shares. */
typedef struct {
    int32_t rows, len;          /* the ring: rows of len int16 */
    int32_t col_lo, col_hi;     /* its columns that hold input columns (the rest: x_zp) */
    int32_t stride, dil;        /* stride_h and dil_h modulo rows */
    int32_t zp, lo, hi;         /* the output clamp */
    int32_t three;              /* 3 x 3 windows, dil_w 1, stride_w 1 or 2 */
} dw_s8_geom_t;

static dw_s8_geom_t dw_s8_geom(const mn_conv_s8_params_t *p)
{
    dw_s8_geom_t q;
    q.rows = dw_s8_ring_rows(p);
    q.len = dw_s8_row_len(p);
    q.col_lo = p->pad_left < q.len ? p->pad_left : q.len;
    q.col_hi = p->pad_left + p->in_w < q.len ? p->pad_left + p->in_w : q.len;
    q.col_hi = q.col_hi > q.col_lo ? q.col_hi : q.col_lo;
    q.stride = p->stride_h % q.rows, q.dil = p->dil_h % q.rows;
    q.zp = p->y_zp, q.lo = p->y_lo, q.hi = p->y_hi;
    q.three = p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 &&
              (p->stride_w == 1 || p->stride_w == 2);
    return q;
}

/* Padded input row r (input row r - pad_top) of channel plane xc into dst: x_zp left of
 * the input, past its right edge and on rows outside it. */
static void dw_s8_fill_row(const mn_conv_s8_params_t *p, const dw_s8_geom_t *q,
                           const int8_t *xc, int32_t r, int16_t *dst)
{
    const int32_t ih = r - p->pad_top;
    const int16_t zp = (int16_t)p->x_zp;
    const int32_t inside = ih >= 0 && ih < p->in_h;
    const int32_t lo = inside ? q->col_lo : q->len, hi = inside ? q->col_hi : q->len;
    const int8_t *xr = xc + (inside ? ih * p->in_w - p->pad_left : 0);
    int32_t c;
    for (c = 0; c < lo; ++c) {
        dst[c] = zp;
    }
    for (; c < hi; ++c) {
        dst[c] = xr[c];
    }
    for (; c < q->len; ++c) {
        dst[c] = zp;
    }
}

/* The nine weights of a 3 x 3 window (zeros for other windows). DSP: per row the pairs
 * (w0, w1) and (w1, w2) as int16 halves of one word each; plain: the taps themselves. */
typedef struct {
#if MN_S8_DSP
    int32_t w01[3], w12[3];
#else
    int32_t w[9];
#endif
} dw_s8_w33_t;

static dw_s8_w33_t dw_s8_w33(const int8_t *w, int32_t three)
{
    dw_s8_w33_t t;
    int32_t r;
    memset(&t, 0, sizeof t);
    for (r = 0; three && r < 3; ++r) {
#if MN_S8_DSP
        t.w01[r] = (int32_t)(((uint32_t)(uint16_t)w[3 * r]) |
                             ((uint32_t)(uint16_t)w[3 * r + 1] << 16));
        t.w12[r] = (int32_t)(((uint32_t)(uint16_t)w[3 * r + 1]) |
                             ((uint32_t)(uint16_t)w[3 * r + 2] << 16));
#else
        t.w[3 * r] = w[3 * r], t.w[3 * r + 1] = w[3 * r + 1], t.w[3 * r + 2] = w[3 * r + 2];
#endif
    }
    return t;
}

#if MN_S8_DSP
/* The word of int16 row r at even column c (aligned: rows start at even offsets). */
static MN_ALWAYS_INLINE int32_t dw_s8_word(const int16_t *r, int32_t c)
{
    int32_t v;
    memcpy(&v, MN_ASSUME_ALIGNED4(r + c), 4);
    return v;
}
#endif

/* Window row k of two outputs whose windows start at columns c and c + s of row r (s the
 * stride, 1 or 2; the second output's sum only when two). DSP, s = 1: (w0,w1).(x0,x1) +
 * w2 x2 and w0 x1 + (w1,w2).(x2,x3); s = 2: (w0,w1).(x0,x1) + w2 x2 and
 * (w0,w1).(x2,x3) + w2 x4. */
static MN_ALWAYS_INLINE void dw_s8_row3(const dw_s8_w33_t *t, int32_t k, const int16_t *r,
                                        int32_t c, int32_t s, int32_t *a0, int32_t *a1)
{
#if MN_S8_DSP
    const int32_t x01 = dw_s8_word(r, c), x23 = dw_s8_word(r, c + 2);
    *a0 = __smlatb(t->w12[k], x23, __smlad(t->w01[k], x01, *a0));
    if (s == 1) {
        *a1 = __smlad(t->w12[k], x23, __smlabt(t->w01[k], x01, *a1));
    } else {
        *a1 = __smlatb(t->w12[k], dw_s8_word(r, c + 4), __smlad(t->w01[k], x23, *a1));
    }
#else
    const int32_t w0 = t->w[3 * k], w1 = t->w[3 * k + 1], w2 = t->w[3 * k + 2];
    *a0 += w0 * r[c] + w1 * r[c + 1] + w2 * r[c + 2];
    *a1 += w0 * r[c + s] + w1 * r[c + s + 1] + w2 * r[c + s + 2];
#endif
}

/* Outputs summed before they are requantised: the sums (of consecutive output positions,
 * across rows) and the requantisation run in loops of their own, each with the registers
 * to itself. */
#define DW_S8_CHUNK 32

/* The sums still to be requantised: acc[0 .. n - 1] are the outputs from y on (one more
 * entry: a pair's unused second sum). */
typedef struct {
    int32_t acc[DW_S8_CHUNK + 1];
    int32_t n;
    int8_t *y;
} dw_s8_pending_t;

/* The sums of n outputs (n even) of a 3 x 3 window at stride_w s (1 or 2) whose first
 * window starts at column c0 of ring rows r0, r1, r2: two at a time. */
static MN_ALWAYS_INLINE void dw_s8_sums_3x3(const dw_s8_w33_t *t, const int16_t *r0,
                                            const int16_t *r1, const int16_t *r2,
                                            int32_t c0, int32_t n, int32_t s, int32_t bias,
                                            int32_t *acc)
{
    int32_t i;
    for (i = 0; i < n; i += 2, c0 += 2 * s) {
        int32_t a0 = bias, a1 = bias;
        dw_s8_row3(t, 0, r0, c0, s, &a0, &a1);
        dw_s8_row3(t, 1, r1, c0, s, &a0, &a1);
        dw_s8_row3(t, 2, r2, c0, s, &a0, &a1);
        acc[i] = a0, acc[i + 1] = a1;
    }
}

/* The pending outputs from their sums; none pending after. */
MN_NOINLINE static void dw_s8_flush(const mn_rq_fast_t *f, const dw_s8_geom_t *q,
                                    dw_s8_pending_t *pd)
{
    const mn_rq_fast_t c = *f; /* locals: the int8 stores may alias anything */
    const int32_t zp = q->zp, lo = q->lo, hi = q->hi, n = pd->n;
    int8_t *y = pd->y;
    int32_t i;
    for (i = 0; i < n; ++i) {
        y[i] = mn_rq_clamp(mn_rq_fast(&c, pd->acc[i]), zp, lo, hi);
    }
    pd->y = y + n, pd->n = 0;
}

/* Room for m more sums (m <= DW_S8_CHUNK): the pending ones are requantised first when
 * they would not fit. Returns where the next sum goes. */
static int32_t *dw_s8_room(const mn_rq_fast_t *f, const dw_s8_geom_t *q,
                           dw_s8_pending_t *pd, int32_t m)
{
    if (pd->n + m > DW_S8_CHUNK) {
        dw_s8_flush(f, q, pd);
    }
    return pd->acc + pd->n;
}

/* The sums of output row 0 .. out_w - 1 of a 3 x 3 window at stride_w s (1 or 2) from
 * ring rows r0, r1, r2, appended to the pending ones in pieces of at most DW_S8_CHUNK;
 * an odd last output computes its pair's second sum too (the row length, from an even
 * out_w, keeps those reads inside the row), unused. */
MN_NOINLINE static void dw_s8_row_3x3(const dw_s8_geom_t *q, const dw_s8_w33_t *t,
                                      const mn_rq_fast_t *f, int32_t bias,
                                      const int16_t *r0, const int16_t *r1,
                                      const int16_t *r2, int32_t out_w, int32_t s,
                                      dw_s8_pending_t *pd)
{
    int32_t ow, n;
    for (ow = 0; ow < out_w; ow += n) {
        int32_t *acc;
        n = out_w - ow < DW_S8_CHUNK ? out_w - ow : DW_S8_CHUNK;
        acc = dw_s8_room(f, q, pd, n);
        if (s == 1) {
            dw_s8_sums_3x3(t, r0, r1, r2, ow, (n + 1) & ~1, 1, bias, acc);
        } else {
            dw_s8_sums_3x3(t, r0, r1, r2, 2 * ow, (n + 1) & ~1, 2, bias, acc);
        }
        pd->n += n;
    }
}

/* The sums of output row 0 .. out_w - 1 of any window, tap by tap, from the ring rows
 * r0 (the window's first row), r0 + dil, r0 + 2 dil, ... (modulo the ring's rows; dil =
 * dil_h modulo them), appended to the pending ones. */
static void dw_s8_row_any(const mn_conv_s8_params_t *p, const dw_s8_geom_t *q,
                          const int8_t *w, const mn_rq_fast_t *f, int32_t bias,
                          const int16_t *ring, int32_t r0, dw_s8_pending_t *pd)
{
    int32_t ow, kh, kw;
    for (ow = 0; ow < p->out_w; ++ow) {
        int32_t *acc = dw_s8_room(f, q, pd, 1), slot = r0;
        *acc = bias;
        for (kh = 0; kh < p->k_h; ++kh) {
            const int16_t *row = ring + slot * q->len + ow * p->stride_w;
            for (kw = 0; kw < p->k_w; ++kw) {
                *acc += w[kh * p->k_w + kw] * row[kw * p->dil_w];
            }
            slot += q->dil;
            slot -= slot >= q->rows ? q->rows : 0;
        }
        pd->n += 1;
    }
}

/* Ring row k of the window whose first row is in ring row r0 (k * dil_h < rows). */
static const int16_t *dw_s8_ring_row(const dw_s8_geom_t *q, const int16_t *ring, int32_t r0,
                                     int32_t k)
{
    const int32_t r = r0 + k * q->dil;
    return ring + (r < q->rows ? r : r - q->rows) * q->len;
}

/* Channel plane xc into output plane yc: w the channel's k_h * k_w weights, bias its
 * bias with x_zp folded in. Padded row r lives in ring row r % rows; the ring rows of
 * the rows in use are stepped, not divided, from row to row. */
static void dw_s8_channel(const mn_conv_s8_params_t *p, const dw_s8_geom_t *q,
                          const int8_t *xc, const int8_t *w, const mn_rq_fast_t *f,
                          int32_t bias, int16_t *ring, int8_t *yc)
{
    const dw_s8_w33_t t = dw_s8_w33(w, q->three);
    int32_t oh, r0 = 0;            /* the ring row of padded row oh * stride_h */
    int32_t next = 0, next_at = 0; /* the first padded row not yet filled, its ring row */
    dw_s8_pending_t pd;
    pd.n = 0, pd.y = yc;
    for (oh = 0; oh < p->out_h; ++oh) {
        const int32_t r = oh * p->stride_h;
        if (next < r) { /* rows between two windows, never read */
            next = r, next_at = r0;
        }
        for (; next < r + q->rows; ++next) {
            dw_s8_fill_row(p, q, xc, next, ring + next_at * q->len);
            next_at = next_at + 1 == q->rows ? 0 : next_at + 1;
        }
        if (q->three) {
            dw_s8_row_3x3(q, &t, f, bias, dw_s8_ring_row(q, ring, r0, 0),
                          dw_s8_ring_row(q, ring, r0, 1), dw_s8_ring_row(q, ring, r0, 2),
                          p->out_w, p->stride_w, &pd);
        } else {
            dw_s8_row_any(p, q, w, f, bias, ring, r0, &pd);
        }
        r0 += q->stride;
        r0 -= r0 >= q->rows ? q->rows : 0;
    }
    dw_s8_flush(f, q, &pd);
}

void mn_conv2d_dw_s8(const mn_conv_s8_params_t *p, const int8_t *restrict x,
                     const int8_t *restrict w, const int32_t *restrict b,
                     const mn_requant_word_t *restrict rq, int8_t *restrict scratch,
                     int8_t *restrict y)
{
    const dw_s8_geom_t q = dw_s8_geom(p);
    const int32_t taps = p->k_h * p->k_w;
    const int32_t in_plane = p->in_h * p->in_w, out_plane = p->out_h * p->out_w;
    int16_t *ring = (int16_t *)(void *)scratch; /* 4-byte aligned (the contract) */
    int32_t n, c, k;
    for (n = 0; n < p->n; ++n) {
        for (c = 0; c < p->c_in; ++c) {
            const int8_t *wc = w + c * taps;
            const mn_rq_fast_t f = mn_rq_fast_init(mn_requant_of(rq, p->per_channel, c));
            int32_t sum = 0;
            for (k = 0; k < taps; ++k) {
                sum += wc[k];
            }
            dw_s8_channel(p, &q, x + (n * p->c_in + c) * in_plane, wc, &f,
                          (b ? b[c] : 0) - p->x_zp * sum, ring,
                          y + (n * p->c_out + c) * out_plane);
        }
    }
}
