//! The convolutions (Rust) against their C twins: conv2d, conv2d_fast (+ scratch size,
//! packed size, packing), conv2d_dw (+ scratch size) and conv_nd on seeded random
//! shapes (stride, dilation, padding, groups, depthwise, 1-D, every fused activation,
//! bias or none); the fast kernels also against the Rust reference, and every kernel on
//! one hand-calculated case.
use meshnn_runtime::kernels::{
    conv2d_dw_f32, conv2d_dw_f32_scratch_size, conv2d_f32, conv2d_fast_f32, conv2d_fast_f32_pack,
    conv2d_fast_f32_packed_size, conv2d_fast_f32_scratch_size, conv_nd_f32, Act, ConvNdParams,
    ConvParams, ACT_HARD_SIGMOID, ACT_KINDS, ACT_LEAKY_RELU, ACT_NONE, ACT_SWISH,
    CONV_FAST_MAX_TAPS, MAX_DIMS,
};
use meshnn_runtime_diff::{assert_close, ptr_or_null, random_act, Rng, SAME_ORDER};

extern "C" {
    fn mn_conv2d_f32(
        p: *const ConvParams,
        x: *const f32,
        w: *const f32,
        b: *const f32,
        y: *mut f32,
    );
    fn mn_conv2d_fast_f32_scratch_size(p: *const ConvParams) -> i32;
    fn mn_conv2d_fast_f32_packed_size(p: *const ConvParams) -> i32;
    fn mn_conv2d_fast_f32_pack(p: *const ConvParams, w: *const f32, packed: *mut f32);
    fn mn_conv2d_fast_f32(
        p: *const ConvParams,
        x: *const f32,
        w: *const f32,
        b: *const f32,
        scratch: *mut f32,
        y: *mut f32,
    );
    fn mn_conv2d_dw_f32_scratch_size(p: *const ConvParams) -> i32;
    fn mn_conv2d_dw_f32(
        p: *const ConvParams,
        x: *const f32,
        w: *const f32,
        b: *const f32,
        scratch: *mut f32,
        y: *mut f32,
    );
    fn mn_conv_nd_f32(
        p: *const ConvNdParams,
        x: *const f32,
        w: *const f32,
        b: *const f32,
        y: *mut f32,
    );
}

/// Summation in a different order (fast kernels against the reference).
const OTHER_ORDER: f32 = 1e-5;

/// One spatial axis: (input, kernel, stride, dilation, pad before, output), with the
/// pad after drawn too and the output derived from it; None when the window does not fit.
fn random_axis(rng: &mut Rng, max_in: i32, no_pad: bool) -> Option<(i32, i32, i32, i32, i32, i32)> {
    let (k, s, d) = (rng.int(1, 4), rng.int(1, 3), rng.int(1, 2));
    let span = (k - 1) * d;
    let (pb, pe) = if no_pad {
        (0, 0)
    } else {
        (rng.int(0, span), rng.int(0, span))
    };
    let i = rng.int(1, max_in);
    let ext = i + pb + pe - span - 1;
    (ext >= 0).then_some((i, k, s, d, pb, ext / s + 1))
}

fn random_conv(rng: &mut Rng, depthwise: bool) -> ConvParams {
    loop {
        let one_d = rng.int(0, 4) == 0;
        let no_pad = rng.int(0, 2) == 0;
        let max_w = if rng.int(0, 2) == 0 { 40 } else { 12 };
        let Some((in_w, k_w, stride_w, dil_w, pad_left, out_w)) = random_axis(rng, max_w, no_pad)
        else {
            continue;
        };
        let (in_h, k_h, stride_h, dil_h, pad_top, out_h) = if one_d {
            (1, 1, 1, 1, 0, 1)
        } else {
            match random_axis(rng, 10, no_pad) {
                Some(axis) => axis,
                None => continue,
            }
        };
        let (c_in, c_out, group) = if depthwise {
            let c = rng.int(1, 20);
            (c, c, c)
        } else {
            let group = [1, 1, 1, 2, 3][rng.int(0, 4) as usize];
            (group * rng.int(1, 4), group * rng.int(1, 12), group)
        };
        return ConvParams {
            n: rng.int(1, 2),
            c_in,
            in_h,
            in_w,
            c_out,
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
            group,
            act: random_act(rng),
        };
    }
}

