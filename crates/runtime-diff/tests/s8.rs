//! The int8 kernels (`meshnn_runtime::kernels_s8`) against their C twins
//! (`runtime-c/src/mn_*_s8.c`) on seeded random cases: bit for bit (integer code has no
//! reason to differ; softmax only up to libm's `expf` against the C library's), plus the
//! multiplier of random scales and a hand-calculated convolution.
use meshnn_runtime::kernels::MAX_DIMS;
use meshnn_runtime::kernels_s8::*;
use meshnn_runtime_diff::{assert_close, Rng};

extern "C" {
    fn mn_requant_from_scale(scale: f64, rq: *mut Requant) -> i32;
    fn mn_requant_apply(rq: *const Requant, acc: i32, count: i32) -> i32;
    fn mn_requant_pack(rq: *const Requant, word: *mut RequantWord) -> i32;
    fn mn_conv2d_s8(
        p: *const ConvS8Params,
        x: *const i8,
        w: *const i8,
        b: *const i32,
        rq: *const RequantWord,
        y: *mut i8,
    );
    fn mn_conv2d_fast_s8(
        p: *const ConvS8Params,
        x: *const i8,
        w: *const i8,
        b: *const i32,
        rq: *const RequantWord,
        scratch: *mut i8,
        y: *mut i8,
    );
    fn mn_conv2d_fast_s8_scratch_size(p: *const ConvS8Params) -> i32;
    fn mn_conv2d_dw_s8(
        p: *const ConvS8Params,
        x: *const i8,
        w: *const i8,
        b: *const i32,
        rq: *const RequantWord,
        scratch: *mut i8,
        y: *mut i8,
    );
    fn mn_conv2d_dw_s8_scratch_size(p: *const ConvS8Params) -> i32;
    fn mn_conv2d_fast_s8_pack(p: *const ConvS8Params, w: *const i8, packed: *mut i8);
    fn mn_conv2d_fast_s8_packed_size(p: *const ConvS8Params) -> i32;
    fn mn_gemm_s8(
        p: *const GemmS8Params,
        a: *const i8,
        b: *const i8,
        bias: *const i32,
        rq: *const RequantWord,
        y: *mut i8,
    );
    fn mn_gemm_fast_s8(
        p: *const GemmS8Params,
        a: *const i8,
        b: *const i8,
        bias: *const i32,
        rq: *const RequantWord,
        y: *mut i8,
    );
    fn mn_gemm_fast_s8_fold_bias(
        p: *const GemmS8Params,
        b: *const i8,
        bias: *const i32,
        folded: *mut i32,
    );
    fn mn_binary_s8(p: *const BinaryS8Params, a: *const i8, b: *const i8, y: *mut i8);
    fn mn_concat_s8(p: *const ConcatS8Params, x: *const i8, y: *mut i8);
    fn mn_pool2d_s8(p: *const PoolS8Params, x: *const i8, y: *mut i8);
    fn mn_pool2d_fast_s8(p: *const PoolS8Params, x: *const i8, y: *mut i8);
    fn mn_global_pool_s8(p: *const GlobalPoolS8Params, x: *const i8, y: *mut i8);
    fn mn_quantize_s8(p: *const QuantizeS8Params, x: *const f32, y: *mut i8);
    fn mn_quantize_axis_s8(
        p: *const QuantizeAxisS8Params,
        scale: *const f32,
        zp: *const i32,
        x: *const f32,
        y: *mut i8,
    );
    fn mn_dequantize_s8(p: *const DequantizeS8Params, x: *const i8, y: *mut f32);
    fn mn_softmax_s8(p: *const SoftmaxS8Params, x: *const i8, y: *mut f32);
}

fn bytes(rng: &mut Rng, n: usize) -> Vec<i8> {
    (0..n).map(|_| rng.int(-128, 127) as i8).collect()
}

/// A scale spread over many binades: 2^[-24, 4) times [1, 2).
fn scale(rng: &mut Rng) -> f64 {
    (1.0 + (rng.float() as f64 + 1.0) / 2.0) * 2f64.powi(rng.int(-24, 3))
}

fn rq(rng: &mut Rng) -> Requant {
    requant_from_scale(scale(rng)).unwrap()
}

/// A per-channel table word of a random scale (its multiplier of double precision,
/// rounded by the packing).
fn rqw(rng: &mut Rng) -> RequantWord {
    requant_pack(&rq(rng)).unwrap()
}

/// y zero point and a clamp range, now and then narrowed (a fused ReLU / Clip).
fn out_range(rng: &mut Rng) -> (i32, i32, i32) {
    let zp = rng.int(-128, 127);
    match rng.int(0, 2) {
        0 => (zp, -128, 127),
        1 => (zp, zp, 127),
        _ => (zp, rng.int(-128, 0), rng.int(1, 127)),
    }
}

