/* mn_binary_f32: broadcasting y = act(a OP b) over an N-D output (reference).
 * See mn_kernels.h. No restrict: y may alias a dense operand. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

/* One innermost row of len elements; reads a[i], b[i] before writing y[i]. */
static void mn_binary_row(const mn_binary_params_t *p, int32_t len, const float *a,
                          int32_t as, const float *b, int32_t bs, float *y)
{
    int32_t i;
    switch (p->kind) {
    case MN_ADD:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, a[i * as] + b[i * bs]);
        break;
    case MN_SUB:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, a[i * as] - b[i * bs]);
        break;
    case MN_MUL:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, a[i * as] * b[i * bs]);
        break;
    case MN_POW:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, powf(a[i * as], b[i * bs]));
        break;
    default: /* MN_DIV */
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, a[i * as] / b[i * bs]);
        break;
    }
}

void mn_binary_f32(const mn_binary_params_t *p, const float *a, const float *b, float *y)
{
    int32_t idx[MN_MAX_DIMS];
    const int32_t outer_rank = p->rank > 0 ? p->rank - 1 : 0;
    const int32_t len = p->rank > 0 ? p->dims[p->rank - 1] : 1;
    const int32_t as = p->rank > 0 ? p->a_strides[p->rank - 1] : 0;
    const int32_t bs = p->rank > 0 ? p->b_strides[p->rank - 1] : 0;
    int32_t a_off = 0, b_off = 0, y_off = 0;

    if (!mn_odometer_start(p->rank, p->dims, idx)) {
        return;
    }
    do {
        mn_binary_row(p, len, a + a_off, as, b + b_off, bs, y + y_off);
        y_off += len;
    } while (mn_odometer_next(outer_rank, p->dims, idx, p->a_strides, &a_off, p->b_strides,
                              &b_off));
}
