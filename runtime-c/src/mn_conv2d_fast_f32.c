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
 * with the accumulators in registers. With no padding and stride 1 the input is read
 * in place and no scratch is used. */
#include "mn_kernels.h"

#define MN_CF_MR 4  /* output channels per tile */
#define MN_CF_NR 16 /* output positions per tile (the vector direction) */

typedef struct {
    int32_t s_h, s_w;  /* strides */
    int32_t hq, wq;    /* rows, columns of one phase plane */
    int32_t pitch;     /* floats per input channel in the planes read */
    int32_t direct;    /* 1: read x in place (no padding, stride 1) */
    int32_t n_pos;     /* positions j computed: (out_h - 1) * wq + out_w */
} mn_cf_geom_t;

static void mn_cf_geometry(const mn_conv_params_t *p, mn_cf_geom_t *g)
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

int32_t mn_conv2d_fast_f32_scratch_size(const mn_conv_params_t *p)
{
    mn_cf_geom_t g;
    mn_cf_geometry(p, &g);
    /* MN_CF_NR floats of slack: the last tile may read (and drop) past the end. */
    return g.direct ? 0 : p->c_in * g.pitch + MN_CF_NR;
}

/* Copy image x ([c_in][in_h][in_w]) into the phase-split padded layout. */
static void mn_cf_pack(const mn_conv_params_t *p, const mn_cf_geom_t *g,
                       const float *restrict x, float *restrict xq)
{
    int32_t c, ph, pw, i, j;
    for (c = 0; c < p->c_in; ++c) {
        const float *xc = x + c * p->in_h * p->in_w;
        for (ph = 0; ph < g->s_h; ++ph) {
            for (pw = 0; pw < g->s_w; ++pw) {
                for (i = 0; i < g->hq; ++i) {
                    const int32_t r = i * g->s_h + ph - p->pad_top;
                    float *dst = xq + ((c * g->s_h + ph) * g->s_w + pw) * g->hq * g->wq +
                                 i * g->wq;
                    if (r < 0 || r >= p->in_h) {
                        for (j = 0; j < g->wq; ++j) {
                            dst[j] = 0.0f;
                        }
                    } else {
                        const float *src = xc + r * p->in_w;
                        for (j = 0; j < g->wq; ++j) {
                            const int32_t col = j * g->s_w + pw - p->pad_left;
                            dst[j] = (col >= 0 && col < p->in_w) ? src[col] : 0.0f;
                        }
                    }
                }
            }
        }
    }
    for (j = 0; j < MN_CF_NR; ++j) {
        xq[p->c_in * g->pitch + j] = 0.0f;
    }
}

/* Full tile: MN_CF_MR channels x MN_CF_NR positions; w rows are k floats apart. */
static void mn_cf_tile_full(const float *restrict xj, int32_t cin_g, int32_t pitch,
                            const int32_t *restrict taps, int32_t n_taps,
                            const float *restrict w, int32_t k, const float *bias,
                            float acc[MN_CF_MR][MN_CF_NR])
{
    float a0[MN_CF_NR], a1[MN_CF_NR], a2[MN_CF_NR], a3[MN_CF_NR];
    const float *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
    int32_t v, ic, t;
    for (v = 0; v < MN_CF_NR; ++v) {
        a0[v] = bias[0];
        a1[v] = bias[1];
        a2[v] = bias[2];
        a3[v] = bias[3];
    }
    for (ic = 0; ic < cin_g; ++ic) {
        const float *xc = xj + ic * pitch;
        for (t = 0; t < n_taps; ++t) {
            const float *xk = xc + taps[t];
            const float b0 = *w0++, b1 = *w1++, b2 = *w2++, b3 = *w3++;
            for (v = 0; v < MN_CF_NR; ++v) {
                const float xv = xk[v];
                a0[v] += b0 * xv;
                a1[v] += b1 * xv;
                a2[v] += b2 * xv;
                a3[v] += b3 * xv;
            }
        }
    }
    for (v = 0; v < MN_CF_NR; ++v) {
        acc[0][v] = a0[v];
        acc[1][v] = a1[v];
        acc[2][v] = a2[v];
        acc[3][v] = a3[v];
    }
}