fn c_opt(b: &Option<Vec<i32>>) -> *const i32 {
    b.as_ref().map_or(core::ptr::null(), |b| b.as_ptr())
}

#[test]
fn requant_from_scale_and_apply_equal_c() {
    let mut rng = Rng::new(81);
    let specials = [
        0.0,
        1.0,
        0.5,
        0.1,
        1e-12,
        2f64.powi(-32),
        32767.9,
        32768.0,
        -1.0,
        f64::NAN,
    ];
    for i in 0..2000 {
        let s = if i < specials.len() {
            specials[i]
        } else {
            scale(&mut rng)
        };
        let mut c = Requant { mult: 7, shift: 7 };
        // SAFETY: c is a valid, writable mn_requant_t.
        let rc = unsafe { mn_requant_from_scale(s, &mut c) };
        let r = requant_from_scale(s);
        assert_eq!(r.is_some(), rc == 0, "scale {s}");
        let Some(r) = r else { continue };
        assert_eq!(r, c, "scale {s}");
        if r.mult != 0 {
            let real = r.mult as f64 * 2f64.powi(r.shift - 31);
            assert!(
                (real - s).abs() <= s * 2f64.powi(-30),
                "scale {s} -> {real}"
            );
        }
        for _ in 0..20 {
            let acc = match rng.int(0, 3) {
                0 => rng.int(-300, 300),
                1 => rng.next_u64() as i32,
                _ => rng.int(-1 << 20, 1 << 20),
            };
            let count = if rng.int(0, 1) == 0 {
                1
            } else {
                rng.int(1, 400)
            };
            // SAFETY: r is a valid mn_requant_t.
            let want = unsafe { mn_requant_apply(&r, acc, count) };
            assert_eq!(requant_apply(&r, acc, count), want, "{acc} * {s} / {count}");
        }
    }
}

/// The parameters of a random convolution: channels (c_in, c_out, group), per axis
/// [input, kernel, stride, dilation, pad at the start, pad at the end] (`h`, `w`), zero
/// points and clamp drawn here (w_zp 0, or a random one in a quarter of the cases when
/// `any_w_zp`). None when the window does not fit.
fn conv_s8_params(
    rng: &mut Rng,
    (c_in, c_out, group): (i32, i32, i32),
    h: [i32; 6],
    w: [i32; 6],
    any_w_zp: bool,
) -> Option<ConvS8Params> {
    let out = |a: [i32; 6]| (a[0] + a[4] + a[5] - a[3] * (a[1] - 1) - 1).div_euclid(a[2]) + 1;
    let (out_h, out_w) = (out(h), out(w));
    if out_h < 1 || out_w < 1 {
        return None;
    }
    let (y_zp, y_lo, y_hi) = out_range(rng);
    Some(ConvS8Params {
        n: rng.int(1, 2),
        c_in,
        in_h: h[0],
        in_w: w[0],
        c_out,
        out_h,
        out_w,
        k_h: h[1],
        k_w: w[1],
        stride_h: h[2],
        stride_w: w[2],
        dil_h: h[3],
        dil_w: w[3],
        pad_top: h[4],
        pad_left: w[4],
        group,
        x_zp: rng.int(-128, 127),
        w_zp: if any_w_zp && rng.int(0, 3) == 0 {
            rng.int(-128, 127)
        } else {
            0
        },
        y_zp,
        y_lo,
        y_hi,
        per_channel: rng.int(0, 3).min(1),
    })
}

/// `requant_pack` / `requant_unpack` against `mn_requant_pack` (and its word taken apart
/// by hand): every multiplier bit pattern class (low six bits below, at and above one
/// half, the carry to 2^31), every shift, the zero multiplier and the refused shifts.
#[test]
fn requant_pack_equals_c() {
    let mut rng = Rng::new(82);
    for case in 0..20000 {
        let mult = match case % 5 {
            0 => 0x7FFF_FFE0 + rng.int(0, 31),
            1 => (rng.int(1 << 24, (1 << 25) - 1) << 6) | 32,
            2 => 0,
            _ => rng.int(1 << 30, i32::MAX),
        };
        let r = Requant {
            mult,
            shift: if mult == 0 {
                0
            } else {
                rng.int(REQUANT_MIN_SHIFT, REQUANT_MAX_SHIFT)
            },
        };
        let mut c: RequantWord = 0x55;
        // SAFETY: r and c are a valid mn_requant_t and a writable word.
        let rc = unsafe { mn_requant_pack(&r, &mut c) };
        let w = requant_pack(&r);
        assert_eq!(w.is_some(), rc == 0, "{r:?}");
        let Some(w) = w else {
            assert_eq!(c, 0x55, "refused: the word untouched");
            continue;
        };
        assert_eq!(w, c, "{r:?}");
        let u = requant_unpack(w);
        let want = (i64::from(mult) + 32) & !63;
        let (m, sh) = if want == 1 << 31 {
            (1 << 30, r.shift + 1)
        } else {
            (want as i32, r.shift)
        };
        assert_eq!(u, Requant { mult: m, shift: sh }, "{r:?}");
    }
}

