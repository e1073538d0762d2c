//! Twin of runtime-c/src/mn_binary_s8.c: int8 Add / Mul with broadcasting and a scale
//! per input (reference).

use super::requant::{rq_clamp, rq_scale, rq_sum2, Requant};
use crate::kernels::{Odometer, MAX_DIMS};

/// `MN_BINARY_S8_ADD`: `y = y_zp + round(da * a_rq + db * b_rq)`.
pub const BINARY_S8_ADD: i32 = 0;
/// `MN_BINARY_S8_MUL`: `y = y_zp + round(da * db * a_rq)`.
pub const BINARY_S8_MUL: i32 = 1;

/// `mn_binary_s8_params_t`: the index space `dims[..rank]`, each input's strides (0
/// broadcasts), zero points, y's clamp range and the two scales.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryS8Params {
    pub kind: i32,
    pub rank: i32,
    pub dims: [i32; MAX_DIMS],
    pub a_strides: [i32; MAX_DIMS],
    pub b_strides: [i32; MAX_DIMS],
    pub a_zp: i32,
    pub b_zp: i32,
    pub y_zp: i32,
    pub y_lo: i32,
    pub y_hi: i32,
    pub a_rq: Requant,
    pub b_rq: Requant,
}

/// The requantised result of one pair of inputs (`binary_s8_one`).
fn binary_s8_one(p: &BinaryS8Params, a: i8, b: i8) -> i8 {
    let da = a as i32 - p.a_zp;
    let db = b as i32 - p.b_zp;
    let v = if p.kind == BINARY_S8_MUL {
        rq_scale(p.a_rq, da * db, 1)
    } else {
        rq_sum2(p.a_rq, da, p.b_rq, db)
    };
    rq_clamp(v, p.y_zp, p.y_lo, p.y_hi)
}

/// Int8 Add / Mul with broadcasting (`mn_binary_s8`); y is dense over `dims[..rank]`.
pub fn binary_s8(p: &BinaryS8Params, a: &[i8], b: &[i8], y: &mut [i8]) {
    let rank = p.rank as usize;
    let Some(mut od) = Odometer::start(&p.dims[..rank]) else {
        return;
    };
    let (mut a_off, mut b_off) = (0i32, 0i32);
    for yv in y.iter_mut() {
        *yv = binary_s8_one(p, a[a_off as usize], b[b_off as usize]);
        if !od.next(&p.a_strides, &mut a_off, Some((&p.b_strides, &mut b_off))) {
            return;
        }
    }
}
