/* mn_binary_f32: broadcasting y = act(a OP b) over an N-D output (reference).
 * See mn_kernels.h. No restrict: y may alias a dense operand. */
#include "internal/mn_kernels_internal.h"
#include <math.h>

/* A comparison or logic result as a bool stored in a float. */
#define MN_TRUTH(cond) ((cond) ? 1.0f : 0.0f)

/* min where a NaN operand gives NaN (as onnxruntime's Min; mn_max_nan is Max's). */
static float mn_min_nan(float a, float b)
{
    return (a != a || b != b) ? a + b : (b < a ? b : a);
}

/* a mod b with the sign of b (Python / numpy). */
static float mn_mod_floor(float a, float b)
{
    const float r = fmodf(a, b);
    return (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) ? r + b : r;
}

/* Comparisons and logic of one row: no activation applies to a bool. */
static void mn_binary_bool_row(int32_t kind, int32_t len, const float *a, int32_t as,
                               const float *b, int32_t bs, float *y)
{
    int32_t i;
    for (i = 0; i < len; ++i) {
        const float u = a[i * as], v = b[i * bs];
        switch (kind) {
        case MN_EQUAL: y[i] = MN_TRUTH(u == v); break;
        case MN_LESS: y[i] = MN_TRUTH(u < v); break;
        case MN_LESS_EQUAL: y[i] = MN_TRUTH(u <= v); break;
        case MN_GREATER: y[i] = MN_TRUTH(u > v); break;
        case MN_GREATER_EQUAL: y[i] = MN_TRUTH(u >= v); break;
        case MN_AND: y[i] = MN_TRUTH(u != 0.0f && v != 0.0f); break;
        case MN_OR: y[i] = MN_TRUTH(u != 0.0f || v != 0.0f); break;
        default: /* MN_XOR */ y[i] = MN_TRUTH((u != 0.0f) != (v != 0.0f)); break;
        }
    }
}

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
    case MN_DIV:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, a[i * as] / b[i * bs]);
        break;
    case MN_FMOD:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, fmodf(a[i * as], b[i * bs]));
        break;
    case MN_MOD:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, mn_mod_floor(a[i * as], b[i * bs]));
        break;
    case MN_MIN:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, mn_min_nan(a[i * as], b[i * bs]));
        break;
    case MN_MAX:
        for (i = 0; i < len; ++i) y[i] = mn_act_apply(&p->act, mn_max_nan(a[i * as], b[i * bs]));
        break;
    default:
        mn_binary_bool_row(p->kind, len, a, as, b, bs, y);
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
