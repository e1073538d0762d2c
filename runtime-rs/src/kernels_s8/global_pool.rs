//! Twin of runtime-c/src/mn_global_pool_s8.c: int8 global average pooling (reference).

use super::requant::{rq_clamp, rq_scale, Requant};

/// `mn_global_pool_s8_params_t`: x is `[channels][size]`, y `[channels]`; zero points,
/// y's clamp range and `rq = x_scale / y_scale`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalPoolS8Params {
    pub channels: i32,
    pub size: i32,
    pub x_zp: i32,
    pub y_zp: i32,
    pub y_lo: i32,
    pub y_hi: i32,
    pub rq: Requant,
}

/// `y[c] = clamp(y_zp + round(sum (x - x_zp) * rq / size), y_lo, y_hi)`
/// (`mn_global_pool_s8`).
pub fn global_pool_s8(p: &GlobalPoolS8Params, x: &[i8], y: &mut [i8]) {
    let size = p.size.max(0) as usize;
    for (c, yc) in y[..p.channels as usize].iter_mut().enumerate() {
        let sum: i32 = x[c * size..][..size]
            .iter()
            .map(|&v| v as i32 - p.x_zp)
            .sum();
        let v = if p.size > 0 {
            rq_scale(p.rq, sum, p.size)
        } else {
            0
        };
        *yc = rq_clamp(v, p.y_zp, p.y_lo, p.y_hi);
    }
}
