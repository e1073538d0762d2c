//! Twin of runtime-c/src/mn_concat_s8.c: one Concat input requantised into its place in
//! the output; also the elementwise requantisation of a tensor (reference).

use super::requant::{rq_clamp, rq_scale, Requant};

/// `mn_concat_s8_params_t`: `outer` rows of `inner` input values, written at
/// `o * y_stride + y_offset` in y; zero points, y's clamp range, `rq = x_scale / y_scale`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConcatS8Params {
    pub outer: i32,
    pub inner: i32,
    pub y_stride: i32,
    pub y_offset: i32,
    pub x_zp: i32,
    pub y_zp: i32,
    pub y_lo: i32,
    pub y_hi: i32,
    pub rq: Requant,
}

/// `y[o * y_stride + y_offset + i] = clamp(y_zp + round((x[o * inner + i] - x_zp) * rq),
/// y_lo, y_hi)` (`mn_concat_s8`).
pub fn concat_s8(p: &ConcatS8Params, x: &[i8], y: &mut [i8]) {
    let inner = p.inner as usize;
    for o in 0..p.outer as usize {
        let xo = &x[o * inner..][..inner];
        let yo = &mut y[o * p.y_stride as usize + p.y_offset as usize..][..inner];
        for (yv, &xv) in yo.iter_mut().zip(xo) {
            *yv = rq_clamp(
                rq_scale(p.rq, xv as i32 - p.x_zp, 1),
                p.y_zp,
                p.y_lo,
                p.y_hi,
            );
        }
    }
}