#[test]
fn conv2d_s8_equals_c() {
    let mut rng = Rng::new(82);
    for case in 0..300 {
        let group = [1, 1, 2, 3][rng.int(0, 3) as usize];
        let depthwise = case % 5 == 0;
        let (c_in, c_out, group) = if depthwise {
            let c = rng.int(1, 6);
            (c, c, c)
        } else {
            (group * rng.int(1, 3), group * rng.int(1, 3), group)
        };
        let one_d = case % 4 == 1;
        let (k_h, in_h) = if one_d {
            (1, 1)
        } else {
            (rng.int(1, 3), rng.int(1, 7))
        };
        let (k_w, in_w) = (rng.int(1, 4), rng.int(1, 9));
        let (stride_h, stride_w) = if one_d {
            (1, rng.int(1, 3))
        } else {
            (rng.int(1, 2), rng.int(1, 3))
        };
        let (dil_h, dil_w) = if one_d {
            (1, rng.int(1, 2))
        } else {
            (rng.int(1, 2), rng.int(1, 2))
        };
        let pad_top = if one_d { 0 } else { rng.int(0, 2) };
        let pad_left = rng.int(0, 2);
        let pad_bottom = rng.int(0, 2) * (!one_d) as i32;
        let h = [in_h, k_h, stride_h, dil_h, pad_top, pad_bottom];
        let w = [in_w, k_w, stride_w, dil_w, pad_left, rng.int(0, 2)];
        let Some(p) = conv_s8_params(&mut rng, (c_in, c_out, group), h, w, true) else {
            continue;
        };
        let (out_h, out_w) = (p.out_h, p.out_w);
        let x = bytes(&mut rng, (p.n * c_in * in_h * in_w) as usize);
        let w = bytes(&mut rng, (c_out * (c_in / group) * k_h * k_w) as usize);
        let b = (rng.int(0, 3) > 0).then(|| (0..c_out).map(|_| rng.int(-20000, 20000)).collect());
        let rqs: Vec<RequantWord> = (0..c_out).map(|_| rqw(&mut rng)).collect();
        let n_y = (p.n * c_out * out_h * out_w) as usize;
        let (mut c, mut r) = (vec![0i8; n_y], vec![1i8; n_y]);
        // SAFETY: every buffer holds what p says; b is NULL or c_out long.
        unsafe {
            mn_conv2d_s8(
                &p,
                x.as_ptr(),
                w.as_ptr(),
                c_opt(&b),
                rqs.as_ptr(),
                c.as_mut_ptr(),
            )
        };
        conv2d_s8(&p, &x, &w, b.as_deref(), &rqs, &mut r);
        assert_eq!(r, c, "conv case {case}: {p:?}");
        if p.w_zp == 0 {
            fast_conv_equals(&p, &x, &w, &b, &rqs, &c, case);
        }
        if p.w_zp == 0 && depthwise {
            dw_conv_equals(&p, &x, &w, &b, &rqs, &c, case);
        }
    }
}

