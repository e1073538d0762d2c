//! Patch-based execution (MCUNetV2, Lin et al. 2021): a chain of spatially local layers
//! (2-D Conv, pooling without padding, element-wise ops with a per-channel constant,
//! activations) runs tile by tile. The chain's output is split into a grid of spatial
//! tiles; each tile's receptive field is traced back through the chain (kernel, stride,
//! dilation, padding), so each layer runs on a patch and the overlapping halo is
//! recomputed. Only the chain's input and output are whole tensors in the arena; the
//! intermediate tensors exist one patch at a time in a small workspace.
//!
//! Patches are clamped to the image: a layer whose window reaches past the image border
//! runs on its patch with the padding of that border ([`tile_node`]), so the image's zero
//! padding is reproduced exactly and nothing outside the image is ever computed.
//!
//! [`choose`] picks chains and grids greedily: each step adds the (chain, grid) that
//! lowers the arena's lower bound most while the extra MACs of all patches stay within
//! the limit ([`PatchOptions::max_mac_overhead`] of the device's MACs).

use super::memory;
use crate::ir::{cost, Graph, Node, NodeId, Op, Tensor, TensorId};
use crate::kernels;

/// Largest grid side tried (tiles per spatial axis).
pub const MAX_GRID: usize = 16;
/// Longest chain tried, in nodes.
const MAX_CHAIN: usize = 24;
/// Most candidates tried, earliest in the order first (the high-resolution layers patching
/// is for come first): bounds the planning time of very large models.
const MAX_CANDIDATES: usize = 2048;

/// Whether and how far the planner may patch (`[device] patch`, `--patch`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PatchOptions {
    /// `patch = "auto"`: choose chains that lower the peak; `"off"`: never patch.
    pub auto: bool,
    /// Extra MACs allowed over the device's MACs, as a fraction (0.15 = 15 %).
    pub max_mac_overhead: f64,
}

impl Default for PatchOptions {
    fn default() -> Self {
        PatchOptions {
            auto: false,
            max_mac_overhead: DEFAULT_MAX_MAC_OVERHEAD,
        }
    }
}

/// The default MAC overhead limit (MCUNetV2's regime: a little recomputation).
pub const DEFAULT_MAX_MAC_OVERHEAD: f64 = 0.15;

/// A half-open spatial region `[h0, h1) x [w0, w1)` of a tensor, in image coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub h0: usize,
    pub h1: usize,
    pub w0: usize,
    pub w1: usize,
}

impl Region {
    pub fn h(&self) -> usize {
        self.h1 - self.h0
    }
    pub fn w(&self) -> usize {
        self.w1 - self.w0
    }
    pub fn area(&self) -> usize {
        self.h() * self.w()
    }
}

/// One chain run patch by patch.
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    /// The chain's nodes, consecutive in the device's order.
    pub nodes: Vec<NodeId>,
    /// Position of the first node in the order: every tile runs at this step.
    pub step: usize,
    /// The chain's tensors: its input, then every node's output (the last is the
    /// chain's output, the ones between exist only as patches).
    pub tensors: Vec<TensorId>,
    /// Tiles per axis of the output: [rows, columns].
    pub grid: [usize; 2],
    /// The chain's total stride per axis [h, w].
    pub stride: [usize; 2],
    /// For every tile, the region of each of `tensors`.
    pub tiles: Vec<Vec<Region>>,
    /// Workspace bytes: the two ping-pong patch buffers, then the kernels' scratch.
    pub ping_bytes: usize,
    pub pong_bytes: usize,
    pub scratch_bytes: usize,
    /// MACs of the chain run whole, and run patch by patch.
    pub base_macs: u64,
    pub patched_macs: u64,
}

