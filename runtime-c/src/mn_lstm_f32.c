/* mn_lstm_f32: long short-term memory layer, gates i, o, f, c, optional peepholes
 * (reference). See mn_kernels.h. */
#include "internal/mn_kernels_internal.h"

/* The state update of one time step from the pre-activations g ([4n]: i, o, f, c without
 * peepholes): c and h ([n]) in place; pd ([3n]: P_i, P_o, P_f) or NULL. */
static void lstm_update(int32_t n, const float *g, const float *pd, float *h, float *c)
{
    int32_t k;
    for (k = 0; k < n; ++k) {
        const float ig = mn_sigmoid_f32(g[k] + (pd ? pd[k] * c[k] : 0.0f));
        const float fg = mn_sigmoid_f32(g[2 * n + k] + (pd ? pd[2 * n + k] * c[k] : 0.0f));
        float og;
        c[k] = fg * c[k] + ig * tanhf(g[3 * n + k]);
        og = mn_sigmoid_f32(g[n + k] + (pd ? pd[n + k] * c[k] : 0.0f));
        h[k] = og * tanhf(c[k]);
    }
}

void mn_lstm_f32(const mn_rnn_params_t *p, const float *restrict x, const float *restrict w,
                 const float *restrict r, const float *restrict b, const float *restrict h0,
                 const float *restrict c0, const float *restrict peep, float *restrict y,
                 float *restrict y_h, float *restrict y_c, float *restrict scratch)
{
    const int32_t n = p->hidden;
    float *h = scratch;         /* [n] */
    float *c = scratch + n;     /* [n] */
    float *g = scratch + 2 * n; /* [4n] */
    int32_t d, bi, s;

    for (d = 0; d < p->dirs; ++d) {
        const float *wd = w + d * 4 * n * p->input;
        const float *rd = r + d * 4 * n * n;
        const float *wb = b ? b + d * 8 * n : NULL;
        const float *rb = b ? wb + 4 * n : NULL;
        const float *pd = peep ? peep + d * 3 * n : NULL;
        for (bi = 0; bi < p->batch; ++bi) {
            const int32_t at = mn_rnn_state_at(p, d, bi);
            mn_rnn_init_state(h0, at, n, h);
            mn_rnn_init_state(c0, at, n, c);
            for (s = 0; s < p->seq; ++s) {
                const int32_t t = mn_rnn_time(p, d, s);
                mn_rnn_gates_set(wb, wd, x + mn_rnn_x_at(p, t, bi), 4 * n, p->input, g);
                mn_rnn_gates_add(rb, rd, h, 4 * n, n, g);
                lstm_update(n, g, pd, h, c);
                mn_rnn_store(y, mn_rnn_y_at(p, t, d, bi), n, h);
            }
            mn_rnn_store(y_h, at, n, h);
            mn_rnn_store(y_c, at, n, c);
        }
    }
}