/// The depthwise convolution on random depthwise cases, 3 x 3 windows (its register path:
/// stride_w 1 or 2, dil_w 1) half of the time: C and Rust give the reference's bytes.
#[test]
fn conv2d_dw_s8_equals_c_and_the_reference() {
    let mut rng = Rng::new(83);
    let mut three_by_three = 0;
    for case in 0..400 {
        let three = case % 2 == 0;
        let c = rng.int(1, 5);
        let in_h = if case % 7 == 3 { 1 } else { rng.int(1, 10) };
        let (k_h, k_w) = if three {
            (3, 3)
        } else {
            (rng.int(1, in_h.min(5)), rng.int(1, 5))
        };
        let stride_w = if three { rng.int(1, 2) } else { rng.int(1, 3) };
        let (dil_h, dil_w) = (rng.int(1, 2), if three { 1 } else { rng.int(1, 2) });
        let (pad_top, pad_left) = (rng.int(0, 2), rng.int(0, 2));
        let in_w = rng.int(1, 12);
        let stride_h = rng.int(1, 3);
        let h = [in_h, k_h, stride_h, dil_h, pad_top, rng.int(0, 4)];
        let w = [in_w, k_w, stride_w, dil_w, pad_left, rng.int(0, 4)];
        let Some(p) = conv_s8_params(&mut rng, (c, c, c), h, w, false) else {
            continue;
        };
        let (out_h, out_w) = (p.out_h, p.out_w);
        three_by_three += three as i32;
        let x = bytes(&mut rng, (p.n * c * in_h * in_w) as usize);
        let w = bytes(&mut rng, (c * k_h * k_w) as usize);
        let b = (rng.int(0, 3) > 0).then(|| (0..c).map(|_| rng.int(-20000, 20000)).collect());
        let rqs: Vec<RequantWord> = (0..c).map(|_| rqw(&mut rng)).collect();
        let mut reference = vec![0i8; (p.n * c * out_h * out_w) as usize];
        conv2d_s8(&p, &x, &w, b.as_deref(), &rqs, &mut reference);
        dw_conv_equals(&p, &x, &w, &b, &rqs, &reference, case);
    }
    assert!(
        three_by_three >= 150,
        "only {three_by_three} 3 x 3 cases ran"
    );
}

/// An int8 convolution kernel that takes a scratch buffer, in C and in Rust, with the
/// functions that size that buffer.
struct ScratchConv {
    name: &'static str,
    c: CScratchConv,
    c_size: unsafe extern "C" fn(*const ConvS8Params) -> i32,
    rust: RustScratchConv,
    rust_size: fn(&ConvS8Params) -> i32,
}

/// `mn_conv2d_fast_s8` / `mn_conv2d_dw_s8`: (p, x, w, b, rq, scratch, y).
type CScratchConv = unsafe extern "C" fn(
    *const ConvS8Params,
    *const i8,
    *const i8,
    *const i32,
    *const RequantWord,
    *mut i8,
    *mut i8,
);

/// Their Rust twins.
type RustScratchConv =
    fn(&ConvS8Params, &[i8], &[i8], Option<&[i32]>, &[RequantWord], &mut [i8], &mut [i8]);

/// Kernel `k`, C on weights `wc` and Rust on weights `wr` (packed or not, as `k` takes
/// them), gives the reference's bytes; both ask for the same scratch.
#[allow(clippy::too_many_arguments)]
fn scratch_conv_equals(
    k: &ScratchConv,
    p: &ConvS8Params,
    x: &[i8],
    (wc, wr): (&[i8], &[i8]),
    b: &Option<Vec<i32>>,
    rqs: &[RequantWord],
    reference: &[i8],
    case: i32,
) {
    // SAFETY: p is valid for the size function.
    let size = unsafe { (k.c_size)(p) };
    assert_eq!(
        size,
        (k.rust_size)(p),
        "{} scratch case {case}: {p:?}",
        k.name
    );
    let mut scratch = vec![0i32; (size as usize).div_ceil(4)]; // 4-byte aligned
    let (mut c, mut r) = (vec![0i8; reference.len()], vec![1i8; reference.len()]);
    // SAFETY: every buffer holds what p says; scratch holds `size` aligned bytes.
    unsafe {
        (k.c)(
            p,
            x.as_ptr(),
            wc.as_ptr(),
            c_opt(b),
            rqs.as_ptr(),
            scratch.as_mut_ptr().cast(),
            c.as_mut_ptr(),
        )
    };
    let mut bytes = vec![0i8; size as usize];
    (k.rust)(p, x, wr, b.as_deref(), rqs, &mut bytes, &mut r);
    assert_eq!(c, reference, "C {} case {case}: {p:?}", k.name);
    assert_eq!(r, reference, "Rust {} case {case}: {p:?}", k.name);
}

/// The depthwise convolution, C and Rust, gives the reference's bytes.
fn dw_conv_equals(
    p: &ConvS8Params,
    x: &[i8],
    w: &[i8],
    b: &Option<Vec<i32>>,
    rqs: &[RequantWord],
    reference: &[i8],
    case: i32,
) {
    let k = ScratchConv {
        name: "dw conv",
        c: mn_conv2d_dw_s8,
        c_size: mn_conv2d_dw_s8_scratch_size,
        rust: conv2d_dw_s8,
        rust_size: conv2d_dw_s8_scratch_size,
    };
    scratch_conv_equals(&k, p, x, (w, w), b, rqs, reference, case);
}

