/* mn_softmax_f32: numerically stable softmax / log-softmax along the middle axis of
 * [outer, axis_len, inner] (reference). See mn_kernels.h. */
#include "mn_kernels.h"
#include <math.h>

void mn_softmax_f32(const mn_softmax_params_t *p, const float *restrict x, float *restrict y)
{
    const int32_t len = p->axis_len, inner = p->inner;
    int32_t o, i, j;

    for (o = 0; o < p->outer; ++o) {
        for (i = 0; i < inner; ++i) {
            const int32_t base = o * len * inner + i;
            float m = -INFINITY;
            float sum = 0.0f;
            for (j = 0; j < len; ++j) {
                const float v = x[base + j * inner];
                if (v > m) {
                    m = v;
                }
            }
            for (j = 0; j < len; ++j) {
                sum += expf(x[base + j * inner] - m);
            }
            if (p->log) {
                /* (x - max) - log(sum), not x - (max + log(sum)): for large x, max +
                 * log(sum) would round away most of log(sum) (ir/eval.rs folds the same
                 * expression; tests/differential.rs checks that they agree). */
                const float log_sum = logf(sum);
                for (j = 0; j < len; ++j) {
                    y[base + j * inner] = (x[base + j * inner] - m) - log_sum;
                }
            } else {
                const float inv = 1.0f / sum;
                for (j = 0; j < len; ++j) {
                    y[base + j * inner] = expf(x[base + j * inner] - m) * inv;
                }
            }
        }
    }
}
