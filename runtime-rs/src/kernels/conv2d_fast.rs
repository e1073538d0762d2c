//! Fast convolution as a register-blocked matrix product over a padded, stride-phase-split
//! copy of the input: the twin of `runtime-c/src/mn_conv2d_fast_f32.c` (same packed
//! weight layout, tile shape and summation order); the contract is `mn_conv2d_fast_f32`
//! in `runtime-c/include/mn_kernels.h`, `conv2d_f32` the reference it matches.
//!
//! Method. The input is copied once per image into scratch as `xq[c][phase][hq][wq]`
//! (`conv_pad`), so that every kernel tap reads a contiguous run of one phase plane.
//! Output position `(oh, ow)` maps to `j = oh * wq + ow` ("wide rows": columns `ow >=
//! out_w` are computed and dropped) and the convolution becomes, per group,
//! `Y[oc][j] = b[oc] + sum_{tap, ic} W[oc][ic][tap] * xq[ic][off(tap) + j]`, whose inner
//! loop runs over `CONV_FAST_MR` output channels x `NR` consecutive `j` with the
//! accumulators in registers. With no padding and stride 1 the input is read in place.

use super::conv_pad::{
    conv_pad_channel_f32, conv_pad_geometry, conv_pad_taps, conv_store_wide_f32, PadGeom,
};
use super::madd::madd;
use super::{Act, ConvParams};

/// Most kernel taps (`k_h * k_w`) the fast convolutions take (`MN_CONV_FAST_MAX_TAPS`).
pub const CONV_FAST_MAX_TAPS: usize = 64;
/// Output channels per tile, the packing unit of the weights (`MN_CONV_FAST_MR`).
pub const CONV_FAST_MR: usize = 8;

const MR: usize = CONV_FAST_MR;

/// Output positions per tile (the vector direction), chosen per ISA as `MN_CF_NR` is in
/// C: the `MR x NR` accumulators must fit the vector registers. 16 with AVX-512; 8 with
/// AVX/AVX2 and NEON; 16 with SSE2, RISC-V V, AltiVec and WebAssembly SIMD; 2 on scalar
/// FPUs and soft float (Cortex-M, RV32), and wherever `--cfg meshnn_scalar_tiles` is
/// given (the differential tests use it to run the Cortex-M form on the host, as C's
/// tests build with `-DMN_CF_NR=2`). C's tile on cores with a scalar FPU is 8 x 3 with
/// fused multiply-adds since issue 16 (Cortex-M4F instruction counts); not ported here
/// yet (the tiling does not change any output's accumulation order).
const NR: usize = if cfg!(meshnn_scalar_tiles) {
    2
} else if cfg!(target_feature = "avx512f") {
    16
} else if cfg!(any(
    target_feature = "avx",
    target_feature = "neon",
    target_arch = "aarch64"
)) {
    8
} else if cfg!(any(
    target_feature = "sse2",
    target_feature = "v",
    target_feature = "altivec",
    target_feature = "simd128"
)) {
    16
} else {
    2
};

/// Floats of scratch slack: the last tile may read (and drop) past the end (`>= NR`).
const SLACK: i32 = 16;

type Tile = [[f32; NR]; MR];

/// Floats of scratch `conv2d_fast_f32` needs (`mn_conv2d_fast_f32_scratch_size`): 0 when
/// it reads the input in place (no padding, stride 1).
pub fn conv2d_fast_f32_scratch_size(p: &ConvParams) -> i32 {
    let g = conv_pad_geometry(p);
    if g.direct {
        0
    } else {
        p.c_in * g.pitch + SLACK
    }
}

/// Floats of the packed weights (`mn_conv2d_fast_f32_packed_size`):
/// `[group][ceil(cout_g / MR)][k_h * k_w][c_in / group][MR]`.
pub fn conv2d_fast_f32_packed_size(p: &ConvParams) -> i32 {
    let cout_g = p.c_out / p.group;
    let tiles = (cout_g + MR as i32 - 1) / MR as i32;
    p.group * tiles * MR as i32 * (p.c_in / p.group) * p.k_h * p.k_w
}

/// Pack weights `[c_out][c_in / group][k_h][k_w]` into the layout `conv2d_fast_f32` reads
/// (`mn_conv2d_fast_f32_pack`); channels past `cout_g` in the last tile are zero.
pub fn conv2d_fast_f32_pack(p: &ConvParams, w: &[f32], packed: &mut [f32]) {
    let cin_g = p.c_in / p.group;
    let cout_g = p.c_out / p.group;
    let n_taps = p.k_h * p.k_w;
    let mut out = packed.iter_mut();
    for gi in 0..p.group {
        for oc0 in (0..cout_g).step_by(MR) {
            for t in 0..n_taps {
                for ic in 0..cin_g {
                    for oc in oc0..oc0 + MR as i32 {
                        let at = ((gi * cout_g + oc) * cin_g + ic) * n_taps + t;
                        let v = if oc < cout_g { w[at as usize] } else { 0.0 };
                        *out.next().expect("packed holds packed_size floats") = v;
                    }
                }
            }
        }
    }
}