impl Patch {
    pub fn workspace_bytes(&self) -> usize {
        self.ping_bytes + self.pong_bytes + self.scratch_bytes
    }
    pub fn extra_macs(&self) -> u64 {
        self.patched_macs.saturating_sub(self.base_macs)
    }
    /// The chain's input tensor.
    pub fn input(&self) -> TensorId {
        self.tensors[0]
    }
    /// The chain's output tensor.
    pub fn output(&self) -> TensorId {
        self.tensors[self.tensors.len() - 1]
    }
    /// Tensors that live only as patches.
    pub fn hidden(&self) -> &[TensorId] {
        &self.tensors[1..self.tensors.len() - 1]
    }
    /// The largest halo per axis [h, w]: input rows/columns a tile reads beyond its own
    /// share of the input (its output extent times the chain's total stride).
    pub fn halo(&self) -> [usize; 2] {
        let mut halo = [0, 0];
        for t in &self.tiles {
            let (inp, out) = (t[0], t[t.len() - 1]);
            halo[0] = halo[0].max(inp.h().saturating_sub(out.h() * self.stride[0]));
            halo[1] = halo[1].max(inp.w().saturating_sub(out.w() * self.stride[1]));
        }
        halo
    }
}

/// A layer's window along [h, w]; the identity window for element-wise nodes.
#[derive(Clone, Copy, Debug)]
struct Window {
    k: [usize; 2],
    s: [usize; 2],
    d: [usize; 2],
    p: [usize; 2],
}

const POINTWISE: Window = Window {
    k: [1, 1],
    s: [1, 1],
    d: [1, 1],
    p: [0, 0],
};

/// [N = 1, C, H, W]: the only layout patched.
fn image(t: &Tensor) -> Option<[usize; 3]> {
    match *t.shape.as_slice() {
        [1, c, h, w] if c > 0 && h > 0 && w > 0 => Some([c, h, w]),
        _ => None,
    }
}

/// The node's window when it can run on a patch of its runtime input `x`, else `None`.
fn patch_window(g: &Graph, node: &Node, x: TensorId) -> Option<Window> {
    let y = *node.outputs.first()?;
    // The tile copies and the tiles' kernels are float32; int8 layers are not patched.
    if node.outputs.len() != 1 || g.tensors[x].dtype != crate::ir::DType::F32 {
        return None;
    }
    let (xi, yi) = (image(&g.tensors[x])?, image(&g.tensors[y])?);
    let others_const = node
        .inputs
        .iter()
        .filter(|&&t| t != x)
        .all(|&t| g.tensors[t].is_const());
    if node.inputs.iter().filter(|&&t| t == x).count() != 1 || !others_const {
        return None;
    }
    match &node.op {
        Op::Conv {
            kernel,
            strides,
            dilations,
            pads,
            ..
        } if kernel.len() == 2 && node.inputs.first() == Some(&x) => Some(Window {
            k: [kernel[0], kernel[1]],
            s: [strides[0], strides[1]],
            d: [dilations[0], dilations[1]],
            p: [pads[0], pads[1]],
        }),
        Op::Pool {
            kernel,
            strides,
            dilations,
            pads,
            ..
        } if kernel.len() == 2 && pads.iter().all(|&p| p == 0) => {
            let w = Window {
                k: [kernel[0], kernel[1]],
                s: [strides[0], strides[1]],
                d: [dilations[0], dilations[1]],
                p: [0, 0],
            };
            // Every window inside the input (no ceil-mode window past the border).
            let inside =
                (0..2).all(|a| (yi[a + 1] - 1) * w.s[a] + (w.k[a] - 1) * w.d[a] < xi[a + 1]);
            inside.then_some(w)
        }
        Op::Unary(_) if xi == yi => Some(POINTWISE),
        Op::Binary { .. } if xi == yi && per_channel_constants(g, node, x) => Some(POINTWISE),
        _ => None,
    }
}

