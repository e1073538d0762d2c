/* mn_conv_nd_f32: grouped, dilated, padded N-d convolution (reference). See mn_kernels.h.
 * The window of one output position (its in-bounds taps and their input offsets) is found
 * once and reused by every output channel of its group, so the index arithmetic (a
 * division per axis and tap) is not repeated per channel. Windows of more than MN_ND_TAPS
 * taps find each tap's offset per channel instead. Both sum over taps, then input
 * channels, from the bias, as the compile-time evaluator does (ir/eval/window.rs). */
#include "internal/mn_kernels_internal.h"

#define MN_ND_TAPS 512

/* Output channels [oc0, oc0 + cout_g) of one group at output position o, from the `count`
 * in-bounds taps tap[j] at input offsets off[j]. */
static void mn_conv_nd_position(const mn_conv_nd_params_t *p, const float *xg, const float *w,
                                const float *b, float *y, int32_t oc0, int32_t o,
                                const int32_t *off, const int32_t *tap, int32_t count)
{
    const int32_t cin_g = p->c_in / p->group, cout_g = p->c_out / p->group;
    const int32_t in_size = mn_prod(p->nd, p->in), out_size = mn_prod(p->nd, p->out);
    const int32_t taps = mn_prod(p->nd, p->k);
    int32_t oc, ic, j;
    for (oc = oc0; oc < oc0 + cout_g; ++oc) {
        const float *woc = w + oc * cin_g * taps;
        float acc = b ? b[oc] : 0.0f;
        for (j = 0; j < count; ++j) {
            for (ic = 0; ic < cin_g; ++ic) acc += xg[ic * in_size + off[j]] * woc[ic * taps + tap[j]];
        }
        y[oc * out_size + o] = mn_act_apply(&p->act, acc);
    }
}

/* Output position o of every group, each tap's offset found per output channel. */
static void mn_conv_nd_large_window(const mn_conv_nd_params_t *p, const float *x,
                                    const float *w, const float *b, float *y, int32_t o,
                                    const int32_t *base)
{
    const int32_t cin_g = p->c_in / p->group, cout_g = p->c_out / p->group;
    const int32_t in_size = mn_prod(p->nd, p->in), out_size = mn_prod(p->nd, p->out);
    const int32_t taps = mn_prod(p->nd, p->k);
    int32_t oc, ic, t;
    for (oc = 0; oc < p->c_out; ++oc) {
        const float *xg = x + (oc / cout_g) * cin_g * in_size;
        const float *woc = w + oc * cin_g * taps;
        float acc = b ? b[oc] : 0.0f;
        for (t = 0; t < taps; ++t) {
            const int32_t off = mn_window_tap_offset(p->nd, p->in, p->k, p->dilations, base, t);
            if (off < 0) continue;
            for (ic = 0; ic < cin_g; ++ic) acc += xg[ic * in_size + off] * woc[ic * taps + t];
        }
        y[oc * out_size + o] = mn_act_apply(&p->act, acc);
    }
}

void mn_conv_nd_f32(const mn_conv_nd_params_t *p, const float *restrict x,
                    const float *restrict w, const float *restrict b, float *restrict y)
{
    const int32_t cin_g = p->c_in / p->group;
    const int32_t cout_g = p->c_out / p->group;
    const int32_t in_size = mn_prod(p->nd, p->in);
    const int32_t out_size = mn_prod(p->nd, p->out);
    const int32_t taps = mn_prod(p->nd, p->k);
    int32_t base[MN_MAX_DIMS];
    int32_t off[MN_ND_TAPS], tap[MN_ND_TAPS];
    int32_t n, g, o, t, count;

    for (n = 0; n < p->n; ++n) {
        const float *xn = x + n * p->c_in * in_size;
        float *yn = y + n * p->c_out * out_size;
        for (o = 0; o < out_size; ++o) {
            mn_window_base(p->nd, p->out, p->strides, p->pads, o, base);
            if (taps > MN_ND_TAPS) {
                mn_conv_nd_large_window(p, xn, w, b, yn, o, base);
                continue;
            }
            for (t = count = 0; t < taps; ++t) {
                const int32_t at = mn_window_tap_offset(p->nd, p->in, p->k, p->dilations, base, t);
                if (at >= 0) {
                    off[count] = at;
                    tap[count++] = t;
                }
            }
            for (g = 0; g < p->group; ++g) {
                mn_conv_nd_position(p, xn + g * cin_g * in_size, w, b, yn, g * cout_g, o, off,
                                    tap, count);
            }
        }
    }
}
