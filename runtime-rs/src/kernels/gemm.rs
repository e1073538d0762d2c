//! General matrix multiply (reference): the twin of `runtime-c/src/mn_gemm_f32.c`; the
//! contract is `mn_gemm_f32` in `runtime-c/include/mn_kernels.h`.

use super::Act;

/// Parameters of the Gemm kernels (`mn_gemm_params_t`):
/// `y[m][n] = act(alpha * sum_k A'[m][k] * B'[k][n] + beta * C[m][n])`, `A' = A^T` when
/// `trans_a` (A stored `[k][m]`), else A (`[m][k]`); B' likewise (`[n][k]` when
/// `trans_b`); C element `(i, j)` at `c[i * c_stride_m + j * c_stride_n]` (0 broadcasts).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GemmParams {
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub trans_a: i32,
    pub trans_b: i32,
    pub alpha: f32,
    pub beta: f32,
    pub c_stride_m: i32,
    pub c_stride_n: i32,
    pub act: Act,
}

/// Gemm (`mn_gemm_f32`); as in ONNX, `beta * C` is added whenever `c` is given, even
/// when beta is 0.
pub fn gemm_f32(p: &GemmParams, a: &[f32], b: &[f32], c: Option<&[f32]>, y: &mut [f32]) {
    // Element strides of A'[i][kk] and B'[kk][j] in the stored arrays.
    let (a_si, a_sk) = if p.trans_a != 0 { (1, p.m) } else { (p.k, 1) };
    let (b_sk, b_sj) = if p.trans_b != 0 { (1, p.k) } else { (p.n, 1) };
    for i in 0..p.m {
        for j in 0..p.n {
            let (arow, bcol) = (i * a_si, j * b_sj);
            let mut acc = 0.0f32;
            for kk in 0..p.k {
                acc += a[(arow + kk * a_sk) as usize] * b[(bcol + kk * b_sk) as usize];
            }
            let mut v = p.alpha * acc;
            if let Some(c) = c {
                v += p.beta * c[(i * p.c_stride_m + j * p.c_stride_n) as usize];
            }
            y[(i * p.n + j) as usize] = p.act.apply(v);
        }
    }
}
