/* mn_pool2d_fast_f32: max / average pooling without padding or dilation, one output row
 * at a time with the window taps outside the innermost (vectorisable) loop, narrow rows
 * one window at a time. See
 * mn_kernels.h; mn_pool2d_f32.c is the reference it matches. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

/* Output rows narrower than this take one window at a time, its sum or maximum in a
 * register: the row loops below carry each output through memory, a dependent load and
 * store per tap (DS-CNN's final 25 x 5 average pooling: one output per row). */
#define MN_POOL_NARROW 8

/* The maximum or the mean of one window, xw its first tap; taps in row-major order,
 * as the reference. */
static float pool_fast_window(const mn_pool_params_t *p, const float *xw)
{
    int32_t kh, kw;
    if (p->kind == MN_POOL_MAX) {
        float m = -INFINITY;
        for (kh = 0; kh < p->k_h; ++kh, xw += p->in_w) {
            for (kw = 0; kw < p->k_w; ++kw) {
                m = mn_max_nan(m, xw[kw]);
            }
        }
        return m;
    } else {
        float sum = 0.0f;
        for (kh = 0; kh < p->k_h; ++kh, xw += p->in_w) {
            for (kw = 0; kw < p->k_w; ++kw) {
                sum += xw[kw];
            }
        }
        return sum / (float)(p->k_h * p->k_w);
    }
}

void mn_pool2d_fast_f32(const mn_pool_params_t *p, const float *restrict x,
                        float *restrict y)
{
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    const int32_t sw = p->stride_w;
    int32_t c, oh, ow, kh, kw;

    for (c = 0; c < p->channels; ++c) {
        const float *xc = x + c * in_plane;
        float *yc = y + c * out_plane;
        for (oh = 0; oh < p->out_h; ++oh) {
            float *yr = yc + oh * p->out_w;
            if (p->kind == MN_POOL_MAX && p->k_h == 2 && p->k_w == 2 && sw == 2) {
                /* The common 2x2 / stride 2 window in one pass. */
                const float *x0 = xc + oh * p->stride_h * p->in_w;
                const float *x1 = x0 + p->in_w;
                for (ow = 0; ow < p->out_w; ++ow) {
                    const float a = x0[2 * ow], b = x0[2 * ow + 1];
                    const float c2 = x1[2 * ow], d = x1[2 * ow + 1];
                    yr[ow] = mn_max_nan(mn_max_nan(mn_max_nan(a, b), c2), d);
                }
            } else if (p->out_w < MN_POOL_NARROW) {
                const float *xw = xc + oh * p->stride_h * p->in_w;
                for (ow = 0; ow < p->out_w; ++ow) {
                    yr[ow] = pool_fast_window(p, xw + ow * sw);
                }
            } else if (p->kind == MN_POOL_MAX) {
                for (ow = 0; ow < p->out_w; ++ow) {
                    yr[ow] = -INFINITY;
                }
                for (kh = 0; kh < p->k_h; ++kh) {
                    const float *xr = xc + (oh * p->stride_h + kh) * p->in_w;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const float *xk = xr + kw;
                        for (ow = 0; ow < p->out_w; ++ow) {
                            const float v = xk[ow * sw];
                            yr[ow] = mn_max_nan(yr[ow], v);
                        }
                    }
                }
            } else {
                const float count = (float)(p->k_h * p->k_w);
                for (ow = 0; ow < p->out_w; ++ow) {
                    yr[ow] = 0.0f;
                }
                for (kh = 0; kh < p->k_h; ++kh) {
                    const float *xr = xc + (oh * p->stride_h + kh) * p->in_w;
                    for (kw = 0; kw < p->k_w; ++kw) {
                        const float *xk = xr + kw;
                        for (ow = 0; ow < p->out_w; ++ow) {
                            yr[ow] += xk[ow * sw];
                        }
                    }
                }
                for (ow = 0; ow < p->out_w; ++ow) {
                    yr[ow] = yr[ow] / count;
                }
            }
        }
    }
}
