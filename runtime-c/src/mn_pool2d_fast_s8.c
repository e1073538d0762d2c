/* mn_pool2d_fast_s8: int8 max pooling, the result of mn_pool2d_s8 bit for bit: windows
 * inside the input take their maximum without bounds (2 x 2 windows unrolled), border
 * windows the reference's clipped ranges; the requantisation is skipped when it is the
 * identity (same scale and zero point, no narrower clamp: MaxPool in onnxruntime's QDQ
 * models), and on cores with the DSP extension two 2 x 2 stride-2 windows are taken at a
 * time, four bytes per row. Max pooling only (p->kind is not read: meshnn runs average
 * pooling on mn_pool2d_s8), so that a model without average pooling links no reference
 * pooling code. See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* The maximum of window (ih0, iw0) of plane xc over its taps inside the input, or -129
 * when none is. */
MN_COLD static int32_t pool_fast_s8_border(const mn_pool_s8_params_t *p, const int8_t *xc,
                                           int32_t ih0, int32_t iw0)
{
    int32_t kh0, kh1, kw0, kw1, kh, kw, m = -129;
    mn_tap_range(ih0, p->dil_h, p->k_h, 0, p->in_h, &kh0, &kh1);
    mn_tap_range(iw0, p->dil_w, p->k_w, 0, p->in_w, &kw0, &kw1);
    for (kh = kh0; kh < kh1; ++kh) {
        for (kw = kw0; kw < kw1; ++kw) {
            const int32_t v = xc[(ih0 + kh * p->dil_h) * p->in_w + iw0 + kw * p->dil_w];
            m = v > m ? v : m;
        }
    }
    return m;
}

#if MN_S8_DSP
/* Two outputs of a 2 x 2, stride-2 max pooling with the identity requantisation whose
 * windows (input columns 0-1 and 2-3 from r, rows r and r + in_w) are inside the input:
 * byte-wise maxima, SSUB8 setting the GE flags and SEL picking by them. */
static MN_ALWAYS_INLINE void pool_fast_s8_pair(const int8_t *r, int32_t in_w, int8_t *y)
{
    uint32_t a, b, m, t;
    memcpy(&a, r, 4);
    memcpy(&b, r + in_w, 4);
    (void)__ssub8(a, b);
    m = __sel(a, b); /* the larger of the two rows, byte by byte */
    t = m >> 8;
    (void)__ssub8(m, t);
    m = __sel(m, t); /* bytes 0 and 2: the larger of columns 0, 1 and of 2, 3 */
    y[0] = (int8_t)(m & 0xFFu);
    y[1] = (int8_t)((m >> 16) & 0xFFu);
}
#endif

void mn_pool2d_fast_s8(const mn_pool_s8_params_t *p, const int8_t *restrict x,
                       int8_t *restrict y)
{
    const int32_t in_h = p->in_h, in_w = p->in_w, in_plane = in_h * in_w;
    const int32_t k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, dil_w = p->dil_w;
    const int32_t identity = p->rq.mult == 1073741824 && p->rq.shift == 1 &&
                             p->x_zp == p->y_zp && p->y_lo == -128 && p->y_hi == 127;
    const int32_t two = k_h == 2 && k_w == 2 && dil_h == 1 && dil_w == 1;
#if MN_S8_DSP
    const int32_t pairs = two && identity && p->stride_w == 2;
#endif
    int32_t c, oh, ow;
    for (c = 0; c < p->channels; ++c) {
        const int8_t *xc = x + c * in_plane;
        for (oh = 0; oh < p->out_h; ++oh) {
            const int32_t ih0 = oh * p->stride_h - p->pad_top;
            const int32_t rows_in = ih0 >= 0 && ih0 + (k_h - 1) * dil_h < in_h;
            for (ow = 0; ow < p->out_w; ++ow, ++y) {
                const int32_t iw0 = ow * p->stride_w - p->pad_left;
                int32_t m;
#if MN_S8_DSP
                if (pairs && rows_in && iw0 >= 0 && iw0 + 3 < in_w && ow + 1 < p->out_w) {
                    pool_fast_s8_pair(xc + ih0 * in_w + iw0, in_w, y);
                    ++ow, ++y;
                    continue;
                }
#endif
                if (rows_in && iw0 >= 0 && iw0 + (k_w - 1) * dil_w < in_w) {
                    const int8_t *r = xc + ih0 * in_w + iw0;
                    if (two) {
                        const int32_t a = r[0] > r[1] ? r[0] : r[1];
                        const int32_t b = r[in_w] > r[in_w + 1] ? r[in_w] : r[in_w + 1];
                        m = a > b ? a : b;
                    } else {
                        int32_t kh, kw;
                        m = -128;
                        for (kh = 0; kh < k_h; ++kh, r += dil_h * in_w) {
                            for (kw = 0; kw < k_w; ++kw) {
                                const int32_t v = r[kw * dil_w];
                                m = v > m ? v : m;
                            }
                        }
                    }
                } else {
                    m = pool_fast_s8_border(p, xc, ih0, iw0);
                    if (m == -129) { /* no input position: y_zp, as the reference */
                        *y = mn_rq_clamp(0, p->y_zp, p->y_lo, p->y_hi);
                        continue;
                    }
                }
                *y = identity ? (int8_t)m
                              : mn_rq_clamp(mn_requant_apply(&p->rq, m - p->x_zp, 1), p->y_zp,
                                            p->y_lo, p->y_hi);
            }
        }
    }
}
