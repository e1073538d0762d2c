/* mn_fill_f32: set every element of y to one value. See mn_kernels.h. */
#include "mn_kernels.h"

void mn_fill_f32(float *y, int32_t size, float value)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        y[i] = value;
    }
}
