//! reduce_f32 against mn_reduce_f32: every kind over random axis sets, dense and
//! transposed outputs, empty tensors, NaN and infinities.
use meshnn_runtime::kernels::{
    reduce_f32, ReduceParams, MAX_DIMS, REDUCE_L1, REDUCE_L2, REDUCE_LOG_SUM, REDUCE_LOG_SUM_EXP,
    REDUCE_MAX, REDUCE_MEAN, REDUCE_MIN, REDUCE_PROD, REDUCE_SUM, REDUCE_SUM_SQUARE,
};
use meshnn_runtime_diff::{assert_close, assert_same, dims_array, Rng};

extern "C" {
    fn mn_reduce_f32(p: *const ReduceParams, x: *const f32, y: *mut f32);
}

const SENTINEL: f32 = 7.25;

fn run_reduce(p: &ReduceParams, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = p.y_size as usize + 1;
    let mut c = vec![SENTINEL; n];
    let mut r = vec![SENTINEL; n];
    // SAFETY: x holds prod(dims) floats; y_strides address y_size < n outputs.
    unsafe { mn_reduce_f32(p, x.as_ptr(), c.as_mut_ptr()) };
    reduce_f32(p, x, &mut r);
    (r, c)
}

/// Parameters reducing a random shape over a random set of axes; the kept axes are
/// laid out in y in a random order (a transposed output) half of the time.
fn random_reduction(rng: &mut Rng, kind: i32) -> ReduceParams {
    let rank = rng.int(0, 5) as usize;
    let empty = rng.int(0, 9) == 0;
    let dims: Vec<i32> = (0..rank)
        .map(|_| {
            if empty && rng.int(0, 1) == 0 {
                0
            } else {
                rng.int(1, 4)
            }
        })
        .collect();
    let reduced: Vec<bool> = (0..rank).map(|_| rng.int(0, 1) == 0).collect();
    let mut order = rng.permutation(rank);
    if rng.int(0, 1) == 0 {
        order.sort();
    }
    let mut y_strides = [0; MAX_DIMS];
    let (mut y_size, mut count) = (1, 1);
    for &d in order.iter().rev() {
        if reduced[d] {
            count *= dims[d];
        } else {
            y_strides[d] = y_size;
            y_size *= dims[d];
        }
    }
    ReduceParams {
        kind,
        rank: rank as i32,
        dims: dims_array(&dims),
        y_strides,
        y_size,
        count,
    }
}

#[test]
fn reduce_equals_c_for_every_kind() {
    let mut rng = Rng::new(31);
    for kind in REDUCE_MEAN..=REDUCE_LOG_SUM_EXP {
        for case in 0..120 {
            let p = random_reduction(&mut rng, kind);
            let n: i32 = p.dims[..p.rank as usize].iter().product();
            // Log-sum wants positive sums (else NaN, also compared); prod small factors.
            let scale = if kind == REDUCE_PROD { 1.5 } else { 4.0 };
            let mut x = rng.values(n as usize, scale);
            if kind == REDUCE_LOG_SUM && case % 2 == 0 {
                x.iter_mut().for_each(|v| *v = v.abs());
            }
            let (r, c) = run_reduce(&p, &x);
            let what = format!("reduce kind {kind} case {case} {p:?}");
            if kind == REDUCE_LOG_SUM || kind == REDUCE_LOG_SUM_EXP {
                assert_close(&what, &r, &c, 2e-6); // logf, expf, log1pf: libm against glibc
            } else {
                assert_same(&what, &r, &c); // same order of the same float operations
            }
        }
    }
}

#[test]
fn reduce_matches_hand_values() {
    // x = [[1, -2, 3], [4, NaN, -6]] reduced over axis 1 (y [2]) and over axis 0 (y [3]).
    let x = [1.0, -2.0, 3.0, 4.0, f32::NAN, -6.0];
    let nan = f32::NAN;
    let over_cols = |kind| ReduceParams {
        kind,
        rank: 2,
        dims: dims_array(&[2, 3]),
        y_strides: dims_array(&[1, 0]),
        y_size: 2,
        count: 3,
    };
    let over_rows = |kind| ReduceParams {
        y_strides: dims_array(&[0, 1]),
        y_size: 3,
        count: 2,
        ..over_cols(kind)
    };
    let cases: [(ReduceParams, &[f32]); 9] = [
        (over_cols(REDUCE_SUM), &[2.0, nan]),
        (over_cols(REDUCE_MAX), &[3.0, nan]), // NaN propagates
        (over_cols(REDUCE_MIN), &[-2.0, nan]),
        (over_rows(REDUCE_MEAN), &[2.5, nan, -1.5]),
        (over_rows(REDUCE_PROD), &[4.0, nan, -18.0]),
        (over_rows(REDUCE_SUM_SQUARE), &[17.0, nan, 45.0]),
        (over_rows(REDUCE_L1), &[5.0, nan, 9.0]),
        (over_rows(REDUCE_L2), &[17.0f32.sqrt(), nan, 45.0f32.sqrt()]),
        (over_rows(REDUCE_MAX), &[4.0, nan, 3.0]),
    ];
    for (p, want) in cases {
        let (r, c) = run_reduce(&p, &x);
        assert_close(
            &format!("kind {} rust", p.kind),
            &r[..want.len()],
            want,
            1e-6,
        );
        assert_close(&format!("kind {} c", p.kind), &c[..want.len()], want, 1e-6);
    }
    // log(e^1 + e^2 + e^3) = 3.4076059; log(1 + 2 + 3) = 1.7917595; an empty max is
    // -inf, an empty log-sum-exp too, and -inf terms add nothing.
    let row = |kind, n| ReduceParams {
        kind,
        rank: 1,
        dims: dims_array(&[n]),
        y_strides: [0; MAX_DIMS],
        y_size: 1,
        count: n,
    };
    let inf = f32::INFINITY;
    for (p, x, want) in [
        (row(REDUCE_LOG_SUM_EXP, 3), [1.0, 2.0, 3.0], 3.407_606),
        (row(REDUCE_LOG_SUM_EXP, 3), [-inf, 2.0, -inf], 2.0),
        (row(REDUCE_LOG_SUM, 3), [1.0, 2.0, 3.0], 1.791_759_5),
        (row(REDUCE_MAX, 0), [0.0; 3], -inf),
        (row(REDUCE_LOG_SUM_EXP, 0), [0.0; 3], -inf),
        (row(REDUCE_MEAN, 0), [0.0; 3], 0.0),
    ] {
        let (r, c) = run_reduce(&p, &x);
        assert_close(&format!("kind {} rust", p.kind), &r[..1], &[want], 1e-6);
        assert_close(&format!("kind {} c", p.kind), &c[..1], &[want], 1e-6);
    }
}
