//! Reductions (mean, max, sum, min, prod, sum-square, L1, L2, log-sum, log-sum-exp) over
//! any set of axes: the twin of runtime-c/src/mn_reduce_f32.c (contract: `mn_reduce_f32`
//! in runtime-c/include/mn_kernels.h).

use super::util::{max_nan, Odometer};
use super::MAX_DIMS;

/// `MN_REDUCE_MEAN`: the sum times `1 / count`.
pub const REDUCE_MEAN: i32 = 0;
/// `MN_REDUCE_MAX`: propagates NaN.
pub const REDUCE_MAX: i32 = 1;
/// `MN_REDUCE_SUM`.
pub const REDUCE_SUM: i32 = 2;
/// `MN_REDUCE_MIN`: propagates NaN.
pub const REDUCE_MIN: i32 = 3;
/// `MN_REDUCE_PROD`.
pub const REDUCE_PROD: i32 = 4;
/// `MN_REDUCE_SUM_SQUARE`.
pub const REDUCE_SUM_SQUARE: i32 = 5;
/// `MN_REDUCE_L1`: sum of `|x|`.
pub const REDUCE_L1: i32 = 6;
/// `MN_REDUCE_L2`: `sqrtf(sum of x * x)`.
pub const REDUCE_L2: i32 = 7;
/// `MN_REDUCE_LOG_SUM`: `logf(sum of x)`.
pub const REDUCE_LOG_SUM: i32 = 8;
/// `MN_REDUCE_LOG_SUM_EXP`: `log(sum of exp(x))` in a stable running form.
pub const REDUCE_LOG_SUM_EXP: i32 = 9;

/// Parameters of [`reduce_f32`] (`mn_reduce_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReduceParams {
    /// One of the `REDUCE_*` kinds.
    pub kind: i32,
    pub rank: i32,
    /// Shape `dims[..rank]` of `x`.
    pub dims: [i32; MAX_DIMS],
    /// Strides of `y` per axis of `x`: 0 on reduced axes.
    pub y_strides: [i32; MAX_DIMS],
    pub y_size: i32,
    /// Elements folded into each output (the mean's divisor).
    pub count: i32,
}

/// Every element `(i_0..)` of `x` is combined into `y[sum(i_d * y_strides[d])]`; the
/// kernel initialises all `y_size` outputs itself (`mn_reduce_f32`).
pub fn reduce_f32(p: &ReduceParams, x: &[f32], y: &mut [f32]) {
    let y = &mut y[..p.y_size.max(0) as usize];
    y.fill(start_value(p.kind));
    let rank = p.rank as usize;
    let outer = rank.saturating_sub(1);
    let dims = &p.dims[..rank];
    if let (Some(_), Some(mut od)) = (Odometer::start(dims), Odometer::start(&dims[..outer])) {
        let len = if rank > 0 { dims[rank - 1] as usize } else { 1 };
        let ys = if rank > 0 { p.y_strides[rank - 1] } else { 0 };
        let (mut x_off, mut y_off) = (0usize, 0i32);
        loop {
            fold_row(p.kind, &x[x_off..x_off + len], y, y_off, ys);
            x_off += len;
            if !od.next(&p.y_strides, &mut y_off, None) {
                break;
            }
        }
    }
    finish(p, y);
}

/// The value a reduction of `kind` starts from (`mn_reduce_start`).
fn start_value(kind: i32) -> f32 {
    match kind {
        REDUCE_MAX | REDUCE_LOG_SUM_EXP => f32::NEG_INFINITY,
        REDUCE_MIN => f32::INFINITY,
        REDUCE_PROD => 1.0,
        _ => 0.0,
    }
}

/// Fold one innermost row `xr` into `y[y_off + i * ys]` with the step of `kind`
/// (`mn_reduce_step`), in C's order.
fn fold_row(kind: i32, xr: &[f32], y: &mut [f32], y_off: i32, ys: i32) {
    match kind {
        REDUCE_MAX => fold(xr, y, y_off, ys, max_nan),
        REDUCE_MIN => fold(xr, y, y_off, ys, |r, v| -max_nan(-r, -v)),
        REDUCE_PROD => fold(xr, y, y_off, ys, |r, v| r * v),
        REDUCE_SUM_SQUARE | REDUCE_L2 => fold(xr, y, y_off, ys, |r, v| r + v * v),
        REDUCE_L1 => fold(xr, y, y_off, ys, |r, v| r + libm::fabsf(v)),
        REDUCE_LOG_SUM_EXP => fold(xr, y, y_off, ys, log_add_exp),
        _ => fold(xr, y, y_off, ys, |r, v| r + v), // MEAN, SUM, LOG_SUM
    }
}

/// `y[y_off + i * ys] = step(y[..], xr[i])`: a row folded into one output (`ys` 0) or
/// into consecutive ones (`ys` 1, a loop LLVM vectorises) or strided ones.
#[inline(always)]
fn fold(xr: &[f32], y: &mut [f32], y_off: i32, ys: i32, step: impl Fn(f32, f32) -> f32) {
    match ys {
        0 => {
            let t = &mut y[y_off as usize];
            *t = xr.iter().fold(*t, |r, &v| step(r, v));
        }
        1 => {
            let yr = &mut y[y_off as usize..y_off as usize + xr.len()];
            for (t, &v) in yr.iter_mut().zip(xr) {
                *t = step(*t, v);
            }
        }
        _ => {
            for (i, &v) in (0i32..).zip(xr) {
                let t = &mut y[(y_off + i * ys) as usize];
                *t = step(*t, v);
            }
        }
    }
}

/// `log(exp(r) + exp(v))` in a form that never overflows; NaN propagates
/// (`mn_log_add_exp`).
fn log_add_exp(r: f32, v: f32) -> f32 {
    if v == f32::NEG_INFINITY {
        return r;
    }
    let (hi, lo) = if v > r { (v, r) } else { (r, v) };
    hi + libm::log1pf(libm::expf(lo - hi))
}

/// The final value of each output: the mean, the square root or the logarithm
/// (`mn_reduce_finish`).
fn finish(p: &ReduceParams, y: &mut [f32]) {
    match p.kind {
        REDUCE_MEAN if p.count > 0 => {
            let inv = 1.0 / p.count as f32;
            y.iter_mut().for_each(|v| *v *= inv);
        }
        REDUCE_L2 => y.iter_mut().for_each(|v| *v = libm::sqrtf(*v)),
        REDUCE_LOG_SUM => y.iter_mut().for_each(|v| *v = libm::logf(*v)),
        _ => {}
    }
}