/// Whether every operand of `node` other than `x` is constant over the spatial axes
/// (broadcast along H and W), so a patch sees the same values as the whole image.
fn per_channel_constants(g: &Graph, node: &Node, x: TensorId) -> bool {
    node.inputs.iter().filter(|&&t| t != x).all(|&t| {
        let s = &g.tensors[t].shape;
        let spatial_ones = s.len() >= 2 && s[s.len() - 2..] == [1, 1];
        s.len() <= 4 && (spatial_ones || s.iter().product::<usize>() == 1)
    })
}

/// The longest patchable chain starting at position `s` of `order` (at least one node):
/// the nodes and their windows. A chain continues while the next node in the order reads
/// the previous output, which nothing else reads and which the device neither delivers
/// nor sends.
fn chain_at(
    g: &Graph,
    order: &[NodeId],
    s: usize,
    consumers: &[Vec<NodeId>],
    kept: &[TensorId],
) -> Vec<(NodeId, Window, TensorId)> {
    let mut chain = Vec::new();
    let first = &g.nodes[order[s]];
    let Some(&x) = first.inputs.iter().find(|&&t| !g.tensors[t].is_const()) else {
        return chain;
    };
    let mut x = x;
    for &i in order.iter().skip(s).take(MAX_CHAIN) {
        let node = &g.nodes[i];
        if !chain.is_empty() {
            // x is the previous output: it must be private to the chain.
            if consumers[x] != [i] || kept.contains(&x) {
                break;
            }
        }
        let Some(w) = patch_window(g, node, x) else {
            break;
        };
        chain.push((i, w, x));
        x = node.outputs[0];
    }
    chain
}

/// Split `n` into `parts` nearly equal half-open ranges.
fn split(n: usize, parts: usize) -> Vec<(usize, usize)> {
    (0..parts)
        .map(|i| (i * n / parts, (i + 1) * n / parts))
        .collect()
}

/// The input range a window needs for output range [o0, o1) along one axis, clamped to
/// the input's `len`; `None` when it is empty (the outputs read only padding).
fn input_range(
    w: &Window,
    a: usize,
    (o0, o1): (usize, usize),
    len: usize,
) -> Option<(usize, usize)> {
    let lo = (o0 * w.s[a]).saturating_sub(w.p[a]);
    let hi = ((o1 - 1) * w.s[a] + (w.k[a] - 1) * w.d[a] + 1).saturating_sub(w.p[a]);
    let hi = hi.min(len);
    (hi > lo).then_some((lo, hi))
}

/// The regions of every chain tensor for one output tile, from the output back.
fn trace(g: &Graph, chain: &[(NodeId, Window, TensorId)], out: Region) -> Option<Vec<Region>> {
    let mut regions = vec![out];
    for &(_, w, x) in chain.iter().rev() {
        let [_, h, wd] = image(&g.tensors[x])?;
        let r = regions[regions.len() - 1];
        let (h0, h1) = input_range(&w, 0, (r.h0, r.h1), h)?;
        let (w0, w1) = input_range(&w, 1, (r.w0, r.w1), wd)?;
        regions.push(Region { h0, h1, w0, w1 });
    }
    regions.reverse();
    Some(regions)
}

