//! Fast Gemm for a constant B (a fully connected layer): the twin of
//! `runtime-c/src/mn_gemm_fast_f32.c`; the contract is `mn_gemm_fast_f32` in
//! `runtime-c/include/mn_kernels.h`, `gemm_f32` the reference it matches.
//!
//! Method. `bp` is B' scaled by alpha, stored `[k][n]` row-major, so every element of a
//! row of A' updates a whole output row with one contiguous multiply-add loop over n
//! (the vector direction).

use super::madd::madd;
use super::{GemmParams, ACT_NONE};

/// `y[m][n] = act(A' bp + bias)` (`mn_gemm_fast_f32`) with `bp[kk * n + j] = alpha *
/// B'[kk][j]` and `bias[j] = beta * C[i][j]` for a C constant along m (`None`: no C).
/// Reads m, n, k, trans_a and act of `p`.
pub fn gemm_fast_f32(p: &GemmParams, a: &[f32], bp: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    // Element strides of A'[i][kk] in the stored array.
    let (a_si, a_sk) = if p.trans_a != 0 { (1, p.m) } else { (p.k, 1) };
    let n = p.n as usize;
    if n == 0 {
        return;
    }
    let bp = &bp[..n * p.k as usize];
    for (i, yi) in y[..n * p.m.max(0) as usize].chunks_exact_mut(n).enumerate() {
        match bias {
            Some(bias) => yi.copy_from_slice(&bias[..n]),
            None => yi.fill(0.0),
        }
        let arow = i as i32 * a_si;
        for (kk, brow) in bp.chunks_exact(n).enumerate() {
            let av = a[(arow + kk as i32 * a_sk) as usize];
            for (yv, &bv) in yi.iter_mut().zip(brow) {
                *yv = madd(av, bv, *yv);
            }
        }
        if p.act.kind != ACT_NONE {
            for v in yi.iter_mut() {
                *v = p.act.apply(*v);
            }
        }
    }
}
