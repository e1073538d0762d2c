//! Twin of runtime-c/src/mn_conv2d_dw_s8.c: int8 depthwise convolution one channel at a
//! time, the input rows an output row reads copied as int16 (little-endian in the byte
//! scratch) into a ring, x_zp in the padding and folded into the channel's bias; 3 x 3
//! windows (dil_w 1, stride_w 1 or 2) two output positions at a time with the nine
//! weights in locals, other windows tap by tap. Safe Rust; the results equal
//! [`super::conv2d_s8`] bit for bit (`w_zp = 0`, group = c_in = c_out).

use super::conv2d::ConvS8Params;
use super::conv2d_fast::{get16, put16};
use super::requant::{requant_of, rq_clamp, RequantWord, RqFast};

/// Rows of the ring (`dw_s8_ring_rows`) and their length in int16 (`dw_s8_row_len`: the
/// input columns of one output row, out_w rounded up to even, rounded up to even).
fn ring_of(p: &ConvS8Params) -> (usize, usize) {
    let rows = (p.k_h - 1) * p.dil_h + 1;
    let out_w2 = (p.out_w + 1) & !1;
    let span = (out_w2 - 1) * p.stride_w + (p.k_w - 1) * p.dil_w + 1;
    (rows as usize, ((span + 1) & !1) as usize)
}

/// `mn_conv2d_dw_s8_scratch_size`: the ring's bytes.
pub fn conv2d_dw_s8_scratch_size(p: &ConvS8Params) -> i32 {
    let (rows, len) = ring_of(p);
    (rows * len * 2) as i32
}

/// Padded input row `r` of channel plane `xc` into ring row `dst` (`len` int16 at int16
/// offset `at`): x_zp outside the input (`dw_s8_fill_row`).
fn fill_row(p: &ConvS8Params, xc: &[i8], r: i32, ring: &mut [i8], at: usize, len: usize) {
    let ih = r - p.pad_top;
    for c in 0..len {
        let iw = c as i32 - p.pad_left;
        let inside = (0..p.in_h).contains(&ih) && (0..p.in_w).contains(&iw);
        let v = if inside {
            i32::from(xc[(ih * p.in_w + iw) as usize])
        } else {
            p.x_zp
        };
        put16(ring, at + c, v);
    }
}

/// One output row of a 3 x 3 window at stride_w `s` (1 or 2) from the ring rows at int16
/// offsets `rows`, two outputs at a time (an odd last one: its pair's second sum read
/// inside the row and dropped), `w` the channel's nine weights.
#[allow(clippy::too_many_arguments)]
fn row_3x3(
    ring: &[i8],
    rows: [usize; 3],
    w: &[i8],
    s: usize,
    out_w: usize,
    bias: i32,
    out: &impl Fn(i32) -> i8,
    y: &mut [i8],
) {
    let wt: [i32; 9] = core::array::from_fn(|k| i32::from(w[k]));
    for ow in (0..out_w).step_by(2) {
        let (mut a0, mut a1) = (bias, bias);
        for (k, &r) in rows.iter().enumerate() {
            let c = r + ow * s;
            let (w0, w1, w2) = (wt[3 * k], wt[3 * k + 1], wt[3 * k + 2]);
            a0 += w0 * get16(ring, c) + w1 * get16(ring, c + 1) + w2 * get16(ring, c + 2);
            a1 +=
                w0 * get16(ring, c + s) + w1 * get16(ring, c + s + 1) + w2 * get16(ring, c + s + 2);
        }
        y[ow] = out(a0);
        if ow + 1 < out_w {
            y[ow + 1] = out(a1);
        }
    }
}

/// `mn_conv2d_dw_s8`: [`super::conv2d_s8`] bit for bit for `w_zp = 0` and
/// group = c_in = c_out; `w` in the ONNX layout, `scratch` holds
/// [`conv2d_dw_s8_scratch_size`] bytes.
pub fn conv2d_dw_s8(
    p: &ConvS8Params,
    x: &[i8],
    w: &[i8],
    b: Option<&[i32]>,
    rq: &[RequantWord],
    scratch: &mut [i8],
    y: &mut [i8],
) {
    let (rows, len) = ring_of(p);
    let taps = (p.k_h * p.k_w) as usize;
    let in_plane = (p.in_h * p.in_w) as usize;
    let (out_h, out_w) = (p.out_h as usize, p.out_w as usize);
    let three = p.k_h == 3 && p.k_w == 3 && p.dil_w == 1 && (p.stride_w == 1 || p.stride_w == 2);
    let at = |r: usize| (r % rows) * len; // int16 offset of padded row r's ring row
    for n in 0..p.n as usize {
        for c in 0..p.c_in as usize {
            let xc = &x[(n * p.c_in as usize + c) * in_plane..];
            let wc = &w[c * taps..][..taps];
            let f = RqFast::new(requant_of(rq, p.per_channel, c));
            let sum: i32 = wc.iter().map(|&v| i32::from(v)).sum();
            let bias = b.map_or(0, |b| b[c]) - p.x_zp * sum;
            let out = |acc: i32| rq_clamp(f.apply(acc), p.y_zp, p.y_lo, p.y_hi);
            let yc = &mut y[(n * p.c_out as usize + c) * out_h * out_w..][..out_h * out_w];
            let mut next = 0; // the first padded row not yet in the ring
            for (oh, yr) in yc.chunks_exact_mut(out_w).enumerate() {
                let r = oh * p.stride_h as usize;
                for row in next.max(r)..r + rows {
                    fill_row(p, xc, row as i32, scratch, at(row), len);
                }
                next = r + rows;
                if three {
                    let dil = p.dil_h as usize;
                    let rr = [at(r), at(r + dil), at(r + 2 * dil)];
                    row_3x3(scratch, rr, wc, p.stride_w as usize, out_w, bias, &out, yr);
                    continue;
                }
                for (ow, yo) in yr.iter_mut().enumerate() {
                    let mut acc = bias;
                    for kh in 0..p.k_h as usize {
                        let base = at(r + kh * p.dil_h as usize) + ow * p.stride_w as usize;
                        for kw in 0..p.k_w as usize {
                            let v = get16(scratch, base + kw * p.dil_w as usize);
                            acc += i32::from(wc[kh * p.k_w as usize + kw]) * v;
                        }
                    }
                    *yo = out(acc);
                }
            }
        }
    }
}
