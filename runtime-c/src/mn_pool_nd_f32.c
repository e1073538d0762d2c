/* mn_pool_nd_f32: N-d max / average pooling with pads, dilation, count_include_pad
 * (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

/* Whether tap `tap` of the window at base lies inside the padded extent
 * [-pads_begin[d], in[d] + pads_end[d]) on every axis (count_include_pad). */
static int32_t mn_tap_in_padded(const mn_pool_nd_params_t *p, const int32_t *base, int32_t tap)
{
    int32_t d;
    for (d = p->nd - 1; d >= 0; --d) {
        const int32_t pos = base[d] + (tap % p->k[d]) * p->dilations[d];
        if (pos < -p->pads_begin[d] || pos >= p->in[d] + p->pads_end[d]) {
            return 0;
        }
        tap /= p->k[d];
    }
    return 1;
}

void mn_pool_nd_f32(const mn_pool_nd_params_t *p, const float *restrict x, float *restrict y)
{
    const int32_t in_size = mn_prod(p->nd, p->in);
    const int32_t out_size = mn_prod(p->nd, p->out);
    const int32_t taps = mn_prod(p->nd, p->k);
    int32_t base[MN_MAX_DIMS];
    int32_t c, o, t;

    for (c = 0; c < p->channels; ++c) {
        const float *xc = x + c * in_size;
        float *yc = y + c * out_size;
        for (o = 0; o < out_size; ++o) {
            float m = -INFINITY, sum = 0.0f;
            int32_t inside = 0, padded = 0;
            mn_window_base(p->nd, p->out, p->strides, p->pads_begin, o, base);
            for (t = 0; t < taps; ++t) {
                const int32_t off =
                    mn_window_tap_offset(p->nd, p->in, p->k, p->dilations, base, t);
                if (off >= 0) {
                    m = mn_max_nan(m, xc[off]);
                    sum += xc[off];
                    ++inside;
                }
                if (p->count_include_pad) {
                    padded += mn_tap_in_padded(p, base, t);
                }
            }
            if (p->kind == MN_POOL_MAX) {
                yc[o] = m;
            } else {
                const int32_t count = p->count_include_pad ? padded : inside;
                yc[o] = count > 0 ? sum / (float)count : 0.0f;
            }
        }
    }
}
