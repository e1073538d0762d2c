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
//!
//! Vector units, stride 1 with `out_w == in_w` and planes of at least `FLAT_MIN`
//! positions take the flat path instead (`mn_dw_flat_*`, see [`Flat`]): each channel
//! plane as one row, consecutive outputs reading consecutive inputs per tap.

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
    if let Some(flat) = Flat::new(p, &g, scratch.len()) {
        flat.run(x, w, b, scratch, y);
        return;
    }
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

/// Output positions per step of the flat path, at most (`MN_DW_FV`).
const FV: usize = 128;
/// Positions per vector of a step: steps are whole vectors (`MN_DW_FL`).
const FL: usize = 16;
/// The widest kernel the flat path takes (`MN_DW_FLAT_KW`).
const FLAT_KW: usize = 8;
/// The smallest plane the flat path takes (`MN_DW_FLAT_MIN`): smaller ones (MobileNet's
/// 3 x 3, hundreds of channels) are faster in blocks of channels.
const FLAT_MIN: i32 = 32;

/// The flat path (`mn_dw_flat_*` in C; same method, same order of multiply-adds as the
/// blocks). With stride 1 and as many output as input columns, output position `i` of a
/// plane (flat, `oh * in_w + ow`) reads tap `(kh, kw)` at flat input position `i + d`,
/// `d = (kh * dil_h - pad_top) * in_w + kw * dil_w - pad_left`, for every position alike:
/// a step of consecutive outputs reads consecutive inputs per tap. A tap whose column
/// falls outside the input row would read the neighbouring row: those lanes add 0 (a
/// select, so an infinity there cannot make a NaN). The steps whose reads would leave the
/// plane (rows above and below the input) read a zero-extended copy of their window in
/// the scratch.
struct Flat<'a> {
    p: &'a ConvParams,
    /// Flat input offset of each tap, relative to the output position.
    d: [isize; CONV_FAST_MAX_TAPS],
    /// `kw * dil_w - pad_left` of each kernel column.
    shift: [i32; FLAT_KW],
    /// The least and greatest `d`.
    lo: isize,
    hi: isize,
    /// The column of flat position `l < FV`.
    col0: [i32; FV],
}

impl<'a> Flat<'a> {
    /// The flat path of `p` where it applies (`mn_dw_flat_ok`): vector units, stride 1,
    /// `out_w == in_w`, a plane of at least `FLAT_MIN` positions, at most `FLAT_KW` kernel
    /// columns, and a step's window fits the scratch.
    fn new(p: &'a ConvParams, g: &DwGeom, scratch: usize) -> Option<Self> {
        let plane = (p.out_h * p.out_w) as usize;
        let step = plane.div_ceil(FL).saturating_mul(FL).min(FV);
        let window = step + ((p.k_h - 1) * p.dil_h * p.in_w + (p.k_w - 1) * p.dil_w) as usize;
        let applies = NR > 2
            && p.stride_h == 1
            && p.stride_w == 1
            && p.out_w == p.in_w
            && plane >= FLAT_MIN as usize
            && p.k_w as usize <= FLAT_KW
            && g.taps <= CONV_FAST_MAX_TAPS
            && window <= scratch;
        if !applies {
            return None;
        }
        let mut f = Flat {
            p,
            d: [0; CONV_FAST_MAX_TAPS],
            shift: [0; FLAT_KW],
            lo: 0,
            hi: 0,
            col0: [0; FV],
        };
        for (l, c) in f.col0.iter_mut().enumerate() {
            *c = (l % p.in_w as usize) as i32;
        }
        for kw in 0..p.k_w as usize {
            f.shift[kw] = kw as i32 * p.dil_w - p.pad_left;
        }
        f.lo = ((-p.pad_top * p.in_w) + f.shift[0]) as isize;
        f.hi = f.lo;
        for kh in 0..p.k_h as usize {
            for kw in 0..p.k_w as usize {
                let d = ((kh as i32 * p.dil_h - p.pad_top) * p.in_w + f.shift[kw]) as isize;
                f.d[kh * p.k_w as usize + kw] = d;
                f.lo = f.lo.min(d);
                f.hi = f.hi.max(d);
            }
        }
        Some(f)
    }

    /// The whole convolution, plane by plane.
    fn run(&self, x: &[f32], w: &[f32], b: Option<&[f32]>, win: &mut [f32], y: &mut [f32]) {
        let p = self.p;
        let (in_plane, out_plane) = ((p.in_h * p.in_w) as usize, (p.out_h * p.out_w) as usize);
        let taps = (p.k_h * p.k_w) as usize;
        for n in 0..p.n as usize {
            for c in 0..p.c_in as usize {
                let at = n * p.c_in as usize + c;
                self.plane(
                    &x[at * in_plane..][..in_plane],
                    &w[c * taps..][..taps],
                    b.map_or(0.0, |b| b[c]),
                    win,
                    &mut y[at * out_plane..][..out_plane],
                );
            }
        }
    }

