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
//! On vector units, planes narrower than a tile run channel tiles (`chan_tile`), and
//! planes half a tile wide run tiles of two output rows (`store_tiles` with `ROWS2`)
//! instead of wide rows; on AVX-512 tiles run in pairs (`PAIR`).

use super::act::{clip, hard_swish, map};
use super::conv_pad::{
    conv_pad_channel_f32, conv_pad_geometry, conv_pad_taps, conv_store_wide_f32, PadGeom,
};
use super::madd::madd;
use super::{Act, ConvParams, ACT_HARD_SWISH};
use core::iter::StepBy;
use core::slice::{ChunksExact, Windows};

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

/// Vector units (`MN_CF_NR >= 8` in C; the scalar tiles are 2 wide): they run channel
/// tiles (`MN_CF_PC`), tiles of two output rows (`MN_CF_ROWS2`), and their tiles store
/// the clamp activations and HardSwish inline.
const VECTOR: bool = NR >= 8;

/// Tiles run in pairs where there are registers for both (`MN_CF_PAIR`): AVX-512 (with
/// SSE2's 16 registers C's pair ran cnn32 5 % slower). A pair loads each weight once for
/// both tiles and has 16 independent multiply-add chains (one tile's 8 left the units
/// waiting on their latency on AVX-512). `--cfg meshnn_pair_tiles` builds them on any
/// 16-wide host, so that the differential tests run them without AVX-512 (as C's
/// `test_fast_vs_ref` builds with `-DMN_CF_PAIR=1`).
const PAIR: bool = NR == 16 && (cfg!(target_feature = "avx512f") || cfg!(meshnn_pair_tiles));

/// Positions per channel tile at most (`MN_CF_PC`), on vector units: 12 accumulator
/// vectors, a weight vector, and the inputs broadcast from memory.
const PC: usize = 12;

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
    let out_plane = (p.out_h * p.out_w) as usize;
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
                out_plane,
            };
            tile.run(mr, &mut yn[oc0 as usize * out_plane..]);
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
    /// Floats of one output plane (`out_h * out_w`): the distance between channel rows.
    out_plane: usize,
}