/// Random x, w and (or not) b for `p`, and an output buffer full of NaN (so an output the
/// kernel does not write shows).
struct ConvData {
    x: Vec<f32>,
    w: Vec<f32>,
    b: Option<Vec<f32>>,
    y_len: usize,
}

impl ConvData {
    fn new(rng: &mut Rng, p: &ConvParams) -> Self {
        let x = rng.floats((p.n * p.c_in * p.in_h * p.in_w) as usize);
        let w = rng.floats((p.c_out * (p.c_in / p.group) * p.k_h * p.k_w) as usize);
        let b = (rng.int(0, 2) != 0).then(|| rng.floats(p.c_out as usize));
        let y_len = (p.n * p.c_out * p.out_h * p.out_w) as usize;
        ConvData { x, w, b, y_len }
    }
    fn y(&self) -> Vec<f32> {
        vec![f32::NAN; self.y_len]
    }
    fn b(&self) -> Option<&[f32]> {
        self.b.as_deref()
    }
}

fn c_conv2d(p: &ConvParams, d: &ConvData) -> Vec<f32> {
    let mut y = d.y();
    // SAFETY: x, w, b and y hold the sizes p implies (ConvData::new).
    unsafe {
        mn_conv2d_f32(
            p,
            d.x.as_ptr(),
            d.w.as_ptr(),
            ptr_or_null(d.b()),
            y.as_mut_ptr(),
        )
    };
    y
}

fn rust_conv2d(p: &ConvParams, d: &ConvData) -> Vec<f32> {
    let mut y = d.y();
    conv2d_f32(p, &d.x, &d.w, d.b(), &mut y);
    y
}

/// The C fast convolution, with its own packing and scratch.
fn c_conv2d_fast(p: &ConvParams, d: &ConvData) -> Vec<f32> {
    // SAFETY: p is a valid parameter block; packed and scratch get the sizes C asks for.
    unsafe {
        let mut packed = vec![0.0f32; mn_conv2d_fast_f32_packed_size(p) as usize];
        mn_conv2d_fast_f32_pack(p, d.w.as_ptr(), packed.as_mut_ptr());
        let mut scratch = vec![f32::NAN; mn_conv2d_fast_f32_scratch_size(p) as usize];
        let mut y = d.y();
        mn_conv2d_fast_f32(
            p,
            d.x.as_ptr(),
            packed.as_ptr(),
            ptr_or_null(d.b()),
            scratch.as_mut_ptr(),
            y.as_mut_ptr(),
        );
        y
    }
}

fn rust_conv2d_fast(p: &ConvParams, d: &ConvData) -> Vec<f32> {
    let mut packed = vec![0.0f32; conv2d_fast_f32_packed_size(p) as usize];
    conv2d_fast_f32_pack(p, &d.w, &mut packed);
    let mut scratch = vec![f32::NAN; conv2d_fast_f32_scratch_size(p) as usize];
    let scratch = (!scratch.is_empty()).then_some(&mut scratch[..]);
    let mut y = d.y();
    conv2d_fast_f32(p, &d.x, &packed, d.b(), scratch, &mut y);
    y
}

fn c_conv2d_dw(p: &ConvParams, d: &ConvData) -> Vec<f32> {
    // SAFETY: scratch gets the size C asks for; the other buffers the sizes p implies.
    unsafe {
        let mut scratch = vec![f32::NAN; mn_conv2d_dw_f32_scratch_size(p) as usize];
        let mut y = d.y();
        mn_conv2d_dw_f32(
            p,
            d.x.as_ptr(),
            d.w.as_ptr(),
            ptr_or_null(d.b()),
            scratch.as_mut_ptr(),
            y.as_mut_ptr(),
        );
        y
    }
}

fn rust_conv2d_dw(p: &ConvParams, d: &ConvData) -> Vec<f32> {
    let mut scratch = vec![f32::NAN; conv2d_dw_f32_scratch_size(p) as usize];
    let mut y = d.y();
    conv2d_dw_f32(p, &d.x, &d.w, d.b(), Some(&mut scratch), &mut y);
    y
}

