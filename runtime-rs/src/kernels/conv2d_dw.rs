//! Depthwise convolution (`group == c_in == c_out`) on blocks of `CB` channels at a time:
//! the twin of `runtime-c/src/mn_conv2d_dw_f32.c` (same ring layout, tiles and summation
//! order); the contract is `mn_conv2d_dw_f32` in `runtime-c/include/mn_kernels.h`,
//! `conv2d_f32` the reference it matches.
//!
//! Method. The channels are taken `CB` (8) at a time, interleaved: the input rows a block
//! needs are copied, zero-padded, into a ring of `span` rows in scratch laid out
//! `[row][padded column][CB]`, and the block's weights into `[tap][CB]`. Every tap of
//! every output position then reads `CB` adjacent floats whatever the stride or dilation,
//! and the inner loop is one vector multiply-add over the block's channels. A tile holds
//! up to `NR` positions of one output row x `CB` channels over all taps, then is stored
//! through the activation back into the `[c][h][w]` planes. Channels past `c_in` in the
//! last block are computed on zeros and not stored.

use super::madd::madd;
use super::{ConvParams, CONV_FAST_MAX_TAPS};

/// Channels per block (the vector direction; `MN_DW_CB`).
const CB: usize = 8;

/// Output positions per tile, at most (`MN_DW_NR`): 8 where the block is one or two vector
/// registers (SSE2, AVX, NEON, RISC-V V, AltiVec, WebAssembly SIMD), 2 on scalar FPUs and
/// wherever `--cfg meshnn_scalar_tiles` is given (as for `conv2d_fast`).
const NR: usize = if cfg!(meshnn_scalar_tiles) {
    2
} else if cfg!(any(
    target_feature = "avx",
    target_feature = "neon",
    target_arch = "aarch64",
    target_feature = "sse2",
    target_feature = "v",
    target_feature = "altivec",
    target_feature = "simd128"
)) {
    8
} else {
    2
};

/// The padded geometry of one channel block (`mn_dw_geom_t`).
struct DwGeom {
    /// Input rows one output row reads: `(k_h - 1) * dil_h + 1`.
    span: i32,
    /// Padded columns read: `(out_w - 1) * s_w + (k_w - 1) * dil_w + 1`.
    wp: i32,
    /// Floats per ring row: `wp * CB`.
    row: usize,
    /// `k_h * k_w`.
    taps: usize,
}

fn dw_geometry(p: &ConvParams) -> DwGeom {
    let wp = (p.out_w - 1) * p.stride_w + (p.k_w - 1) * p.dil_w + 1;
    DwGeom {
        span: (p.k_h - 1) * p.dil_h + 1,
        wp,
        row: wp as usize * CB,
        taps: (p.k_h * p.k_w) as usize,
    }
}

/// Floats of scratch `conv2d_dw_f32` needs (`mn_conv2d_dw_f32_scratch_size`): the ring of
/// rows, then the block's weights.
pub fn conv2d_dw_f32_scratch_size(p: &ConvParams) -> i32 {
    let g = dw_geometry(p);
    (g.span as usize * g.row + g.taps * CB) as i32
}

/// Depthwise convolution (`mn_conv2d_dw_f32`): the result of `conv2d_f32` up to float
/// rounding, weights as given (`[c][1][k_h][k_w]`). `scratch` holds
/// [`conv2d_dw_f32_scratch_size`] floats (the kernel always uses it: `None` panics).
/// Precondition: `group == c_in == c_out`, `k_h * k_w <= CONV_FAST_MAX_TAPS`.
pub fn conv2d_dw_f32(
    p: &ConvParams,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    scratch: Option<&mut [f32]>,
    y: &mut [f32],
) {
    let g = dw_geometry(p);
    let scratch = scratch.expect("conv2d_dw_f32 needs scratch_size floats of scratch");
    let (ring, wq) = scratch.split_at_mut(g.span as usize * g.row);
    let wq = &mut wq[..g.taps * CB];
    let (in_plane, out_plane) = ((p.in_h * p.in_w) as usize, (p.out_h * p.out_w) as usize);
    for n in 0..p.n as usize {
        for c0 in (0..p.c_in as usize).step_by(CB) {
            let cb = (p.c_in as usize - c0).min(CB);
            let mut bias = [0.0f32; CB];
            if let Some(b) = b {
                bias[..cb].copy_from_slice(&b[c0..c0 + cb]);
            }
            pack_weights(w, g.taps, c0, cb, wq);
            let block = Block { p, g: &g, cb, bias };
            let xb = &x[(n * p.c_in as usize + c0) * in_plane..];
            let yb = &mut y[(n * p.c_out as usize + c0) * out_plane..];
            block.run(xb, wq, ring, yb);
        }
    }
}

