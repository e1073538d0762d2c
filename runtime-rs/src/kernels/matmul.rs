//! Batched matrix product with batch broadcasting (reference): the twin of
//! `runtime-c/src/mn_matmul_f32.c`; the contract is `mn_matmul_f32` in
//! `runtime-c/include/mn_kernels.h`.

use super::madd::madd;
use super::util::Odometer;
use super::MAX_DIMS;

/// Parameters of the batched matrix product (`mn_matmul_params_t`): for every batch
/// index over `batch_dims[..batch_rank]`, the dense `[m][k]` matrix at `a + sum(i_d *
/// a_strides[d])` times the dense `[k][n]` matrix at `b + sum(i_d * b_strides[d])`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatmulParams {
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub batch_rank: i32,
    pub batch_dims: [i32; MAX_DIMS],
    pub a_strides: [i32; MAX_DIMS],
    pub b_strides: [i32; MAX_DIMS],
}

/// Batched matrix product (`mn_matmul_f32`): the products are written densely to y,
/// batches in row-major order, each `[m][n]`; `batch_rank` 0 is one product.
pub fn matmul_f32(p: &MatmulParams, a: &[f32], b: &[f32], y: &mut [f32]) {
    let rank = p.batch_rank as usize;
    let Some(mut od) = Odometer::start(&p.batch_dims[..rank]) else {
        return;
    };
    let (m, n, k) = (p.m as usize, p.n as usize, p.k as usize);
    let (mut a_off, mut b_off, mut y_off) = (0i32, 0i32, 0usize);
    loop {
        let ym = &mut y[y_off..y_off + m * n];
        product(&a[a_off as usize..], &b[b_off as usize..], n, k, ym);
        y_off += m * n;
        // batch axes, last fastest
        let b_step = Some((&p.b_strides[..rank], &mut b_off));
        if !od.next(&p.a_strides[..rank], &mut a_off, b_step) {
            break;
        }
    }
}

/// One dense `[m][k] x [k][n]` product into `y` (`[m][n]`: m is its length / n), a row
/// of B at a time.
fn product(a: &[f32], b: &[f32], n: usize, k: usize, y: &mut [f32]) {
    if n == 0 {
        return;
    }
    for (i, yrow) in y.chunks_exact_mut(n).enumerate() {
        yrow.fill(0.0);
        for kk in 0..k {
            let aik = a[i * k + kk];
            for (yv, &bv) in yrow.iter_mut().zip(&b[kk * n..kk * n + n]) {
                *yv = madd(aik, bv, *yv);
            }
        }
    }
}
