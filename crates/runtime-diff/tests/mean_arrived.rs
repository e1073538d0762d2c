//! mean_arrived_f32 against mn_mean_arrived_f32: none, some and all copies arrived.
use meshnn_runtime::kernels::{mean_arrived_f32, MeanArrivedParams};
use meshnn_runtime_diff::{assert_same, Rng};

extern "C" {
    fn mn_mean_arrived_f32(
        p: *const MeanArrivedParams,
        xs: *const *const f32,
        arrived: *const i32,
        y: *mut f32,
    );
}

const SENTINEL: f32 = 7.25;

fn run(p: &MeanArrivedParams, copies: &[Vec<f32>], arrived: &[i32]) -> (Vec<f32>, Vec<f32>) {
    let ptrs: Vec<*const f32> = copies.iter().map(|c| c.as_ptr()).collect();
    let slices: Vec<&[f32]> = copies.iter().map(|c| &c[..]).collect();
    let mut c = vec![SENTINEL; p.size as usize + 1];
    let mut r = vec![SENTINEL; p.size as usize + 1];
    // SAFETY: n copies of size floats, n arrival flags, y holds more than size floats.
    unsafe { mn_mean_arrived_f32(p, ptrs.as_ptr(), arrived.as_ptr(), c.as_mut_ptr()) };
    mean_arrived_f32(p, &slices, arrived, &mut r);
    (r, c)
}

#[test]
fn mean_arrived_equals_c_for_none_some_and_all_arrived() {
    let mut rng = Rng::new(51);
    for case in 0..600 {
        let p = MeanArrivedParams {
            n: rng.int(1, 5),
            size: rng.int(0, 40),
        };
        let copies: Vec<Vec<f32>> = (0..p.n).map(|_| rng.values(p.size as usize, 4.0)).collect();
        let arrived: Vec<i32> = match case % 3 {
            0 => vec![0; p.n as usize],                      // none: all fallbacks
            1 => (0..p.n).map(|_| rng.int(-1, 2)).collect(), // some (any non-zero)
            _ => (0..p.n).map(|_| rng.int(1, 3)).collect(),  // all
        };
        let (r, c) = run(&p, &copies, &arrived);
        assert_same(
            &format!("mean_arrived case {case} {p:?} {arrived:?}"),
            &r,
            &c,
        );
    }
}

#[test]
fn mean_arrived_matches_hand_values() {
    let copies = vec![vec![1.0, 10.0], vec![3.0, 20.0], vec![8.0, 60.0]];
    let p = MeanArrivedParams { n: 3, size: 2 };
    for (arrived, want) in [
        ([1, 0, 1], [4.5, 35.0]), // (1 + 8) / 2, (10 + 60) / 2
        ([0, 1, 0], [3.0, 20.0]), // one copy: itself
        ([0, 0, 0], [4.0, 30.0]), // none: the mean of all
        ([1, 1, 1], [4.0, 30.0]),
    ] {
        let (r, c) = run(&p, &copies, &arrived);
        assert_same(&format!("{arrived:?} rust"), &r[..2], &want);
        assert_same(&format!("{arrived:?} c"), &c[..2], &want);
    }
}
