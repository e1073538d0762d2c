//! Speed of the Rust fast convolutions against their C twins, same inputs:
//! `cargo run --release -p meshnn-runtime-diff --example kernel_speed`.
//! Cases: 32 -> 32 channels 3x3 (pad 1) on 32x32 (`conv2d_fast_f32`) and a 64-channel
//! depthwise 3x3 (pad 1) on 48x48 (`conv2d_dw_f32`). Rust and C calls alternate, and the
//! best of several rounds is kept (the machine is shared: the minimum is the least noisy).
use std::hint::black_box;
use std::time::Instant;

use meshnn_runtime::kernels::{
    conv2d_dw_f32, conv2d_dw_f32_scratch_size, conv2d_fast_f32, conv2d_fast_f32_pack,
    conv2d_fast_f32_packed_size, conv2d_fast_f32_scratch_size, Act, ConvParams,
};
use meshnn_runtime_diff::Rng;

extern "C" {
    fn mn_conv2d_fast_f32(
        p: *const ConvParams,
        x: *const f32,
        w: *const f32,
        b: *const f32,
        scratch: *mut f32,
        y: *mut f32,
    );
    fn mn_conv2d_dw_f32(
        p: *const ConvParams,
        x: *const f32,
        w: *const f32,
        b: *const f32,
        scratch: *mut f32,
        y: *mut f32,
    );
}

/// A 3x3, pad 1, stride 1 convolution of `c_in` -> `c_out` channels on `size` x `size`.
fn conv3x3(c_in: i32, c_out: i32, group: i32, size: i32) -> ConvParams {
    ConvParams {
        n: 1,
        c_in,
        in_h: size,
        in_w: size,
        c_out,
        out_h: size,
        out_w: size,
        k_h: 3,
        k_w: 3,
        stride_h: 1,
        stride_w: 1,
        dil_h: 1,
        dil_w: 1,
        pad_top: 1,
        pad_left: 1,
        group,
        act: Act {
            kind: 1,
            alpha: 0.0,
            lo: 0.0,
            hi: 0.0,
        },
    }
}

/// Best time in microseconds per call of `rust` and `c` over `rounds` rounds of `calls`
/// calls each, the two alternating round by round.
fn race(rounds: usize, calls: usize, mut rust: impl FnMut(), mut c: impl FnMut()) -> (f64, f64) {
    let (mut best_rust, mut best_c) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..calls {
            rust();
        }
        best_rust = best_rust.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for _ in 0..calls {
            c();
        }
        best_c = best_c.min(t.elapsed().as_secs_f64());
    }
    let per_call = 1e6 / calls as f64;
    (best_rust * per_call, best_c * per_call)
}

fn report(name: &str, (rust, c): (f64, f64)) {
    println!(
        "{name:<40} rust {rust:>9.1} us   c {c:>9.1} us   rust/c {:.2}",
        rust / c
    );
}

fn main() {
    let mut rng = Rng::new(5);
    let p = conv3x3(32, 32, 1, 32);
    let x = rng.floats((p.c_in * p.in_h * p.in_w) as usize);
    let w = rng.floats((p.c_out * p.c_in * 9) as usize);
    let b = rng.floats(p.c_out as usize);
    let mut packed = vec![0.0f32; conv2d_fast_f32_packed_size(&p) as usize];
    conv2d_fast_f32_pack(&p, &w, &mut packed);
    let mut scratch = vec![0.0f32; conv2d_fast_f32_scratch_size(&p) as usize];
    let mut c_scratch = scratch.clone();
    let mut y = vec![0.0f32; (p.c_out * p.out_h * p.out_w) as usize];
    let mut c_y = y.clone();
    let times = race(
        15,
        40,
        || {
            conv2d_fast_f32(
                &p,
                black_box(&x),
                &packed,
                Some(&b),
                Some(&mut scratch),
                &mut y,
            )
        },
        // SAFETY: every buffer holds what p implies (sizes from the Rust twins, checked
        // equal to C's by tests/conv.rs).
        || unsafe {
            mn_conv2d_fast_f32(
                &p,
                black_box(x.as_ptr()),
                packed.as_ptr(),
                b.as_ptr(),
                c_scratch.as_mut_ptr(),
                c_y.as_mut_ptr(),
            )
        },
    );
    assert_eq!(y, c_y, "conv2d_fast: Rust and C differ");
    report("conv2d_fast 32->32 3x3 on 32x32", times);

    let p = conv3x3(64, 64, 64, 48);
    let x = rng.floats((p.c_in * p.in_h * p.in_w) as usize);
    let w = rng.floats((p.c_out * 9) as usize);
    let b = rng.floats(p.c_out as usize);
    let mut scratch = vec![0.0f32; conv2d_dw_f32_scratch_size(&p) as usize];
    let mut c_scratch = scratch.clone();
    let mut y = vec![0.0f32; (p.c_out * p.out_h * p.out_w) as usize];
    let mut c_y = y.clone();
    let times = race(
        15,
        40,
        || conv2d_dw_f32(&p, black_box(&x), &w, Some(&b), Some(&mut scratch), &mut y),
        // SAFETY: as above.
        || unsafe {
            mn_conv2d_dw_f32(
                &p,
                black_box(x.as_ptr()),
                w.as_ptr(),
                b.as_ptr(),
                c_scratch.as_mut_ptr(),
                c_y.as_mut_ptr(),
            )
        },
    );
    assert_eq!(y, c_y, "conv2d_dw: Rust and C differ");
    report("conv2d_dw 64ch 3x3 on 48x48", times);
}