/// Fast convolution (`mn_conv2d_fast_f32`): the result of `conv2d_f32` up to float
/// rounding, from weights packed by [`conv2d_fast_f32_pack`]. `scratch` holds
/// [`conv2d_fast_f32_scratch_size`] floats (`None` allowed when that is 0).
/// Precondition: `k_h * k_w <= CONV_FAST_MAX_TAPS`, `out_h, out_w, c_out >= 1`.
pub fn conv2d_fast_f32(
    p: &ConvParams,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    mut scratch: Option<&mut [f32]>,
    y: &mut [f32],
) {
    let g = conv_pad_geometry(p);
    let mut taps = [0i32; CONV_FAST_MAX_TAPS];
    conv_pad_taps(p, &g, &mut taps);
    let taps = &taps[..(p.k_h * p.k_w) as usize];
    let in_image = (p.c_in * p.in_h * p.in_w) as usize;
    let out_image = (p.c_out * p.out_h * p.out_w) as usize;
    for n in 0..p.n as usize {
        let xn = &x[n * in_image..];
        let yn = &mut y[n * out_image..];
        if g.direct {
            conv_image(p, &g, taps, xn, w, b, yn);
        } else {
            let xq = scratch
                .as_deref_mut()
                .expect("scratch of scratch_size floats");
            pack_image(p, &g, xn, xq);
            conv_image(p, &g, taps, xq, w, b, yn);
        }
    }
}

/// Copy image `x` (`[c_in][in_h][in_w]`) into the phase-split padded layout, then zero
/// the slack.
fn pack_image(p: &ConvParams, g: &PadGeom, x: &[f32], xq: &mut [f32]) {
    let (plane, pitch) = ((p.in_h * p.in_w) as usize, g.pitch as usize);
    for c in 0..p.c_in as usize {
        conv_pad_channel_f32(p, g, &x[c * plane..], &mut xq[c * pitch..]);
    }
    let end = p.c_in as usize * pitch;
    xq[end..end + SLACK as usize].fill(0.0);
}

/// Every group and channel tile of one image, read from `xq` (the padded layout, or the
/// input itself when `g.direct`).
fn conv_image(
    p: &ConvParams,
    g: &PadGeom,
    taps: &[i32],
    xq: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    yn: &mut [f32],
) {
    let cin_g = p.c_in / p.group;
    let cout_g = p.c_out / p.group;
    let tile_w = MR * (cin_g as usize) * taps.len();
    let mut wt = 0;
    for gi in 0..p.group {
        let xg = &xq[(gi * cin_g * g.pitch) as usize..];
        let end = (gi + 1) * cout_g;
        for oc0 in (gi * cout_g..end).step_by(MR) {
            let mr = (end - oc0).min(MR as i32) as usize;
            let mut bias = [0.0f32; MR];
            if let Some(b) = b {
                bias[..mr].copy_from_slice(&b[oc0 as usize..][..mr]);
            }
            let tile = Tiles {
                p,
                g,
                taps,
                xg,
                w: &w[wt..wt + tile_w],
                bias,
            };
            tile.run(oc0, mr, yn);
            wt += tile_w;
        }
    }
}

/// One tile row of output channels: what every tile of it reads.
struct Tiles<'a> {
    p: &'a ConvParams,
    g: &'a PadGeom,
    taps: &'a [i32],
    /// The group's first input channel in the padded layout.
    xg: &'a [f32],
    /// The tile's packed weights: `[taps][cin_g][MR]`.
    w: &'a [f32],
    bias: [f32; MR],
}