/* One channel x MN_CF_NR positions (depthwise and channel tails). */
static void mn_cf_tile_one(const float *restrict xj, int32_t cin_g, int32_t pitch,
                           const int32_t *restrict taps, int32_t n_taps,
                           const float *restrict w, float bias, float *restrict acc)
{
    float a0[MN_CF_NR];
    int32_t v, ic, t;
    for (v = 0; v < MN_CF_NR; ++v) {
        a0[v] = bias;
    }
    for (ic = 0; ic < cin_g; ++ic) {
        const float *xc = xj + ic * pitch;
        for (t = 0; t < n_taps; ++t) {
            const float *xk = xc + taps[t];
            const float b0 = *w++;
            for (v = 0; v < MN_CF_NR; ++v) {
                a0[v] += b0 * xk[v];
            }
        }
    }
    for (v = 0; v < MN_CF_NR; ++v) {
        acc[v] = a0[v];
    }
}

/* Any tile of mr <= MN_CF_MR channels x nr <= MN_CF_NR positions, reading only nr. */
static void mn_cf_tile_any(const float *restrict xj, int32_t cin_g, int32_t pitch,
                           const int32_t *restrict taps, int32_t n_taps,
                           const float *restrict w, int32_t k, const float *bias,
                           int32_t mr, int32_t nr, float acc[MN_CF_MR][MN_CF_NR])
{
    int32_t r, v, ic, t;
    for (r = 0; r < mr; ++r) {
        const float *wr = w + r * k;
        for (v = 0; v < nr; ++v) {
            acc[r][v] = bias[r];
        }
        for (ic = 0; ic < cin_g; ++ic) {
            const float *xc = xj + ic * pitch;
            for (t = 0; t < n_taps; ++t) {
                const float *xk = xc + taps[t];
                const float b0 = *wr++;
                for (v = 0; v < nr; ++v) {
                    acc[r][v] += b0 * xk[v];
                }
            }
        }
    }
}

int32_t mn_conv2d_fast_f32(const mn_conv_params_t *p, const float *restrict x,
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
    float bias[MN_CF_MR];
    mn_cf_geom_t g;
    int32_t n, gi, oc0, j0, kh, kw, r, v;

    if (n_taps > MN_CONV_FAST_MAX_TAPS) {
        return -1;
    }
    mn_cf_geometry(p, &g);
    /* Offset of each tap in the phase-split layout. */
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t rh = kh * p->dil_h;
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t rw = kw * p->dil_w;
            const int32_t phase = (rh % g.s_h) * g.s_w + rw % g.s_w;
            taps[kh * p->k_w + kw] =
                phase * g.hq * g.wq + (rh / g.s_h) * g.wq + rw / g.s_w;
        }
    }
    for (n = 0; n < p->n; ++n) {
        const float *xn = x + n * p->c_in * p->in_h * p->in_w;
        const float *xq = xn;
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
                const float *woc = w + oc0 * k;
                for (r = 0; r < mr; ++r) {
                    bias[r] = b ? b[oc0 + r] : 0.0f;
                }
                for (j0 = 0; j0 < g.n_pos; j0 += MN_CF_NR) {
                    const int32_t nr = g.n_pos - j0 < MN_CF_NR ? g.n_pos - j0 : MN_CF_NR;
                    /* Full-width reads are safe in scratch (it has MN_CF_NR of slack). */
                    const int32_t wide = nr == MN_CF_NR || !g.direct;
                    int32_t oh = j0 / g.wq, ow = j0 - oh * g.wq;
                    if (mr == MN_CF_MR && wide) {
                        mn_cf_tile_full(xg + j0, cin_g, g.pitch, taps, n_taps, woc, k, bias,
                                        acc);
                    } else if (wide) {
                        for (r = 0; r < mr; ++r) {
                            mn_cf_tile_one(xg + j0, cin_g, g.pitch, taps, n_taps,
                                           woc + r * k, bias[r], acc[r]);
                        }
                    } else {
                        mn_cf_tile_any(xg + j0, cin_g, g.pitch, taps, n_taps, woc, k, bias,
                                       mr, nr, acc);
                    }
                    /* Store the positions that are real outputs (ow < out_w). */
                    for (v = 0; v < nr; ++v) {
                        if (ow < p->out_w) {
                            float *yo = yn + oc0 * out_plane + oh * p->out_w + ow;
                            for (r = 0; r < mr; ++r) {
                                yo[r * out_plane] = mn_act_apply(&p->act, acc[r][v]);
                            }
                        }
                        if (++ow == g.wq) {
                            ow = 0;
                            ++oh;
                        }
                    }
                }
            }
        }
    }
    return 0;
}
