//! Twin of runtime-c/src/mn_conv2d_s8.c: int8 2-D / 1-D / grouped / depthwise
//! convolution with per-channel requantisation (reference).

use super::requant::{requant_of, rq_clamp, rq_scale, RequantWord};
use crate::kernels::tap_range;

/// `mn_conv_s8_params_t`: the geometry of [`crate::kernels::ConvParams`], the zero points
/// of x, w and y, y's clamp range, and whether `rq` holds one entry per output channel.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvS8Params {
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
    pub x_zp: i32,
    pub w_zp: i32,
    pub y_zp: i32,
    pub y_lo: i32,
    pub y_hi: i32,
    pub per_channel: i32,
}

/// `b[oc] + sum (x - x_zp) * (w - w_zp)` over the window of output (oh, ow), taps outside
/// the input skipped (`conv_s8_acc`). `xg` starts at the group's first input channel,
/// `wo` at the output channel's weights.
fn conv_s8_acc(p: &ConvS8Params, xg: &[i8], wo: &[i8], oh: i32, ow: i32) -> i32 {
    let cin_g = (p.c_in / p.group) as usize;
    let plane = (p.in_h * p.in_w) as usize;
    let taps = (p.k_h * p.k_w) as usize;
    let ih0 = oh * p.stride_h - p.pad_top;
    let iw0 = ow * p.stride_w - p.pad_left;
    let (kh0, kh1) = tap_range(ih0, p.dil_h, p.k_h, 0, p.in_h);
    let (kw0, kw1) = tap_range(iw0, p.dil_w, p.k_w, 0, p.in_w);
    let mut acc = 0i32;
    for ci in 0..cin_g {
        let xc = &xg[ci * plane..];
        let wc = &wo[ci * taps..];
        for kh in kh0..kh1 {
            let xr = ((ih0 + kh * p.dil_h) * p.in_w + iw0) as isize;
            let wr = (kh * p.k_w) as usize;
            for kw in kw0..kw1 {
                let xv = xc[(xr + (kw * p.dil_w) as isize) as usize] as i32;
                let wv = wc[wr + kw as usize] as i32;
                acc += (xv - p.x_zp) * (wv - p.w_zp);
            }
        }
    }
    acc
}

/// Int8 convolution (`mn_conv2d_s8`): `y = clamp(y_zp + round((b[oc] + sum (x - x_zp) *
/// (w - w_zp)) * rq[oc]), y_lo, y_hi)`, padding at x_zp.
pub fn conv2d_s8(
    p: &ConvS8Params,
    x: &[i8],
    w: &[i8],
    b: Option<&[i32]>,
    rq: &[RequantWord],
    y: &mut [i8],
) {
    let cin_g = p.c_in / p.group;
    let cout_g = p.c_out / p.group;
    let in_plane = (p.in_h * p.in_w) as usize;
    let out_plane = (p.out_h * p.out_w) as usize;
    let wlen = (cin_g * p.k_h * p.k_w) as usize;
    for n in 0..p.n {
        for oc in 0..p.c_out {
            let xg = &x[((n * p.c_in + (oc / cout_g) * cin_g) as usize) * in_plane..];
            let wo = &w[oc as usize * wlen..];
            let r = requant_of(rq, p.per_channel, oc as usize);
            let bias = b.map_or(0, |b| b[oc as usize]);
            let yo = &mut y[((n * p.c_out + oc) as usize) * out_plane..][..out_plane];
            for oh in 0..p.out_h {
                for ow in 0..p.out_w {
                    let acc = bias + conv_s8_acc(p, xg, wo, oh, ow);
                    yo[(oh * p.out_w + ow) as usize] =
                        rq_clamp(rq_scale(r, acc, 1), p.y_zp, p.y_lo, p.y_hi);
                }
            }
        }
    }
}
