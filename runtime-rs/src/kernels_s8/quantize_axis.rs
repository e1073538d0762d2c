//! Twin of runtime-c/src/mn_quantize_axis_s8.c: QuantizeLinear per axis, float -> int8
//! (reference): each channel's slice is [`quantize_s8`] with its scale and zero point.

use super::{quantize_s8, QuantizeS8Params};

/// `mn_quantize_axis_s8_params_t`: `x` and `y` are `[outer][channels][inner]`; output
/// range `[lo, hi]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantizeAxisS8Params {
    pub outer: i32,
    pub channels: i32,
    pub inner: i32,
    pub lo: i32,
    pub hi: i32,
}

/// `y[o][c][i] = clamp(nearbyint(x[o][c][i] / scale[c]) + zp[c], lo, hi)`
/// (`mn_quantize_axis_s8`).
pub fn quantize_axis_s8(
    p: &QuantizeAxisS8Params,
    scale: &[f32],
    zp: &[i32],
    x: &[f32],
    y: &mut [i8],
) {
    let inner = p.inner as usize;
    let channels = p.channels as usize;
    let mut off = 0;
    for _ in 0..p.outer {
        for c in 0..channels {
            let q = QuantizeS8Params {
                size: p.inner,
                scale: scale[c],
                zp: zp[c],
                lo: p.lo,
                hi: p.hi,
            };
            quantize_s8(&q, &x[off..off + inner], &mut y[off..off + inner]);
            off += inner;
        }
    }
}