    /// One channel's plane `xc` into `yc`, steps of up to `FV` positions.
    fn plane(&self, xc: &[f32], wc: &[f32], bias: f32, win: &mut [f32], yc: &mut [f32]) {
        let in_w = self.p.in_w;
        let wrap = (FV % in_w as usize) as i32;
        let mut col = self.col0;
        let mut acc = [0.0f32; FV];
        let yc_len = yc.len();
        for (s, ys) in yc.chunks_mut(FV).enumerate() {
            let i0 = (s * FV) as isize;
            let n = ys.len().div_ceil(FL) * FL; // whole vectors
            let (src, base) = if i0 + self.lo < 0 || i0 + self.hi + n as isize > xc.len() as isize {
                self.window(xc, i0, n, win);
                (&win[..], -self.lo)
            } else {
                (xc, i0)
            };
            let acc = &mut acc[..n];
            if self.p.k_h == 3 && self.p.k_w == 3 {
                self.step_k::<3, 9>(src, base, &col[..n], wc, bias, acc);
            } else if self.p.k_h == 5 && self.p.k_w == 5 {
                self.step_k::<5, 25>(src, base, &col[..n], wc, bias, acc);
            } else {
                self.step(src, base, &col[..n], wc, bias, acc);
            }
            self.p.act.store(acc, ys, ys.len());
            if (s + 1) * FV < yc_len {
                // the next step's columns
                for c in col.iter_mut() {
                    *c += wrap;
                    *c -= if *c >= in_w { in_w } else { 0 };
                }
            }
        }
    }

    /// `win[j] = xc[i0 + lo + j]`, 0 outside the plane, for the `n + hi - lo` floats a
    /// step of `n` positions reads.
    fn window(&self, xc: &[f32], i0: isize, n: usize, win: &mut [f32]) {
        let first = i0 + self.lo;
        let span = n + (self.hi - self.lo) as usize;
        let win = &mut win[..span];
        win.fill(0.0);
        let a = (-first).max(0) as usize; // win[a..e] inside the plane
        let e = (xc.len() as isize - first).clamp(0, span as isize) as usize;
        if a < e {
            win[a..e].copy_from_slice(&xc[(first + a as isize) as usize..][..e - a]);
        }
    }

    /// One step of a `K x K` kernel (`T = K * K` taps; `mn_dw_flat_rows3` and
    /// `mn_dw_flat_rows5`): `acc[l]` for the positions whose columns are `col[l]`, tap `t`
    /// reading `src[base + d[t] + l]`; the taps unrolled in the loop over the positions
    /// (constant counts) so each sum stays in a register.
    fn step_k<const K: usize, const T: usize>(
        &self,
        src: &[f32],
        base: isize,
        col: &[i32],
        wc: &[f32],
        bias: f32,
        acc: &mut [f32],
    ) {
        let n = acc.len();
        let x: [&[f32]; T] = core::array::from_fn(|t| &src[(base + self.d[t]) as usize..][..n]);
        let w: &[f32; T] = wc.try_into().expect("k_h * k_w weights");
        let in_w = self.p.in_w as u32;
        let s: [i32; K] = core::array::from_fn(|kw| self.shift[kw]);
        let col = &col[..n];
        for l in 0..n {
            let m: [bool; K] = core::array::from_fn(|kw| ((col[l] + s[kw]) as u32) < in_w);
            let mut a = bias;
            for t in 0..T {
                a = madd(w[t], if m[t % K] { x[t][l] } else { 0.0 }, a);
            }
            acc[l] = a;
        }
    }

    /// One step of any kernel: the sums in `acc` across the taps.
    fn step(&self, src: &[f32], base: isize, col: &[i32], wc: &[f32], bias: f32, acc: &mut [f32]) {
        let (n, k_w, in_w) = (acc.len(), self.p.k_w as usize, self.p.in_w as u32);
        acc.fill(bias);
        for (t, &wt) in wc.iter().enumerate() {
            let s = self.shift[t % k_w];
            let xt = &src[(base + self.d[t]) as usize..][..n];
            for ((a, &x), &c) in acc.iter_mut().zip(xt).zip(&col[..n]) {
                let v = if ((c + s) as u32) < in_w { x } else { 0.0 };
                *a = madd(wt, v, *a);
            }
        }
    }
}
