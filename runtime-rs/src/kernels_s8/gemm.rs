//! Twin of runtime-c/src/mn_gemm_s8.c: int8 fully connected layer / MatMul with
//! per-column requantisation (reference).

use super::requant::{requant_of, rq_clamp, rq_scale, RequantWord};

/// `mn_gemm_s8_params_t`: `a` is `[m][k]`, B is stored `[n][k]` when `trans_b`, else
/// `[k][n]`; zero points of a, B and y, y's clamp range, one `rq` per column or one.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GemmS8Params {
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub trans_b: i32,
    pub a_zp: i32,
    pub b_zp: i32,
    pub y_zp: i32,
    pub y_lo: i32,
    pub y_hi: i32,
    pub per_channel: i32,
}

/// `y[i][j] = clamp(y_zp + round((bias[j] + sum (a - a_zp) * (B - b_zp)) * rq[j]), y_lo,
/// y_hi)` (`mn_gemm_s8`).
pub fn gemm_s8(
    p: &GemmS8Params,
    a: &[i8],
    b: &[i8],
    bias: Option<&[i32]>,
    rq: &[RequantWord],
    y: &mut [i8],
) {
    let (m, n, k) = (p.m as usize, p.n as usize, p.k as usize);
    // B[kk][j] is b[kk * b_k + j * b_n].
    let (b_k, b_n) = if p.trans_b != 0 { (1, k) } else { (n, 1) };
    for i in 0..m {
        let ai = &a[i * k..][..k];
        for j in 0..n {
            let mut acc = bias.map_or(0, |bias| bias[j]);
            for (kk, &av) in ai.iter().enumerate() {
                acc += (av as i32 - p.a_zp) * (b[kk * b_k + j * b_n] as i32 - p.b_zp);
            }
            let r = requant_of(rq, p.per_channel, j);
            y[i * n + j] = rq_clamp(rq_scale(r, acc, 1), p.y_zp, p.y_lo, p.y_hi);
        }
    }
}
