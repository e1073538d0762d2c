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

/* pool_fast_window of four channels at once (planes `plane` apart), in y[0 .. 3]: four
 * independent sums (or maxima), each in the reference's order, so that they overlap
 * instead of waiting on one another (DS-CNN's final pooling: one window of 125 taps
 * per channel). */
static void pool_fast_window4(const mn_pool_params_t *p, const float *xw, int32_t plane,
                              float *y)
{
    const float *x1 = xw + plane, *x2 = xw + 2 * plane, *x3 = xw + 3 * plane;
    int32_t kh, kw, o = 0;
    if (p->kind == MN_POOL_MAX) {
        float m0 = -INFINITY, m1 = -INFINITY, m2 = -INFINITY, m3 = -INFINITY;
        for (kh = 0; kh < p->k_h; ++kh, o += p->in_w) {
            for (kw = 0; kw < p->k_w; ++kw) {
                m0 = mn_max_nan(m0, xw[o + kw]);
                m1 = mn_max_nan(m1, x1[o + kw]);
                m2 = mn_max_nan(m2, x2[o + kw]);
                m3 = mn_max_nan(m3, x3[o + kw]);
            }
        }
        y[0] = m0, y[1] = m1, y[2] = m2, y[3] = m3;
    } else {
        const float count = (float)(p->k_h * p->k_w);
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (kh = 0; kh < p->k_h; ++kh, o += p->in_w) {
            for (kw = 0; kw < p->k_w; ++kw) {
                s0 += xw[o + kw];
                s1 += x1[o + kw];
                s2 += x2[o + kw];
                s3 += x3[o + kw];
            }
        }
        y[0] = s0 / count, y[1] = s1 / count, y[2] = s2 / count, y[3] = s3 / count;
    }
}

/* Narrow rows (out_w < MN_POOL_NARROW) of channels c .. c + 3, four windows at a time. */
static void pool_fast_narrow4(const mn_pool_params_t *p, const float *xc, float *yc)
{
    const int32_t in_plane = p->in_h * p->in_w, out_plane = p->out_h * p->out_w;
    int32_t oh, ow;
    for (oh = 0; oh < p->out_h; ++oh) {
        for (ow = 0; ow < p->out_w; ++ow) {
            const int32_t at = oh * p->out_w + ow;
            float v[4];
            pool_fast_window4(p, xc + oh * p->stride_h * p->in_w + ow * p->stride_w, in_plane,
                              v);
            yc[at] = v[0], yc[at + out_plane] = v[1];
            yc[at + 2 * out_plane] = v[2], yc[at + 3 * out_plane] = v[3];
        }
    }
}

void mn_pool2d_fast_f32(const mn_pool_params_t *p, const float *restrict x,
                        float *restrict y)
{
    const int32_t in_plane = p->in_h * p->in_w;
    const int32_t out_plane = p->out_h * p->out_w;
    const int32_t sw = p->stride_w;
    const int max22 = p->kind == MN_POOL_MAX && p->k_h == 2 && p->k_w == 2 && sw == 2;
    int32_t c = 0, oh, ow, kh, kw;

    if (p->out_w < MN_POOL_NARROW && !max22) {
        for (; c + 4 <= p->channels; c += 4) {
            pool_fast_narrow4(p, x + c * in_plane, y + c * out_plane);
        }
    }
    for (; c < p->channels; ++c) {
        const float *xc = x + c * in_plane;
        float *yc = y + c * out_plane;
        for (oh = 0; oh < p->out_h; ++oh) {
            float *yr = yc + oh * p->out_w;
            if (max22) {
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
