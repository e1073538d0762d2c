//! Twin of runtime-c/src/mn_pool2d_s8.c: int8 2-D max / average pooling with the
//! windows of `mn_pool2d_f32` (reference).

use super::requant::{rq_clamp, rq_scale, Requant};
use crate::kernels::tap_range;

/// `MN_POOL_MAX` (`mn_pool_kind_t`; `kernels::POOL_MAX` once the float pooling lands).
const POOL_MAX: i32 = 0;

/// `mn_pool_s8_params_t`: the fields of `mn_pool_params_t` (kind `POOL_MAX` or
/// `POOL_AVG`), zero points, y's clamp range and `rq = x_scale / y_scale`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolS8Params {
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
    pub x_zp: i32,
    pub y_zp: i32,
    pub y_lo: i32,
    pub y_hi: i32,
    pub rq: Requant,
}

/// The pooled value of output (oh, ow) of one channel plane, requantised (`pool_s8_one`).
fn pool_s8_one(p: &PoolS8Params, xc: &[i8], oh: i32, ow: i32) -> i8 {
    let ih0 = oh * p.stride_h - p.pad_top;
    let iw0 = ow * p.stride_w - p.pad_left;
    let (kh0, kh1) = tap_range(ih0, p.dil_h, p.k_h, 0, p.in_h);
    let (kw0, kw1) = tap_range(iw0, p.dil_w, p.k_w, 0, p.in_w);
    let (mut m, mut sum) = (-129i32, 0i32);
    for kh in kh0..kh1 {
        let row = (ih0 + kh * p.dil_h) * p.in_w + iw0;
        for kw in kw0..kw1 {
            let v = xc[(row + kw * p.dil_w) as usize] as i32;
            m = m.max(v);
            sum += v - p.x_zp;
        }
    }
    let mut count = (kh1 - kh0) * (kw1 - kw0);
    if count == 0 {
        return rq_clamp(0, p.y_zp, p.y_lo, p.y_hi);
    }
    if p.kind == POOL_MAX {
        return rq_clamp(rq_scale(p.rq, m - p.x_zp, 1), p.y_zp, p.y_lo, p.y_hi);
    }
    if p.count_include_pad != 0 {
        let (ph0, ph1) = tap_range(ih0, p.dil_h, p.k_h, -p.pad_top, p.in_h + p.pad_bottom);
        let (pw0, pw1) = tap_range(iw0, p.dil_w, p.k_w, -p.pad_left, p.in_w + p.pad_right);
        count = (ph1 - ph0) * (pw1 - pw0);
    }
    rq_clamp(rq_scale(p.rq, sum, count), p.y_zp, p.y_lo, p.y_hi)
}

/// Int8 max / average pooling (`mn_pool2d_s8`).
pub fn pool2d_s8(p: &PoolS8Params, x: &[i8], y: &mut [i8]) {
    let in_plane = (p.in_h * p.in_w) as usize;
    let out_plane = (p.out_h * p.out_w) as usize;
    for c in 0..p.channels as usize {
        let xc = &x[c * in_plane..][..in_plane];
        for oh in 0..p.out_h {
            for ow in 0..p.out_w {
                y[c * out_plane + (oh * p.out_w + ow) as usize] = pool_s8_one(p, xc, oh, ow);
            }
        }
    }
}
