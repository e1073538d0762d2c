//! Twin of runtime-c/src/mn_pool2d_fast_s8.c: int8 max pooling, [`super::pool2d_s8`] bit
//! for bit: windows inside the input take their maximum without per-tap bounds (2 x 2
//! unrolled), border windows the reference's clipped ranges; no requantisation when it is
//! the identity. Max pooling only: `kind` is not read (average pooling runs
//! [`super::pool2d_s8`]).

use super::pool2d::PoolS8Params;
use super::requant::{rq_clamp, rq_scale};
use crate::kernels::tap_range;

/// The maximum of window (ih0, iw0) over its taps inside the input, or -129 when none is
/// (`pool_fast_s8_border`).
fn border(p: &PoolS8Params, xc: &[i8], ih0: i32, iw0: i32) -> i32 {
    let (kh0, kh1) = tap_range(ih0, p.dil_h, p.k_h, 0, p.in_h);
    let (kw0, kw1) = tap_range(iw0, p.dil_w, p.k_w, 0, p.in_w);
    let mut m = -129;
    for kh in kh0..kh1 {
        for kw in kw0..kw1 {
            let i = (ih0 + kh * p.dil_h) * p.in_w + iw0 + kw * p.dil_w;
            m = m.max(i32::from(xc[i as usize]));
        }
    }
    m
}

/// `mn_pool2d_fast_s8`.
pub fn pool2d_fast_s8(p: &PoolS8Params, x: &[i8], y: &mut [i8]) {
    let (in_h, in_w) = (p.in_h, p.in_w);
    let in_plane = (in_h * in_w) as usize;
    let identity = p.rq.mult == 1 << 30
        && p.rq.shift == 1
        && p.x_zp == p.y_zp
        && p.y_lo == -128
        && p.y_hi == 127;
    let two = p.k_h == 2 && p.k_w == 2 && p.dil_h == 1 && p.dil_w == 1;
    let mut out = 0;
    for c in 0..p.channels as usize {
        let xc = &x[c * in_plane..][..in_plane];
        for oh in 0..p.out_h {
            let ih0 = oh * p.stride_h - p.pad_top;
            let rows_in = ih0 >= 0 && ih0 + (p.k_h - 1) * p.dil_h < in_h;
            for ow in 0..p.out_w {
                let iw0 = ow * p.stride_w - p.pad_left;
                let m = if rows_in && iw0 >= 0 && iw0 + (p.k_w - 1) * p.dil_w < in_w {
                    let r = (ih0 * in_w + iw0) as usize;
                    if two {
                        let w = in_w as usize;
                        let a = xc[r].max(xc[r + 1]);
                        let b = xc[r + w].max(xc[r + w + 1]);
                        i32::from(a.max(b))
                    } else {
                        let mut m = -128;
                        for kh in 0..p.k_h {
                            let row = r + (kh * p.dil_h * in_w) as usize;
                            for kw in 0..p.k_w {
                                m = m.max(i32::from(xc[row + (kw * p.dil_w) as usize]));
                            }
                        }
                        m
                    }
                } else {
                    border(p, xc, ih0, iw0)
                };
                y[out] = if m == -129 {
                    rq_clamp(0, p.y_zp, p.y_lo, p.y_hi) // no input position: y_zp
                } else if identity {
                    m as i8
                } else {
                    rq_clamp(rq_scale(p.rq, m - p.x_zp, 1), p.y_zp, p.y_lo, p.y_hi)
                };
                out += 1;
            }
        }
    }
}
