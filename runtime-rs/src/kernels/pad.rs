//! Pad in the reflect, edge and wrap modes, and constant mode with cropping: the twin of
//! runtime-c/src/mn_pad_f32.c (contract: `mn_pad_f32` in runtime-c/include/mn_kernels.h).

use super::util::prod;
use super::MAX_DIMS;

/// `MN_PAD_CONSTANT`: positions outside the input hold `value`.
pub const PAD_CONSTANT: i32 = 0;
/// `MN_PAD_REFLECT`: mirror about the edge without repeating it.
pub const PAD_REFLECT: i32 = 1;
/// `MN_PAD_EDGE`: repeat the edge value.
pub const PAD_EDGE: i32 = 2;
/// `MN_PAD_WRAP`: read the coordinate modulo the axis length.
pub const PAD_WRAP: i32 = 3;

/// Parameters of [`pad_f32`] (`mn_pad_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PadParams {
    /// One of the `PAD_*` modes.
    pub mode: i32,
    pub rank: i32,
    pub x_dims: [i32; MAX_DIMS],
    pub y_dims: [i32; MAX_DIMS],
    /// Before each axis; negative crops.
    pub pads: [i32; MAX_DIMS],
    /// Constant mode.
    pub value: f32,
}

/// `x`: dense `[x_dims[..rank]]`; `y`: dense `[y_dims[..rank]]`. Output coordinate `i`
/// reads input coordinate `i - pads[d]` inside `[0, x_dims[d])`; outside, the mode
/// decides (`mn_pad_f32`).
pub fn pad_f32(p: &PadParams, x: &[f32], y: &mut [f32]) {
    let rank = p.rank as usize;
    let size = prod(&p.y_dims[..rank]).max(0) as usize;
    for (i, out) in y[..size].iter_mut().enumerate() {
        *out = match source_offset(p, rank, i as i32) {
            Some(off) => x[off as usize],
            None => p.value,
        };
    }
}

/// The offset in `x` that flat output position `i` reads, or `None` for the constant.
fn source_offset(p: &PadParams, rank: usize, i: i32) -> Option<i32> {
    let mut idx = [0i32; MAX_DIMS];
    let mut rest = i;
    for d in (0..rank).rev() {
        idx[d] = rest % p.y_dims[d];
        rest /= p.y_dims[d];
    }
    let (mut off, mut stride) = (0, 1);
    for d in (0..rank).rev() {
        off += pad_source(p.mode, idx[d] - p.pads[d], p.x_dims[d])? * stride;
        stride *= p.x_dims[d];
    }
    Some(off)
}

/// The input coordinate that coordinate `j` (may lie outside `[0, n)`) reads; `None` in
/// constant mode outside `[0, n)` (`mn_pad_source`).
fn pad_source(mode: i32, j: i32, n: i32) -> Option<i32> {
    if j >= 0 && j < n {
        return Some(j);
    }
    Some(match mode {
        PAD_CONSTANT => return None,
        PAD_EDGE => {
            if j < 0 {
                0
            } else {
                n - 1
            }
        }
        PAD_WRAP => ((j % n) + n) % n,
        _ => {
            // reflect (the edge is not repeated): period 2 (n - 1)
            let period = 2 * (n - 1);
            if period == 0 {
                return Some(0);
            }
            let j = ((j % period) + period) % period;
            if j < n {
                j
            } else {
                period - j
            }
        }
    })
}