#[test]
fn conv2d_equals_c() {
    let mut rng = Rng::new(11);
    for case in 0..500 {
        let depthwise = rng.int(0, 3) == 0;
        let p = random_conv(&mut rng, depthwise);
        let d = ConvData::new(&mut rng, &p);
        assert_close(
            &format!("conv2d case {case} {p:?}"),
            &rust_conv2d(&p, &d),
            &c_conv2d(&p, &d),
            SAME_ORDER,
        );
    }
}

#[test]
fn conv2d_fast_equals_c_and_the_reference() {
    let mut rng = Rng::new(12);
    let mut direct = 0;
    for case in 0..600 {
        let p = random_conv(&mut rng, false);
        assert!((p.k_h * p.k_w) as usize <= CONV_FAST_MAX_TAPS);
        // SAFETY: p is a valid parameter block.
        let (c_scratch, c_packed) = unsafe {
            (
                mn_conv2d_fast_f32_scratch_size(&p),
                mn_conv2d_fast_f32_packed_size(&p),
            )
        };
        assert_eq!(
            conv2d_fast_f32_scratch_size(&p),
            c_scratch,
            "scratch size {p:?}"
        );
        assert_eq!(
            conv2d_fast_f32_packed_size(&p),
            c_packed,
            "packed size {p:?}"
        );
        direct += (c_scratch == 0) as i32;
        let d = ConvData::new(&mut rng, &p);
        equals_c_and_the_reference(&format!("conv2d_fast case {case} {p:?}"), &p, &d, FAST);
    }
    assert!(direct >= 20, "only {direct} cases read the input in place");
}

/// The output of a Rust kernel on `d` equals that of its C twin (same order of
/// multiply-adds) and the reference's (up to the order).
fn equals_c_and_the_reference(
    what: &str,
    p: &ConvParams,
    d: &ConvData,
    [rust_kernel, c_kernel]: [fn(&ConvParams, &ConvData) -> Vec<f32>; 2],
) {
    let rust = rust_kernel(p, d);
    assert_close(what, &rust, &c_kernel(p, d), SAME_ORDER);
    assert_close(
        &format!("{what} vs reference"),
        &rust,
        &rust_conv2d(p, d),
        OTHER_ORDER,
    );
}

/// The fast convolutions of both runtimes.
const FAST: [fn(&ConvParams, &ConvData) -> Vec<f32>; 2] = [rust_conv2d_fast, c_conv2d_fast];
/// The depthwise convolutions of both runtimes.
const DW: [fn(&ConvParams, &ConvData) -> Vec<f32>; 2] = [rust_conv2d_dw, c_conv2d_dw];

/// Case `case` of a targeted fast convolution test: `p` with the activation of kind
/// `case % ACT_KINDS` (so every kind in turn), on random data.
fn fast_case(rng: &mut Rng, what: &str, case: i32, mut p: ConvParams) {
    p.act = act_of_kind(case % ACT_KINDS);
    let d = ConvData::new(rng, &p);
    equals_c_and_the_reference(&format!("{what} case {case} {p:?}"), &p, &d, FAST);
}

/// An activation of the given kind with parameters where it is not trivial on [-3, 3]
/// (as runtime-c/tests/test_fast_vs_ref.c's `set_act`).
fn act_of_kind(kind: i32) -> Act {
    Act {
        kind,
        alpha: match kind {
            ACT_LEAKY_RELU => 0.1,
            ACT_SWISH => 1.5,
            _ => 0.2,
        },
        lo: if kind == ACT_HARD_SIGMOID { 0.5 } else { -0.5 }, // HardSigmoid: beta
        hi: 0.75,
    }
}

/// A convolution of `c_in` to `c_out` channels with one image or two, a `k_h` x `k_w`
/// kernel (strides and dilations 1 unless set after), no padding, and an `out_h` x `out_w`
/// output: the input is the size that output needs.
fn conv_to(out_h: i32, out_w: i32, k_h: i32, k_w: i32, c_in: i32, c_out: i32) -> ConvParams {
    ConvParams {
        n: 1,
        c_in,
        in_h: out_h + k_h - 1,
        in_w: out_w + k_w - 1,
        c_out,
        out_h,
        out_w,
        k_h,
        k_w,
        stride_h: 1,
        stride_w: 1,
        dil_h: 1,
        dil_w: 1,
        pad_top: 0,
        pad_left: 0,
        group: 1,
        act: act_of_kind(ACT_NONE),
    }
}