/// Interleave the weights (`[c][taps]`) of channels `c0 .. c0 + cb` into `wq[tap][CB]`,
/// zero past `cb`.
fn pack_weights(w: &[f32], taps: usize, c0: usize, cb: usize, wq: &mut [f32]) {
    for (t, wt) in wq.chunks_exact_mut(CB).enumerate() {
        for (c, v) in wt.iter_mut().enumerate() {
            *v = if c < cb { w[(c0 + c) * taps + t] } else { 0.0 };
        }
    }
}

/// One block of `cb` channels of one image.
struct Block<'a> {
    p: &'a ConvParams,
    g: &'a DwGeom,
    cb: usize,
    bias: [f32; CB],
}

impl Block<'_> {
    /// Every output row of the block: `xb`, `yb` start at its first input and output
    /// planes; the ring keeps the input rows consecutive output rows share.
    fn run(&self, xb: &[f32], wq: &[f32], ring: &mut [f32], yb: &mut [f32]) {
        let (p, g) = (self.p, self.g);
        let mut next = 0; // next padded row to copy into the ring
        for oh in 0..p.out_h {
            let first = oh * p.stride_h;
            let last = first + g.span; // [first, last)
            for r in next.max(first)..last {
                let dst = &mut ring[(r % g.span) as usize * g.row..][..g.row];
                self.pack_row(xb, r - p.pad_top, dst);
            }
            next = last;
            self.row(ring, wq, oh, yb);
        }
    }

    /// Copy input row `ih` of the block's planes into one ring row `dst[wp][CB]`: zero for
    /// padding columns, rows outside the input and channels past `cb`.
    fn pack_row(&self, xb: &[f32], ih: i32, dst: &mut [f32]) {
        let (p, g) = (self.p, self.g);
        let plane = (p.in_h * p.in_w) as usize;
        let lo = p.pad_left.min(g.wp) as usize;
        let hi = (p.pad_left + p.in_w).min(g.wp) as usize; // columns [lo, hi)
        if ih < 0 || ih >= p.in_h || self.cb < CB {
            dst.fill(0.0);
            if ih < 0 || ih >= p.in_h {
                return;
            }
        } else {
            // A full block: only the padding columns need zeros.
            dst[..lo * CB].fill(0.0);
            dst[hi * CB..].fill(0.0);
        }
        if hi <= lo {
            return;
        }
        let src = &xb[ih as usize * p.in_w as usize..];
        for c in 0..self.cb {
            let sc = &src[c * plane..][..hi - lo];
            for (d, &v) in dst[lo * CB..hi * CB].chunks_exact_mut(CB).zip(sc) {
                d[c] = v;
            }
        }
    }

    /// One output row `oh`, tiles of 8, 4, 2 and 1 positions (the widest that fit, at
    /// most `NR`).
    fn row(&self, ring: &[f32], wq: &[f32], oh: i32, yb: &mut [f32]) {
        let (p, g) = (self.p, self.g);
        let mut rows = [0usize; CONV_FAST_MAX_TAPS];
        for (kh, r) in rows.iter_mut().enumerate().take(p.k_h as usize) {
            *r = ((oh * p.stride_h + kh as i32 * p.dil_h) % g.span) as usize * g.row;
        }
        let tap = TapWalk {
            p,
            ring,
            rows: &rows[..p.k_h as usize],
            wq,
            step: p.stride_w as usize * CB,
            bias: &self.bias,
        };
        match p.stride_w {
            1 => self.row_tiles::<1>(&tap, oh, yb),
            2 => self.row_tiles::<2>(&tap, oh, yb),
            _ => self.row_tiles::<0>(&tap, oh, yb),
        }
    }

    /// The tiles of output row `oh` with column stride `S` (0: any, read at run time).
    fn row_tiles<const S: usize>(&self, tap: &TapWalk, oh: i32, yb: &mut [f32]) {
        let out_w = self.p.out_w as usize;
        let yr = oh as usize * out_w;
        let mut ow = 0;
        while ow < out_w {
            let left = out_w - ow;
            let mut acc = [0.0f32; 8 * CB];
            let nr = if NR >= 8 && left >= 8 {
                tap.tile::<8, S>(ow, &mut acc)
            } else if NR >= 4 && left >= 4 {
                tap.tile::<4, S>(ow, &mut acc)
            } else if left >= 2 {
                tap.tile::<2, S>(ow, &mut acc)
            } else {
                tap.tile::<1, S>(ow, &mut acc)
            };
            self.store(&acc, nr, &mut yb[yr + ow..]);
            ow += nr;
        }
    }

    /// Store a tile `acc[nr][CB]` through the activation into the block's output planes,
    /// positions `yb[..nr]` of each.
    fn store(&self, acc: &[f32; 8 * CB], nr: usize, yb: &mut [f32]) {
        let out_plane = (self.p.out_h * self.p.out_w) as usize;
        let mut o = [0.0f32; 8 * CB];
        self.p.act.store(acc, &mut o, nr * CB);
        for c in 0..self.cb {
            let yc = &mut yb[c * out_plane..][..nr];
            for (r, v) in yc.iter_mut().enumerate() {
                *v = o[r * CB + c];
            }
        }
    }
}

