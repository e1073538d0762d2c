//! 2-D max / average pooling with pads, dilation and count_include_pad (reference): the
//! twin of `runtime-c/src/mn_pool2d_f32.c`; the contract is `mn_pool2d_f32` in
//! `runtime-c/include/mn_kernels.h`.

use super::util::{max_nan, tap_range};

/// `MN_POOL_MAX`: max pooling (NaN as onnxruntime: a value replaces the running maximum
/// unless `value <= max`).
pub const POOL_MAX: i32 = 0;
/// `MN_POOL_AVG`: average pooling.
pub const POOL_AVG: i32 = 1;

/// Parameters of the 2-D pooling kernels (`mn_pool_params_t`): x `[channels, in_h,
/// in_w]` (channels = N * C), y `[channels, out_h, out_w]`; 1-D is `in_h = out_h = k_h =
/// 1`, `stride_h = dil_h = 1`, pads 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolParams {
    /// `POOL_MAX` or `POOL_AVG`.
    pub kind: i32,
    pub channels: i32,
    pub in_h: i32,
    pub in_w: i32,
    pub out_h: i32,
    pub out_w: i32,
    pub k_h: i32,
    pub k_w: i32,
    pub stride_h: i32,
    pub stride_w: i32,
    pub dil_h: i32,
    pub dil_w: i32,
    pub pad_top: i32,
    pub pad_left: i32,
    pub pad_bottom: i32,
    pub pad_right: i32,
    pub count_include_pad: i32,
}

/// 2-D pooling (`mn_pool2d_f32`). Max ignores positions outside the input; average
/// divides by the positions inside the input or, with count_include_pad, inside the
/// padded extent. A window with no position inside the input yields `-inf` for max and 0
/// for average.
pub fn pool2d_f32(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let in_plane = (p.in_h * p.in_w) as usize;
    let out_plane = (p.out_h * p.out_w) as usize;
    for c in 0..p.channels as usize {
        let xc = &x[c * in_plane..][..in_plane];
        let yc = &mut y[c * out_plane..][..out_plane];
        for oh in 0..p.out_h {
            let yr = &mut yc[(oh * p.out_w) as usize..][..p.out_w as usize];
            pool_row(p, xc, oh, yr);
        }
    }
}

/// Output row `oh` of one channel.
fn pool_row(p: &PoolParams, xc: &[f32], oh: i32, yr: &mut [f32]) {
    let ih0 = oh * p.stride_h - p.pad_top;
    let (kh0, kh1) = tap_range(ih0, p.dil_h, p.k_h, 0, p.in_h);
    let (ph0, ph1) = tap_range(ih0, p.dil_h, p.k_h, -p.pad_top, p.in_h + p.pad_bottom);
    for (ow, out) in yr.iter_mut().enumerate() {
        let iw0 = ow as i32 * p.stride_w - p.pad_left;
        let (kw0, kw1) = tap_range(iw0, p.dil_w, p.k_w, 0, p.in_w);
        let taps = || {
            (kh0..kh1).flat_map(move |kh| {
                let row = (ih0 + kh * p.dil_h) * p.in_w + iw0;
                (kw0..kw1).map(move |kw| xc[(row + kw * p.dil_w) as usize])
            })
        };
        if p.kind == POOL_MAX {
            *out = taps().fold(f32::NEG_INFINITY, max_nan);
        } else {
            let sum = taps().fold(0.0f32, |s, v| s + v);
            let count = if p.count_include_pad != 0 {
                let (pw0, pw1) = tap_range(iw0, p.dil_w, p.k_w, -p.pad_left, p.in_w + p.pad_right);
                (ph1 - ph0) * (pw1 - pw0)
            } else {
                (kh1 - kh0) * (kw1 - kw0)
            };
            *out = if count > 0 { sum / count as f32 } else { 0.0 };
        }
    }
}
