//! Strided N-D copy (Transpose, Slice, Concat, Split, Expand, Pad): the twin of
//! runtime-c/src/mn_copy_f32.c (contract: `mn_copy_f32` in
//! runtime-c/include/mn_kernels.h).

use super::util::Odometer;
use super::MAX_DIMS;

/// Parameters of [`copy_f32`] (`mn_copy_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CopyParams {
    pub rank: i32,
    /// Shape `dims[..rank]` of the region copied.
    pub dims: [i32; MAX_DIMS],
    pub x_offset: i32,
    /// Element strides of `x`; 0 broadcasts, negative runs backwards.
    pub x_strides: [i32; MAX_DIMS],
    pub y_offset: i32,
    /// Element strides of `y`.
    pub y_strides: [i32; MAX_DIMS],
}

/// For every index `(i_0..)` over `dims[..rank]`: `y[y_offset + sum(i_d * y_strides[d])]
/// = x[x_offset + sum(i_d * x_strides[d])]`, in odometer order (last axis fastest); rank
/// 0 copies one element (`mn_copy_f32`).
pub fn copy_f32(p: &CopyParams, x: &[f32], y: &mut [f32]) {
    let rank = p.rank as usize;
    let outer = rank.saturating_sub(1);
    let dims = &p.dims[..rank];
    let (Some(_), Some(mut od)) = (Odometer::start(dims), Odometer::start(&dims[..outer])) else {
        return; // an empty tensor
    };
    let last = |s: &[i32; MAX_DIMS]| if rank > 0 { s[rank - 1] } else { 0 };
    let len = if rank > 0 { dims[rank - 1] } else { 1 };
    let (xs, ys) = (last(&p.x_strides), last(&p.y_strides));
    let (mut x_off, mut y_off) = (p.x_offset, p.y_offset);
    loop {
        copy_row(len, x, x_off, xs, y, y_off, ys);
        if !od.next(&p.x_strides, &mut x_off, Some((&p.y_strides, &mut y_off))) {
            break;
        }
    }
}

/// `y[y_off + i * ys] = x[x_off + i * xs]` for `i < len`; dense and broadcast rows as
/// slice operations.
fn copy_row(len: i32, x: &[f32], x_off: i32, xs: i32, y: &mut [f32], y_off: i32, ys: i32) {
    let (x0, y0, n) = (x_off as usize, y_off as usize, len as usize);
    match (xs, ys) {
        (1, 1) => y[y0..y0 + n].copy_from_slice(&x[x0..x0 + n]),
        (0, 1) => y[y0..y0 + n].fill(x[x0]),
        _ => {
            // Integer indices: with negative strides a row runs backwards from x_off.
            for i in 0..len {
                y[(y_off + i * ys) as usize] = x[(x_off + i * xs) as usize];
            }
        }
    }
}
