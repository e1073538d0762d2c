//! Global max / average pooling over each channel (reference): the twin of
//! `runtime-c/src/mn_global_pool_f32.c`; the contract is `mn_global_pool_f32` in
//! `runtime-c/include/mn_kernels.h`.

use super::util::max_nan;
use super::POOL_MAX;

/// Parameters of the global pooling (`mn_global_pool_params_t`): x `[channels, size]`,
/// y `[channels]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalPoolParams {
    /// `POOL_MAX` or `POOL_AVG`.
    pub kind: i32,
    pub channels: i32,
    pub size: i32,
}

/// Global max (NaN propagates) or average of each channel (`mn_global_pool_f32`); an
/// empty channel gives `-inf` (max) or 0 (average).
pub fn global_pool_f32(p: &GlobalPoolParams, x: &[f32], y: &mut [f32]) {
    let size = p.size.max(0) as usize;
    let channels = p.channels.max(0) as usize;
    let mut c = 0;
    if size > 0 {
        // Four channels at once (`global_pool4`): four independent sums or maxima, each in
        // the one-channel order below, so that they overlap.
        while c + 4 <= channels {
            let xs: [&[f32]; 4] = core::array::from_fn(|j| &x[(c + j) * size..][..size]);
            let mut a = [if p.kind == POOL_MAX {
                f32::NEG_INFINITY
            } else {
                0.0
            }; 4];
            for i in 0..size {
                for (a, xj) in a.iter_mut().zip(xs) {
                    *a = if p.kind == POOL_MAX {
                        max_nan(*a, xj[i])
                    } else {
                        *a + xj[i]
                    };
                }
            }
            for (j, a) in a.into_iter().enumerate() {
                y[c + j] = if p.kind == POOL_MAX {
                    a
                } else {
                    a / size as f32
                };
            }
            c += 4;
        }
    }
    for (c, out) in y[..channels].iter_mut().enumerate().skip(c) {
        let xc = &x[c * size..][..size];
        *out = if p.kind == POOL_MAX {
            xc.iter().copied().fold(f32::NEG_INFINITY, max_nan)
        } else if size > 0 {
            xc.iter().fold(0.0f32, |s, &v| s + v) / size as f32
        } else {
            0.0
        };
    }
}
