//! Twin of runtime-c/src/mn_gemm_fast_s8.c: int8 fully connected layer on a folded bias
//! (safe Rust; the C kernel's DSP dot product gives the same sums).

use super::gemm::GemmS8Params;
use super::requant::{requant_of, rq_clamp, rq_scale, RequantWord};

/// `sum a[i] * w[i]` (`mn_dot_s8`). An integer sum is associative, so LLVM's loop
/// vectoriser reorders it freely (widening multiplies and a vector reduction on x86-64).
#[inline(always)]
fn dot_s8(a: &[i8], w: &[i8]) -> i32 {
    a.iter()
        .zip(w)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .fold(0i32, |s, p| s.wrapping_add(p))
}

/// `mn_gemm_fast_s8`: [`super::gemm_s8`] bit for bit for `trans_b = 1`, `b_zp = 0` and
/// `bias` from [`gemm_fast_s8_fold_bias`]; reads m, n, k, y_zp, y_lo, y_hi, per_channel.
pub fn gemm_fast_s8(
    p: &GemmS8Params,
    a: &[i8],
    b: &[i8],
    bias: &[i32],
    rq: &[RequantWord],
    y: &mut [i8],
) {
    let (m, n, k) = (p.m as usize, p.n as usize, p.k as usize);
    for i in 0..m {
        let ai = &a[i * k..][..k];
        for j in 0..n {
            let acc = bias[j] + dot_s8(ai, &b[j * k..][..k]);
            let r = requant_of(rq, p.per_channel, j);
            y[i * n + j] = rq_clamp(rq_scale(r, acc, 1), p.y_zp, p.y_lo, p.y_hi);
        }
    }
}

/// `folded[j] = bias[j] (or 0) - a_zp * sum_kk b[j * k + kk]`
/// (`mn_gemm_fast_s8_fold_bias`).
pub fn gemm_fast_s8_fold_bias(
    p: &GemmS8Params,
    b: &[i8],
    bias: Option<&[i32]>,
    folded: &mut [i32],
) {
    let k = p.k as usize;
    for (j, f) in folded[..p.n as usize].iter_mut().enumerate() {
        let sum: i32 = b[j * k..][..k].iter().map(|&v| v as i32).sum();
        *f = bias.map_or(0, |bias| bias[j]) - p.a_zp * sum;
    }
}
