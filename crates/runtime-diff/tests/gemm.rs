//! The matrix products (Rust) against their C twins: gemm (trans_a/b, alpha, beta, C
//! with strides or none, every fused activation), gemm_fast (also against the Rust
//! reference on the packed B) and matmul (batch broadcasting), on seeded random shapes;
//! and each on one hand-calculated case.
use meshnn_runtime::kernels::{
    gemm_f32, gemm_fast_f32, matmul_f32, Act, GemmParams, MatmulParams, ACT_NONE, MAX_DIMS,
};
use meshnn_runtime_diff::{assert_close, ptr_or_null, random_act, Rng, SAME_ORDER};

extern "C" {
    fn mn_gemm_f32(p: *const GemmParams, a: *const f32, b: *const f32, c: *const f32, y: *mut f32);
    fn mn_gemm_fast_f32(
        p: *const GemmParams,
        a: *const f32,
        bp: *const f32,
        bias: *const f32,
        y: *mut f32,
    );
    fn mn_matmul_f32(p: *const MatmulParams, a: *const f32, b: *const f32, y: *mut f32);
}

const OTHER_ORDER: f32 = 1e-5;

fn random_gemm(rng: &mut Rng) -> GemmParams {
    let (m, n) = (rng.int(1, 20), rng.int(1, 40));
    // C: a full matrix, one broadcast row, one broadcast column, a scalar, or transposed.
    let (c_stride_m, c_stride_n) = [(n, 1), (0, 1), (1, 0), (0, 0), (1, m)][rng.int(0, 4) as usize];
    GemmParams {
        m,
        n,
        k: rng.int(0, 24),
        trans_a: rng.int(0, 1),
        trans_b: rng.int(0, 1),
        alpha: rng.float() * 2.0,
        beta: rng.float() * 2.0,
        c_stride_m,
        c_stride_n,
        act: random_act(rng),
    }
}

/// Floats C needs for its strides.
fn c_len(p: &GemmParams) -> usize {
    ((p.m - 1) * p.c_stride_m + (p.n - 1) * p.c_stride_n + 1) as usize
}

fn c_gemm(p: &GemmParams, a: &[f32], b: &[f32], c: Option<&[f32]>) -> Vec<f32> {
    let mut y = vec![f32::NAN; (p.m * p.n) as usize];
    // SAFETY: a, b, c and y hold what p implies.
    unsafe { mn_gemm_f32(p, a.as_ptr(), b.as_ptr(), ptr_or_null(c), y.as_mut_ptr()) };
    y
}

fn rust_gemm(p: &GemmParams, a: &[f32], b: &[f32], c: Option<&[f32]>) -> Vec<f32> {
    let mut y = vec![f32::NAN; (p.m * p.n) as usize];
    gemm_f32(p, a, b, c, &mut y);
    y
}

#[test]
fn gemm_equals_c() {
    let mut rng = Rng::new(21);
    for case in 0..500 {
        let p = random_gemm(&mut rng);
        let a = rng.floats((p.m * p.k) as usize);
        let b = rng.floats((p.k * p.n) as usize);
        let c = (rng.int(0, 3) != 0).then(|| rng.floats(c_len(&p)));
        let what = format!("gemm case {case} {p:?} c {}", c.is_some());
        let rust = rust_gemm(&p, &a, &b, c.as_deref());
        assert_close(&what, &rust, &c_gemm(&p, &a, &b, c.as_deref()), SAME_ORDER);
    }
}

/// B' as gemm_fast wants it: `bp[kk * n + j] = alpha * B'[kk][j]`.
fn pack_b(p: &GemmParams, b: &[f32]) -> Vec<f32> {
    let (n, k) = (p.n as usize, p.k as usize);
    let mut bp = vec![0.0f32; k * n];
    for kk in 0..k {
        for j in 0..n {
            let v = if p.trans_b != 0 {
                b[j * k + kk]
            } else {
                b[kk * n + j]
            };
            bp[kk * n + j] = p.alpha * v;
        }
    }
    bp
}

#[test]
fn gemm_fast_equals_c_and_the_reference() {
    let mut rng = Rng::new(22);
    for case in 0..500 {
        let mut p = random_gemm(&mut rng);
        p.c_stride_m = 0; // a bias constant along m
        p.c_stride_n = 1;
        let a = rng.floats((p.m * p.k) as usize);
        let b = rng.floats((p.k * p.n) as usize);
        let c = (rng.int(0, 3) != 0).then(|| rng.floats(p.n as usize));
        let bias: Option<Vec<f32>> = c.as_ref().map(|c| c.iter().map(|v| p.beta * v).collect());
        let bp = pack_b(&p, &b);
        let mut rust = vec![f32::NAN; (p.m * p.n) as usize];
        let mut c_y = rust.clone();
        gemm_fast_f32(&p, &a, &bp, bias.as_deref(), &mut rust);
        // SAFETY: a, bp, bias and c_y hold what p implies.
        unsafe {
            mn_gemm_fast_f32(
                &p,
                a.as_ptr(),
                bp.as_ptr(),
                ptr_or_null(bias.as_deref()),
                c_y.as_mut_ptr(),
            )
        };
        let what = format!("gemm_fast case {case} {p:?} bias {}", bias.is_some());
        assert_close(&what, &rust, &c_y, SAME_ORDER);
        let reference = rust_gemm(&p, &a, &b, c.as_deref());
        assert_close(
            &format!("{what} vs reference"),
            &rust,
            &reference,
            OTHER_ORDER,
        );
    }
}