impl Tiles<'_> {
    /// Output channels `0 .. mr` of the block over every position, into `y` (the block's
    /// first output plane), by the first of C's paths that applies.
    fn run(&self, mr: usize, y: &mut [f32]) {
        let (p, g) = (self.p, self.g);
        let nr = NR as i32;
        let full = mr == MR;
        // No dropped columns (1x1 and 1xk kernels): the positions j are the plane itself.
        let flat = g.wq == p.out_w;
        if flat && g.n_pos >= nr && full {
            self.flat_plane(y);
        } else if VECTOR && flat && g.n_pos < nr {
            self.chan_plane(mr, y);
        } else if p.out_w >= nr && full {
            self.row_tiles(y);
        } else if VECTOR && 2 * p.out_w == nr && p.out_h >= 2 && full {
            self.rows2_plane(y);
        } else {
            self.wide_rows(mr, y);
        }
    }

    /// A plane without dropped columns: tiles run across rows and are stored directly,
    /// pairs of them where built; the last tile (pair) overlaps the one before it so that
    /// every tile is full (two single tiles after the pairs, each waiting on its
    /// multiply-add latency, took twice as long as one overlapping pair).
    fn flat_plane(&self, y: &mut [f32]) {
        let (n, nr) = (self.g.n_pos, NR as i32);
        let (pairs, rest) = pair_starts(n, nr, true);
        for j in pairs.map(|j| j as usize) {
            self.store_tiles::<2, false>(j, NR, 0, &mut y[j..], NR);
        }
        for j in tile_starts(rest, n, nr).map(|j| j as usize) {
            self.store_tiles::<1, false>(j, 0, 0, &mut y[j..], 0);
        }
    }

    /// A plane without dropped columns narrower than a tile: channel tiles of up to `PC`
    /// positions, as even as they can be (16 = 8 + 8, not 12 + 4: each position is its own
    /// dependency chain).
    fn chan_plane(&self, mr: usize, y: &mut [f32]) {
        let n = self.g.n_pos as usize;
        let mut runs = n.div_ceil(PC); // runs left
        let mut j = 0;
        while j < n {
            let np = (n - j).div_ceil(runs);
            self.chan_tile(j, np, mr, &mut y[j..]);
            j += np;
            runs -= 1;
        }
    }

    /// Rows at least a tile wide: row tiles, stored directly, pairs of two output rows
    /// where built; the last tile of a row overlaps the one before it (recomputing a few
    /// outputs) so that every tile is full.
    fn row_tiles(&self, y: &mut [f32]) {
        let (p, wq, nr) = (self.p, self.g.wq, NR as i32);
        // A tile's first input position and first output.
        let at = |oh: i32, ow: i32| ((oh * wq + ow) as usize, (oh * p.out_w + ow) as usize);
        let (row_pairs, rest) = pair_starts(p.out_h, 1, false);
        for oh in row_pairs {
            for (j, o) in tile_starts(0, p.out_w, nr).map(|ow| at(oh, ow)) {
                let (dj, ydj) = (wq as usize, p.out_w as usize); // the next row
                self.store_tiles::<2, false>(j, dj, 0, &mut y[o..], ydj);
            }
        }
        for oh in rest..p.out_h {
            for (j, o) in tile_starts(0, p.out_w, nr).map(|ow| at(oh, ow)) {
                self.store_tiles::<1, false>(j, 0, 0, &mut y[o..], 0);
            }
        }
    }

    /// A plane `NR / 2` wide (at least two rows; cnn32's 8 x 8 stage on AVX-512): tiles of
    /// two output rows, each half of a tile's inputs loaded from its own input row, stored
    /// directly (pairs of them: four rows), instead of wide rows that compute 10 positions
    /// per 8 outputs and store through `conv_store_wide_f32`; the last tile (pair)
    /// overlaps the one before it so that every tile is full.
    fn rows2_plane(&self, y: &mut [f32]) {
        let (out_h, out_w, wq) = (self.p.out_h, self.p.out_w as usize, self.g.wq as usize);
        let (pairs, rest) = pair_starts(out_h, 2, true);
        for oh in pairs.map(|oh| oh as usize) {
            self.store_tiles::<2, true>(oh * wq, 2 * wq, wq, &mut y[oh * out_w..], NR);
        }
        for oh in tile_starts(rest, out_h, 2).map(|oh| oh as usize) {
            self.store_tiles::<1, true>(oh * wq, 0, wq, &mut y[oh * out_w..], 0);
        }
    }

    /// Wide rows: tiles over the positions j, stored through `conv_store_wide_f32`, which
    /// drops the columns `ow >= out_w`; pairs where built (with more than one tile left
    /// after them, one more pair ending at the last position, overlapping the one before,
    /// where the padded copy holds every position it reads).
    fn wide_rows(&self, mr: usize, y: &mut [f32]) {
        let g = self.g;
        let nr = NR as i32;
        let (pairs, rest) = pair_starts(g.n_pos, nr, !g.direct);
        for j in pairs {
            let [a, b] = self.sum_tiles::<2>(j as usize);
            self.store_wide(&a, j, nr, mr, y);
            self.store_wide(&b, j + nr, nr, mr, y);
        }
        for j0 in (rest..g.n_pos).step_by(NR) {
            let n = (g.n_pos - j0).min(nr);
            // Full-width reads are safe in scratch (it has SLACK floats of slack).
            let acc = if n == nr || !g.direct {
                let [acc] = self.sum_tiles::<1>(j0 as usize);
                acc
            } else {
                self.tile_tail(j0 as usize, n as usize)
            };
            self.store_wide(&acc, j0, n, mr, y);
        }
    }

    /// Store channels `0 .. mr` of `acc`, wide-row positions `j0 .. j0 + n`.
    fn store_wide(&self, acc: &Tile, j0: i32, n: i32, mr: usize, y: &mut [f32]) {
        let (p, out_plane) = (self.p, self.out_plane);
        for (r, row) in acc.iter().enumerate().take(mr) {
            let yr = &mut y[r * out_plane..][..out_plane];
            conv_store_wide_f32(&p.act, self.g, p.out_w, row, j0, n, yr);
        }
    }

    /// `NT` tiles (1 or 2) of `MR` channels x `NR` consecutive positions, the first at
    /// wide-row position `j`, the second right after it (`mn_cf_tiles` into `acc`).
    /// Out of line, as GCC leaves `mn_cf_tile` (and so `store_tiles`): inlined into
    /// `conv_image` the loop shared the registers with the caller's and LLVM spilled the
    /// input pointer, reloading it at every step of eight FMAs; cnn32 under `meshnn bench
    /// --lang rust` went from 1.31x C to 1.14x (BENCHMARKS.md). The weights are walked one
    /// tap (`MR * cin_g` floats) at a time: walking them `MR` at a time across taps saved
    /// a division per tile on x86 (cnn32 1.04x) but cost nonn_k4 30 % more instructions
    /// on the Cortex-M4F under QEMU (8.4 M against 6.48 M).
    #[inline(never)]
    fn sum_tiles<const NT: usize>(&self, j: usize) -> [Tile; NT] {
        self.sums::<NT, false>(j, NR, 0)
    }

    /// `NT` tiles (1 or 2) stored directly through the activation (`mn_cf_tiles` to `y`):
    /// the first's inputs at position `j`, its outputs at `y[0..]`; the second's `dj` and
    /// `ydj` after them (the next output row or rows, or the next tile of a plane). With
    /// `ROWS2` each tile is two output rows of `NR / 2`, the second row's inputs `hs` after
    /// the first's, its outputs right after the first's. Out of line, as `sum_tiles`.
    #[inline(never)]
    fn store_tiles<const NT: usize, const ROWS2: bool>(
        &self,
        j: usize,
        dj: usize,
        hs: usize,
        y: &mut [f32],
        ydj: usize,
    ) {
        let acc = self.sums::<NT, ROWS2>(j, dj, hs);
        put_tiles(&self.p.act, &acc, self.out_plane, y, ydj);
    }

    /// The sums of `NT` tiles (see `store_tiles`) in registers: the bias, then every tap
    /// and input channel of the group in the packed order.
    #[inline(always)]
    fn sums<const NT: usize, const ROWS2: bool>(
        &self,
        j: usize,
        dj: usize,
        hs: usize,
    ) -> [Tile; NT] {
        let span = (NT - 1) * dj + if ROWS2 { hs + NR / 2 } else { NR };
        let mut acc: [Tile; NT] = [self.bias.map(|b| [b; NR]); NT];
        for (weights, windows) in self.taps(j, span) {
            for (wr, xs) in weights.zip(windows) {
                let wr: &[f32; MR] = wr.try_into().expect("MR floats");
                for (i, tile) in acc.iter_mut().enumerate() {
                    mul_add_tile(tile, wr, load_inputs::<ROWS2>(xs, i * dj, hs));
                }
            }
        }
        acc
    }

    /// Every kernel tap's steps of a tile in the packed order: its weights (`MR` floats an
    /// input channel) and the windows of `span` inputs its input channels read from
    /// wide-row position `j` on (one a channel, `pitch` apart). A tap's windows are
    /// bounds-checked once and zipped with its weights, and the loads inside a window are
    /// at the same offsets every step (LLVM hoists their checks): with a bounds check per
    /// load cnn32's 16 x 16 3 x 3 row pairs ran 1.20x C's time, 1.00x so. (A closure
    /// called for each step was left out of line, the accumulators in memory.)
    #[inline(always)]
    fn taps(
        &self,
        j: usize,
        span: usize,
    ) -> impl Iterator<Item = (ChunksExact<'_, f32>, StepBy<Windows<'_, f32>>)> {
        let (pitch, cin_g) = (self.g.pitch as usize, self.cin_g());
        let tap_span = (cin_g - 1) * pitch + span;
        let weights = self.w.chunks_exact(MR * cin_g);
        self.taps.iter().zip(weights).map(move |(&t, wt)| {
            let windows = self.xg[j + t as usize..][..tap_span].windows(span);
            (wt.chunks_exact(MR), windows.step_by(pitch))
        })
    }

    /// A tile of `nr < NR` positions that reads only those positions.
    fn tile_tail(&self, j: usize, nr: usize) -> Tile {
        let mut acc: Tile = self.bias.map(|b| [b; NR]);
        for (weights, windows) in self.taps(j, nr) {
            for (wr, xs) in weights.zip(windows) {
                for (a, &w) in acc.iter_mut().zip(wr) {
                    for (av, &x) in a.iter_mut().zip(xs) {
                        *av = madd(w, x, *av);
                    }
                }
            }
        }
        acc
    }

    /// A channel tile of `np` (1 ..= `PC`) positions from wide-row position `j`, channels
    /// `0 .. mr` stored to `y` (`mn_cf_tile_chan`): each count compiled as a constant.
    #[inline(never)]
    fn chan_tile(&self, j: usize, np: usize, mr: usize, y: &mut [f32]) {
        match np {
            1 => self.chan_np::<1>(j, mr, y),
            2 => self.chan_np::<2>(j, mr, y),
            3 => self.chan_np::<3>(j, mr, y),
            4 => self.chan_np::<4>(j, mr, y),
            5 => self.chan_np::<5>(j, mr, y),
            6 => self.chan_np::<6>(j, mr, y),
            7 => self.chan_np::<7>(j, mr, y),
            8 => self.chan_np::<8>(j, mr, y),
            9 => self.chan_np::<9>(j, mr, y),
            10 => self.chan_np::<10>(j, mr, y),
            11 => self.chan_np::<11>(j, mr, y),
            _ => self.chan_np::<PC>(j, mr, y),
        }
    }

    /// `NP` positions x `MR` channels vectorised across the channels (`mn_cf_chan_np`):
    /// the `MR` weights of one (tap, input channel) are one vector (the packed layout),
    /// each input is broadcast, and each position keeps its own accumulator vector. For
    /// output planes narrower than a tile (MobileNet's 3 x 3 and 2 x 2 stages, a 1 x 1
    /// plane), where a tile across positions would compute mostly dropped lanes. The same
    /// sums in the same order as the other tiles.
    #[inline(always)]
    fn chan_np<const NP: usize>(&self, j: usize, mr: usize, y: &mut [f32]) {
        let out_plane = self.out_plane;
        let mut a = [self.bias; NP];
        for (weights, windows) in self.taps(j, NP) {
            for (wr, xs) in weights.zip(windows) {
                let wr: &[f32; MR] = wr.try_into().expect("MR floats");
                for (av, &x) in a.iter_mut().zip(xs) {
                    mul_add_scaled(av, wr, x);
                }
            }
        }
        let (a, act) = (&a, &self.p.act);
        let out = |r: usize| core::array::from_fn::<f32, NP, _>(|v| a[v][r]);
        if let Some((lo, hi)) = act.clamp_bounds() {
            for r in 0..mr {
                map(&out(r), &mut y[r * out_plane..], |v| clip(v, lo, hi));
            }
        } else {
            for r in 0..mr {
                act.store(&out(r), &mut y[r * out_plane..], NP);
            }
        }
    }

    fn cin_g(&self) -> usize {
        (self.p.c_in / self.p.group) as usize
    }
}

