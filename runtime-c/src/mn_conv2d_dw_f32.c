/* mn_conv2d_dw_f32: depthwise convolution (group == c_in == c_out) over a padded,
 * stride-phase-split copy of one channel at a time (portable C99 written for
 * auto-vectorisation). See mn_kernels.h; mn_conv2d_f32.c is the reference it matches.
 *
 * Method: as mn_conv2d_fast_f32 (see there), with one output channel per tile: the
 * channel's plane is copied zero-padded and split into stride phases, so each tap reads
 * a contiguous run, and MN_DW_NR consecutive "wide row" positions are accumulated in
 * registers over the taps. Only one channel is copied at a time, so the scratch is one
 * padded plane. With no padding and stride 1 the input is read in place. */
#include "internal/mn_kernels_internal.h"

#define MN_DW_NR 32 /* output positions per tile (the vector direction) */
int32_t mn_conv2d_dw_f32_scratch_size(const mn_conv_params_t *p)
{
    mn_conv_pad_geom_t g;
    mn_conv_pad_geometry(p, &g);
    /* One channel's planes, and MN_DW_NR floats of slack for the last tile's reads. */
    return g.direct ? 0 : g.pitch + MN_DW_NR;
}

/* Copy one channel xc ([in_h][in_w]) into the phase-split padded layout. */
static void mn_dw_pack(const mn_conv_params_t *p, const mn_conv_pad_geom_t *g,
                       const float *restrict xc, float *restrict xq)
{
    int32_t j;
    mn_conv_pad_channel_f32(p, g, xc, xq);
    for (j = 0; j < MN_DW_NR; ++j) {
        xq[g->pitch + j] = 0.0f;
    }
}

/* (MN_NO_UNROLL_AND_JAM: GCC would jam two taps into a scalar loop over positions.) */
MN_NO_UNROLL_AND_JAM
void mn_conv2d_dw_f32(const mn_conv_params_t *p, const float *restrict x,
                      const float *restrict w, const float *restrict b,
                      float *restrict scratch, float *restrict y)
{
    const int32_t n_taps = p->k_h * p->k_w;
    const int32_t out_plane = p->out_h * p->out_w;
    int32_t taps[MN_CONV_FAST_MAX_TAPS];
    float acc[MN_DW_NR];
    mn_conv_pad_geom_t g;
    int32_t n, c, j0, t, v;

    mn_conv_pad_geometry(p, &g);
    mn_conv_pad_taps(p, &g, taps);
    for (n = 0; n < p->n; ++n) {
        for (c = 0; c < p->c_in; ++c) {
            const float *xc = x + (n * p->c_in + c) * p->in_h * p->in_w;
            const float *wc = w + c * n_taps;
            const float bias = b ? b[c] : 0.0f;
            float *yc = y + (n * p->c_out + c) * out_plane;
            if (!g.direct) {
                mn_dw_pack(p, &g, xc, scratch);
                xc = scratch;
            }
            for (j0 = 0; j0 < g.n_pos; j0 += MN_DW_NR) {
                const int32_t nr = g.n_pos - j0 < MN_DW_NR ? g.n_pos - j0 : MN_DW_NR;
                if (nr == MN_DW_NR || !g.direct) {
                    /* Full-width reads are safe in scratch (it has MN_DW_NR of slack). */
                    float a[MN_DW_NR];
                    for (v = 0; v < MN_DW_NR; ++v) {
                        a[v] = bias;
                    }
                    for (t = 0; t < n_taps; ++t) {
                        const float *xk = xc + j0 + taps[t];
                        const float wt = wc[t];
                        for (v = 0; v < MN_DW_NR; ++v) {
                            a[v] += wt * xk[v];
                        }
                    }
                    for (v = 0; v < MN_DW_NR; ++v) {
                        acc[v] = a[v];
                    }
                } else {
                    for (v = 0; v < nr; ++v) {
                        acc[v] = bias;
                    }
                    for (t = 0; t < n_taps; ++t) {
                        const float *xk = xc + j0 + taps[t];
                        for (v = 0; v < nr; ++v) {
                            acc[v] += wc[t] * xk[v];
                        }
                    }
                }
                mn_conv_store_wide_f32(&p->act, &g, p->out_w, acc, j0, nr, yc);
            }
        }
    }
}