/// A batched product: batch shape, and a's and b's own batch shapes (1 on an axis each
/// broadcasts).
fn random_matmul(rng: &mut Rng) -> MatmulParams {
    let mut p = MatmulParams {
        m: rng.int(1, 9),
        n: rng.int(1, 20),
        k: rng.int(0, 9),
        batch_rank: rng.int(0, 3),
        batch_dims: [0; MAX_DIMS],
        a_strides: [0; MAX_DIMS],
        b_strides: [0; MAX_DIMS],
    };
    let (mut sa, mut sb) = (p.m * p.k, p.k * p.n);
    for d in (0..p.batch_rank as usize).rev() {
        let dim = rng.int(1, 3);
        p.batch_dims[d] = dim;
        let a_broadcast = rng.int(0, 2) == 0;
        let b_broadcast = rng.int(0, 2) == 0;
        p.a_strides[d] = if a_broadcast { 0 } else { sa };
        p.b_strides[d] = if b_broadcast { 0 } else { sb };
        sa *= if a_broadcast { 1 } else { dim };
        sb *= if b_broadcast { 1 } else { dim };
    }
    p
}

/// Floats of the operand with batch strides `s` and matrices of `size` floats.
fn operand_len(p: &MatmulParams, s: &[i32; MAX_DIMS], size: i32) -> usize {
    let r = p.batch_rank as usize;
    (p.batch_dims[..r]
        .iter()
        .zip(&s[..r])
        .map(|(d, s)| (d - 1) * s)
        .sum::<i32>()
        + size) as usize
}

#[test]
fn matmul_equals_c() {
    let mut rng = Rng::new(23);
    for case in 0..500 {
        let p = random_matmul(&mut rng);
        let a = rng.floats(operand_len(&p, &p.a_strides, p.m * p.k));
        let b = rng.floats(operand_len(&p, &p.b_strides, p.k * p.n));
        let batches: i32 = p.batch_dims[..p.batch_rank as usize].iter().product();
        let mut rust = vec![f32::NAN; (batches * p.m * p.n) as usize];
        let mut c = rust.clone();
        matmul_f32(&p, &a, &b, &mut rust);
        // SAFETY: a, b and c hold what p implies.
        unsafe { mn_matmul_f32(&p, a.as_ptr(), b.as_ptr(), c.as_mut_ptr()) };
        assert_close(&format!("matmul case {case} {p:?}"), &rust, &c, SAME_ORDER);
    }
}

/// A = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], B = [[1, 0, 0], [0, 1, 0], [1, 1, 1]]: by hand
/// A B = [[4, 5, 3], [10, 11, 6], [16, 17, 9]]; with alpha 2, beta 1 and the broadcast row
/// C = [1, 2, 3]: [[9, 12, 9], [21, 24, 15], [33, 36, 21]].
#[test]
fn every_matrix_product_computes_a_hand_calculated_case() {
    let a: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let b = [1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0];
    let c = [1.0f32, 2.0, 3.0];
    let gemm_expect = [9.0f32, 12.0, 9.0, 21.0, 24.0, 15.0, 33.0, 36.0, 21.0];
    let p = GemmParams {
        m: 3,
        n: 3,
        k: 3,
        trans_a: 0,
        trans_b: 0,
        alpha: 2.0,
        beta: 1.0,
        c_stride_m: 0,
        c_stride_n: 1,
        act: Act {
            kind: ACT_NONE,
            alpha: 0.0,
            lo: 0.0,
            hi: 0.0,
        },
    };
    assert_eq!(rust_gemm(&p, &a, &b, Some(&c)), gemm_expect);
    assert_eq!(c_gemm(&p, &a, &b, Some(&c)), gemm_expect);
    let mut y = [0.0f32; 9];
    gemm_fast_f32(&p, &a, &pack_b(&p, &b), Some(&c), &mut y);
    assert_eq!(y, gemm_expect);
    let q = MatmulParams {
        m: 3,
        n: 3,
        k: 3,
        batch_rank: 0,
        batch_dims: [0; MAX_DIMS],
        a_strides: [0; MAX_DIMS],
        b_strides: [0; MAX_DIMS],
    };
    matmul_f32(&q, &a, &b, &mut y);
    assert_eq!(y, [4.0, 5.0, 3.0, 10.0, 11.0, 6.0, 16.0, 17.0, 9.0]);
}
