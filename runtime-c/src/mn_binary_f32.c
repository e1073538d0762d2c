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

/* Whether strides s walk a dense tensor of dims in order (dims of size 1 ignored): the
 * operand is then one flat row of the output's elements. */
static int mn_binary_is_dense(int32_t rank, const int32_t *dims, const int32_t *s)
{
    int32_t d, step = 1;
    for (d = rank - 1; d >= 0; --d) {
        if (dims[d] != 1 && s[d] != step) {
            return 0;
        }
        step *= dims[d];
    }
    return 1;
}

/* Add, Sub and Mul of two dense operands of n elements, the activation a clamp
 * (mn_act_clamp_bounds): in chunks of MN_BINARY_CHUNK, each read whole before it is
 * written (y may be a or b itself), so that compilers vectorise them (MobileNet's
 * residual Adds ran one element at a time, the activation's switch on each). The
 * same values as mn_binary_row (one operation, then the clamp). */
#define MN_BINARY_CHUNK 16
static void mn_binary_dense(int32_t kind, int32_t n, const float *a, const float *b,
                            float lo, float hi, float *y)
{
    float t[MN_BINARY_CHUNK];
    int32_t i, j;
    for (i = 0; i < n; i += MN_BINARY_CHUNK) {
        const int32_t m = n - i < MN_BINARY_CHUNK ? n - i : MN_BINARY_CHUNK;
        if (kind == MN_ADD) {
            for (j = 0; j < m; ++j) {
                t[j] = a[i + j] + b[i + j];
            }
        } else if (kind == MN_SUB) {
            for (j = 0; j < m; ++j) {
                t[j] = a[i + j] - b[i + j];
            }
        } else {
            for (j = 0; j < m; ++j) {
                t[j] = a[i + j] * b[i + j];
            }
        }
        for (j = 0; j < m; ++j) {
            y[i + j] = mn_clampf(t[j], lo, hi);
        }
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
    float lo, hi;

    if (!mn_odometer_start(p->rank, p->dims, idx)) {
        return;
    }
    if ((p->kind == MN_ADD || p->kind == MN_SUB || p->kind == MN_MUL) &&
        mn_act_clamp_bounds(&p->act, &lo, &hi) &&
        mn_binary_is_dense(p->rank, p->dims, p->a_strides) &&
        mn_binary_is_dense(p->rank, p->dims, p->b_strides)) {
        int32_t d, n = 1;
        for (d = 0; d < p->rank; ++d) {
            n *= p->dims[d];
        }
        mn_binary_dense(p->kind, n, a, b, lo, hi, y);
        return;
    }
    do {
        mn_binary_row(p, len, a + a_off, as, b + b_off, bs, y + y_off);
        y_off += len;
    } while (mn_odometer_next(outer_rank, p->dims, idx, p->a_strides, &a_off, p->b_strides,
                              &b_off));
}
