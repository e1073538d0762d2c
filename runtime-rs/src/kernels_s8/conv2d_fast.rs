//! Twin of runtime-c/src/mn_conv2d_fast_s8.c: int8 convolution on int16 columns of two
//! output positions (here x - x_zp, 0 in the padding, interleaved in blocks of four taps
//! and stored little-endian in the byte scratch; the C kernel keeps x itself and folds
//! the zero point into the bias, the same integers) and 2 x 2 tiles of dot products over
//! weights packed by [`conv2d_fast_s8_pack`], the C kernel's layout. Safe Rust in the
//! packed order; the results equal [`super::conv2d_s8`] bit for bit (`w_zp = 0`).

use super::conv2d::ConvS8Params;
use super::requant::{requant_of, rq_clamp, RequantWord, RqFast};

/// Taps of one output channel's window, and that count rounded up to a multiple of four
/// (the packed weights and the columns are zero-padded to it).
fn taps_of(p: &ConvS8Params) -> usize {
    (p.c_in / p.group * p.k_h * p.k_w) as usize
}

fn taps4_of(p: &ConvS8Params) -> usize {
    taps_of(p).next_multiple_of(4)
}

/// `mn_conv2d_fast_s8_scratch_size`: bytes of the two int16 columns, then the C kernel's
/// channel table (20 bytes per output channel: bias and requantisation constants made
/// once per call). This twin requantises from `rq` directly and leaves the table unused;
/// the size is the C kernel's so that one arena plan serves both.
pub fn conv2d_fast_s8_scratch_size(p: &ConvS8Params) -> i32 {
    (2 * taps4_of(p) * 2 + p.c_out as usize * 20) as i32
}

/// Output channels of a group rounded up to whole pairs (the packed weights' rows).
fn cout2_of(p: &ConvS8Params) -> usize {
    ((p.c_out / p.group) as usize).next_multiple_of(2)
}

/// `mn_conv2d_fast_s8_packed_size`: bytes of [`conv2d_fast_s8_pack`]'s output.
pub fn conv2d_fast_s8_packed_size(p: &ConvS8Params) -> i32 {
    (p.group as usize * cout2_of(p) * taps4_of(p)) as i32
}

/// The tap of its block of four that slot `s` of a packed block holds: the middle two
/// swapped (`FAST_S8_SLOT`).
const SLOT_TAP: [usize; 4] = [0, 2, 1, 3];

/// `mn_conv2d_fast_s8_pack`: per group, its output channels in pairs (an odd last channel
/// with a row of zeros), each pair as blocks of four taps [taps4 / 4][2 rows][4], slot s
/// of a block holding tap `SLOT_TAP[s]`, 0 past the last tap.
pub fn conv2d_fast_s8_pack(p: &ConvS8Params, w: &[i8], packed: &mut [i8]) {
    let (taps, taps4) = (taps_of(p), taps4_of(p));
    let cout_g = (p.c_out / p.group) as usize;
    let mut out = packed.iter_mut();
    for g in 0..p.group as usize {
        for j in (0..cout2_of(p)).step_by(2) {
            for blk in (0..taps4).step_by(4) {
                for r in 0..2 {
                    let oc = g * cout_g + j + r;
                    for s in SLOT_TAP {
                        let tap = blk + s;
                        let real = j + r < cout_g && tap < taps;
                        *out.next().expect("packed holds packed_size bytes") =
                            if real { w[oc * taps + tap] } else { 0 };
                    }
                }
            }
        }
    }
}

/// Where tap `k` of column `c` sits among the interleaved columns (`fast_s8_at`): blocks
/// of four taps, [block][column][4].
fn at(k: usize, c: usize) -> usize {
    (k & !3) * 2 + c * 4 + (k & 3)
}

/// Element `i` of the int16 columns, stored as little-endian bytes as the C kernel's.
#[inline(always)]
pub(super) fn get16(col: &[i8], i: usize) -> i32 {
    i32::from(i16::from_le_bytes([col[2 * i] as u8, col[2 * i + 1] as u8]))
}

#[inline(always)]
pub(super) fn put16(col: &mut [i8], i: usize, v: i32) {
    let b = (v as i16).to_le_bytes();
    col[2 * i] = b[0] as i8;
    col[2 * i + 1] = b[1] as i8;
}

/// The window of an output position (`fast_s8_win_t`): the first tap's input row and
/// column (may be negative), and whether every column of a window row is inside.
#[derive(Clone, Copy)]
struct Win {
    ih: i32,
    iw: i32,
    wfull: bool,
}

fn win(p: &ConvS8Params, oh: i32, ow: i32) -> Win {
    let iw = ow * p.stride_w - p.pad_left;
    Win {
        ih: oh * p.stride_h - p.pad_top,
        iw,
        wfull: iw >= 0 && iw + (p.k_w - 1) * p.dil_w < p.in_w,
    }
}

