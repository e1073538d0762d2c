//! N-d max / average pooling with pads, dilation and count_include_pad (reference; meshnn
//! uses it for 3-D and wider windows): the twin of `runtime-c/src/mn_pool_nd_f32.c`; the
//! contract is `mn_pool_nd_f32` in `runtime-c/include/mn_kernels.h`.

use super::util::{max_nan, prod, window_base, window_tap_offset};
use super::{MAX_DIMS, POOL_MAX};

/// Parameters of the N-d pooling (`mn_pool_nd_params_t`): x `[channels, in..]`
/// (channels = N * C), y `[channels, out..]`, `1 <= nd <= MAX_DIMS - 2`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolNdParams {
    /// `POOL_MAX` or `POOL_AVG`.
    pub kind: i32,
    pub channels: i32,
    pub nd: i32,
    pub r#in: [i32; MAX_DIMS],
    pub out: [i32; MAX_DIMS],
    pub k: [i32; MAX_DIMS],
    pub strides: [i32; MAX_DIMS],
    pub dilations: [i32; MAX_DIMS],
    pub pads_begin: [i32; MAX_DIMS],
    pub pads_end: [i32; MAX_DIMS],
    pub count_include_pad: i32,
}

/// N-d pooling (`mn_pool_nd_f32`), the rules of `pool2d_f32` on `nd` axes; with
/// count_include_pad, average counts the taps inside `[-pads_begin[d], in[d] +
/// pads_end[d])` on every axis.
pub fn pool_nd_f32(p: &PoolNdParams, x: &[f32], y: &mut [f32]) {
    let nd = p.nd as usize;
    let in_size = prod(&p.r#in[..nd]) as usize;
    let out_size = prod(&p.out[..nd]) as usize;
    let taps = prod(&p.k[..nd]);
    for c in 0..p.channels as usize {
        let xc = &x[c * in_size..][..in_size];
        let yc = &mut y[c * out_size..][..out_size];
        for (o, out) in yc.iter_mut().enumerate() {
            let base = window_base(nd, &p.out, &p.strides, &p.pads_begin, o as i32);
            let (mut m, mut sum) = (f32::NEG_INFINITY, 0.0f32);
            let (mut inside, mut padded) = (0, 0);
            for t in 0..taps {
                if let Some(off) = window_tap_offset(nd, &p.r#in, &p.k, &p.dilations, &base, t) {
                    m = max_nan(m, xc[off as usize]);
                    sum += xc[off as usize];
                    inside += 1;
                }
                if p.count_include_pad != 0 && tap_in_padded(p, &base, t) {
                    padded += 1;
                }
            }
            *out = if p.kind == POOL_MAX {
                m
            } else {
                let count = if p.count_include_pad != 0 {
                    padded
                } else {
                    inside
                };
                if count > 0 {
                    sum / count as f32
                } else {
                    0.0
                }
            };
        }
    }
}

/// Whether tap `tap` of the window at `base` lies inside the padded extent on every axis.
fn tap_in_padded(p: &PoolNdParams, base: &[i32], mut tap: i32) -> bool {
    for d in (0..p.nd as usize).rev() {
        let pos = base[d] + (tap % p.k[d]) * p.dilations[d];
        if pos < -p.pads_begin[d] || pos >= p.r#in[d] + p.pads_end[d] {
            return false;
        }
        tap /= p.k[d];
    }
    true
}
