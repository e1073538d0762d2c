/* mn_conv_pad_f32: the zero-padded, stride-phase-split input layout shared by the fast
 * convolutions (mn_conv2d_fast_f32, mn_conv2d_dw_f32), and their store of wide-row accumulators.
 * See internal/mn_kernels_internal.h. */
#include "internal/mn_kernels_internal.h"

void mn_conv_pad_geometry(const mn_conv_params_t *p, mn_conv_pad_geom_t *g)
{
    /* Padded extent actually read (bottom/right padding implied by out_h / out_w). */
    const int32_t hp = (p->out_h - 1) * p->stride_h + (p->k_h - 1) * p->dil_h + 1;
    const int32_t wp = (p->out_w - 1) * p->stride_w + (p->k_w - 1) * p->dil_w + 1;
    g->s_h = p->stride_h;
    g->s_w = p->stride_w;
    g->direct = p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                p->pad_left == 0 && wp == p->in_w && hp <= p->in_h;
    if (g->direct) {
        g->hq = p->in_h;
        g->wq = p->in_w;
        g->pitch = p->in_h * p->in_w;
    } else {
        g->hq = (hp + p->stride_h - 1) / p->stride_h;
        g->wq = (wp + p->stride_w - 1) / p->stride_w;
        g->pitch = p->stride_h * p->stride_w * g->hq * g->wq;
    }
    g->n_pos = (p->out_h - 1) * g->wq + p->out_w;
}

void mn_conv_pad_taps(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                      int32_t *taps)
{
    int32_t kh, kw;
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t rh = kh * p->dil_h;
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t rw = kw * p->dil_w;
            const int32_t phase = (rh % g->s_h) * g->s_w + rw % g->s_w;
            taps[kh * p->k_w + kw] =
                phase * g->hq * g->wq + (rh / g->s_h) * g->wq + rw / g->s_w;
        }
    }
}

/* The padded, phase-split layout holds position (ph, pw, i, j) = padded coordinate
 * (i * s_h + ph, j * s_w + pw), i.e. input element (i * s_h + ph - pad_top,
 * j * s_w + pw - pad_left) or zero. The channel is zeroed in one pass, then every input
 * element that is read is stored once, walking the input row by row (each input row
 * feeds one row of each of the s_w column phases): no per-row zero runs or calls. */
void mn_conv_pad_channel_f32(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                             const float *restrict xc, float *restrict xq)
{
    const int32_t plane = g->hq * g->wq;
    /* Input row r is padded row r + pad_top: row i of row phase ph (kept incrementally:
     * no division per row). */
    int32_t r, c, i = p->pad_top / g->s_h, ph = p->pad_top % g->s_h;
    for (c = 0; c < g->pitch; ++c) {
        xq[c] = 0.0f;
    }
    for (r = 0; r < p->in_h && i < g->hq; ++r) { /* rows with i >= hq are never read */
        const float *restrict src = xc + r * p->in_w;
        float *restrict row = xq + ph * g->s_w * plane + i * g->wq; /* column phase 0 */
        if (++ph == g->s_h) {
            ph = 0;
            ++i;
        }
        if (g->s_w == 1) {
            const int32_t n = p->in_w < g->wq - p->pad_left ? p->in_w : g->wq - p->pad_left;
            float *restrict dst = row + p->pad_left;
            for (c = 0; c < n; ++c) {
                dst[c] = src[c];
            }
        } else if (g->s_w == 2) {
            /* Deinterleave: input column c goes to padded column c + pad_left, i.e. phase
             * (c + pad_left) & 1 at index (c + pad_left) >> 1. */
            const int32_t e = p->pad_left, o = p->pad_left + 1;
            float *restrict d_even = row + (e & 1) * plane + (e >> 1); /* c = 0, 2, 4 .. */
            float *restrict d_odd = row + (o & 1) * plane + (o >> 1);  /* c = 1, 3, 5 .. */
            int32_t n_even = (p->in_w + 1) / 2, n_odd = p->in_w / 2, m, n;
            if (n_even > g->wq - (e >> 1)) {
                n_even = g->wq - (e >> 1);
            }
            if (n_odd > g->wq - (o >> 1)) {
                n_odd = g->wq - (o >> 1);
            }
            n = n_even < n_odd ? n_even : n_odd;
            for (m = 0; m < n; ++m) {
                d_even[m] = src[2 * m];
                d_odd[m] = src[2 * m + 1];
            }
            for (m = n; m < n_even; ++m) {
                d_even[m] = src[2 * m];
            }
            for (m = n; m < n_odd; ++m) {
                d_odd[m] = src[2 * m + 1];
            }
        } else {
            for (c = 0; c < p->in_w; ++c) {
                const int32_t qc = c + p->pad_left;
                if (qc / g->s_w < g->wq) {
                    row[(qc % g->s_w) * plane + qc / g->s_w] = src[c];
                }
            }
        }
    }
}

void mn_conv_store_wide_f32(const mn_act_t *act, const mn_conv_pad_geom_t *g, int32_t out_w,
                            const float *acc, int32_t acc_stride, int32_t rows,
                            int32_t out_plane, int32_t j0, int32_t nr, float *y)
{
    int32_t oh = j0 / g->wq, ow = j0 - oh * g->wq, v = 0, r;
    float lo = 0.0f, hi = 0.0f;
    const int clamp = mn_act_clamp_bounds(act, &lo, &hi);
    while (v < nr) { /* runs of real outputs (ow < out_w), row by row */
        int32_t run = out_w - ow;
        if (run > nr - v) {
            run = nr - v;
        }
        if (run > 0) {
            for (r = 0; r < rows; ++r) {
                const float *src = acc + r * acc_stride + v;
                float *dst = y + r * out_plane + oh * out_w + ow;
                if (clamp) { /* short runs: the clamp inline, no call per run */
                    MN_CLAMP_STORE(dst, src, run, lo, hi);
                } else {
                    mn_act_store_f32(act, src, dst, run);
                }
            }
            v += run;
            ow += run;
        }
        if (ow >= out_w) { /* skip the wide row's dropped columns */
            v += g->wq - ow;
            ow = 0;
            ++oh;
        }
    }
}