/// What the tiles of one output row read.
struct TapWalk<'a> {
    p: &'a ConvParams,
    ring: &'a [f32],
    /// Ring offset of the row of each tap row `kh`.
    rows: &'a [usize],
    wq: &'a [f32],
    /// Floats between consecutive positions: `stride_w * CB`.
    step: usize,
    bias: &'a [f32; CB],
}

impl TapWalk<'_> {
    /// `N` positions from `ow` x `CB` channels over every tap, into `out[..N * CB]`;
    /// returns `N`. Each position's accumulators are one array, so that the compiler keeps
    /// them in registers and vectorises across channels. With the column stride `S` a
    /// constant (1 or 2; 0: read at run time) the reads of a tap are one slice of constant
    /// length and need no bounds check per position.
    #[inline(always)]
    fn tile<const N: usize, const S: usize>(&self, ow: usize, out: &mut [f32; 8 * CB]) -> usize {
        let dil_w = self.p.dil_w as usize * CB;
        let k_w = self.p.k_w as usize;
        let step = if S == 0 { self.step } else { S * CB };
        let mut acc = [*self.bias; N];
        let off = ow * step;
        for (kh, &row) in self.rows.iter().enumerate() {
            let xr = row + off;
            let wr = &self.wq[kh * k_w * CB..][..k_w * CB];
            for (kw, wt) in wr.chunks_exact(CB).enumerate() {
                let wt: &[f32; CB] = wt.try_into().expect("CB floats");
                let xk = xr + kw * dil_w;
                let xt = &self.ring[xk..xk + (N - 1) * step + CB];
                for (r, a) in acc.iter_mut().enumerate() {
                    let xs: &[f32; CB] = xt[r * step..r * step + CB].try_into().expect("CB floats");
                    for c in 0..CB {
                        a[c] = madd(wt[c], xs[c], a[c]);
                    }
                }
            }
        }
        for (o, a) in out.chunks_exact_mut(CB).zip(&acc) {
            o.copy_from_slice(a);
        }
        N
    }
}