/// The fast convolution, C and Rust, on packed weights gives the reference's bytes.
fn fast_conv_equals(
    p: &ConvS8Params,
    x: &[i8],
    w: &[i8],
    b: &Option<Vec<i32>>,
    rqs: &[RequantWord],
    reference: &[i8],
    case: i32,
) {
    // SAFETY: p is valid for mn_conv2d_fast_s8_packed_size.
    let packed = unsafe { mn_conv2d_fast_s8_packed_size(p) };
    assert_eq!(packed, conv2d_fast_s8_packed_size(p));
    let packed = packed as usize;
    let (mut pc, mut pr) = (vec![0i8; packed], vec![0i8; packed]);
    // SAFETY: w holds c_out * taps bytes, pc the packed size.
    unsafe { mn_conv2d_fast_s8_pack(p, w.as_ptr(), pc.as_mut_ptr()) };
    conv2d_fast_s8_pack(p, w, &mut pr);
    assert_eq!(pr, pc, "pack case {case}");
    let k = ScratchConv {
        name: "fast conv",
        c: mn_conv2d_fast_s8,
        c_size: mn_conv2d_fast_s8_scratch_size,
        rust: conv2d_fast_s8,
        rust_size: conv2d_fast_s8_scratch_size,
    };
    scratch_conv_equals(&k, p, x, (&pc, &pr), b, rqs, reference, case);
}

#[test]
fn conv2d_s8_by_hand() {
    // One 1x3 input (x_zp 1) and a 1x2 kernel with padding 1 on the left: outputs
    // (pad, 3) (3, 5) (5, pad) = [0*2 + 2*-1, 2*2 + 4*-1, 4*2 + 0] = [-2, 0, 8], plus bias
    // 4 = [2, 4, 12], times 0.75 = [1.5, 3, 9] -> [2, 3, 9], plus y_zp -3 = [-1, 0, 6].
    let p = ConvS8Params {
        n: 1,
        c_in: 1,
        in_h: 1,
        in_w: 3,
        c_out: 1,
        out_h: 1,
        out_w: 3,
        k_h: 1,
        k_w: 2,
        stride_h: 1,
        stride_w: 1,
        dil_h: 1,
        dil_w: 1,
        pad_top: 0,
        pad_left: 1,
        group: 1,
        x_zp: 1,
        w_zp: 0,
        y_zp: -3,
        y_lo: -128,
        y_hi: 127,
        per_channel: 0,
    };
    let rq = [requant_pack(&requant_from_scale(0.75).unwrap()).unwrap()];
    let mut y = [0i8; 3];
    conv2d_s8(&p, &[3, 5, 1], &[2, -1], Some(&[4]), &rq, &mut y);
    assert_eq!(y, [-1, 0, 6]);
}

#[test]
fn gemm_s8_equals_c() {
    let mut rng = Rng::new(83);
    for case in 0..300 {
        let (m, n, k) = (rng.int(1, 5), rng.int(1, 9), rng.int(1, 70));
        let (y_zp, y_lo, y_hi) = out_range(&mut rng);
        let p = GemmS8Params {
            m,
            n,
            k,
            trans_b: rng.int(0, 1),
            a_zp: rng.int(-128, 127),
            b_zp: if rng.int(0, 2) == 0 {
                rng.int(-128, 127)
            } else {
                0
            },
            y_zp,
            y_lo,
            y_hi,
            per_channel: rng.int(0, 1),
        };
        let a = bytes(&mut rng, (m * k) as usize);
        let b = bytes(&mut rng, (k * n) as usize);
        let bias = (rng.int(0, 1) == 1).then(|| (0..n).map(|_| rng.int(-50000, 50000)).collect());
        let rqs: Vec<RequantWord> = (0..n).map(|_| rqw(&mut rng)).collect();
        let (mut c, mut r) = (vec![0i8; (m * n) as usize], vec![1i8; (m * n) as usize]);
        // SAFETY: every buffer holds what p says; bias is NULL or n long.
        unsafe {
            mn_gemm_s8(
                &p,
                a.as_ptr(),
                b.as_ptr(),
                c_opt(&bias),
                rqs.as_ptr(),
                c.as_mut_ptr(),
            )
        };
        gemm_s8(&p, &a, &b, bias.as_deref(), &rqs, &mut r);
        assert_eq!(r, c, "gemm case {case}: {p:?}");
    }
}