/// Output planes of 1 to 15 positions with no dropped columns (1x1 and kx1 kernels; MobileNet's
/// 3 x 3 and 2 x 2 stages, a 1 x 1 plane): on vector units both kernels run them as channel
/// tiles (`mn_cf_tile_chan`, runs of up to 12 positions, vectorised across 8 output
/// channels). Full and partial channel blocks, the input read in place or padded (rows
/// only), one image or two, every fused activation.
#[test]
fn conv2d_fast_narrow_planes_equal_c_and_the_reference() {
    let planes = [
        (3, 3),
        (2, 4),
        (1, 8),
        (3, 5),
        (4, 3),
        (2, 7),
        (1, 15),
        (3, 4),
        (5, 3),
        (7, 2),
        (1, 1),
        (2, 2),
        (1, 5),
        (2, 3),
        (1, 7),
    ];
    let mut rng = Rng::new(42);
    for case in 0..210 {
        let (out_h, out_w) = planes[case % planes.len()];
        let k_h = if case % 3 == 2 { rng.int(2, 3) } else { 1 };
        let c_out = if case % 4 == 3 {
            rng.int(1, 7)
        } else {
            rng.int(8, 40)
        };
        let mut p = conv_to(out_h, out_w, k_h, 1, rng.int(1, 20), c_out);
        p.n = 1 + (case % 5 == 4) as i32;
        if case % 6 == 5 {
            // rows of padding: the padded copy, columns still all kept
            p.pad_top = rng.int(0, k_h - 1);
            p.in_h -= p.pad_top + rng.int(0, k_h - 1 - p.pad_top);
        }
        fast_case(&mut rng, "narrow plane", case as i32, p);
    }
}

/// Convolutions whose output rows are 4 or 8 wide (half of the 8- and 16-wide tiles of the
/// AVX2/NEON and AVX-512/SSE2 builds: cnn32's 8 x 8 stage): on vector units both kernels
/// run tiles of two output rows (`mn_cf_tile_rows2`, in pairs of four rows where pairs are
/// built), the last tile overlapping. Kernels 1 to 5 wide with padding, strides,
/// dilations, groups, planes 1 to 13 rows tall, channel counts on and off the 8-channel
/// blocks, every fused activation (as test_fast_vs_ref.c's `rows2_case`).
#[test]
fn conv2d_fast_half_tile_rows_equal_c_and_the_reference() {
    let mut rng = Rng::new(43);
    for case in 0..240 {
        let group = if case % 4 == 3 { 2 } else { 1 };
        let c_out = if case % 5 == 4 {
            rng.int(1, 20)
        } else {
            8 * rng.int(1, 3)
        };
        let (out_w, out_h) = (if case % 2 == 1 { 8 } else { 4 }, rng.int(1, 13));
        let mut p = conv_to(out_h, out_w, rng.int(1, 5), rng.int(1, 5), 1, 1);
        (p.c_in, p.c_out, p.group) = (group * rng.int(1, 8), group * c_out, group);
        p.n = 1 + (case % 6 == 5) as i32;
        (p.stride_h, p.stride_w) = (rng.int(1, 2), rng.int(1, 2));
        p.dil_h = if case % 3 == 2 { 2 } else { 1 };
        p.dil_w = if case % 6 == 5 { 2 } else { 1 };
        let no_pad = case % 7 == 6;
        let mut pad = || if no_pad { 0 } else { rng.int(0, 2) };
        let (pad_t, pad_l, pad_b, pad_r) = (pad(), pad(), pad(), pad());
        (p.pad_top, p.pad_left) = (pad_t, pad_l);
        // the input the output needs, at least 1 (more implied padding where it is less)
        let span_h = (p.k_h - 1) * p.dil_h + 1;
        let span_w = (p.k_w - 1) * p.dil_w + 1;
        p.in_h = ((out_h - 1) * p.stride_h + span_h - pad_t - pad_b).max(1);
        p.in_w = ((out_w - 1) * p.stride_w + span_w - pad_l - pad_r).max(1);
        fast_case(&mut rng, "rows2", case, p);
    }
}