impl Tiles<'_> {
    /// Output channels `oc0 .. oc0 + mr` over every position.
    fn run(&self, oc0: i32, mr: usize, yn: &mut [f32]) {
        let (p, g) = (self.p, self.g);
        let out_plane = (p.out_h * p.out_w) as usize;
        let y0 = oc0 as usize * out_plane;
        let nr = NR as i32;
        if p.out_w >= nr && mr == MR {
            // Row tiles, stored directly; the last tile of a row overlaps the one before
            // it (recomputing a few outputs) so that every tile is full.
            for oh in 0..p.out_h {
                for ow0 in (0..p.out_w).step_by(NR) {
                    let ow = if ow0 + nr <= p.out_w {
                        ow0
                    } else {
                        p.out_w - nr
                    };
                    let acc = self.tile((oh * g.wq + ow) as usize);
                    let at = y0 + (oh * p.out_w + ow) as usize;
                    store_rows(&p.act, &acc, out_plane, &mut yn[at..]);
                }
            }
        } else if g.wq == p.out_w && g.n_pos >= nr && mr == MR {
            // No dropped columns (1x1 and 1xk kernels): the positions j are the output
            // plane itself, tiles run across rows; the last one overlaps the one before.
            for j0 in (0..g.n_pos).step_by(NR) {
                let j = if j0 + nr <= g.n_pos { j0 } else { g.n_pos - nr };
                let acc = self.tile(j as usize);
                store_rows(&p.act, &acc, out_plane, &mut yn[y0 + j as usize..]);
            }
        } else {
            for j0 in (0..g.n_pos).step_by(NR) {
                let n = (g.n_pos - j0).min(nr);
                // Full-width reads are safe in scratch (it has SLACK floats of slack).
                let acc = if n == nr || !g.direct {
                    self.tile(j0 as usize)
                } else {
                    self.tile_tail(j0 as usize, n as usize)
                };
                for (r, row) in acc.iter().enumerate().take(mr) {
                    let yr = &mut yn[y0 + r * out_plane..][..out_plane];
                    conv_store_wide_f32(&p.act, g, p.out_w, row, j0, n, yr);
                }
            }
        }
    }

    /// `MR` channels x `NR` positions starting at wide-row position `j`.
    #[inline(always)]
    fn tile(&self, j: usize) -> Tile {
        let cin_g = (self.p.c_in / self.p.group) as usize;
        tile_full(
            &self.xg[j..],
            self.g.pitch as usize,
            cin_g,
            self.taps,
            self.w,
            &self.bias,
        )
    }

    /// A tile of `nr < NR` positions that reads only those positions.
    fn tile_tail(&self, j: usize, nr: usize) -> Tile {
        let pitch = self.g.pitch as usize;
        let cin_g = (self.p.c_in / self.p.group) as usize;
        let mut acc: Tile = [[0.0; NR]; MR];
        for (a, &b) in acc.iter_mut().zip(&self.bias) {
            *a = [b; NR];
        }
        for (&t, wt) in self.taps.iter().zip(self.w.chunks_exact(MR * cin_g)) {
            let mut xk = j + t as usize;
            for wv in wt.chunks_exact(MR) {
                let xv = &self.xg[xk..xk + nr];
                for (a, &wr) in acc.iter_mut().zip(wv) {
                    for (av, &xv) in a.iter_mut().zip(xv) {
                        *av = madd(wr, xv, *av);
                    }
                }
                xk += pitch;
            }
        }
        acc
    }
}

/// `MR` channels x `NR` positions, the first at `x[0]`, from the tile's packed weights
/// `w` (`[taps][cin_g][MR]`) (`mn_cf_tile`). Out of line, as GCC leaves `mn_cf_tile`:
/// inlined into `conv_image` (three call sites) the loop shared the registers with the
/// caller's and LLVM spilled the input pointer, reloading it at every step of eight FMAs;
/// cnn32 under `meshnn bench --lang rust` went from 1.31x C to 1.14x (BENCHMARKS.md). `xv`
/// is taken by value: borrowed, LLVM split its load into inserts and a blend for some rows.
/// The weights are walked one tap (`MR * cin_g` floats) at a time: walking them `MR` at a
/// time across taps saved a division per tile on x86 (cnn32 1.04x) but cost nonn_k4 30 %
/// more instructions on the Cortex-M4F under QEMU (8.4 M against 6.48 M).
#[inline(never)]
fn tile_full(
    x: &[f32],
    pitch: usize,
    cin_g: usize,
    taps: &[i32],
    w: &[f32],
    bias: &[f32; MR],
) -> Tile {
    let mut acc: Tile = [[0.0; NR]; MR];
    for (a, &b) in acc.iter_mut().zip(bias) {
        *a = [b; NR];
    }
    for (&t, wt) in taps.iter().zip(w.chunks_exact(MR * cin_g)) {
        let mut xk = t as usize;
        for wr in wt.chunks_exact(MR) {
            let xv: [f32; NR] = x[xk..xk + NR].try_into().expect("NR floats");
            let [w0, w1, w2, w3, w4, w5, w6, w7]: [f32; MR] = wr.try_into().expect("MR floats");
            // The rows spelled out (as in C): with a loop over them LLVM vectorises
            // across the rows (gathers and scatters with AVX-512) instead of along NR.
            mul_add_row(&mut acc[0], w0, &xv);
            mul_add_row(&mut acc[1], w1, &xv);
            mul_add_row(&mut acc[2], w2, &xv);
            mul_add_row(&mut acc[3], w3, &xv);
            mul_add_row(&mut acc[4], w4, &xv);
            mul_add_row(&mut acc[5], w5, &xv);
            mul_add_row(&mut acc[6], w6, &xv);
            mul_add_row(&mut acc[7], w7, &xv);
            xk += pitch;
        }
    }
    acc
}

/// `a[v] += w * x[v]` along the tile's positions (the vector direction; fused where
/// the target has FMA, see `madd`).
#[inline(always)]
fn mul_add_row(a: &mut [f32; NR], w: f32, x: &[f32; NR]) {
    for (av, &xv) in a.iter_mut().zip(x) {
        *av = madd(w, xv, *av);
    }
}

/// Store the `MR` rows of a full tile (`NR` consecutive outputs of each channel) through
/// the activation; row `r` goes to `y[r * out_plane..]`.
fn store_rows(act: &Act, acc: &Tile, out_plane: usize, y: &mut [f32]) {
    for (r, row) in acc.iter().enumerate() {
        act.store(row, &mut y[r * out_plane..], NR);
    }
}