#[test]
fn gemm_fast_s8_equals_c_and_the_reference() {
    let mut rng = Rng::new(90);
    for case in 0..300 {
        let (m, n, k) = (rng.int(1, 5), rng.int(1, 9), rng.int(1, 70));
        let (y_zp, y_lo, y_hi) = out_range(&mut rng);
        let p = GemmS8Params {
            m,
            n,
            k,
            trans_b: 1,
            a_zp: rng.int(-128, 127),
            b_zp: 0,
            y_zp,
            y_lo,
            y_hi,
            per_channel: rng.int(0, 1),
        };
        let a = bytes(&mut rng, (m * k) as usize);
        let b = bytes(&mut rng, (k * n) as usize);
        let bias: Option<Vec<i32>> =
            (rng.int(0, 1) == 1).then(|| (0..n).map(|_| rng.int(-50000, 50000)).collect());
        let rqs: Vec<RequantWord> = (0..n).map(|_| rqw(&mut rng)).collect();
        let (mut fc, mut fr) = (vec![0i32; n as usize], vec![1i32; n as usize]);
        // SAFETY: b holds n * k values, bias NULL or n, folded n.
        unsafe { mn_gemm_fast_s8_fold_bias(&p, b.as_ptr(), c_opt(&bias), fc.as_mut_ptr()) };
        gemm_fast_s8_fold_bias(&p, &b, bias.as_deref(), &mut fr);
        assert_eq!(fr, fc, "fold case {case}");
        let ny = (m * n) as usize;
        let (mut c, mut r, mut reference) = (vec![0i8; ny], vec![1i8; ny], vec![2i8; ny]);
        // SAFETY: every buffer holds what p says.
        unsafe {
            mn_gemm_fast_s8(
                &p,
                a.as_ptr(),
                b.as_ptr(),
                fc.as_ptr(),
                rqs.as_ptr(),
                c.as_mut_ptr(),
            )
        };
        gemm_fast_s8(&p, &a, &b, &fr, &rqs, &mut r);
        gemm_s8(&p, &a, &b, bias.as_deref(), &rqs, &mut reference);
        assert_eq!(r, c, "gemm fast case {case}: {p:?}");
        assert_eq!(r, reference, "gemm fast against the reference, case {case}");
    }
}

/// Dense strides of `dims`, with the axes where `keep` is false broadcast (stride 0).
fn bcast_strides(dims: &[i32], keep: &[bool]) -> ([i32; MAX_DIMS], usize) {
    let mut s = [0; MAX_DIMS];
    let mut acc = 1;
    for d in (0..dims.len()).rev() {
        if keep[d] {
            s[d] = acc;
            acc *= dims[d];
        }
    }
    (s, acc as usize)
}

#[test]
fn binary_s8_equals_c() {
    let mut rng = Rng::new(84);
    for case in 0..400 {
        let rank = rng.int(0, 4) as usize;
        let dims: Vec<i32> = (0..rank).map(|_| rng.int(1, 4)).collect();
        let keep_a: Vec<bool> = (0..rank).map(|_| rng.int(0, 3) > 0).collect();
        let keep_b: Vec<bool> = (0..rank).map(|_| rng.int(0, 1) > 0).collect();
        let (a_strides, na) = bcast_strides(&dims, &keep_a);
        let (b_strides, nb) = bcast_strides(&dims, &keep_b);
        let mut d = [0; MAX_DIMS];
        d[..rank].copy_from_slice(&dims);
        let (y_zp, y_lo, y_hi) = out_range(&mut rng);
        // Scale pairs far apart now and then (the 22-bit alignment limit of Add).
        let b_rq = if case % 7 == 0 {
            requant_from_scale(2f64.powi(-rng.int(20, 31))).unwrap()
        } else {
            rq(&mut rng)
        };
        let p = BinaryS8Params {
            kind: rng.int(0, 1),
            rank: rank as i32,
            dims: d,
            a_strides,
            b_strides,
            a_zp: rng.int(-128, 127),
            b_zp: rng.int(-128, 127),
            y_zp,
            y_lo,
            y_hi,
            a_rq: rq(&mut rng),
            b_rq,
        };
        let (a, b) = (bytes(&mut rng, na), bytes(&mut rng, nb));
        let ny: usize = dims.iter().product::<i32>() as usize;
        let (mut c, mut r) = (vec![0i8; ny], vec![1i8; ny]);
        // SAFETY: a, b hold every offset the strides reach; y is dense.
        unsafe { mn_binary_s8(&p, a.as_ptr(), b.as_ptr(), c.as_mut_ptr()) };
        binary_s8(&p, &a, &b, &mut r);
        assert_eq!(r, c, "binary case {case}: {p:?}");
    }
}

