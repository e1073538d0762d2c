/* Mean over the copies of a tensor that arrived (see mn_kernels.h). */
#include "mn_kernels.h"

void mn_mean_arrived_f32(const mn_mean_arrived_params_t *p, const float *const *xs,
                         const int32_t *arrived, float *y)
{
    int32_t i, k, count = 0;
    int32_t use_all;
    float scale;
    for (k = 0; k < p->n; ++k) count += arrived[k] ? 1 : 0;
    use_all = count == 0;
    scale = 1.0f / (float)(use_all ? p->n : count);
    for (i = 0; i < p->size; ++i) {
        float acc = 0.0f;
        for (k = 0; k < p->n; ++k) {
            if (use_all || arrived[k]) acc += xs[k][i];
        }
        y[i] = acc * scale;
    }
}
