//! Elementwise kernels, Rust against C: binary_f32 (every kind, broadcasting and strided
//! operands, fused activations), unary_f32 (every kind), clip_f32, where_f32.
use meshnn_runtime::kernels::{
    binary_f32, clip_f32, unary_f32, where_f32, Act, BinaryParams, ClipParams, UnaryParams,
    WhereParams, ACT_KINDS, ACT_NONE, ACT_RELU, ACT_SWISH, ADD, AND, CLIP, EQUAL, FMOD, GREATER,
    HARD_SIGMOID, MAX, MAX_DIMS, MIN, MOD, NOT, POW, RELU, ROUND, SIGN, SOFTSIGN, SQRT, SWISH, XOR,
};
use meshnn_runtime_diff::{
    assert_close, assert_same, dense_strides, dims_array, permuted_strides, Rng,
};

extern "C" {
    fn mn_binary_f32(p: *const BinaryParams, a: *const f32, b: *const f32, y: *mut f32);
    fn mn_unary_f32(p: *const UnaryParams, x: *const f32, y: *mut f32);
    fn mn_clip_f32(
        p: *const ClipParams,
        x: *const f32,
        lo: *const f32,
        hi: *const f32,
        y: *mut f32,
    );
    fn mn_where_f32(
        p: *const WhereParams,
        c: *const f32,
        x: *const f32,
        y_false: *const f32,
        out: *mut f32,
    );
}

const SENTINEL: f32 = 7.25;

/// An output shape: rank 0..=5, lengths 1..=4, now and then an empty axis.
fn random_dims(rng: &mut Rng) -> Vec<i32> {
    let rank = rng.int(0, 5) as usize;
    let empty = rng.int(0, 9) == 0;
    (0..rank)
        .map(|_| {
            if empty && rng.int(0, 1) == 0 {
                0
            } else {
                rng.int(1, 4)
            }
        })
        .collect()
}

/// An operand broadcast to `dims`: dense with `dims` a third of the time, otherwise
/// with random axes of length 1 (stride 0) and stored in a random axis order (a
/// transposed view). Returns its strides and its buffer, `scale`-valued.
fn operand(rng: &mut Rng, dims: &[i32], scale: f32) -> ([i32; MAX_DIMS], Vec<f32>) {
    if rng.int(0, 2) == 0 {
        let n = dims.iter().product::<i32>() as usize;
        return (dense_strides(dims), rng.values(n.max(1), scale));
    }
    let shape: Vec<i32> = dims
        .iter()
        .map(|&d| if rng.int(0, 2) == 0 { 1 } else { d })
        .collect();
    let perm = if rng.int(0, 1) == 0 {
        (0..dims.len()).collect()
    } else {
        rng.permutation(dims.len())
    };
    let n = shape.iter().product::<i32>() as usize;
    (permuted_strides(&shape, &perm), rng.values(n.max(1), scale))
}

fn random_act(rng: &mut Rng) -> Act {
    let (lo, hi) = (rng.float() * 2.0, rng.float() * 2.0);
    Act {
        kind: if rng.int(0, 2) == 0 {
            ACT_NONE
        } else {
            rng.int(0, ACT_KINDS - 1)
        },
        alpha: rng.float(),
        lo,
        hi: if rng.int(0, 4) == 0 {
            hi
        } else {
            lo + hi.abs()
        },
    }
}

fn run_binary(p: &BinaryParams, a: &[f32], b: &[f32], n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut c = vec![SENTINEL; n];
    let mut r = vec![SENTINEL; n];
    // SAFETY: p addresses a and b within their lengths and writes n floats of y.
    unsafe { mn_binary_f32(p, a.as_ptr(), b.as_ptr(), c.as_mut_ptr()) };
    binary_f32(p, a, b, &mut r);
    (r, c)
}

#[test]
fn binary_equals_c_for_every_kind_broadcast_and_activation() {
    let mut rng = Rng::new(11);
    for kind in ADD..=POW {
        let bool_kind = (EQUAL..=XOR).contains(&kind);
        for case in 0..60 {
            let dims = random_dims(&mut rng);
            let scale = if bool_kind { 1.0 } else { 4.0 };
            let (a_strides, mut a) = operand(&mut rng, &dims, scale);
            let (b_strides, mut b) = operand(&mut rng, &dims, scale);
            if bool_kind || kind == POW {
                // integers make equal pairs, zeros, booleans and integer exponents likely
                for v in a.iter_mut().chain(b.iter_mut()) {
                    if rng.int(0, 1) == 0 {
                        *v = rng.int(-2, 2) as f32;
                    }
                }
            }
            let p = BinaryParams {
                kind,
                rank: dims.len() as i32,
                dims: dims_array(&dims),
                a_strides,
                b_strides,
                act: random_act(&mut rng),
            };
            let n = (dims.iter().product::<i32>() as usize).max(1);
            let (r, c) = run_binary(&p, &a, &b, n);
            let what = format!("binary kind {kind} case {case} {p:?}");
            if kind == POW || (p.act.kind == ACT_SWISH && !bool_kind) {
                assert_close(&what, &r, &c, 2e-6); // powf, expf: libm against glibc
            } else {
                assert_same(&what, &r, &c);
            }
        }
    }
}

