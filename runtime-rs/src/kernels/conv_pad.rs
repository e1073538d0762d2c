//! The zero-padded, stride-phase-split input layout shared by the fast convolutions
//! (`conv2d_fast_f32`, `conv2d_dw_f32`) and their store of wide-row accumulators: the
//! twin of `runtime-c/src/mn_conv_pad_f32.c` (declared in
//! `runtime-c/include/internal/mn_kernels_internal.h`). Crate-private.

use super::{Act, ConvParams};

/// The padded extent a fast convolution reads, split into stride phases
/// (`mn_conv_pad_geom_t`). With `direct`, the input is read in place (no padding, stride
/// 1); otherwise one input channel becomes `s_h * s_w` phase planes of `hq x wq` floats
/// (`pitch` floats in all), zero where the window falls on padding. Output position
/// `(oh, ow)` is "wide row" position `j = oh * wq + ow`; columns `ow >= out_w` are
/// computed and dropped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PadGeom {
    pub(crate) s_h: i32,
    pub(crate) s_w: i32,
    /// Rows, columns of one phase plane.
    pub(crate) hq: i32,
    pub(crate) wq: i32,
    /// Floats per input channel in the planes read.
    pub(crate) pitch: i32,
    /// Read x in place (no padding, stride 1).
    pub(crate) direct: bool,
    /// Positions j computed: `(out_h - 1) * wq + out_w`.
    pub(crate) n_pos: i32,
}

/// The geometry of `p` (`mn_conv_pad_geometry`).
pub(crate) fn conv_pad_geometry(p: &ConvParams) -> PadGeom {
    // Padded extent actually read (bottom/right padding implied by out_h / out_w).
    let hp = (p.out_h - 1) * p.stride_h + (p.k_h - 1) * p.dil_h + 1;
    let wp = (p.out_w - 1) * p.stride_w + (p.k_w - 1) * p.dil_w + 1;
    let direct = p.stride_h == 1
        && p.stride_w == 1
        && p.pad_top == 0
        && p.pad_left == 0
        && wp == p.in_w
        && hp <= p.in_h;
    let (hq, wq, pitch) = if direct {
        (p.in_h, p.in_w, p.in_h * p.in_w)
    } else {
        let hq = (hp + p.stride_h - 1) / p.stride_h;
        let wq = (wp + p.stride_w - 1) / p.stride_w;
        (hq, wq, p.stride_h * p.stride_w * hq * wq)
    };
    PadGeom {
        s_h: p.stride_h,
        s_w: p.stride_w,
        hq,
        wq,
        pitch,
        direct,
        n_pos: (p.out_h - 1) * wq + p.out_w,
    }
}

/// Offset in the layout of each kernel tap (`kh * k_w + kw`) relative to output position
/// 0, into `taps[..k_h * k_w]` (`mn_conv_pad_taps`).
pub(crate) fn conv_pad_taps(p: &ConvParams, g: &PadGeom, taps: &mut [i32]) {
    for kh in 0..p.k_h {
        let rh = kh * p.dil_h;
        for kw in 0..p.k_w {
            let rw = kw * p.dil_w;
            let phase = (rh % g.s_h) * g.s_w + rw % g.s_w;
            taps[(kh * p.k_w + kw) as usize] =
                phase * g.hq * g.wq + (rh / g.s_h) * g.wq + rw / g.s_w;
        }
    }
}

