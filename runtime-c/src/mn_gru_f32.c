/* mn_gru_f32: gated recurrent unit layer, gates z, r, h (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

/* One time step of one direction: h (the state, [n]) from the input gates g ([3n]:
 * Wb + W x of z, r, h; overwritten), the recurrent weights rd ([3n][n]) and biases rb
 * ([3n] or NULL); hr ([n]) is scratch. */
static void gru_step(const mn_rnn_params_t *p, const float *rd, const float *rb, float *g,
                     float *hr, float *h)
{
    const int32_t n = p->hidden;
    float *z = g, *rg = g + n;
    int32_t i;

    mn_rnn_gates_add(rb, rd, h, 2 * n, n, g);
    for (i = 0; i < 2 * n; ++i) {
        g[i] = mn_sigmoid_f32(g[i]);
    }
    if (p->linear_before_reset) {
        mn_rnn_gates_set(rb ? rb + 2 * n : NULL, rd + 2 * n * n, h, n, n, hr);
        for (i = 0; i < n; ++i) {
            hr[i] *= rg[i];
        }
    } else {
        for (i = 0; i < n; ++i) {
            rg[i] *= h[i]; /* r . H; r is not needed afterwards */
        }
        mn_rnn_gates_set(rb ? rb + 2 * n : NULL, rd + 2 * n * n, rg, n, n, hr);
    }
    for (i = 0; i < n; ++i) {
        const float cand = tanhf(g[2 * n + i] + hr[i]);
        h[i] = (1.0f - z[i]) * cand + z[i] * h[i];
    }
}

void mn_gru_f32(const mn_rnn_params_t *p, const float *restrict x, const float *restrict w,
                const float *restrict r, const float *restrict b, const float *restrict h0,
                float *restrict y, float *restrict y_h, float *restrict scratch)
{
    const int32_t n = p->hidden;
    float *h = scratch;          /* [n] */
    float *g = scratch + n;      /* [3n] */
    float *hr = scratch + 4 * n; /* [n] */
    int32_t d, bi, s;

    for (d = 0; d < p->dirs; ++d) {
        const float *wd = w + d * 3 * n * p->input;
        const float *rd = r + d * 3 * n * n;
        const float *wb = b ? b + d * 6 * n : NULL;
        const float *rb = b ? wb + 3 * n : NULL;
        for (bi = 0; bi < p->batch; ++bi) {
            mn_rnn_init_state(h0, mn_rnn_state_at(p, d, bi), n, h);
            for (s = 0; s < p->seq; ++s) {
                const int32_t t = mn_rnn_time(p, d, s);
                mn_rnn_gates_set(wb, wd, x + mn_rnn_x_at(p, t, bi), 3 * n, p->input, g);
                gru_step(p, rd, rb, g, hr, h);
                mn_rnn_store(y, mn_rnn_y_at(p, t, d, bi), n, h);
            }
            mn_rnn_store(y_h, mn_rnn_state_at(p, d, bi), n, h);
        }
    }
}
