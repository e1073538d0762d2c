//! Sliding-window operators on float32 data, any number of spatial axes: Conv, MaxPool /
//! AveragePool and the global pools. The rules are those of the runtime's reference
//! kernels (`mn_conv_nd_f32`, `mn_pool_nd_f32`, `mn_global_pool_f32`): padding contributes
//! zero to a convolution and is skipped by max pooling; max pooling propagates NaN
//! (a window holding NaN gives NaN, as numpy's maximum).

use super::index::{index_map, strides};
use super::Operands;
use crate::ir::{Activation, Data, Op, PoolKind};

/// The window of one node: spatial sizes and attributes, `pads` = [begin.., end..].
pub(super) struct Win<'a> {
    input: &'a [usize],
    kernel: &'a [usize],
    strides: &'a [usize],
    dilations: &'a [usize],
    pads: &'a [usize],
}

/// One tap of a window: the input offset it reads (`None` outside the input) and whether
/// it lies in the padded extent [-pad_begin, input + pad_end) on every axis.
struct Tap {
    offset: Option<usize>,
    in_padded: bool,
}

impl<'a> Win<'a> {
    /// The window of a Conv or Pool node `op` over the first operand; `None` for others.
    pub(super) fn of(op: &'a Op, a: &Operands<'a>) -> Option<Win<'a>> {
        let (kernel, strides, dilations, pads) = op.window()?;
        Some(Win {
            input: a.t()?.shape.get(2..)?,
            kernel,
            strides,
            dilations,
            pads,
        })
    }

    /// The taps of the window of output position `o`, row-major over the kernel.
    fn taps(&self, o: &[usize]) -> Vec<Tap> {
        let nd = self.kernel.len();
        let in_strides = strides(self.input);
        let mut taps = Vec::new();
        index_map(self.kernel, |k| {
            let mut offset = Some(0);
            let mut in_padded = true;
            for d in 0..nd {
                let pos = (o[d] * self.strides[d] + k[d] * self.dilations[d]) as i64
                    - self.pads[d] as i64;
                if pos < 0 || pos >= self.input[d] as i64 {
                    offset = None;
                }
                let end = (self.input[d] + self.pads[nd + d]) as i64;
                in_padded &= pos >= -(self.pads[d] as i64) && pos < end;
                offset = offset.map(|s| s + pos as usize * in_strides[d]);
            }
            taps.push(Tap { offset, in_padded });
            None
        });
        taps
    }

    /// Whether the attribute lists fit the input's spatial rank.
    fn valid(&self) -> bool {
        let nd = self.input.len();
        self.kernel.len() == nd
            && self.strides.len() == nd
            && self.dilations.len() == nd
            && self.pads.len() == 2 * nd
    }
}

/// Conv over X [N, C, *spatial], W [M, C/group, *kernel], optional B [M]. `None` with a
/// fused activation (folding runs before fusion) or inconsistent shapes.
pub(super) fn conv(a: &Operands, w: &Win, group: usize, act: Activation) -> Option<Vec<Data>> {
    let (Data::F32(x), Some(Data::F32(wt))) = (a.x()?, a.datas.get(1)) else {
        return None;
    };
    let bias = match a.datas.get(2) {
        Some(Data::F32(b)) if b.len() == ys_len(a, 1)? => Some(b),
        Some(_) => return None,
        None => None,
    };
    let (xs, ys) = (&a.t()?.shape, &a.out.shape);
    if act != Activation::None || !w.valid() || xs.len() != ys.len() || group == 0 {
        return None;
    }
    let (n, c, m) = (xs[0], xs[1], ys[1]);
    if x.len() != n * c * w.input.iter().product::<usize>() {
        return None;
    }
    let (cin_g, cout_g) = (c / group, m / group);
    let in_size: usize = w.input.iter().product();
    let taps_n: usize = w.kernel.iter().product();
    if cin_g * group != c || cout_g * group != m || wt.len() != m * cin_g * taps_n {
        return None;
    }
    let mut y = Vec::with_capacity(a.out.numel());
    let positions = window_taps(w, &ys[2..]);
    for b in 0..n {
        for oc in 0..m {
            let xg = (b * c + oc / cout_g * cin_g) * in_size;
            for taps in &positions {
                let mut acc = bias.map_or(0.0, |bv| bv[oc]);
                for (t, tap) in taps.iter().enumerate() {
                    let Some(off) = tap.offset else { continue };
                    for ic in 0..cin_g {
                        acc += x[xg + ic * in_size + off] * wt[(oc * cin_g + ic) * taps_n + t];
                    }
                }
                y.push(acc);
            }
        }
    }
    a.one(Some(Data::F32(y)))
}

/// Axis `i` of the output's shape.
fn ys_len(a: &Operands, i: usize) -> Option<usize> {
    a.out.shape.get(i).copied()
}

/// MaxPool / AveragePool over X [N, C, *spatial].
pub(super) fn pool(
    a: &Operands,
    w: &Win,
    kind: PoolKind,
    count_include_pad: bool,
) -> Option<Vec<Data>> {
    let Data::F32(x) = a.x()? else { return None };
    let (xs, ys) = (&a.t()?.shape, &a.out.shape);
    if !w.valid() || xs.len() != ys.len() {
        return None;
    }
    let in_size: usize = w.input.iter().product();
    let positions = window_taps(w, &ys[2..]);
    let mut y = Vec::with_capacity(a.out.numel());
    for ch in 0..xs[0] * xs[1] {
        let xc = x.get(ch * in_size..(ch + 1) * in_size)?;
        for taps in &positions {
            let inside = taps.iter().filter_map(|t| t.offset.map(|o| xc[o]));
            y.push(match kind {
                PoolKind::Max => inside.fold(f32::NEG_INFINITY, max_nan),
                PoolKind::Avg => {
                    let (sum, n) = inside.fold((0.0f32, 0usize), |(s, n), v| (s + v, n + 1));
                    let count = if count_include_pad {
                        taps.iter().filter(|t| t.in_padded).count()
                    } else {
                        n
                    };
                    if count > 0 {
                        sum / count as f32
                    } else {
                        0.0
                    }
                }
            });
        }
    }
    a.one(Some(Data::F32(y)))
}

/// GlobalMaxPool / GlobalAveragePool over X [N, C, *spatial].
pub(super) fn global_pool(a: &Operands, kind: PoolKind) -> Option<Vec<Data>> {
    let Data::F32(x) = a.x()? else { return None };
    let xs = &a.t()?.shape;
    let size: usize = xs.get(2..)?.iter().product();
    if size == 0 {
        return None;
    }
    let y = x
        .chunks(size)
        .map(|c| match kind {
            PoolKind::Max => c.iter().copied().fold(f32::NEG_INFINITY, max_nan),
            PoolKind::Avg => c.iter().sum::<f32>() / size as f32,
        })
        .collect();
    a.one(Some(Data::F32(y)))
}

/// The running maximum of max pooling (`mn_max_nan` in runtime-c): NaN once either is NaN.
fn max_nan(m: f32, v: f32) -> f32 {
    if m.is_nan() || v.is_nan() {
        f32::NAN
    } else {
        m.max(v)
    }
}

/// The taps of every output position (row-major over `output`).
fn window_taps(w: &Win, output: &[usize]) -> Vec<Vec<Tap>> {
    let mut all = Vec::new();
    index_map(output, |o| {
        all.push(w.taps(o));
        None
    });
    all
}
