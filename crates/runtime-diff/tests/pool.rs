//! The pooling kernels (Rust) against their C twins: pool2d (max / average, pads,
//! dilation, count_include_pad, windows past the input as ceil_mode makes them, 1-D),
//! pool2d_fast (also against the Rust reference), pool_nd and global_pool, with NaN in
//! the inputs so that max pooling's NaN propagation is compared too; and each on one
//! hand-calculated case.
use meshnn_runtime::kernels::{
    global_pool_f32, pool2d_f32, pool2d_fast_f32, pool_nd_f32, GlobalPoolParams, PoolNdParams,
    PoolParams, MAX_DIMS, POOL_AVG, POOL_MAX,
};
use meshnn_runtime_diff::{assert_close, Rng};

extern "C" {
    fn mn_pool2d_f32(p: *const PoolParams, x: *const f32, y: *mut f32);
    fn mn_pool2d_fast_f32(p: *const PoolParams, x: *const f32, y: *mut f32);
    fn mn_pool_nd_f32(p: *const PoolNdParams, x: *const f32, y: *mut f32);
    fn mn_global_pool_f32(p: *const GlobalPoolParams, x: *const f32, y: *mut f32);
}

/// Same summation order; pooling has no libm call, so this is all but exact.
const SAME_ORDER: f32 = 1e-6;

/// `n` random values, about one in 16 NaN.
fn floats_with_nan(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            if rng.int(0, 15) == 0 {
                f32::NAN
            } else {
                rng.float()
            }
        })
        .collect()
}

/// One axis: (input, kernel, stride, dilation, pad before, pad after, output); the output
/// sometimes one longer (ceil_mode), so a window may reach past the padded extent.
fn random_axis(rng: &mut Rng, max_in: i32) -> (i32, i32, i32, i32, i32, i32, i32) {
    loop {
        let (k, s, d) = (rng.int(1, 4), rng.int(1, 3), rng.int(1, 2));
        let (pb, pe) = if rng.int(0, 2) == 0 {
            (0, 0)
        } else {
            (rng.int(0, k - 1), rng.int(0, k - 1))
        };
        let i = rng.int(1, max_in);
        let ext = i + pb + pe - (k - 1) * d - 1;
        if ext >= 0 {
            let ceil = (ext % s != 0 && rng.int(0, 1) == 0) as i32;
            return (i, k, s, d, pb, pe, ext / s + 1 + ceil);
        }
    }
}

fn random_pool(rng: &mut Rng) -> PoolParams {
    let one_d = rng.int(0, 4) == 0;
    let (in_w, k_w, stride_w, dil_w, pad_left, pad_right, out_w) = random_axis(rng, 30);
    let (in_h, k_h, stride_h, dil_h, pad_top, pad_bottom, out_h) = if one_d {
        (1, 1, 1, 1, 0, 0, 1)
    } else {
        random_axis(rng, 12)
    };
    PoolParams {
        kind: rng.int(POOL_MAX, POOL_AVG),
        channels: rng.int(1, 4),
        in_h,
        in_w,
        out_h,
        out_w,
        k_h,
        k_w,
        stride_h,
        stride_w,
        dil_h,
        dil_w,
        pad_top,
        pad_left,
        pad_bottom,
        pad_right,
        count_include_pad: rng.int(0, 1),
    }
}

fn y_len(p: &PoolParams) -> usize {
    (p.channels * p.out_h * p.out_w) as usize
}

fn rust_pool2d(p: &PoolParams, x: &[f32]) -> Vec<f32> {
    let mut y = vec![f32::NAN; y_len(p)];
    pool2d_f32(p, x, &mut y);
    y
}

fn c_pool2d(p: &PoolParams, x: &[f32]) -> Vec<f32> {
    let mut y = vec![f32::NAN; y_len(p)];
    // SAFETY: x and y hold the sizes p implies.
    unsafe { mn_pool2d_f32(p, x.as_ptr(), y.as_mut_ptr()) };
    y
}

