/* mn_rnn_f32: simple recurrent layer, H = tanh(W x + R H + Wb + Rb) (reference).
 * See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

void mn_rnn_f32(const mn_rnn_params_t *p, const float *restrict x, const float *restrict w,
                const float *restrict r, const float *restrict b, const float *restrict h0,
                float *restrict y, float *restrict y_h, float *restrict scratch)
{
    const int32_t n = p->hidden;
    float *h = scratch;     /* [n] */
    float *g = scratch + n; /* [n] */
    int32_t d, bi, s, i;

    for (d = 0; d < p->dirs; ++d) {
        const float *wd = w + d * n * p->input;
        const float *rd = r + d * n * n;
        const float *wb = b ? b + d * 2 * n : NULL;
        const float *rb = b ? wb + n : NULL;
        for (bi = 0; bi < p->batch; ++bi) {
            mn_rnn_init_state(h0, mn_rnn_state_at(p, d, bi), n, h);
            for (s = 0; s < p->seq; ++s) {
                const int32_t t = mn_rnn_time(p, d, s);
                mn_rnn_gates_set(wb, wd, x + mn_rnn_x_at(p, t, bi), n, p->input, g);
                mn_rnn_gates_add(rb, rd, h, n, n, g);
                for (i = 0; i < n; ++i) {
                    h[i] = tanhf(g[i]);
                }
                mn_rnn_store(y, mn_rnn_y_at(p, t, d, bi), n, h);
            }
            mn_rnn_store(y_h, mn_rnn_state_at(p, d, bi), n, h);
        }
    }
}