/// Starts of the pairs of tiles `width` wide over `0 .. n` where pairs are built (`PAIR`):
/// every whole pair and, where `overlap` allows and more than one tile is left after them,
/// one more pair ending at `n`, overlapping the one before; and where the single tiles go
/// on from. Without pairs: none, and 0.
fn pair_starts(n: i32, width: i32, overlap: bool) -> (impl Iterator<Item = i32>, i32) {
    let step = 2 * width;
    let whole = if PAIR { n / step * step } else { 0 };
    let last = PAIR && overlap && whole > 0 && n - whole > width;
    let starts = (0..whole).step_by(step as usize);
    (
        starts.chain(last.then_some(n - step)),
        if last { n } else { whole },
    )
}

/// Starts of the tiles `width` wide from `from` to `n` (`n >= width`), the last one moved
/// back to end at `n`, overlapping the one before (recomputing a few outputs) so that
/// every tile is full.
fn tile_starts(from: i32, n: i32, width: i32) -> impl Iterator<Item = i32> {
    (from..n)
        .step_by(width as usize)
        .map(move |j| j.min(n - width))
}

/// A tile's `NR` inputs at `x[at..]`: consecutive, or with `ROWS2` the first half from
/// `x[at..]` and the second from `x[at + hs..]` (two input rows' runs as one tile's
/// inputs; LLVM joins the two half-vector loads with one insert).
#[inline(always)]
fn load_inputs<const ROWS2: bool>(x: &[f32], at: usize, hs: usize) -> [f32; NR] {
    if ROWS2 {
        let mut v = [0.0; NR];
        v[..NR / 2].copy_from_slice(&x[at..at + NR / 2]);
        v[NR / 2..].copy_from_slice(&x[at + hs..at + hs + NR / 2]);
        v
    } else {
        x[at..at + NR].try_into().expect("NR floats")
    }
}

