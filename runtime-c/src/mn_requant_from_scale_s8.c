/* mn_requant_from_scale_s8: the fixed-point multiplier of a real scale, and its table
 * word (meshnn makes both at compile time; tests and host tools call these).
 * See mn_kernels_s8.h. */
#include "internal/mn_kernels_s8_internal.h"
#include <math.h>

int32_t mn_requant_from_scale(double scale, mn_requant_t *rq)
{
    int e = 0;
    double m, r;
    if (!(scale >= 0.0) || scale >= 32768.0) {
        return -1;
    }
    m = frexp(scale, &e); /* scale = m * 2^e, m in [0.5, 1) (0 for 0) */
    r = round(m * 2147483648.0);
    if (r >= 2147483648.0) { /* m rounded up to 1 */
        r = 1073741824.0;
        e += 1;
    }
    if (scale == 0.0 || e < MN_REQUANT_MIN_SHIFT) {
        rq->mult = 0;
        rq->shift = 0;
        return 0;
    }
    if (e > MN_REQUANT_MAX_SHIFT) {
        return -1;
    }
    rq->mult = (int32_t)r;
    rq->shift = e;
    return 0;
}

int32_t mn_requant_pack(const mn_requant_t *rq, mn_requant_word_t *word)
{
    uint32_t mult = ((uint32_t)rq->mult + 32u) & ~63u; /* mult < 2^31: no wrap */
    int32_t shift = rq->shift;
    if (mult == 0x80000000u) {
        mult = 0x40000000u;
        shift += 1;
    }
    if (shift > MN_REQUANT_MAX_SHIFT) {
        return -1;
    }
    *word = (mn_requant_word_t)(mult | (uint32_t)(shift - MN_REQUANT_MIN_SHIFT));
    return 0;
}
