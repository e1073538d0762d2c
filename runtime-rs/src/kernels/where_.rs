//! Broadcasting select `out = c ? x : y_false`: the twin of runtime-c/src/mn_where_f32.c
//! (contract: `mn_where_f32` in runtime-c/include/mn_kernels.h).

use super::util::Odometer;
use super::MAX_DIMS;

/// Parameters of [`where_f32`] (`mn_where_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WhereParams {
    pub rank: i32,
    /// Output shape `dims[..rank]`.
    pub dims: [i32; MAX_DIMS],
    /// Element strides of the condition per output axis (0 on broadcast axes).
    pub c_strides: [i32; MAX_DIMS],
    /// Element strides of `x` (taken where the condition holds).
    pub x_strides: [i32; MAX_DIMS],
    /// Element strides of `y_false`.
    pub y_strides: [i32; MAX_DIMS],
}

/// Broadcasting `out = c != 0 ? x : y_false` over an output of shape `dims[..rank]`, each
/// operand addressed by its strides; `out` is dense (`mn_where_f32`).
pub fn where_f32(p: &WhereParams, c: &[f32], x: &[f32], y_false: &[f32], out: &mut [f32]) {
    let dims = &p.dims[..p.rank as usize];
    // Two odometers over the same dims: one moves the c and x offsets, one the y offset.
    let (Some(mut cx), Some(mut yo)) = (Odometer::start(dims), Odometer::start(dims)) else {
        return; // an empty tensor
    };
    let (mut c_off, mut x_off, mut y_off, mut o) = (0i32, 0i32, 0i32, 0usize);
    loop {
        out[o] = if c[c_off as usize] != 0.0 {
            x[x_off as usize]
        } else {
            y_false[y_off as usize]
        };
        o += 1;
        yo.next(&p.y_strides, &mut y_off, None);
        if !cx.next(&p.c_strides, &mut c_off, Some((&p.x_strides, &mut x_off))) {
            break;
        }
    }
}
