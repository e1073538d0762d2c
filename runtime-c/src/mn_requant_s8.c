/* mn_requant_s8: the exact requantisation, out of line: the one copy every int8 kernel
 * calls for its rare or cold cases (the fast kernels keep their hot path inline).
 * See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"

int32_t mn_requant_apply(const mn_requant_t *rq, int32_t acc, int32_t count)
{
    return mn_rq_scale(*rq, acc, count);
}
