//! Helpers the kernels share (`runtime-c/include/internal/mn_kernels_internal.h`); not
//! part of the kernel API.
#![allow(dead_code)] // until every kernel that uses them is ported

use super::madd::madd;
use super::{RnnParams, MAX_DIMS};

/// The larger of the running maximum `m` and `v`; NaN once either is NaN (max pooling
/// and ReduceMax propagate NaN, as numpy's maximum does) (`mn_max_nan`).
#[inline(always)]
pub(crate) fn max_nan(m: f32, v: f32) -> f32 {
    if (v > m || v.is_nan()) && !m.is_nan() {
        v
    } else {
        m
    }
}

/// Taps `i < k` with `lo <= base + i * dil < hi`, as `start..end` (`mn_tap_range`).
#[inline(always)]
pub(crate) fn tap_range(base: i32, dil: i32, k: i32, lo: i32, hi: i32) -> (i32, i32) {
    let mut s = 0;
    let mut e = k;
    if base < lo {
        s = (lo - base + dil - 1) / dil;
    }
    if base + (k - 1) * dil >= hi {
        e = if hi - base <= 0 {
            0
        } else {
            (hi - base + dil - 1) / dil
        };
    }
    (s.min(e), e)
}

/// Input offset of tap `tap` (flat over `k[..nd]`) of the window whose first tap is at
/// `base`, or `None` when it falls outside the input on some axis
/// (`mn_window_tap_offset`).
#[inline(always)]
pub(crate) fn window_tap_offset(
    nd: usize,
    input: &[i32],
    k: &[i32],
    dil: &[i32],
    base: &[i32],
    mut tap: i32,
) -> Option<i32> {
    let (mut off, mut stride) = (0, 1);
    for d in (0..nd).rev() {
        let pos = base[d] + (tap % k[d]) * dil[d];
        if pos < 0 || pos >= input[d] {
            return None;
        }
        off += pos * stride;
        stride *= input[d];
        tap /= k[d];
    }
    Some(off)
}

/// `base[d] = o_d * stride[d] - pad[d]` for flat output position `o` (`mn_window_base`).
#[inline(always)]
pub(crate) fn window_base(
    nd: usize,
    out: &[i32],
    stride: &[i32],
    pad: &[i32],
    mut o: i32,
) -> [i32; MAX_DIMS] {
    let mut base = [0; MAX_DIMS];
    for d in (0..nd).rev() {
        base[d] = (o % out[d]) * stride[d] - pad[d];
        o /= out[d];
    }
    base
}

/// The product of `dims` (`mn_prod`).
#[inline(always)]
pub(crate) fn prod(dims: &[i32]) -> i32 {
    dims.iter().product()
}

/// Odometer over the axes of a strided loop nest, last axis fastest
/// (`mn_odometer_start` / `mn_odometer_next`), moving up to two offsets by their strides.
pub(crate) struct Odometer<'a> {
    dims: &'a [i32],
    idx: [i32; MAX_DIMS],
}

impl<'a> Odometer<'a> {
    /// `None` when some `dims[d] <= 0` (an empty tensor: nothing to do).
    pub(crate) fn start(dims: &'a [i32]) -> Option<Self> {
        if dims.iter().any(|&d| d <= 0) {
            return None;
        }
        Some(Odometer {
            dims,
            idx: [0; MAX_DIMS],
        })
    }

    /// Advance one step, moving `a_off` by `sa` and, when given, `b_off` by `sb` along the
    /// axes that change; false once the odometer wrapped around (the last step was taken).
    #[inline(always)]
    pub(crate) fn next(
        &mut self,
        sa: &[i32],
        a_off: &mut i32,
        mut b: Option<(&[i32], &mut i32)>,
    ) -> bool {
        for d in (0..self.dims.len()).rev() {
            *a_off += sa[d];
            if let Some((sb, b_off)) = b.as_mut() {
                **b_off += sb[d];
            }
            self.idx[d] += 1;
            if self.idx[d] < self.dims[d] {
                return true;
            }
            *a_off -= sa[d] * self.dims[d];
            if let Some((sb, b_off)) = b.as_mut() {
                **b_off -= sb[d] * self.dims[d];
            }
            self.idx[d] = 0;
        }
        false
    }
}

// ---- recurrent kernels (RNN, GRU, LSTM) ----

/// Lanes of [`dot`]: independent partial sums the vectoriser maps onto SIMD registers.
const DOT_LANES: usize = 8;