#[test]
fn binary_matches_hand_values() {
    // [[1, -2, 3], [-4, 5, -6]] + [10, 20, 30] broadcast over rows, then ReLU.
    let a = [1.0, -2.0, 3.0, -4.0, 5.0, -6.0];
    let b = [10.0, 20.0, 30.0];
    let mut p = BinaryParams {
        kind: ADD,
        rank: 2,
        dims: dims_array(&[2, 3]),
        a_strides: dims_array(&[3, 1]),
        b_strides: dims_array(&[0, 1]),
        act: Act {
            kind: ACT_RELU,
            ..Act::NONE
        },
    };
    let (r, c) = run_binary(&p, &a, &b, 6);
    let want = [11.0, 18.0, 33.0, 6.0, 25.0, 24.0];
    assert_same("add relu rust", &r, &want);
    assert_same("add relu c", &c, &want);

    // One element per kind: (kind, a, b, a OP b).
    let nan = f32::NAN;
    let cases = [
        (MOD, -7.0, 3.0, 2.0),
        (MOD, 7.0, -3.0, -2.0),
        (FMOD, -7.0, 3.0, -1.0),
        (MIN, 1.0, nan, nan),
        (MAX, nan, 1.0, nan),
        (MAX, -0.5, 2.0, 2.0),
        (GREATER, 2.0, 1.0, 1.0),
        (EQUAL, nan, nan, 0.0),
        (AND, 3.0, 0.0, 0.0),
        (XOR, 0.0, -2.0, 1.0),
        (POW, 2.0, 10.0, 1024.0),
        (POW, -8.0, 1.0 / 3.0, nan),
    ];
    p.act = Act::NONE;
    p.rank = 0;
    for (kind, u, v, want) in cases {
        p.kind = kind;
        let (r, c) = run_binary(&p, &[u], &[v], 1);
        assert_same(&format!("kind {kind}: {u} op {v} rust"), &r, &[want]);
        assert_same(&format!("kind {kind}: {u} op {v} c"), &c, &[want]);
    }
}

fn run_unary(p: &UnaryParams, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let mut c = vec![SENTINEL; x.len() + 1];
    let mut r = vec![SENTINEL; x.len() + 1];
    // SAFETY: x holds p.size floats, y one more.
    unsafe { mn_unary_f32(p, x.as_ptr(), c.as_mut_ptr()) };
    unary_f32(p, x, &mut r);
    (r, c)
}

/// Kinds whose Rust and C results are bit for bit the same (no libm function involved,
/// or only a correctly rounded one).
const EXACT_UNARY: [i32; 16] = [0, 1, 2, 5, 6, 7, 9, 10, 11, 16, 17, 18, 19, 26, 27, 28];

#[test]
fn unary_equals_c_for_every_kind() {
    let mut rng = Rng::new(12);
    for kind in RELU..=SWISH {
        for case in 0..40 {
            let size = if case == 0 { 0 } else { rng.int(1, 300) };
            let x = rng.values(size as usize, 8.0);
            let p = UnaryParams {
                kind,
                size,
                alpha: rng.float() * 2.0,
                beta: rng.float() * 2.0,
            };
            let (r, c) = run_unary(&p, &x);
            let what = format!("unary kind {kind} case {case} {p:?}");
            if EXACT_UNARY.contains(&kind) {
                assert_same(&what, &r, &c);
            } else {
                assert_close(&what, &r, &c, 4e-6); // a few ulp: libm against glibc
            }
        }
    }
}

#[test]
fn unary_matches_hand_values() {
    let cases = [
        (RELU, 0.0, 0.0, -1.0, 0.0),
        (ROUND, 0.0, 0.0, 2.5, 2.0), // half to even
        (ROUND, 0.0, 0.0, -3.5, -4.0),
        (SIGN, 0.0, 0.0, -0.25, -1.0),
        (NOT, 0.0, 0.0, 0.0, 1.0),
        (NOT, 0.0, 0.0, 2.0, 0.0),
        (HARD_SIGMOID, 0.2, 0.5, 1.0, 0.7),
        (SOFTSIGN, 0.0, 0.0, 3.0, 0.75),
        (CLIP, -1.0, 1.0, 3.0, 1.0),
        (CLIP, 2.0, 1.0, 0.0, 1.0), // lo > hi gives hi
        (SQRT, 0.0, 0.0, 2.25, 1.5),
        (SWISH, 1.0, 0.0, 0.0, 0.0),
        // sigmoid(ln 3) = 3 / 4
        (3, 0.0, 0.0, 3.0f32.ln(), 0.75),
        // ELU alpha 2 at ln(1/2): 2 * (1/2 - 1) = -1
        (24, 2.0, 0.0, 0.5f32.ln(), -1.0),
        // GELU(1) = 0.5 (1 + erf(1 / sqrt 2)) = 0.8413447
        (22, 0.0, 0.0, 1.0, 0.841_344_7),
    ];
    for (kind, alpha, beta, x, want) in cases {
        let p = UnaryParams {
            kind,
            size: 1,
            alpha,
            beta,
        };
        let (r, c) = run_unary(&p, &[x]);
        assert_close(&format!("kind {kind} at {x} rust"), &r[..1], &[want], 1e-6);
        assert_close(&format!("kind {kind} at {x} c"), &c[..1], &[want], 1e-6);
    }
    let (r, _) = run_unary(
        &UnaryParams {
            kind: SIGN,
            size: 1,
            alpha: 0.0,
            beta: 0.0,
        },
        &[f32::NAN],
    );
    assert!(r[0].is_nan(), "sign(NaN) is NaN");
}