/// Copy one input channel `xc` (`[in_h][in_w]`) into the phase-split padded layout `xq`
/// (`g.pitch` floats) (`mn_conv_pad_channel_f32`). The layout holds position
/// `(ph, pw, i, j)` = padded coordinate `(i * s_h + ph, j * s_w + pw)`, i.e. input
/// element `(i * s_h + ph - pad_top, j * s_w + pw - pad_left)` or zero: the channel is
/// zeroed once, then every input element that is read is stored once, row by row.
pub(crate) fn conv_pad_channel_f32(p: &ConvParams, g: &PadGeom, xc: &[f32], xq: &mut [f32]) {
    let plane = (g.hq * g.wq) as usize;
    let xq = &mut xq[..g.pitch as usize];
    xq.fill(0.0);
    // Input row r is padded row r + pad_top: row i of row phase ph (kept incrementally).
    let (mut i, mut ph) = (p.pad_top / g.s_h, p.pad_top % g.s_h);
    let mut r = 0;
    while r < p.in_h && i < g.hq {
        // Rows with i >= hq are never read.
        let src = &xc[(r * p.in_w) as usize..][..p.in_w as usize];
        let row = ((ph * g.s_w) as usize) * plane + (i * g.wq) as usize; // column phase 0
        ph += 1;
        if ph == g.s_h {
            ph = 0;
            i += 1;
        }
        match g.s_w {
            1 => {
                let n = p.in_w.min(g.wq - p.pad_left).max(0) as usize;
                xq[row + p.pad_left as usize..][..n].copy_from_slice(&src[..n]);
            }
            2 => deinterleave_row(p, g, plane, src, &mut xq[row..]),
            _ => {
                for (c, &v) in src.iter().enumerate() {
                    let qc = c as i32 + p.pad_left;
                    if qc / g.s_w < g.wq {
                        xq[row + (qc % g.s_w) as usize * plane + (qc / g.s_w) as usize] = v;
                    }
                }
            }
        }
        r += 1;
    }
}

/// Stride 2 along the width: input column c goes to padded column `c + pad_left`, i.e.
/// phase `(c + pad_left) & 1` at index `(c + pad_left) >> 1`; `row` starts at column
/// phase 0 of the padded row, phase 1 is `plane` after it.
fn deinterleave_row(p: &ConvParams, g: &PadGeom, plane: usize, src: &[f32], row: &mut [f32]) {
    let (e, o) = (p.pad_left, p.pad_left + 1);
    let n_even = ((p.in_w + 1) / 2).min(g.wq - (e >> 1)).max(0) as usize;
    let n_odd = (p.in_w / 2).min(g.wq - (o >> 1)).max(0) as usize;
    let (phase0, phase1) = row.split_at_mut(plane);
    let (even, odd) = if e & 1 == 0 {
        (phase0, phase1)
    } else {
        (phase1, phase0)
    };
    let even = &mut even[(e >> 1) as usize..][..n_even]; // c = 0, 2, 4 ..
    let odd = &mut odd[(o >> 1) as usize..][..n_odd]; // c = 1, 3, 5 ..

    // Both phases in one loop over column pairs, as C (one deinterleaving load per
    // vector; element by element, with a bounds check each, MobileNet's 96 x 96 stride-2
    // first layer spent a third of its time here), then the even phase's last columns
    // (`n_odd <= n_even`: `o >> 1 >= e >> 1`).
    let pairs = even.iter_mut().zip(odd.iter_mut());
    for ((de, dd), s) in pairs.zip(src.chunks_exact(2)) {
        (*de, *dd) = (s[0], s[1]);
    }
    for (m, d) in even.iter_mut().enumerate().skip(n_odd) {
        *d = src[2 * m];
    }
}

/// Store the accumulators `acc[..nr]` of wide-row positions `j0 .. j0 + nr` through the
/// activation into one output plane `y` (`[out_h][out_w]`), skipping the dropped columns
/// `ow >= out_w` (`mn_conv_store_wide_f32`).
pub(crate) fn conv_store_wide_f32(
    act: &Act,
    g: &PadGeom,
    out_w: i32,
    acc: &[f32],
    j0: i32,
    nr: i32,
    y: &mut [f32],
) {
    let (mut oh, mut ow, mut v) = (j0 / g.wq, j0 % g.wq, 0);
    while v < nr {
        // Runs of real outputs (ow < out_w), row by row.
        let run = (out_w - ow).min(nr - v);
        if run > 0 {
            let at = (oh * out_w + ow) as usize;
            act.store(&acc[v as usize..], &mut y[at..], run as usize);
            v += run;
            ow += run;
        }
        if ow >= out_w {
            // Skip the wide row's dropped columns.
            v += g.wq - ow;
            ow = 0;
            oh += 1;
        }
    }
}