/// Planes of 16 to 200 positions with no dropped columns (1x1 and kx1 kernels, strided and
/// padded along the height or not): tiles across the whole plane, stored directly, in
/// pairs on AVX-512 with one pair overlapping the pair before where more than one tile
/// is left; partial channel blocks go through the wide rows' store (pairs there too).
/// Every fused activation.
#[test]
fn conv2d_fast_flat_planes_equal_c_and_the_reference() {
    let mut rng = Rng::new(44);
    for case in 0..210 {
        let out_w = rng.int(1, 40);
        let min_h = (16 + out_w - 1) / out_w; // at least 16 positions
        let out_h = rng.int(min_h, (200 / out_w).max(min_h));
        let k_h = if case % 3 == 2 { rng.int(2, 3) } else { 1 };
        let c_out = if case % 4 == 3 {
            rng.int(1, 20)
        } else {
            8 * rng.int(1, 4)
        };
        let mut p = conv_to(out_h, out_w, k_h, 1, rng.int(1, 12), c_out);
        p.n = 1 + (case % 5 == 4) as i32;
        if case % 6 == 5 {
            // stride and padding along the height: the padded copy, no column dropped
            p.stride_h = 2;
            p.pad_top = rng.int(0, k_h - 1);
            p.in_h = ((out_h - 1) * 2 + k_h - p.pad_top).max(1);
        }
        fast_case(&mut rng, "flat plane", case, p);
    }
}

#[test]
fn conv2d_fast_pack_equals_c() {
    let mut rng = Rng::new(13);
    for _ in 0..200 {
        let p = random_conv(&mut rng, false);
        let w = rng.floats((p.c_out * (p.c_in / p.group) * p.k_h * p.k_w) as usize);
        let size = conv2d_fast_f32_packed_size(&p) as usize;
        let (mut rust, mut c) = (vec![f32::NAN; size], vec![f32::NAN; size]);
        conv2d_fast_f32_pack(&p, &w, &mut rust);
        // SAFETY: c holds packed_size floats, w the weights p implies.
        unsafe { mn_conv2d_fast_f32_pack(&p, w.as_ptr(), c.as_mut_ptr()) };
        assert_eq!(
            rust.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            c.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{p:?}"
        );
    }
}

#[test]
fn conv2d_dw_equals_c_and_the_reference() {
    let mut rng = Rng::new(14);
    for case in 0..500 {
        let p = random_conv(&mut rng, true);
        // SAFETY: p is a valid parameter block.
        let c_size = unsafe { mn_conv2d_dw_f32_scratch_size(&p) };
        assert_eq!(conv2d_dw_f32_scratch_size(&p), c_size, "scratch size {p:?}");
        let d = ConvData::new(&mut rng, &p);
        equals_c_and_the_reference(&format!("conv2d_dw case {case} {p:?}"), &p, &d, DW);
    }
}