#[test]
fn concat_s8_equals_c() {
    let mut rng = Rng::new(85);
    for case in 0..200 {
        let (outer, inner) = (rng.int(1, 4), rng.int(1, 20));
        let y_stride = inner + rng.int(0, 10);
        let (y_zp, y_lo, y_hi) = out_range(&mut rng);
        let p = ConcatS8Params {
            outer,
            inner,
            y_stride,
            y_offset: rng.int(0, y_stride - inner),
            x_zp: rng.int(-128, 127),
            y_zp,
            y_lo,
            y_hi,
            rq: if case % 5 == 0 {
                requant_from_scale(1.0).unwrap()
            } else {
                rq(&mut rng)
            },
        };
        let x = bytes(&mut rng, (outer * inner) as usize);
        let ny = (outer * y_stride) as usize;
        let (mut c, mut r) = (vec![9i8; ny], vec![9i8; ny]);
        // SAFETY: x holds outer * inner values, y outer * y_stride.
        unsafe { mn_concat_s8(&p, x.as_ptr(), c.as_mut_ptr()) };
        concat_s8(&p, &x, &mut r);
        assert_eq!(r, c, "concat case {case}: {p:?}");
    }
}

#[test]
fn pool2d_s8_equals_c() {
    let mut rng = Rng::new(86);
    for case in 0..300 {
        let (in_h, in_w, k_h, k_w) = (rng.int(1, 7), rng.int(1, 8), rng.int(1, 3), rng.int(1, 3));
        let (stride_h, stride_w, dil_h, dil_w) =
            (rng.int(1, 2), rng.int(1, 2), rng.int(1, 2), rng.int(1, 2));
        let (pad_top, pad_left) = (rng.int(0, k_h - 1), rng.int(0, k_w - 1));
        let (pad_bottom, pad_right) = (rng.int(0, k_h - 1), rng.int(0, k_w - 1));
        let out_h = (in_h + pad_top + pad_bottom - dil_h * (k_h - 1) - 1).div_euclid(stride_h) + 1;
        let out_w = (in_w + pad_left + pad_right - dil_w * (k_w - 1) - 1).div_euclid(stride_w) + 1;
        if out_h < 1 || out_w < 1 {
            continue;
        }
        let (y_zp, y_lo, y_hi) = out_range(&mut rng);
        let mut p = PoolS8Params {
            kind: rng.int(0, 1),
            channels: rng.int(1, 3),
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
            x_zp: rng.int(-128, 127),
            y_zp,
            y_lo,
            y_hi,
            rq: if case % 3 == 0 {
                requant_from_scale(1.0).unwrap()
            } else {
                rq(&mut rng)
            },
        };
        if case % 6 == 0 {
            // the identity requantisation the fast max pool skips
            (p.y_zp, p.y_lo, p.y_hi) = (p.x_zp, -128, 127);
        }
        let x = bytes(&mut rng, (p.channels * in_h * in_w) as usize);
        let ny = (p.channels * out_h * out_w) as usize;
        let (mut c, mut r) = (vec![0i8; ny], vec![1i8; ny]);
        // SAFETY: x and y hold the planes p describes.
        unsafe { mn_pool2d_s8(&p, x.as_ptr(), c.as_mut_ptr()) };
        pool2d_s8(&p, &x, &mut r);
        assert_eq!(r, c, "pool case {case}: {p:?}");
        if p.kind != 0 {
            continue; // MN_POOL_AVG: the fast pool is max pooling only
        }
        // The fast pool (C and Rust) equals the reference bit for bit.
        let (mut cf, mut rf) = (vec![2i8; ny], vec![3i8; ny]);
        // SAFETY: as above.
        unsafe { mn_pool2d_fast_s8(&p, x.as_ptr(), cf.as_mut_ptr()) };
        pool2d_fast_s8(&p, &x, &mut rf);
        assert_eq!(cf, c, "C fast pool case {case}: {p:?}");
        assert_eq!(rf, c, "Rust fast pool case {case}: {p:?}");
    }
}

#[test]
fn global_pool_s8_equals_c() {
    let mut rng = Rng::new(87);
    for case in 0..200 {
        let (y_zp, y_lo, y_hi) = out_range(&mut rng);
        let p = GlobalPoolS8Params {
            channels: rng.int(1, 6),
            size: rng.int(1, 300),
            x_zp: rng.int(-128, 127),
            y_zp,
            y_lo,
            y_hi,
            rq: rq(&mut rng),
        };
        let x = bytes(&mut rng, (p.channels * p.size) as usize);
        let (mut c, mut r) = (
            vec![0i8; p.channels as usize],
            vec![1i8; p.channels as usize],
        );
        // SAFETY: x holds channels * size values, y channels.
        unsafe { mn_global_pool_s8(&p, x.as_ptr(), c.as_mut_ptr()) };
        global_pool_s8(&p, &x, &mut r);
        assert_eq!(r, c, "global pool case {case}: {p:?}");
    }
}