/// One (tap, input channel) step of a tile: row `r` += weight `w[r]` times the inputs `xv`.
/// The rows spelled out (as in C): with a loop over them LLVM vectorises across the rows
/// (gathers and scatters with AVX-512) instead of along `NR`. `xv` is taken by value:
/// borrowed, LLVM split its load into inserts and a blend for some rows.
#[inline(always)]
fn mul_add_tile(acc: &mut Tile, w: &[f32; MR], xv: [f32; NR]) {
    let [w0, w1, w2, w3, w4, w5, w6, w7] = *w;
    mul_add_row(&mut acc[0], w0, &xv);
    mul_add_row(&mut acc[1], w1, &xv);
    mul_add_row(&mut acc[2], w2, &xv);
    mul_add_row(&mut acc[3], w3, &xv);
    mul_add_row(&mut acc[4], w4, &xv);
    mul_add_row(&mut acc[5], w5, &xv);
    mul_add_row(&mut acc[6], w6, &xv);
    mul_add_row(&mut acc[7], w7, &xv);
}

/// `a[v] += w * x[v]` along the tile's positions (the vector direction; fused where
/// the target has FMA, see `madd`).
#[inline(always)]
fn mul_add_row(a: &mut [f32; NR], w: f32, x: &[f32; NR]) {
    for (av, &xv) in a.iter_mut().zip(x) {
        *av = madd(w, xv, *av);
    }
}