/// `sum_j a[j] * b[j]` over the common length, in `DOT_LANES` interleaved partial sums
/// (rounding differs from C's sequential sum; the differential tests allow for it).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (
        a[..n].chunks_exact(DOT_LANES),
        b[..n].chunks_exact(DOT_LANES),
    );
    let tail: f32 = a
        .remainder()
        .iter()
        .zip(b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut lanes = [0.0f32; DOT_LANES];
    for (x, y) in a.zip(b) {
        for k in 0..DOT_LANES {
            lanes[k] = madd(x[k], y[k], lanes[k]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `acc[i] += sum_j m[i * cols + j] * v[j]` for `i < rows`, `m` row-major
/// (`mn_matvec_acc_f32`).
pub(crate) fn matvec_acc(m: &[f32], v: &[f32], rows: usize, cols: usize, acc: &mut [f32]) {
    let (m, v, acc) = (&m[..rows * cols], &v[..cols], &mut acc[..rows]);
    for (i, a) in acc.iter_mut().enumerate() {
        *a += dot(&m[i * cols..(i + 1) * cols], v);
    }
}

/// `1 / (1 + exp(-x))` (`mn_sigmoid_f32`).
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

/// Offset of `x[t]` of batch entry `b` (`mn_rnn_x_at`).
#[inline(always)]
pub(crate) fn rnn_x_at(p: &RnnParams, t: i32, b: i32) -> usize {
    let row = if p.batch_first != 0 {
        b * p.seq + t
    } else {
        t * p.batch + b
    };
    (row * p.input) as usize
}

/// Offset of `y[t]` of direction `d` and batch entry `b` (`mn_rnn_y_at`).
#[inline(always)]
pub(crate) fn rnn_y_at(p: &RnnParams, t: i32, d: i32, b: i32) -> usize {
    let row = if p.batch_first != 0 {
        (b * p.seq + t) * p.dirs + d
    } else {
        (t * p.dirs + d) * p.batch + b
    };
    (row * p.hidden) as usize
}

/// Offset of the state (`h0`, `c0`, `y_h`, `y_c`) of direction `d` and batch entry `b`
/// (`mn_rnn_state_at`).
#[inline(always)]
pub(crate) fn rnn_state_at(p: &RnnParams, d: i32, b: i32) -> usize {
    let row = if p.batch_first != 0 {
        b * p.dirs + d
    } else {
        d * p.batch + b
    };
    (row * p.hidden) as usize
}

/// Time index of step `s` of direction `d` (`mn_rnn_time`).
#[inline(always)]
pub(crate) fn rnn_time(p: &RnnParams, d: i32, s: i32) -> i32 {
    if d == 1 || p.reverse != 0 {
        p.seq - 1 - s
    } else {
        s
    }
}

/// `h = src[off..off + h.len()]`, or zero when `src` is `None` (an absent initial state)
/// (`mn_rnn_init_state`).
pub(crate) fn rnn_init_state(src: Option<&[f32]>, off: usize, h: &mut [f32]) {
    match src {
        Some(src) => h.copy_from_slice(&src[off..off + h.len()]),
        None => h.fill(0.0),
    }
}

/// `dst[off..off + h.len()] = h` when `dst` is given (an output the node has)
/// (`mn_rnn_store`).
pub(crate) fn rnn_store(dst: Option<&mut [f32]>, off: usize, h: &[f32]) {
    if let Some(dst) = dst {
        dst[off..off + h.len()].copy_from_slice(h);
    }
}

/// `g[i] = bias[i] + (W x)[i]` for `i < g.len()` (bias `None`: zero); `w` is
/// `[g.len()][input]` (`mn_rnn_gates_set`).
pub(crate) fn rnn_gates_set(
    bias: Option<&[f32]>,
    w: &[f32],
    x: &[f32],
    input: usize,
    g: &mut [f32],
) {
    match bias {
        Some(bias) => g.copy_from_slice(&bias[..g.len()]),
        None => g.fill(0.0),
    }
    matvec_acc(w, x, g.len(), input, g);
}

/// `g[i] += bias[i] + (R h)[i]` for `i < g.len()` (bias `None`: zero); `r` is
/// `[g.len()][h.len()]` (`mn_rnn_gates_add`).
pub(crate) fn rnn_gates_add(bias: Option<&[f32]>, r: &[f32], h: &[f32], g: &mut [f32]) {
    if let Some(bias) = bias {
        let bias = &bias[..g.len()];
        for (g, &b) in g.iter_mut().zip(bias) {
            *g += b;
        }
    }
    matvec_acc(r, h, g.len(), h.len(), g);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_nan_propagates_nan_either_side() {
        assert_eq!(max_nan(1.0, 2.0), 2.0);
        assert_eq!(max_nan(2.0, 1.0), 2.0);
        assert!(max_nan(f32::NAN, 1.0).is_nan());
        assert!(max_nan(1.0, f32::NAN).is_nan());
    }

    #[test]
    fn tap_range_clips_to_the_input() {
        // base -2, dilation 1, 5 taps over [0, 3): taps 2, 3, 4 hit positions 0, 1, 2.
        assert_eq!(tap_range(-2, 1, 5, 0, 3), (2, 5));
        // base 1, dilation 2, 3 taps over [0, 4): positions 1, 3 (5 is out).
        assert_eq!(tap_range(1, 2, 3, 0, 4), (0, 2));
        // window entirely right of the input.
        assert_eq!(tap_range(5, 1, 3, 0, 4), (0, 0));
    }

    #[test]
    fn odometer_visits_every_index_with_strided_offsets() {
        let dims = [2, 3];
        let sa = [10, 1];
        let mut od = Odometer::start(&dims).unwrap();
        let mut off = 0;
        let mut seen = [0i32; 6];
        let mut n = 0;
        loop {
            seen[n] = off;
            n += 1;
            if !od.next(&sa, &mut off, None) {
                break;
            }
        }
        assert_eq!(seen, [0, 1, 2, 10, 11, 12]);
        assert_eq!(off, 0);
        assert!(Odometer::start(&[2, 0]).is_none());
    }
}
