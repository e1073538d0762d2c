//! Fast max / average pooling without padding or dilation, one output row at a time with
//! the window taps outside the innermost loop (rows narrower than [`NARROW`] one window at
//! a time): the twin of
//! `runtime-c/src/mn_pool2d_fast_f32.c`; the contract is `mn_pool2d_fast_f32` in
//! `runtime-c/include/mn_kernels.h`, `pool2d_f32` the reference it matches (average sums
//! in the same order).

use super::util::max_nan;
use super::{PoolParams, POOL_MAX};

/// `MN_POOL_NARROW`: output rows narrower than this take one window at a time, its sum or
/// maximum in a register.
const NARROW: i32 = 8;

/// Fast pooling (`mn_pool2d_fast_f32`). Precondition: pads 0, `dil_h = dil_w = 1`, `k_h,
/// k_w, out_h, out_w >= 1`, `(out_h - 1) * stride_h + k_h <= in_h`, likewise for width.
pub fn pool2d_fast_f32(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let in_plane = (p.in_h * p.in_w) as usize;
    let out_plane = (p.out_h * p.out_w) as usize;
    let max22 = p.kind == POOL_MAX && p.k_h == 2 && p.k_w == 2 && p.stride_w == 2;
    let mut c = 0;
    if p.out_w < NARROW && !max22 {
        while c + 4 <= p.channels as usize {
            narrow4(
                p,
                &x[c * in_plane..][..4 * in_plane],
                &mut y[c * out_plane..][..4 * out_plane],
            );
            c += 4;
        }
    }
    for c in c..p.channels as usize {
        let xc = &x[c * in_plane..][..in_plane];
        let yc = &mut y[c * out_plane..][..out_plane];
        for (oh, yr) in yc.chunks_exact_mut(p.out_w as usize).enumerate() {
            let first = oh * (p.stride_h * p.in_w) as usize; // first window row
            if max22 {
                max_2x2(&xc[first..], p.in_w as usize, yr);
            } else if p.out_w < NARROW {
                for (ow, y) in yr.iter_mut().enumerate() {
                    *y = window(p, &xc[first + ow * p.stride_w as usize..]);
                }
            } else if p.kind == POOL_MAX {
                yr.fill(f32::NEG_INFINITY);
                for_each_tap(p, &xc[first..], yr, max_nan);
            } else {
                yr.fill(0.0);
                for_each_tap(p, &xc[first..], yr, |s, v| s + v);
                let count = (p.k_h * p.k_w) as f32;
                for v in yr.iter_mut() {
                    *v /= count;
                }
            }
        }
    }
}

/// The maximum or the mean of one window (`pool_fast_window`), `xw` from its first tap;
/// taps in row-major order, as the reference.
fn window(p: &PoolParams, xw: &[f32]) -> f32 {
    let taps = (0..p.k_h as usize).flat_map(|kh| {
        let row = &xw[kh * p.in_w as usize..][..p.k_w as usize];
        row.iter().copied()
    });
    if p.kind == POOL_MAX {
        taps.fold(f32::NEG_INFINITY, max_nan)
    } else {
        taps.fold(0.0, |s, v| s + v) / (p.k_h * p.k_w) as f32
    }
}

/// Narrow rows of four channels (`pool_fast_narrow4`): `x` and `y` hold their four planes;
/// four windows at a time.
fn narrow4(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let (in_plane, out_plane) = ((p.in_h * p.in_w) as usize, (p.out_h * p.out_w) as usize);
    for at in 0..out_plane {
        let (oh, ow) = (at / p.out_w as usize, at % p.out_w as usize);
        let first = oh * (p.stride_h * p.in_w) as usize + ow * p.stride_w as usize;
        let v = window4(p, &x[first..], in_plane);
        for (j, v) in v.into_iter().enumerate() {
            y[j * out_plane + at] = v;
        }
    }
}

/// [`window`] of four channels at once (planes `plane` apart from `xw`): four independent
/// sums or maxima, each in the reference's order, so that they overlap
/// (`pool_fast_window4`).
fn window4(p: &PoolParams, xw: &[f32], plane: usize) -> [f32; 4] {
    let (k_w, in_w) = (p.k_w as usize, p.in_w as usize);
    let max = p.kind == POOL_MAX;
    let mut a = [if max { f32::NEG_INFINITY } else { 0.0 }; 4];
    for kh in 0..p.k_h as usize {
        let rows: [&[f32]; 4] = core::array::from_fn(|j| &xw[j * plane + kh * in_w..][..k_w]);
        for kw in 0..k_w {
            for (a, row) in a.iter_mut().zip(rows) {
                *a = if max {
                    max_nan(*a, row[kw])
                } else {
                    *a + row[kw]
                };
            }
        }
    }
    if !max {
        let count = (p.k_h * p.k_w) as f32;
        for a in a.iter_mut() {
            *a /= count;
        }
    }
    a
}

/// The common 2x2 / stride 2 max window in one pass: rows `x[..]` and `x[in_w..]`.
fn max_2x2(x: &[f32], in_w: usize, yr: &mut [f32]) {
    let (x0, x1) = (&x[..in_w], &x[in_w..2 * in_w]);
    for ((y, a), b) in yr
        .iter_mut()
        .zip(x0.chunks_exact(2))
        .zip(x1.chunks_exact(2))
    {
        *y = max_nan(max_nan(max_nan(a[0], a[1]), b[0]), b[1]);
    }
}

/// `yr[ow] = f(yr[ow], tap)` for every window tap, taps in row-major order; `x` starts at
/// the first row of the windows.
fn for_each_tap(p: &PoolParams, x: &[f32], yr: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    let sw = p.stride_w as usize;
    for kh in 0..p.k_h as usize {
        let xr = &x[kh * p.in_w as usize..];
        for kw in 0..p.k_w as usize {
            for (y, &v) in yr.iter_mut().zip(xr[kw..].iter().step_by(sw)) {
                *y = f(*y, v);
            }
        }
    }
}