/// `node` on patch-shaped tensors: input region `inp` of its runtime input, output region
/// `out` of its output. Returns a one-node graph (tensor 0: the input patch, then the
/// node's other inputs, then the output patch) and, for each of its tensors, the tensor of
/// `g` it stands for. The window's padding becomes the padding this tile sees at the image
/// border (none inside the image). Constant data is copied only when `with_data`.
pub fn tile_node(
    g: &Graph,
    i: NodeId,
    inp: Region,
    out: Region,
    with_data: bool,
) -> (Graph, Vec<TensorId>) {
    let node = &g.nodes[i];
    let x = *node
        .inputs
        .iter()
        .find(|&&t| !g.tensors[t].is_const())
        .unwrap_or(&node.inputs[0]);
    let y = node.outputs[0];
    let like = |t: TensorId, shape: Vec<usize>, data| Tensor {
        name: g.tensors[t].name.clone(),
        dtype: g.tensors[t].dtype,
        shape,
        data,
        quant: g.tensors[t].quant.clone(),
    };
    let patch = |t: TensorId, r: Region| {
        let c = g.tensors[t].shape.get(1).copied().unwrap_or(1);
        like(t, vec![1, c, r.h(), r.w()], None)
    };
    let mut tg = Graph {
        name: g.name.clone(),
        ..Graph::default()
    };
    let mut origin = vec![x];
    tg.add_tensor(patch(x, inp));
    let mut inputs = Vec::new();
    for &t in &node.inputs {
        if t == x {
            inputs.push(0);
            continue;
        }
        let data = match (&g.tensors[t].data, with_data) {
            (Some(d), true) => Some(d.clone()),
            _ => Some(crate::ir::Data::F32(Vec::new())),
        };
        inputs.push(tg.add_tensor(like(t, g.tensors[t].shape.clone(), data)));
        origin.push(t);
    }
    let yt = tg.add_tensor(patch(y, out));
    origin.push(y);
    let mut op = node.op.clone();
    match &mut op {
        Op::Conv {
            kernel,
            strides,
            dilations,
            pads,
            ..
        }
        | Op::Pool {
            kernel,
            strides,
            dilations,
            pads,
            ..
        } => {
            let o = [
                (out.h0, out.h(), inp.h0, inp.h()),
                (out.w0, out.w(), inp.w0, inp.w()),
            ];
            for (a, &(o0, on, i0, il)) in o.iter().enumerate() {
                // Output o0 reads input o0*s - p + k*d: local row (o0*s - p - i0) + k*d.
                let begin = (i0 + pads[a]).saturating_sub(o0 * strides[a]);
                let span = (on - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1;
                pads[a] = begin;
                pads[a + 2] = span.saturating_sub(begin + il);
            }
        }
        _ => {}
    }
    tg.nodes.push(Node {
        name: node.name.clone(),
        onnx_op: node.onnx_op.clone(),
        op,
        inputs,
        outputs: vec![yt],
        kernels: node.kernels,
    });
    (tg, origin)
}

/// Build the patch of `chain` (starting at position `step`) with an n x n grid (fewer
/// tiles along a short axis); `None` when a tile would read only padding.
fn build(g: &Graph, step: usize, chain: &[(NodeId, Window, TensorId)], n: usize) -> Option<Patch> {
    let (last, _, _) = *chain.last()?;
    let y = g.nodes[last].outputs[0];
    let [_, oh, ow] = image(&g.tensors[y])?;
    let grid = [n.min(oh), n.min(ow)];
    let mut tiles = Vec::new();
    for (h0, h1) in split(oh, grid[0]) {
        for &(w0, w1) in &split(ow, grid[1]) {
            tiles.push(trace(g, chain, Region { h0, h1, w0, w1 })?);
        }
    }
    let mut tensors: Vec<TensorId> = chain.iter().map(|c| c.2).collect();
    tensors.push(y);
    let bytes = |j: usize| -> usize {
        let c = g.tensors[tensors[j]].shape[1];
        let e = g.tensors[tensors[j]].dtype.size_bytes();
        tiles.iter().map(|t| t[j].area() * c * e).max().unwrap_or(0)
    };
    let ping_bytes = (0..tensors.len()).step_by(2).map(bytes).max().unwrap_or(0);
    let pong_bytes = (1..tensors.len()).step_by(2).map(bytes).max().unwrap_or(0);
    let mut scratch_bytes = 0;
    let (mut base_macs, mut patched_macs) = (0u64, 0u64);
    for (j, &(i, _, _)) in chain.iter().enumerate() {
        let node = &g.nodes[i];
        let macs = cost::macs(g, node);
        let full = g.tensors[node.outputs[0]].numel() / g.tensors[node.outputs[0]].shape[1];
        let covered: usize = tiles.iter().map(|t| t[j + 1].area()).sum();
        base_macs += macs;
        patched_macs += (macs as u128 * covered as u128 / full.max(1) as u128) as u64;
        if kernels::conv_kernel(g, node).is_some() {
            for t in &tiles {
                let (tg, _) = tile_node(g, i, t[j], t[j + 1], false);
                scratch_bytes = scratch_bytes.max(kernels::scratch_bytes(&tg, &tg.nodes[0]));
            }
        }
    }
    let stride = [0, 1].map(|a| chain.iter().map(|c| c.1.s[a]).product());
    Some(Patch {
        nodes: chain.iter().map(|c| c.0).collect(),
        step,
        tensors,
        grid,
        stride,
        tiles,
        ping_bytes,
        pong_bytes,
        scratch_bytes,
        base_macs,
        patched_macs,
    })
}

/// Every candidate patch of `order`: every chain of two or more nodes, every grid (at
/// most [`MAX_CANDIDATES`]).
fn candidates(g: &Graph, order: &[NodeId], outputs: &[TensorId]) -> Vec<Patch> {
    let consumers = g.consumers();
    let mut out = Vec::new();
    for s in 0..order.len() {
        if out.len() >= MAX_CANDIDATES {
            break;
        }
        let chain = chain_at(g, order, s, &consumers, outputs);
        for k in 2..=chain.len() {
            for n in 2..=MAX_GRID {
                if let Some(p) = build(g, s, &chain[..k], n) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Patches for `order` that lower the arena's lower bound, within the MAC limit of `opts`
/// (none when `opts` is off). Deterministic: candidates are tried in a fixed order and
/// ties keep the earlier (fewer extra MACs first).
pub fn choose(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
    opts: &PatchOptions,
) -> Vec<Patch> {
    if !opts.auto {
        return Vec::new();
    }
    let total: u64 = order.iter().map(|&i| cost::macs(g, &g.nodes[i])).sum();
    let budget = (total as f64 * opts.max_mac_overhead.max(0.0)) as u64;
    let mut pool = candidates(g, order, outputs);
    let mut chosen: Vec<Patch> = Vec::new();
    let mut bound = memory::lower_bound_with(g, order, inputs, outputs, &chosen);
    loop {
        let spent: u64 = chosen.iter().map(Patch::extra_macs).sum();
        let mut best: Option<(usize, u64, usize)> = None;
        for (c, p) in pool.iter().enumerate() {
            if spent + p.extra_macs() > budget || chosen.iter().any(|q| overlaps(p, q)) {
                continue;
            }
            chosen.push(p.clone());
            let b = memory::lower_bound_with(g, order, inputs, outputs, &chosen);
            chosen.pop();
            let key = (b, p.extra_macs(), c);
            if b < bound && best.is_none_or(|k| key < k) {
                best = Some(key);
            }
        }
        let Some((b, _, c)) = best else {
            break;
        };
        bound = b;
        chosen.push(pool.remove(c));
    }
    chosen.sort_by_key(|p| p.step);
    chosen
}

/// Whether two patches share a node.
fn overlaps(a: &Patch, b: &Patch) -> bool {
    a.nodes.iter().any(|n| b.nodes.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONV_3X3_S2_P1: Window = Window {
        k: [3, 3],
        s: [2, 2],
        d: [1, 1],
        p: [1, 1],
    };

    #[test]
    fn input_ranges_by_hand() {
        // 3-tap stride-2 window, pad 1, input length 9 (output length 5): outputs 0..2
        // read rows -1..=3 (row -1 is padding), outputs 2..5 read rows 3..=9 (9 is padding).
        assert_eq!(input_range(&CONV_3X3_S2_P1, 0, (0, 2), 9), Some((0, 4)));
        assert_eq!(input_range(&CONV_3X3_S2_P1, 0, (2, 5), 9), Some((3, 9)));
        // Dilation 2, 3 taps, pad 2: output 3 reads 3 - 2 + {0, 2, 4} = 1..=5.
        let dil = Window {
            d: [2, 2],
            s: [1, 1],
            p: [2, 2],
            ..CONV_3X3_S2_P1
        };
        assert_eq!(input_range(&dil, 1, (3, 4), 8), Some((1, 6)));
        // A window reading only padding has no input range.
        let wide = Window {
            p: [4, 4],
            ..CONV_3X3_S2_P1
        };
        assert_eq!(input_range(&wide, 0, (0, 1), 9), None);
    }

    #[test]
    fn tiles_split_evenly() {
        assert_eq!(split(10, 3), [(0, 3), (3, 6), (6, 10)]);
        assert_eq!(split(4, 4), [(0, 1), (1, 2), (2, 3), (3, 4)]);
    }

    /// x [1, 2, 9, 9] -> Conv 3x3 stride 2 pad 1 -> y [1, 4, 5, 5].
    fn conv_graph() -> Graph {
        let t = |name: &str, shape: Vec<usize>, data: Option<Vec<f32>>| Tensor {
            name: name.into(),
            dtype: crate::ir::DType::F32,
            shape,
            data: data.map(crate::ir::Data::F32),
            quant: None,
        };
        let mut g = Graph::default();
        g.add_tensor(t("x", vec![1, 2, 9, 9], None));
        g.add_tensor(t("w", vec![4, 2, 3, 3], Some(vec![0.5; 72])));
        g.add_tensor(t("y", vec![1, 4, 5, 5], None));
        g.nodes.push(Node {
            name: "conv".into(),
            onnx_op: "Conv".into(),
            op: Op::Conv {
                kernel: vec![3, 3],
                strides: vec![2, 2],
                dilations: vec![1, 1],
                pads: vec![1, 1, 1, 1],
                group: 1,
                act: crate::ir::Activation::None,
            },
            inputs: vec![0, 1],
            outputs: vec![2],
            kernels: Default::default(),
        });
        g.inputs = vec![0];
        g.outputs = vec![2];
        g
    }

    #[test]
    fn tile_padding_is_the_border_the_tile_sees() {
        let g = conv_graph();
        let r = |h0, h1, w0, w1| Region { h0, h1, w0, w1 };
        // Top-left tile: outputs 0..2 read rows/columns -1..=3: one padded row/column on
        // top/left, none at the bottom/right.
        let (tg, origin) = tile_node(&g, 0, r(0, 4, 0, 4), r(0, 2, 0, 2), true);
        assert_eq!(origin, [0, 1, 2]);
        assert_eq!(tg.tensors[0].shape, [1, 2, 4, 4]);
        assert_eq!(tg.tensors[2].shape, [1, 4, 2, 2]);
        let Op::Conv { pads, .. } = &tg.nodes[0].op else {
            panic!()
        };
        assert_eq!(pads, &[1, 1, 0, 0]);
        // Bottom-right tile: outputs 2..5 read rows 3..=9: row 9 is the bottom padding.
        let (tg, _) = tile_node(&g, 0, r(3, 9, 3, 9), r(2, 5, 2, 5), false);
        let Op::Conv { pads, .. } = &tg.nodes[0].op else {
            panic!()
        };
        assert_eq!(pads, &[0, 0, 1, 1]);
        assert_eq!(tg.tensors[1].data, Some(crate::ir::Data::F32(Vec::new())));
    }

    #[test]
    fn one_layer_is_no_chain_and_off_patches_nothing() {
        let g = conv_graph();
        let on = PatchOptions {
            auto: true,
            max_mac_overhead: 10.0,
        };
        assert!(choose(&g, &[0], &[0], &[2], &on).is_empty());
        assert!(choose(&g, &[0], &[0], &[2], &PatchOptions::default()).is_empty());
    }
}