/// Stride-1 depthwise convolutions with out_w == in_w on planes of 32 positions or more
/// (DS-CNN's 25 x 5, MobileNet's 12 x 12 and 6 x 6, dilated, 5 x 5, one-sided padding): both
/// kernels run them on their flat paths on vector units (`mn_dw_flat_*`, each plane as one
/// row); checked against each other and the reference.
#[test]
fn conv2d_dw_flat_planes_equal_c_and_the_reference() {
    // (in_h, in_w, k, dil, pad_top, pad_left, pad_bottom)
    let shapes = [
        (25, 5, 3, 1, 1, 1, 1),
        (12, 12, 3, 1, 1, 1, 1),
        (9, 8, 5, 1, 2, 2, 2),
        (16, 10, 3, 2, 2, 2, 2),
        (20, 7, 3, 1, 2, 1, 0),
        (8, 9, 3, 1, 0, 1, 2),
        (40, 33, 3, 1, 1, 1, 1),
        (6, 6, 3, 1, 1, 1, 1), // 36 positions: MobileNet's 6 x 6, the smallest flat plane
    ];
    let mut rng = Rng::new(41);
    for (case, &(in_h, in_w, k, dil, pad_top, pad_left, pad_bottom)) in shapes.iter().enumerate() {
        let c = rng.int(1, 20);
        let p = ConvParams {
            n: rng.int(1, 2),
            c_in: c,
            in_h,
            in_w,
            c_out: c,
            out_h: in_h + pad_top + pad_bottom - (k - 1) * dil,
            out_w: in_w, // pad_left + pad_right == (k - 1) * dil
            k_h: k,
            k_w: k,
            stride_h: 1,
            stride_w: 1,
            dil_h: dil,
            dil_w: dil,
            pad_top,
            pad_left,
            group: c,
            act: random_act(&mut rng),
        };
        let d = ConvData::new(&mut rng, &p);
        equals_c_and_the_reference(&format!("flat conv2d_dw case {case} {p:?}"), &p, &d, DW);
    }
}

fn random_conv_nd(rng: &mut Rng) -> ConvNdParams {
    let mut p = ConvNdParams {
        n: rng.int(1, 2),
        c_in: 0,
        c_out: 0,
        group: [1, 1, 2, 3][rng.int(0, 3) as usize],
        nd: rng.int(1, 3),
        r#in: [0; MAX_DIMS],
        out: [0; MAX_DIMS],
        k: [0; MAX_DIMS],
        strides: [0; MAX_DIMS],
        dilations: [0; MAX_DIMS],
        pads: [0; MAX_DIMS],
        act: random_act(rng),
    };
    p.c_in = p.group * rng.int(1, 3);
    p.c_out = p.group * rng.int(1, 3);
    let no_pad = rng.int(0, 2) == 0;
    for d in 0..p.nd as usize {
        let (i, k, s, dil, pad, o) = loop {
            if let Some(axis) = random_axis(rng, 7, no_pad) {
                break axis;
            }
        };
        (
            p.r#in[d],
            p.k[d],
            p.strides[d],
            p.dilations[d],
            p.pads[d],
            p.out[d],
        ) = (i, k, s, dil, pad, o);
    }
    p
}

fn nd_size(dims: &[i32; MAX_DIMS], nd: i32) -> i32 {
    dims[..nd as usize].iter().product()
}