#[test]
fn pool2d_equals_c() {
    let mut rng = Rng::new(31);
    for case in 0..600 {
        let p = random_pool(&mut rng);
        let x = floats_with_nan(&mut rng, (p.channels * p.in_h * p.in_w) as usize);
        let what = format!("pool2d case {case} {p:?}");
        assert_close(&what, &rust_pool2d(&p, &x), &c_pool2d(&p, &x), SAME_ORDER);
    }
}

/// Windows without padding or dilation inside the input (pool2d_fast's precondition);
/// the 2x2 / stride 2 max window often.
fn random_fast_pool(rng: &mut Rng) -> PoolParams {
    let mut p = random_pool(rng);
    if rng.int(0, 3) == 0 {
        (p.kind, p.k_h, p.k_w, p.stride_h, p.stride_w) = (POOL_MAX, 2, 2, 2, 2);
    }
    (
        p.dil_h,
        p.dil_w,
        p.pad_top,
        p.pad_left,
        p.pad_bottom,
        p.pad_right,
    ) = (1, 1, 0, 0, 0, 0);
    (p.out_h, p.out_w) = (rng.int(1, 6), rng.int(1, 20));
    p.in_h = (p.out_h - 1) * p.stride_h + p.k_h + rng.int(0, p.stride_h - 1);
    p.in_w = (p.out_w - 1) * p.stride_w + p.k_w + rng.int(0, p.stride_w - 1);
    p
}

#[test]
fn pool2d_fast_equals_c_and_the_reference() {
    let mut rng = Rng::new(32);
    for case in 0..600 {
        let p = random_fast_pool(&mut rng);
        let x = floats_with_nan(&mut rng, (p.channels * p.in_h * p.in_w) as usize);
        let mut rust = vec![f32::NAN; y_len(&p)];
        let mut c = rust.clone();
        pool2d_fast_f32(&p, &x, &mut rust);
        // SAFETY: x and c hold the sizes p implies.
        unsafe { mn_pool2d_fast_f32(&p, x.as_ptr(), c.as_mut_ptr()) };
        let what = format!("pool2d_fast case {case} {p:?}");
        assert_close(&what, &rust, &c, SAME_ORDER);
        assert_close(
            &format!("{what} vs reference"),
            &rust,
            &rust_pool2d(&p, &x),
            SAME_ORDER,
        );
    }
}