/// `a[r] += w[r] * x` across the channels (a channel tile's step for one position). As an
/// array built whole: written as a loop over `r` (zipped iterators) LLVM left the
/// multiply-adds scalar, with spills (3 GMAC/s on MobileNet's 3 x 3 planes against 40).
#[inline(always)]
fn mul_add_scaled(a: &mut [f32; MR], w: &[f32; MR], x: f32) {
    *a = core::array::from_fn(|r| madd(w[r], x, a[r]));
}

/// Store full tiles through the activation: row `r` of tile `t` (`NR` consecutive outputs
/// of one channel) goes to `y[t * ydj + r * out_plane..]`. On vector units the clamp
/// activations (none, ReLU, Clip: a max and a min per vector) and HardSwish (eight calls
/// per tile took 9 % of MobileNetV3's time in C) inline, the kind tested once per call;
/// the others, and the scalar tiles, through `Act::store`.
#[inline(always)]
fn put_tiles<const NT: usize>(
    act: &Act,
    acc: &[Tile; NT],
    out_plane: usize,
    y: &mut [f32],
    ydj: usize,
) {
    match act.clamp_bounds() {
        Some((lo, hi)) if VECTOR => put_rows_with(acc, out_plane, y, ydj, |v| clip(v, lo, hi)),
        _ if VECTOR && act.kind == ACT_HARD_SWISH => {
            put_rows_with(acc, out_plane, y, ydj, hard_swish)
        }
        _ => {
            for (t, tile) in acc.iter().enumerate() {
                for (r, row) in tile.iter().enumerate() {
                    act.store(row, &mut y[t * ydj + r * out_plane..], NR);
                }
            }
        }
    }
}

/// `y[t * ydj + r * out_plane + v] = f(acc[t][r][v])` for every tile `t`, row `r` and
/// position `v`.
#[inline(always)]
fn put_rows_with<const NT: usize>(
    acc: &[Tile; NT],
    out_plane: usize,
    y: &mut [f32],
    ydj: usize,
    f: impl Fn(f32) -> f32,
) {
    for (t, tile) in acc.iter().enumerate() {
        for (r, row) in tile.iter().enumerate() {
            map(row, &mut y[t * ydj + r * out_plane..][..NR], &f);
        }
    }
}