fn run_clip(size: i32, x: &[f32], lo: Option<f32>, hi: Option<f32>) -> (Vec<f32>, Vec<f32>) {
    let p = ClipParams { size };
    let (lo, hi) = (lo.map(|v| [v]), hi.map(|v| [v]));
    let ptr = |b: &Option<[f32; 1]>| b.as_ref().map_or(core::ptr::null(), |b| b.as_ptr());
    let mut c = vec![SENTINEL; x.len() + 1];
    let mut r = vec![SENTINEL; x.len() + 1];
    // SAFETY: x holds size floats, y more; lo and hi are NULL or one float.
    unsafe { mn_clip_f32(&p, x.as_ptr(), ptr(&lo), ptr(&hi), c.as_mut_ptr()) };
    clip_f32(
        &p,
        x,
        lo.as_ref().map(|b| &b[..]),
        hi.as_ref().map(|b| &b[..]),
        &mut r,
    );
    (r, c)
}

#[test]
fn clip_equals_c_with_and_without_bounds() {
    let mut rng = Rng::new(13);
    for case in 0..400 {
        let size = rng.int(0, 100);
        let x = rng.values(size as usize, 3.0);
        let bound = |rng: &mut Rng| (rng.int(0, 3) != 0).then(|| rng.value(2.0));
        let (lo, hi) = (bound(&mut rng), bound(&mut rng));
        let (r, c) = run_clip(size, &x, lo, hi);
        assert_same(&format!("clip case {case} lo {lo:?} hi {hi:?}"), &r, &c);
    }
}

#[test]
fn clip_matches_hand_values() {
    let x = [-2.0, 0.5, 3.0, f32::NAN];
    for (lo, hi, want) in [
        (Some(-1.0), Some(1.0), [-1.0, 0.5, 1.0, f32::NAN]),
        (None, Some(1.0), [-2.0, 0.5, 1.0, f32::NAN]),
        (Some(0.0), None, [0.0, 0.5, 3.0, f32::NAN]),
        (Some(2.0), Some(1.0), [1.0, 1.0, 1.0, f32::NAN]), // lo > hi gives hi
    ] {
        let (r, c) = run_clip(4, &x, lo, hi);
        assert_same("clip rust", &r[..4], &want);
        assert_same("clip c", &c[..4], &want);
    }
}

fn run_where(p: &WhereParams, c: &[f32], x: &[f32], y: &[f32], n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut out_c = vec![SENTINEL; n];
    let mut out_r = vec![SENTINEL; n];
    // SAFETY: p addresses c, x and y within their lengths and writes n floats of out.
    unsafe { mn_where_f32(p, c.as_ptr(), x.as_ptr(), y.as_ptr(), out_c.as_mut_ptr()) };
    where_f32(p, c, x, y, &mut out_r);
    (out_r, out_c)
}

#[test]
fn where_equals_c_on_broadcast_operands() {
    let mut rng = Rng::new(14);
    for case in 0..500 {
        let dims = random_dims(&mut rng);
        let (c_strides, mut c) = operand(&mut rng, &dims, 1.0);
        for v in c.iter_mut() {
            *v = [0.0, -0.0, 1.0, 0.5, f32::NAN][rng.int(0, 4) as usize];
        }
        let (x_strides, x) = operand(&mut rng, &dims, 4.0);
        let (y_strides, y) = operand(&mut rng, &dims, 4.0);
        let p = WhereParams {
            rank: dims.len() as i32,
            dims: dims_array(&dims),
            c_strides,
            x_strides,
            y_strides,
        };
        let n = (dims.iter().product::<i32>() as usize).max(1);
        let (r, k) = run_where(&p, &c, &x, &y, n);
        assert_same(&format!("where case {case} {p:?}"), &r, &k);
    }
}

#[test]
fn where_matches_hand_values() {
    // c = [1, 0] along columns, x = [[1, 2], [3, 4]], y = 9 (a broadcast scalar).
    let p = WhereParams {
        rank: 2,
        dims: dims_array(&[2, 2]),
        c_strides: dims_array(&[0, 1]),
        x_strides: dims_array(&[2, 1]),
        y_strides: dims_array(&[0, 0]),
    };
    let (r, c) = run_where(&p, &[1.0, 0.0], &[1.0, 2.0, 3.0, 4.0], &[9.0], 4);
    assert_same("where rust", &r, &[1.0, 9.0, 3.0, 9.0]);
    assert_same("where c", &c, &[1.0, 9.0, 3.0, 9.0]);
}