fn random_pool_nd(rng: &mut Rng) -> PoolNdParams {
    let mut p = PoolNdParams {
        kind: rng.int(POOL_MAX, POOL_AVG),
        channels: rng.int(1, 3),
        nd: rng.int(1, 3),
        r#in: [0; MAX_DIMS],
        out: [0; MAX_DIMS],
        k: [0; MAX_DIMS],
        strides: [0; MAX_DIMS],
        dilations: [0; MAX_DIMS],
        pads_begin: [0; MAX_DIMS],
        pads_end: [0; MAX_DIMS],
        count_include_pad: rng.int(0, 1),
    };
    for d in 0..p.nd as usize {
        let (i, k, s, dil, pb, pe, o) = random_axis(rng, 7);
        (p.r#in[d], p.k[d], p.strides[d], p.dilations[d]) = (i, k, s, dil);
        (p.pads_begin[d], p.pads_end[d], p.out[d]) = (pb, pe, o);
    }
    p
}

fn size(dims: &[i32; MAX_DIMS], nd: i32) -> usize {
    dims[..nd as usize].iter().product::<i32>() as usize
}

#[test]
fn pool_nd_equals_c() {
    let mut rng = Rng::new(33);
    for case in 0..500 {
        let p = random_pool_nd(&mut rng);
        let x = floats_with_nan(&mut rng, p.channels as usize * size(&p.r#in, p.nd));
        let mut rust = vec![f32::NAN; p.channels as usize * size(&p.out, p.nd)];
        let mut c = rust.clone();
        pool_nd_f32(&p, &x, &mut rust);
        // SAFETY: x and c hold the sizes p implies.
        unsafe { mn_pool_nd_f32(&p, x.as_ptr(), c.as_mut_ptr()) };
        assert_close(&format!("pool_nd case {case} {p:?}"), &rust, &c, SAME_ORDER);
    }
}

#[test]
fn pool_nd_of_two_axes_equals_pool2d() {
    let mut rng = Rng::new(34);
    for case in 0..300 {
        let p = random_pool(&mut rng);
        let mut q = random_pool_nd(&mut rng);
        (q.kind, q.channels, q.nd, q.count_include_pad) =
            (p.kind, p.channels, 2, p.count_include_pad);
        q.r#in[..2].copy_from_slice(&[p.in_h, p.in_w]);
        q.out[..2].copy_from_slice(&[p.out_h, p.out_w]);
        q.k[..2].copy_from_slice(&[p.k_h, p.k_w]);
        q.strides[..2].copy_from_slice(&[p.stride_h, p.stride_w]);
        q.dilations[..2].copy_from_slice(&[p.dil_h, p.dil_w]);
        q.pads_begin[..2].copy_from_slice(&[p.pad_top, p.pad_left]);
        q.pads_end[..2].copy_from_slice(&[p.pad_bottom, p.pad_right]);
        let x = floats_with_nan(&mut rng, (p.channels * p.in_h * p.in_w) as usize);
        let mut nd = vec![f32::NAN; y_len(&p)];
        pool_nd_f32(&q, &x, &mut nd);
        assert_close(
            &format!("pool_nd as 2-D case {case} {p:?}"),
            &nd,
            &rust_pool2d(&p, &x),
            SAME_ORDER,
        );
    }
}

#[test]
fn global_pool_equals_c() {
    let mut rng = Rng::new(35);
    for case in 0..400 {
        let p = GlobalPoolParams {
            kind: rng.int(POOL_MAX, POOL_AVG),
            channels: rng.int(1, 5),
            size: rng.int(0, 60),
        };
        let x = floats_with_nan(&mut rng, (p.channels * p.size) as usize);
        let mut rust = vec![0.0f32; p.channels as usize];
        let mut c = rust.clone();
        global_pool_f32(&p, &x, &mut rust);
        // SAFETY: x and c hold the sizes p implies.
        unsafe { mn_global_pool_f32(&p, x.as_ptr(), c.as_mut_ptr()) };
        assert_close(
            &format!("global_pool case {case} {p:?}"),
            &rust,
            &c,
            SAME_ORDER,
        );
    }
}

fn pool_3x3(
    kind: i32,
    k: i32,
    stride: i32,
    pad: i32,
    out: i32,
    count_include_pad: i32,
) -> PoolParams {
    PoolParams {
        kind,
        channels: 1,
        in_h: 3,
        in_w: 3,
        out_h: out,
        out_w: out,
        k_h: k,
        k_w: k,
        stride_h: stride,
        stride_w: stride,
        dil_h: 1,
        dil_w: 1,
        pad_top: pad,
        pad_left: pad,
        pad_bottom: pad,
        pad_right: pad,
        count_include_pad,
    }
}

/// x = 1..9 as 3x3. By hand, 2x2 windows at stride 1: max [5, 6, 8, 9], average [3, 4, 6,
/// 7]. 2x2 windows at stride 2 with pad 1: window (0,0) holds only x(0,0) = 1 (average 1,
/// or 1/4 counting the padding), (0,1) holds 2, 3 (2.5 or 5/4), (1,0) holds 4, 7 (5.5 or
/// 11/4), (1,1) holds 5, 6, 8, 9 (7). Global: max 9, average 5.
#[test]
fn every_pooling_computes_a_hand_calculated_case() {
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let cases = [
        (pool_3x3(POOL_MAX, 2, 1, 0, 2, 0), [5.0f32, 6.0, 8.0, 9.0]),
        (pool_3x3(POOL_AVG, 2, 1, 0, 2, 0), [3.0, 4.0, 6.0, 7.0]),
        (pool_3x3(POOL_AVG, 2, 2, 1, 2, 0), [1.0, 2.5, 5.5, 7.0]),
        (pool_3x3(POOL_AVG, 2, 2, 1, 2, 1), [0.25, 1.25, 2.75, 7.0]),
        (pool_3x3(POOL_MAX, 2, 2, 1, 2, 0), [1.0, 3.0, 7.0, 9.0]),
    ];
    for (p, expect) in cases {
        assert_eq!(rust_pool2d(&p, &x), expect, "{p:?}");
        assert_eq!(c_pool2d(&p, &x), expect, "{p:?}");
        if p.pad_top == 0 {
            let mut y = [0.0f32; 4];
            pool2d_fast_f32(&p, &x, &mut y);
            assert_eq!(y, expect, "fast {p:?}");
        }
        let mut q = random_pool_nd(&mut Rng::new(1));
        (q.kind, q.channels, q.nd, q.count_include_pad) = (p.kind, 1, 2, p.count_include_pad);
        q.r#in[..2].copy_from_slice(&[3, 3]);
        q.out[..2].copy_from_slice(&[2, 2]);
        q.k[..2].copy_from_slice(&[2, 2]);
        q.strides[..2].copy_from_slice(&[p.stride_h, p.stride_w]);
        q.dilations[..2].copy_from_slice(&[1, 1]);
        q.pads_begin[..2].copy_from_slice(&[p.pad_top, p.pad_left]);
        q.pads_end[..2].copy_from_slice(&[p.pad_bottom, p.pad_right]);
        let mut y = [0.0f32; 4];
        pool_nd_f32(&q, &x, &mut y);
        assert_eq!(y, expect, "nd {p:?}");
    }
    let mut y = [0.0f32; 1];
    global_pool_f32(
        &GlobalPoolParams {
            kind: POOL_MAX,
            channels: 1,
            size: 9,
        },
        &x,
        &mut y,
    );
    assert_eq!(y, [9.0]);
    global_pool_f32(
        &GlobalPoolParams {
            kind: POOL_AVG,
            channels: 1,
            size: 9,
        },
        &x,
        &mut y,
    );
    assert_eq!(y, [5.0]);
}

/// Max pooling propagates NaN wherever it stands in the window (mn_max_nan): [0, NaN]
/// and [NaN, 1] both give NaN, in every max kernel.
#[test]
fn max_pooling_propagates_nan() {
    let x = [0.0f32, f32::NAN, f32::NAN, 1.0, 2.0, 3.0];
    let p = PoolParams {
        kind: POOL_MAX,
        channels: 1,
        in_h: 1,
        in_w: 6,
        out_h: 1,
        out_w: 3,
        k_h: 1,
        k_w: 2,
        stride_h: 1,
        stride_w: 2,
        dil_h: 1,
        dil_w: 1,
        pad_top: 0,
        pad_left: 0,
        pad_bottom: 0,
        pad_right: 0,
        count_include_pad: 0,
    };
    let mut y = [0.0f32; 3];
    pool2d_f32(&p, &x, &mut y);
    assert!(y[0].is_nan() && y[1].is_nan() && y[2] == 3.0, "{y:?}");
    let mut y = [0.0f32; 3];
    pool2d_fast_f32(&p, &x, &mut y);
    assert!(y[0].is_nan() && y[1].is_nan() && y[2] == 3.0, "fast {y:?}");
    let mut y = [0.0f32; 3];
    global_pool_f32(
        &GlobalPoolParams {
            kind: POOL_MAX,
            channels: 3,
            size: 2,
        },
        &x,
        &mut y,
    );
    assert!(
        y[0].is_nan() && y[1].is_nan() && y[2] == 3.0,
        "global {y:?}"
    );
}
