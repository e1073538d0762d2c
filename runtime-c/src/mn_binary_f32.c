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

/* t[j] = U op V for j < m (U, V expressions of j), op Add, Sub or Mul. */
#define MN_BINARY_CHUNK_OP(kind, U, V)                                                      \
    do {                                                                                  \
        if ((kind) == MN_ADD) {                                                           \
            for (j = 0; j < m; ++j) {                                                     \
                t[j] = (U) + (V);                                                         \
            }                                                                             \
        } else if ((kind) == MN_SUB) {                                                    \
            for (j = 0; j < m; ++j) {                                                     \
                t[j] = (U) - (V);                                                         \
            }                                                                             \
        } else {                                                                          \
            for (j = 0; j < m; ++j) {                                                     \
                t[j] = (U) * (V);                                                         \
            }                                                                             \
        }                                                                                 \
    } while (0)

/* Add, Sub and Mul over n elements of two operands, each dense (stride 1) or one value
 * (stride 0; not both), the activation a clamp (mn_act_clamp_bounds): in chunks of
 * MN_BINARY_CHUNK, each read whole before it is written (y may be a or b itself), so
 * that compilers vectorise them (MobileNet's residual Adds and MobileNetV3's
 * squeeze-and-excite Muls ran one element at a time, the activation's switch on each).
 * The same values as the row loops below (one operation, then the clamp). */
#define MN_BINARY_CHUNK 16
static void mn_binary_dense(int32_t kind, int32_t n, const float *a, int32_t as,
                            const float *b, int32_t bs, float lo, float hi, float *y)
{
    float t[MN_BINARY_CHUNK];
    int32_t i, j;
    for (i = 0; i < n; i += MN_BINARY_CHUNK) {
        const int32_t m = n - i < MN_BINARY_CHUNK ? n - i : MN_BINARY_CHUNK;
        const float *ai = a + i * as, *bi = b + i * bs;
        if (as == 1 && bs == 1) {
            MN_BINARY_CHUNK_OP(kind, ai[j], bi[j]);
        } else if (as == 1) {
            const float v = bi[0];
            MN_BINARY_CHUNK_OP(kind, ai[j], v);
        } else {
            const float u = ai[0];
            MN_BINARY_CHUNK_OP(kind, u, bi[j]);
        }
        for (j = 0; j < m; ++j) {
            y[i + j] = mn_clampf(t[j], lo, hi);
        }
    }
}

/* Whether mn_binary_dense computes kind with activation act on operands of strides as
 * and bs (each 1 or 0, not both 0); its clamp bounds in *lo, *hi. */
static int mn_binary_dense_ok(const mn_binary_params_t *p, int32_t as, int32_t bs, float *lo,
                              float *hi)
{
    return (p->kind == MN_ADD || p->kind == MN_SUB || p->kind == MN_MUL) &&
           (as == 0 || as == 1) && (bs == 0 || bs == 1) && (as == 1 || bs == 1) &&
           mn_act_clamp_bounds(&p->act, lo, hi);
}

/* One innermost row of len elements; reads a[i], b[i] before writing y[i]. */
static void mn_binary_row(const mn_binary_params_t *p, int32_t len, const float *a,
                          int32_t as, const float *b, int32_t bs, float *y)
{
    int32_t i;
    float lo, hi;
    if (mn_binary_dense_ok(p, as, bs, &lo, &hi)) {
        mn_binary_dense(p->kind, len, a, as, b, bs, lo, hi, y);
        return;
    }
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
    int32_t outer_rank = p->rank > 0 ? p->rank - 1 : 0;
    int32_t len = p->rank > 0 ? p->dims[p->rank - 1] : 1;
    const int32_t as = p->rank > 0 ? p->a_strides[p->rank - 1] : 0;
    const int32_t bs = p->rank > 0 ? p->b_strides[p->rank - 1] : 0;
    int32_t a_off = 0, b_off = 0, y_off = 0;

    if (!mn_odometer_start(p->rank, p->dims, idx)) {
        return;
    }
    /* The innermost row takes in every outer dimension both operands walk on from it (a
     * dense operand's next stride is the row's length, a broadcast one's 0): two dense
     * operands are one flat row, a per-channel scale times a plane is one row per
     * channel. */
    while (outer_rank > 0 && p->a_strides[outer_rank - 1] == as * len &&
           p->b_strides[outer_rank - 1] == bs * len) {
        len *= p->dims[--outer_rank];
    }
    do {
        mn_binary_row(p, len, a + a_off, as, b + b_off, bs, y + y_off);
        y_off += len;
    } while (mn_odometer_next(outer_rank, p->dims, idx, p->a_strides, &a_off, p->b_strides,
                              &b_off));
}