/// The windows `a` and `b` of two output positions over the channels of one group (`xg`)
/// as columns 0 and 1: x - x_zp, 0 in the padding and past the last tap; a window row
/// inside the input in both is copied without per-tap checks (`fast_s8_columns`).
fn columns(p: &ConvS8Params, xg: &[i8], a: Win, b: Win, col: &mut [i8]) {
    let cin_g = p.c_in / p.group;
    let plane = p.in_h * p.in_w;
    let mut k = 0;
    for ci in 0..cin_g {
        for kh in 0..p.k_h {
            let (ra, rb) = (a.ih + kh * p.dil_h, b.ih + kh * p.dil_h);
            let ina = (0..p.in_h).contains(&ra);
            let inb = (0..p.in_h).contains(&rb);
            let oa = ci * plane + ra * p.in_w + a.iw;
            let ob = ci * plane + rb * p.in_w + b.iw;
            let whole = ina && inb && a.wfull && b.wfull;
            for kw in 0..p.k_w {
                let dw = kw * p.dil_w;
                let va = if whole || (ina && (0..p.in_w).contains(&(a.iw + dw))) {
                    i32::from(xg[(oa + dw) as usize]) - p.x_zp
                } else {
                    0
                };
                let vb = if whole || (inb && (0..p.in_w).contains(&(b.iw + dw))) {
                    i32::from(xg[(ob + dw) as usize]) - p.x_zp
                } else {
                    0
                };
                put16(col, at(k, 0), va);
                put16(col, at(k, 1), vb);
                k += 1;
            }
        }
    }
    for k in k..taps4_of(p) {
        put16(col, at(k, 0), 0);
        put16(col, at(k, 1), 0);
    }
}

/// `acc[2 * r + c] += sum_k w_r[k] * column c` over one packed pair of weight rows
/// (`fast_s8_dot22`: blocks of four taps [row][slot], slot s holding tap `SLOT_TAP[s]`).
fn dot22(pair: &[i8], col: &[i8], taps4: usize, acc: &mut [i32; 4]) {
    let [mut a00, mut a01, mut a10, mut a11] = *acc;
    for blk in (0..taps4).step_by(4) {
        let rows = &pair[2 * blk..][..8];
        for (s, &t) in SLOT_TAP.iter().enumerate() {
            let (x0, x1) = (get16(col, at(blk + t, 0)), get16(col, at(blk + t, 1)));
            let (v0, v1) = (i32::from(rows[s]), i32::from(rows[4 + s]));
            a00 += v0 * x0;
            a01 += v0 * x1;
            a10 += v1 * x0;
            a11 += v1 * x1;
        }
    }
    *acc = [a00, a01, a10, a11];
}

/// `mn_conv2d_fast_s8`: [`super::conv2d_s8`] bit for bit for `w_zp = 0` and `w` from
/// [`conv2d_fast_s8_pack`]; `scratch` holds [`conv2d_fast_s8_scratch_size`] bytes.
pub fn conv2d_fast_s8(
    p: &ConvS8Params,
    x: &[i8],
    w: &[i8],
    b: Option<&[i32]>,
    rq: &[RequantWord],
    scratch: &mut [i8],
    y: &mut [i8],
) {
    let cin_g = p.c_in / p.group;
    let cout_g = (p.c_out / p.group) as usize;
    let in_plane = (p.in_h * p.in_w) as usize;
    let out_plane = (p.out_h * p.out_w) as usize;
    let taps4 = taps4_of(p);
    let store = |y: &mut [i8], f: &RqFast, acc: i32| {
        y[0] = rq_clamp(f.apply(acc), p.y_zp, p.y_lo, p.y_hi);
    };
    for n in 0..p.n {
        for g in 0..p.group {
            let xg = &x[((n * p.c_in + g * cin_g) as usize) * in_plane..];
            let yg0 = ((n * p.c_out) as usize + g as usize * cout_g) * out_plane;
            let (mut oh, mut ow) = (0, 0); // of pos
            let step = |oh: &mut i32, ow: &mut i32| {
                *ow += 1;
                if *ow == p.out_w {
                    (*oh, *ow) = (*oh + 1, 0);
                }
            };
            for pos in (0..out_plane).step_by(2) {
                let two = pos + 1 < out_plane;
                let wa = win(p, oh, ow);
                step(&mut oh, &mut ow);
                let mut wb = wa; // column 1 repeats column 0 when one is left
                if two {
                    wb = win(p, oh, ow);
                    step(&mut oh, &mut ow);
                }
                columns(p, xg, wa, wb, scratch);
                for j in (0..cout_g).step_by(2) {
                    let oc = g as usize * cout_g + j;
                    let pair = j + 1 < cout_g;
                    let rows = &w[(g as usize * cout2_of(p) + j) * taps4..][..2 * taps4];
                    let b0 = b.map_or(0, |b| b[oc]);
                    let b1 = if pair { b.map_or(0, |b| b[oc + 1]) } else { 0 };
                    let mut acc = [b0, b0, b1, b1];
                    dot22(rows, scratch, taps4, &mut acc);
                    for (r, ch) in [(0usize, j), (1, j + 1)] {
                        if r == 1 && !pair {
                            break;
                        }
                        let yo = yg0 + ch * out_plane + pos;
                        let oc = g as usize * cout_g + ch;
                        let f = RqFast::new(requant_of(rq, p.per_channel, oc));
                        store(&mut y[yo..], &f, acc[2 * r]);
                        if two {
                            store(&mut y[yo + 1..], &f, acc[2 * r + 1]);
                        }
                    }
                }
            }
        }
    }
}