fn check_conv_nd(p: &ConvNdParams, rng: &mut Rng, what: &str) {
    let taps = nd_size(&p.k, p.nd);
    let x = rng.floats((p.n * p.c_in * nd_size(&p.r#in, p.nd)) as usize);
    let w = rng.floats((p.c_out * (p.c_in / p.group) * taps) as usize);
    let b = (rng.int(0, 2) != 0).then(|| rng.floats(p.c_out as usize));
    let y_len = (p.n * p.c_out * nd_size(&p.out, p.nd)) as usize;
    let (mut rust, mut c) = (vec![f32::NAN; y_len], vec![f32::NAN; y_len]);
    conv_nd_f32(p, &x, &w, b.as_deref(), &mut rust);
    // SAFETY: the buffers hold the sizes p implies.
    unsafe {
        mn_conv_nd_f32(
            p,
            x.as_ptr(),
            w.as_ptr(),
            ptr_or_null(b.as_deref()),
            c.as_mut_ptr(),
        )
    };
    assert_close(what, &rust, &c, SAME_ORDER);
}

#[test]
fn conv_nd_equals_c() {
    let mut rng = Rng::new(15);
    for case in 0..400 {
        let p = random_conv_nd(&mut rng);
        check_conv_nd(&p, &mut rng, &format!("conv_nd case {case} {p:?}"));
    }
}

#[test]
fn conv_nd_window_of_more_than_512_taps_equals_c() {
    let mut rng = Rng::new(16);
    let mut p = random_conv_nd(&mut rng);
    p.nd = 3;
    p.r#in[..3].copy_from_slice(&[9, 9, 8]);
    p.k[..3].copy_from_slice(&[9, 8, 8]); // 576 taps
    p.strides[..3].copy_from_slice(&[1, 1, 1]);
    p.dilations[..3].copy_from_slice(&[1, 1, 1]);
    p.pads[..3].copy_from_slice(&[1, 0, 2]);
    p.out[..3].copy_from_slice(&[2, 2, 3]);
    check_conv_nd(&p, &mut rng, "conv_nd 576 taps");
}

#[test]
fn conv_nd_of_two_axes_equals_conv2d() {
    let mut rng = Rng::new(17);
    for case in 0..200 {
        let p = random_conv(&mut rng, false);
        let mut q = random_conv_nd(&mut rng);
        (q.n, q.c_in, q.c_out, q.group, q.nd, q.act) = (p.n, p.c_in, p.c_out, p.group, 2, p.act);
        q.r#in[..2].copy_from_slice(&[p.in_h, p.in_w]);
        q.out[..2].copy_from_slice(&[p.out_h, p.out_w]);
        q.k[..2].copy_from_slice(&[p.k_h, p.k_w]);
        q.strides[..2].copy_from_slice(&[p.stride_h, p.stride_w]);
        q.dilations[..2].copy_from_slice(&[p.dil_h, p.dil_w]);
        q.pads[..2].copy_from_slice(&[p.pad_top, p.pad_left]);
        let d = ConvData::new(&mut rng, &p);
        let mut nd = d.y();
        conv_nd_f32(&q, &d.x, &d.w, d.b(), &mut nd);
        assert_close(
            &format!("conv_nd as 2-D case {case}"),
            &nd,
            &rust_conv2d(&p, &d),
            OTHER_ORDER,
        );
    }
}

/// x = 1..9 as 3x3, w = [[1, 2], [3, 4]], bias 0.5, pad 1 (top, left), stride 2, 2x2
/// output. By hand: (0,0) sees only x(0,0) under w(1,1): 1 * 4 = 4; (0,1): x(0,1) w(1,0)
/// plus x(0,2) w(1,1) = 2 * 3 + 3 * 4 = 18; (1,0): x(1,0) w(0,1) plus x(2,0) w(1,1) =
/// 4 * 2 + 7 * 4 = 36; (1,1): 5 * 1 + 6 * 2 + 8 * 3 + 9 * 4 = 77; plus the bias.
#[test]
fn every_convolution_computes_a_hand_calculated_case() {
    let expect = [4.5f32, 18.5, 36.5, 77.5];
    let p = ConvParams {
        n: 1,
        c_in: 1,
        in_h: 3,
        in_w: 3,
        c_out: 1,
        out_h: 2,
        out_w: 2,
        k_h: 2,
        k_w: 2,
        stride_h: 2,
        stride_w: 2,
        dil_h: 1,
        dil_w: 1,
        pad_top: 1,
        pad_left: 1,
        group: 1,
        act: Act {
            kind: ACT_NONE,
            alpha: 0.0,
            lo: 0.0,
            hi: 0.0,
        },
    };
    let d = ConvData {
        x: (1..=9).map(|v| v as f32).collect(),
        w: vec![1.0, 2.0, 3.0, 4.0],
        b: Some(vec![0.5]),
        y_len: 4,
    };
    assert_eq!(rust_conv2d(&p, &d), expect);
    assert_eq!(c_conv2d(&p, &d), expect);
    assert_eq!(rust_conv2d_fast(&p, &d), expect);
    assert_eq!(rust_conv2d_dw(&p, &d), expect);
    let mut q = random_conv_nd(&mut Rng::new(1));
    (q.n, q.c_in, q.c_out, q.group, q.nd, q.act) = (1, 1, 1, 1, 2, p.act);
    q.r#in[..2].copy_from_slice(&[3, 3]);
    q.out[..2].copy_from_slice(&[2, 2]);
    q.k[..2].copy_from_slice(&[2, 2]);
    q.strides[..2].copy_from_slice(&[2, 2]);
    q.dilations[..2].copy_from_slice(&[1, 1]);
    q.pads[..2].copy_from_slice(&[1, 1]);
    let mut y = vec![f32::NAN; 4];
    conv_nd_f32(&q, &d.x, &d.w, d.b(), &mut y);
    assert_eq!(y, expect);
}
