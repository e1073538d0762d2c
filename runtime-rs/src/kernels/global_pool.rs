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
    for (c, out) in y[..p.channels.max(0) as usize].iter_mut().enumerate() {
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