#[test]
fn quantize_and_dequantize_s8_equal_c() {
    let mut rng = Rng::new(88);
    for case in 0..200 {
        let scale = (scale(&mut rng) as f32).max(1e-6);
        let zp = rng.int(-128, 127);
        let n = rng.int(1, 300);
        // values, special ones (NaN, infinities, halves) and exact ties of x / scale
        let mut x = rng.values(n as usize, 200.0 * scale);
        for v in x.iter_mut().step_by(3) {
            *v = (rng.int(-300, 300) as f32 + 0.5) * scale;
        }
        let (lo, hi) = if case % 2 == 0 {
            (-128, 127)
        } else {
            (zp, 127)
        };
        let q = QuantizeS8Params {
            size: n,
            scale,
            zp,
            lo,
            hi,
        };
        let (mut c, mut r) = (vec![0i8; n as usize], vec![1i8; n as usize]);
        // SAFETY: x and y hold n values.
        unsafe { mn_quantize_s8(&q, x.as_ptr(), c.as_mut_ptr()) };
        quantize_s8(&q, &x, &mut r);
        assert_eq!(r, c, "quantize case {case}");
        let d = DequantizeS8Params { size: n, scale, zp };
        let (mut fc, mut fr) = (vec![0f32; n as usize], vec![1f32; n as usize]);
        // SAFETY: x and y hold n values.
        unsafe { mn_dequantize_s8(&d, c.as_ptr(), fc.as_mut_ptr()) };
        dequantize_s8(&d, &r, &mut fr);
        assert_eq!(fr, fc, "dequantize case {case}");
    }
}

#[test]
fn quantize_axis_s8_equals_c() {
    let mut rng = Rng::new(90);
    for case in 0..200 {
        let (outer, channels, inner) = (rng.int(1, 4), rng.int(1, 6), rng.int(1, 20));
        let scales: Vec<f32> = (0..channels)
            .map(|_| (scale(&mut rng) as f32).max(1e-6))
            .collect();
        let zps: Vec<i32> = (0..channels).map(|_| rng.int(-128, 127)).collect();
        let n = (outer * channels * inner) as usize;
        let mut x = rng.values(n, 200.0 * scales[0]);
        for (i, v) in x.iter_mut().enumerate().step_by(3) {
            let c = i / inner as usize % channels as usize;
            *v = (rng.int(-300, 300) as f32 + 0.5) * scales[c];
        }
        let (lo, hi) = if case % 2 == 0 { (-128, 127) } else { (0, 100) };
        let p = QuantizeAxisS8Params {
            outer,
            channels,
            inner,
            lo,
            hi,
        };
        let (mut c, mut r) = (vec![0i8; n], vec![1i8; n]);
        // SAFETY: x and y hold n values, scales and zps one per channel.
        unsafe {
            mn_quantize_axis_s8(
                &p,
                scales.as_ptr(),
                zps.as_ptr(),
                x.as_ptr(),
                c.as_mut_ptr(),
            )
        };
        quantize_axis_s8(&p, &scales, &zps, &x, &mut r);
        assert_eq!(r, c, "quantize axis case {case}: {p:?}");
    }
}

/// A hand calculation: x [1][2][3] along axis 1, scales 0.5 and 2, zero points 1 and -3.
#[test]
fn quantize_axis_s8_by_hand() {
    let p = QuantizeAxisS8Params {
        outer: 1,
        channels: 2,
        inner: 3,
        lo: -128,
        hi: 127,
    };
    let x = [0.25, -1.0, 100.0, 3.0, 5.0, -400.0];
    let mut y = [0i8; 6];
    quantize_axis_s8(&p, &[0.5, 2.0], &[1, -3], &x, &mut y);
    // 0.25/0.5 = 0.5 -> 0 (half to even) + 1 = 1; -1/0.5 = -2 + 1 = -1; 200 + 1 -> 127;
    // 3/2 = 1.5 -> 2 - 3 = -1; 5/2 = 2.5 -> 2 - 3 = -1; -200 - 3 -> -128
    assert_eq!(y, [1, -1, 127, -1, -1, -128]);
}

#[test]
fn softmax_s8_equals_c() {
    let mut rng = Rng::new(89);
    for case in 0..100 {
        let p = SoftmaxS8Params {
            rows: rng.int(1, 4),
            n: rng.int(1, 40),
            scale: rng.float().abs() * 0.3 + 1e-3,
        };
        let x = bytes(&mut rng, (p.rows * p.n) as usize);
        let ny = (p.rows * p.n) as usize;
        let (mut c, mut r) = (vec![0f32; ny], vec![1f32; ny]);
        // SAFETY: x and y hold rows * n values.
        unsafe { mn_softmax_s8(&p, x.as_ptr(), c.as_mut_ptr()) };
        softmax_s8(&p, &x, &mut r);
        assert_close(&format!("softmax case {case}"), &r, &c, 1e-6);
    }
}
