//! Numerically stable softmax / log-softmax along the middle axis of `[outer, axis_len,
//! inner]` (reference): the twin of `runtime-c/src/mn_softmax_f32.c`; the contract is
//! `mn_softmax_f32` in `runtime-c/include/mn_kernels.h`.

/// Parameters of the softmax (`mn_softmax_params_t`); `log` non-zero: log-softmax.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxParams {
    pub outer: i32,
    pub axis_len: i32,
    pub inner: i32,
    pub log: i32,
}

/// Softmax (or log-softmax) of x into y, same shape (`mn_softmax_f32`): the maximum is
/// subtracted first; log-softmax is `(x - max) - log(sum exp(x - max))`.
pub fn softmax_f32(p: &SoftmaxParams, x: &[f32], y: &mut [f32]) {
    let (len, inner) = (p.axis_len.max(0) as usize, p.inner.max(0) as usize);
    for o in 0..p.outer.max(0) as usize {
        for i in 0..inner {
            let base = o * len * inner + i;
            let at = |j: usize| base + j * inner;
            let mut m = f32::NEG_INFINITY;
            for j in 0..len {
                let v = x[at(j)];
                if v > m {
                    m = v;
                }
            }
            let mut sum = 0.0f32;
            for j in 0..len {
                sum += libm::expf(x[at(j)] - m);
            }
            if p.log != 0 {
                // (x - max) - log(sum), not x - (max + log(sum)): for large x, max +
                // log(sum) would round away most of log(sum).
                let log_sum = libm::logf(sum);
                for j in 0..len {
                    y[at(j)] = (x[at(j)] - m) - log_sum;
                }
            } else {
                let inv = 1.0 / sum;
                for j in 0..len {
                    y[at(j)] = libm::expf(x[at(j)] - m) * inv;
                }
            }
        }
    }
}
