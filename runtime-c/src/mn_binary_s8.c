/* mn_binary_s8: int8 Add / Mul with broadcasting and a scale per input (reference).
 * See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

/* The requantised result of one pair of inputs. */
static int8_t binary_s8_one(const mn_binary_s8_params_t *p, int8_t a, int8_t b)
{
    const int32_t da = (int32_t)a - p->a_zp;
    const int32_t db = (int32_t)b - p->b_zp;
    const int32_t v = p->kind == MN_BINARY_S8_MUL ? mn_requant_apply(&p->a_rq, da * db, 1)
                                                  : mn_rq_sum2(p->a_rq, da, p->b_rq, db);
    return mn_rq_clamp(v, p->y_zp, p->y_lo, p->y_hi);
}

void mn_binary_s8(const mn_binary_s8_params_t *p, const int8_t *a, const int8_t *b,
                  int8_t *restrict y)
{
    int32_t idx[MN_MAX_DIMS];
    int32_t a_off = 0, b_off = 0, i = 0;
    if (!mn_odometer_start(p->rank, p->dims, idx)) {
        return;
    }
    do {
        y[i++] = binary_s8_one(p, a[a_off], b[b_off]);
    } while (mn_odometer_next(p->rank, p->dims, idx, p->a_strides, &a_off, p->b_strides,
                              &b_off));
}
