//! Grouped, dilated, padded 2-D convolution (reference): the twin of
//! `runtime-c/src/mn_conv2d_f32.c`; the contract is `mn_conv2d_f32` in
//! `runtime-c/include/mn_kernels.h`.

use super::util::tap_range;
use super::Act;

/// Parameters of the 2-D convolutions (`mn_conv_params_t`): x `[n, c_in, in_h, in_w]`,
/// w `[c_out, c_in / group, k_h, k_w]`, y `[n, c_out, out_h, out_w]`; 1-D is `in_h = 1`,
/// `k_h = 1`, `stride_h = dil_h = 1`, `pad_top = 0`. Bottom/right padding is implied by
/// `out_h` / `out_w`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvParams {
    pub n: i32,
    pub c_in: i32,
    pub in_h: i32,
    pub in_w: i32,
    pub c_out: i32,
    pub out_h: i32,
    pub out_w: i32,
    pub k_h: i32,
    pub k_w: i32,
    pub stride_h: i32,
    pub stride_w: i32,
    pub dil_h: i32,
    pub dil_w: i32,
    pub pad_top: i32,
    pub pad_left: i32,
    pub group: i32,
    pub act: Act,
}

/// 2-D convolution (`mn_conv2d_f32`): positions outside the input contribute zero, output
/// channel `oc` reads the input channels of its group, `b` (or `None`: zero) is added and
/// the activation applied to every output element.
pub fn conv2d_f32(p: &ConvParams, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    let cin_g = p.c_in / p.group;
    let cout_g = p.c_out / p.group;
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    let w_per_oc = cin_g * p.k_h * p.k_w;
    for n in 0..p.n {
        for g in 0..p.group {
            let xg = (n * p.c_in + g * cin_g) * in_plane;
            for oc in g * cout_g..(g + 1) * cout_g {
                let bias = b.map_or(0.0, |b| b[oc as usize]);
                let yoc = &mut y[((n * p.c_out + oc) * out_plane) as usize..][..out_plane as usize];
                let woc = &w[(oc * w_per_oc) as usize..][..w_per_oc as usize];
                conv2d_plane(p, &x[xg as usize..], woc, bias, yoc);
            }
        }
    }
}

/// One output plane `yoc` of one output channel, from the first input channel of its
/// group `xg` and its weights `woc` (`[cin_g][k_h][k_w]`).
fn conv2d_plane(p: &ConvParams, xg: &[f32], woc: &[f32], bias: f32, yoc: &mut [f32]) {
    let cin_g = (p.c_in / p.group) as usize;
    let in_plane = (p.in_h * p.in_w) as usize;
    let (k_w, k_hw) = (p.k_w as usize, (p.k_h * p.k_w) as usize);
    // Input elements between two taps of a kernel column.
    let x_kh = (p.dil_h * p.in_w) as usize;
    let dil_w = p.dil_w as usize;
    for oh in 0..p.out_h {
        let ih0 = oh * p.stride_h - p.pad_top;
        let (kh0, kh1) = tap_range(ih0, p.dil_h, p.k_h, 0, p.in_h);
        for ow in 0..p.out_w {
            let iw0 = ow * p.stride_w - p.pad_left;
            let (kw0, kw1) = tap_range(iw0, p.dil_w, p.k_w, 0, p.in_w);
            let mut acc = bias;
            if kw0 < kw1 && kh0 < kh1 {
                // The first tap inside the input (an integer index: iw0 may be negative).
                let x0 = ((ih0 + kh0 * p.dil_h) * p.in_w + iw0 + kw0 * p.dil_w) as usize;
                let w0 = (kh0 * p.k_w + kw0) as usize;
                let (rows, taps) = ((kh1 - kh0) as usize, (kw1 - kw0) as usize);
                for ic in 0..cin_g {
                    let (mut xr, mut wr) = (x0 + ic * in_plane, w0 + ic * k_hw);
                    for _ in 0..rows {
                        acc = row_taps(acc, &xg[xr..], dil_w, &woc[wr..wr + taps]);
                        xr += x_kh;
                        wr += k_w;
                    }
                }
            }
            yoc[(oh * p.out_w + ow) as usize] = p.act.apply(acc);
        }
    }
}

/// `acc` plus one kernel row's taps in order: `x[step * k] * w[k]` for every `k` of `w`.
/// Without dilation the slices bound-check once per row, not per tap (on a Cortex-M4F
/// the per-tap checks and index arithmetic made the inner loop 12 instructions against
/// C's 7; it is 8 this way, where a `step_by` iterator at opt-level "s" was slower still).
#[inline(always)]
fn row_taps(mut acc: f32, x: &[f32], step: usize, w: &[f32]) -> f32 {
    if step == 1 {
        for (xv, wv) in x[..w.len()].iter().zip(w) {
            acc += xv * wv;
        }
    } else {
        for (k, wv) in w.iter().enumerate() {
            acc += x[k * step] * wv;
        }
    }
    acc
}
