//! Kernel choice and scratch sizing, in one place: which runtime variant runs a node, the
//! operands it takes repacked, and the scratch memory it needs.
//!
//! The reference kernels (`mn_<op>_f32`) are the oracle; a fast variant
//! (`mn_<op>_fast_f32`) is chosen here, at compile time, when it supports the node. The
//! memory planner (`plan::memory`) asks [`scratch_bytes`] for each step, so a variant's
//! scratch is a planned arena buffer counted in the lower bound; lowering
//! (`codegen::lower`) asks the `*_kernel` functions which variant to call. Add a kernel
//! variant here (choice, scratch, packing) and its call in `codegen/lower/`.

use crate::ir::layout::as_2d;
use crate::ir::{DType, Graph, KernelSet, Node, NodeId, Op, PoolKind, TensorId, VariadicKind};

/// `MN_CONV_FAST_MAX_TAPS` in mn_kernels.h.
pub const CONV_FAST_MAX_TAPS: usize = 64;
/// `MN_CF_SLACK` in mn_conv2d_fast_f32.c (slack floats at the end of its scratch).
const CONV_FAST_NR: usize = 16;
/// `MN_DW_CB` in mn_conv2d_dw_f32.c: channels per block.
const CONV_DW_CB: usize = 8;

/// The fields of `mn_conv_params_t` (activation aside) for a Conv node, 1-D as 2-D.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvGeom {
    pub n: usize,
    pub c_in: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub c_out: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub k_h: usize,
    pub k_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dil_h: usize,
    pub dil_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub group: usize,
}

/// The window of a 1-D or 2-D Conv or Pool node as `[h, w]` pairs (1-D as 2-D: height 1,
/// no padding on top), with its input and output shapes.
struct Window2d<'a> {
    xs: &'a [usize],
    ys: &'a [usize],
    input: [usize; 2],
    output: [usize; 2],
    kernel: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
    pads_begin: [usize; 2],
    pads_end: [usize; 2],
}

fn window_2d<'a>(g: &'a Graph, node: &Node) -> Option<Window2d<'a>> {
    let (kernel, strides, dilations, pads) = node.op.window()?;
    let xs = &g.tensors[*node.inputs.first()?].shape;
    let ys = &g.tensors[*node.outputs.first()?].shape;
    let nd = kernel.len();
    Some(Window2d {
        xs,
        ys,
        input: as_2d(xs.get(2..)?, 1)?,
        output: as_2d(ys.get(2..)?, 1)?,
        kernel: as_2d(kernel, 1)?,
        strides: as_2d(strides, 1)?,
        dilations: as_2d(dilations, 1)?,
        pads_begin: as_2d(pads.get(..nd)?, 0)?,
        pads_end: as_2d(pads.get(nd..)?, 0)?,
    })
}

/// The window of a Conv or Pool node with 3 or more spatial axes, which runs on the N-d
/// reference kernels (`mn_conv_nd_f32`, `mn_pool_nd_f32`); 1-D and 2-D windows keep the
/// 2-D kernels ([`conv_geom`], [`pool_geom`]) and their fast variants.
#[derive(Clone, Debug, PartialEq)]
pub struct NdWindow {
    /// X's [N, C] and Y's channel count.
    pub n: usize,
    pub c_in: usize,
    pub c_out: usize,
    /// Conv's group (1 for pooling).
    pub group: usize,
    pub input: Vec<usize>,
    pub output: Vec<usize>,
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pads_begin: Vec<usize>,
    pub pads_end: Vec<usize>,
}

/// [`NdWindow`] of a Conv or Pool node with 3 or more spatial axes; `None` otherwise.
pub fn nd_window(g: &Graph, node: &Node) -> Option<NdWindow> {
    let (kernel, strides, dilations, pads, group) = match &node.op {
        Op::Conv {
            kernel,
            strides,
            dilations,
            pads,
            group,
            ..
        } => (kernel, strides, dilations, pads, *group),
        Op::Pool {
            kernel,
            strides,
            dilations,
            pads,
            ..
        } => (kernel, strides, dilations, pads, 1),
        _ => return None,
    };
    let nd = kernel.len();
    if nd < 3 {
        return None;
    }
    let xs = &g.tensors[*node.inputs.first()?].shape;
    let ys = &g.tensors[*node.outputs.first()?].shape;
    Some(NdWindow {
        n: *xs.first()?,
        c_in: *xs.get(1)?,
        c_out: *ys.get(1)?,
        group,
        input: xs.get(2..)?.to_vec(),
        output: ys.get(2..)?.to_vec(),
        kernel: kernel.clone(),
        strides: strides.clone(),
        dilations: dilations.clone(),
        pads_begin: pads.get(..nd)?.to_vec(),
        pads_end: pads.get(nd..)?.to_vec(),
    })
}

/// Geometry of a 1-D or 2-D Conv node; `None` for other nodes and other ranks.
pub fn conv_geom(g: &Graph, node: &Node) -> Option<ConvGeom> {
    let Op::Conv { group, .. } = node.op else {
        return None;
    };
    let w = window_2d(g, node)?;
    Some(ConvGeom {
        n: *w.xs.first()?,
        c_in: *w.xs.get(1)?,
        in_h: w.input[0],
        in_w: w.input[1],
        c_out: *w.ys.get(1)?,
        out_h: w.output[0],
        out_w: w.output[1],
        k_h: w.kernel[0],
        k_w: w.kernel[1],
        stride_h: w.strides[0],
        stride_w: w.strides[1],
        dil_h: w.dilations[0],
        dil_w: w.dilations[1],
        pad_top: w.pads_begin[0],
        pad_left: w.pads_begin[1],
        group,
    })
}

/// `MN_CONV_FAST_MR` in mn_kernels.h: output channels per tile of the packed weights.
pub const CONV_FAST_MR: usize = 8;

/// Whether `mn_conv2d_fast_f32` can run this convolution.
pub fn use_fast_conv(c: &ConvGeom) -> bool {
    c.k_h * c.k_w <= CONV_FAST_MAX_TAPS && c.out_h * c.out_w > 0 && c.c_out > 0
}

/// Depthwise: one input and one output channel per group.
pub fn is_depthwise(c: &ConvGeom) -> bool {
    c.group == c.c_in && c.group == c.c_out
}

/// Whether `node` runs on the int8 kernels (`mn_*_s8`): a QuantizeLinear or
/// DequantizeLinear, or an op on int8 tensors (`passes::quantise_islands`). No float
/// variant (fast kernel, packing, scratch) applies to it.
pub fn is_int8(g: &Graph, node: &Node) -> bool {
    node.op.is_quantisation()
        || node
            .inputs
            .iter()
            .any(|&t| g.tensors[t].dtype == DType::I8 && !g.tensors[t].is_const())
}

/// The runtime kernel that runs a Conv node with constant weights when it is not the
/// reference `mn_conv2d_f32`: `mn_conv2d_dw_f32` for depthwise convolutions,
/// `mn_conv2d_fast_f32` (a blocked matrix product; 1x1 convolutions included) otherwise.
pub fn conv_kernel(g: &Graph, node: &Node) -> Option<&'static str> {
    if node.kernels == KernelSet::Reference || is_int8(g, node) {
        return None;
    }
    let c = conv_geom(g, node)?;
    let w = *node.inputs.get(1)?;
    if !g.tensors[w].is_const() || !use_fast_conv(&c) {
        return None;
    }
    Some(if is_depthwise(&c) {
        "mn_conv2d_dw_f32"
    } else {
        "mn_conv2d_fast_f32"
    })
}

/// Whether the node runs on `mn_conv2d_fast_f32`, which takes its weights packed.
pub fn uses_packed_conv_weights(g: &Graph, node: &Node) -> bool {
    conv_kernel(g, node) == Some("mn_conv2d_fast_f32") || use_fast_conv_s8(g, node)
}

/// The int8 kernel that runs a Conv node when it is not the reference `mn_conv2d_s8`:
/// fast kernels allowed, constant int8 weights whose zero points are all 0 (onnxruntime's
/// quantiser makes int8 weights symmetric) and a non-empty output; `mn_conv2d_dw_s8` for
/// depthwise convolutions, `mn_conv2d_fast_s8` otherwise.
pub fn conv_kernel_s8(g: &Graph, node: &Node) -> Option<&'static str> {
    if node.kernels == KernelSet::Reference || !is_int8(g, node) {
        return None;
    }
    let c = conv_geom(g, node)?;
    let wt = &g.tensors[*node.inputs.get(1)?];
    let symmetric = wt
        .quant
        .as_ref()
        .is_some_and(|q| q.zero_points.iter().all(|&z| z == 0));
    let fast = wt.is_const() && wt.data.is_some() && symmetric && c.out_h * c.out_w > 0;
    match (fast && c.c_out > 0, is_depthwise(&c)) {
        (false, _) => None,
        (true, true) => Some("mn_conv2d_dw_s8"),
        (true, false) => Some("mn_conv2d_fast_s8"),
    }
}

/// Whether an int8 Conv node runs on `mn_conv2d_fast_s8` (see [`conv_kernel_s8`]).
pub fn use_fast_conv_s8(g: &Graph, node: &Node) -> bool {
    conv_kernel_s8(g, node) == Some("mn_conv2d_fast_s8")
}

/// `mn_conv2d_dw_s8_scratch_size` in bytes: a ring of (k_h - 1) * dil_h + 1 int16 rows,
/// each the input columns of one output row (out_w rounded up to even), rounded up to
/// an even count (keep the two in step).
pub fn conv_dw_s8_scratch_bytes(c: &ConvGeom) -> usize {
    let rows = (c.k_h - 1) * c.dil_h + 1;
    let span = (c.out_w.next_multiple_of(2) - 1) * c.stride_w + (c.k_w - 1) * c.dil_w + 1;
    rows * span.next_multiple_of(2) * 2
}

/// Taps of one output channel of an int8 convolution, rounded up to a multiple of four
/// (`mn_fast_s8_taps4` in internal/mn_kernels_s8_internal.h: packed weights and columns are
/// padded to it).
fn conv_fast_s8_taps4(c: &ConvGeom) -> usize {
    (c.c_in / c.group.max(1) * c.k_h * c.k_w).next_multiple_of(4)
}

/// Bytes of one output channel's entry in `mn_conv2d_fast_s8`'s channel table
/// (`fast_s8_chan_t`: bias and four requantisation constants, int32 each).
const CONV_FAST_S8_CHANNEL_BYTES: usize = 5 * 4;

/// `mn_conv2d_fast_s8_scratch_size` in bytes: two int16 columns, then the channel table
/// (keep the two in step).
pub fn conv_fast_s8_scratch_bytes(c: &ConvGeom) -> usize {
    2 * conv_fast_s8_taps4(c) * 2 + c.c_out * CONV_FAST_S8_CHANNEL_BYTES
}

/// The int8 weights of a Conv node packed for `mn_conv2d_fast_s8` (as
/// `mn_conv2d_fast_s8_pack` does): per group, its output channels in pairs (an odd last
/// channel with a row of zeros), each pair as blocks of four taps [taps4 / 4][2 rows][4],
/// within a block slot s holding tap s with the middle two swapped, 0 past the last tap.
/// `None` when the node does not run on that kernel.
pub fn packed_conv_weights_s8(g: &Graph, node: &Node) -> Option<Vec<i8>> {
    if !use_fast_conv_s8(g, node) {
        return None;
    }
    let c = conv_geom(g, node)?;
    let w = g.tensors[*node.inputs.get(1)?].data.as_ref()?.to_i64();
    let group = c.group.max(1);
    let taps = c.c_in / group * c.k_h * c.k_w;
    let taps4 = conv_fast_s8_taps4(&c);
    let cout_g = c.c_out / group;
    let cout2 = cout_g.next_multiple_of(2);
    let mut out = Vec::with_capacity(group * cout2 * taps4);
    for gi in 0..group {
        for j in (0..cout2).step_by(2) {
            for blk in (0..taps4).step_by(4) {
                for r in 0..2 {
                    let oc = gi * cout_g + j + r;
                    for s in [0, 2, 1, 3] {
                        let tap = blk + s;
                        let v = if j + r < cout_g && tap < taps {
                            w.get(oc * taps + tap)
                        } else {
                            None
                        };
                        out.push(v.copied().unwrap_or(0) as i8);
                    }
                }
            }
        }
    }
    Some(out)
}

/// The weights of a Conv node packed for `mn_conv2d_fast_f32` (as
/// `mn_conv2d_fast_f32_pack` does): [group][tile][tap][c_in/group][MR], zero-padded.
/// `None` when the node does not run on that kernel.
pub fn packed_conv_weights(g: &Graph, node: &Node) -> Option<Vec<f32>> {
    if conv_kernel(g, node) != Some("mn_conv2d_fast_f32") {
        return None;
    }
    let c = conv_geom(g, node)?;
    let w = g.tensors[*node.inputs.get(1)?].data.as_ref()?.to_f32();
    let (cin_g, cout_g, taps) = (c.c_in / c.group, c.c_out / c.group, c.k_h * c.k_w);
    let tiles = cout_g.div_ceil(CONV_FAST_MR);
    let mut out = Vec::with_capacity(c.group * tiles * CONV_FAST_MR * cin_g * taps);
    for gi in 0..c.group {
        for tile in 0..tiles {
            for t in 0..taps {
                for ic in 0..cin_g {
                    for r in 0..CONV_FAST_MR {
                        let oc = tile * CONV_FAST_MR + r;
                        out.push(if oc < cout_g {
                            w.get(((gi * cout_g + oc) * cin_g + ic) * taps + t)
                                .copied()
                                .unwrap_or(0.0)
                        } else {
                            0.0
                        });
                    }
                }
            }
        }
    }
    Some(out)
}

/// `mn_conv2d_fast_f32_scratch_size` and `mn_conv2d_dw_f32_scratch_size` in floats
/// (keep the three in step).
pub fn conv_fast_scratch_floats(c: &ConvGeom) -> usize {
    let hp = (c.out_h - 1) * c.stride_h + (c.k_h - 1) * c.dil_h + 1;
    let wp = (c.out_w - 1) * c.stride_w + (c.k_w - 1) * c.dil_w + 1;
    let direct = c.stride_h == 1
        && c.stride_w == 1
        && c.pad_top == 0
        && c.pad_left == 0
        && wp == c.in_w
        && hp <= c.in_h;
    if direct {
        return 0;
    }
    let hq = hp.div_ceil(c.stride_h);
    let wq = wp.div_ceil(c.stride_w);
    c.c_in * c.stride_h * c.stride_w * hq * wq + CONV_FAST_NR
}

/// `mn_conv2d_dw_f32_scratch_size` in floats: a ring of the input rows one output row
/// reads, padded and interleaved over a block of channels, and the block's weights.
pub fn conv_dw_scratch_floats(c: &ConvGeom) -> usize {
    let span = (c.k_h - 1) * c.dil_h + 1;
    let wp = (c.out_w - 1) * c.stride_w + (c.k_w - 1) * c.dil_w + 1;
    (span * wp + c.k_h * c.k_w) * CONV_DW_CB
}

/// Scratch bytes the kernel chosen for `node` needs while it runs (0 for most nodes).
pub fn scratch_bytes(g: &Graph, node: &Node) -> usize {
    if let Op::Recurrent(r) = &node.op {
        return recurrent_scratch_floats(r.cell.gates(), r.hidden) * 4;
    }
    match (conv_kernel(g, node), conv_geom(g, node)) {
        (None, Some(c)) => match conv_kernel_s8(g, node) {
            Some("mn_conv2d_fast_s8") => conv_fast_s8_scratch_bytes(&c),
            Some("mn_conv2d_dw_s8") => conv_dw_s8_scratch_bytes(&c),
            _ => 0,
        },
        (Some("mn_conv2d_dw_f32"), Some(c)) => conv_dw_scratch_floats(&c) * 4,
        (Some(_), Some(c)) => conv_fast_scratch_floats(&c) * 4,
        _ => 0,
    }
}

/// `MN_RNN_SCRATCH_FLOATS` in mn_kernels.h: the state and gate values of one direction
/// and batch entry of `mn_rnn_f32`, `mn_gru_f32`, `mn_lstm_f32`.
pub fn recurrent_scratch_floats(gates: usize, hidden: usize) -> usize {
    (gates + 2) * hidden
}

/// Whether `mn_pool2d_fast_f32` runs a pooling node: no padding, no dilation, every
/// window inside the input (`inp`, `out`, `k`, `s` as [h, w]).
pub fn pool_fast_ok(
    pads: &[usize],
    dilations: &[usize],
    inp: &[usize; 2],
    out: &[usize; 2],
    k: &[usize; 2],
    s: &[usize; 2],
) -> bool {
    pads.iter().all(|&p| p == 0)
        && dilations.iter().all(|&d| d == 1)
        && (0..2).all(|d| out[d] >= 1 && k[d] >= 1 && (out[d] - 1) * s[d] + k[d] <= inp[d])
}

/// The fields of `mn_pool_params_t` for a Pool node, 1-D as 2-D (`[h, w]` pairs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolGeom {
    pub kind: PoolKind,
    /// N * C: the kernel pools every channel of every batch alike.
    pub channels: usize,
    pub input: [usize; 2],
    pub output: [usize; 2],
    pub kernel: [usize; 2],
    pub strides: [usize; 2],
    pub dilations: [usize; 2],
    pub pads_begin: [usize; 2],
    pub pads_end: [usize; 2],
    pub count_include_pad: bool,
}

/// Geometry of a 1-D or 2-D Pool node; `None` for other nodes and other ranks.
pub fn pool_geom(g: &Graph, node: &Node) -> Option<PoolGeom> {
    let Op::Pool {
        kind,
        count_include_pad,
        ..
    } = node.op
    else {
        return None;
    };
    let w = window_2d(g, node)?;
    Some(PoolGeom {
        kind,
        channels: w.xs.first()? * w.xs.get(1)?,
        input: w.input,
        output: w.output,
        kernel: w.kernel,
        strides: w.strides,
        dilations: w.dilations,
        pads_begin: w.pads_begin,
        pads_end: w.pads_end,
        count_include_pad,
    })
}

/// The runtime kernel of a Pool node with geometry `p`: `mn_pool2d_fast_f32` when fast
/// kernels are allowed and [`pool_fast_ok`], else the reference `mn_pool2d_f32`.
pub fn pool_kernel(node: &Node, p: &PoolGeom) -> &'static str {
    let pads = [p.pads_begin, p.pads_end].concat();
    let fast = node.kernels == KernelSet::Fast
        && pool_fast_ok(
            &pads,
            &p.dilations,
            &p.input,
            &p.output,
            &p.kernel,
            &p.strides,
        );
    if fast {
        "mn_pool2d_fast_f32"
    } else {
        "mn_pool2d_f32"
    }
}

/// Whether an int8 Pool node runs on `mn_pool2d_fast_s8` (max pooling with fast kernels
/// allowed; the kernel handles every geometry of max pooling, bit for bit the reference
/// `mn_pool2d_s8`, which runs average pooling: the fast one does not).
pub fn use_fast_pool_s8(node: &Node) -> bool {
    node.kernels == KernelSet::Fast
        && matches!(
            node.op,
            Op::Pool {
                kind: PoolKind::Max,
                ..
            }
        )
}

/// Whether a Mean node averages redundant copies of one tensor computed on other devices
/// (`mn_mean_arrived_f32`: only the copies that arrived count): every input has the
/// output's shape and at least one is received (`received`).
pub fn use_mean_arrived(g: &Graph, node: &Node, received: impl Fn(TensorId) -> bool) -> bool {
    let Some(&y) = node.outputs.first() else {
        return false;
    };
    let ys = &g.tensors[y].shape;
    node.op
        == (Op::Variadic {
            kind: VariadicKind::Mean,
        })
        && node.inputs.iter().all(|&x| &g.tensors[x].shape == ys)
        && node.inputs.iter().any(|&x| received(x))
}

/// The received tensor whose arrival decides whether the values of `t` arrived: `t`
/// itself when it is received (`received`), or the received tensor that `t` is computed
/// from alone, with constants (weights, slice bounds, quantisation parameters): through
/// every node with exactly one non-constant input, whatever it computes. So a redundant
/// copy that the hub slices out of a student's feature vector counts as arrived exactly
/// when that vector did, as in failout training (`distill/models.py`, `aggregate`); in a
/// quantised model, where the vector crosses the link as int8 and the hub dequantises it
/// before the float Mean, a lost vector is left out too instead of counting as its
/// fallback (zero = the zero point, i.e. 0.0); and with late fusion, where the hub runs
/// a student's head (a Gemm on its feature vector) before the Mean over the students'
/// logits, a lost student's head output (its bias, from the zero fallback) is left out
/// as training leaves out that student's logits. A node that also reads another
/// non-constant tensor (computed here, or received from someone else) ends the trace:
/// its output is this device's own.
pub fn arrival_source(
    g: &Graph,
    producers: &[Option<NodeId>],
    t: TensorId,
    received: &impl Fn(TensorId) -> bool,
) -> Option<TensorId> {
    let mut t = t;
    loop {
        if received(t) {
            return Some(t);
        }
        let n = &g.nodes[producers[t]?];
        let mut live = n.inputs.iter().filter(|&&x| !g.tensors[x].is_const());
        let (Some(&data), None) = (live.next(), live.next()) else {
            return None;
        };
        t = data;
    }
}

/// Whether input `k` of `node` is taken repacked by its kernel (then only the packed copy
/// is emitted): a fast convolution's weights, a fast Gemm's B and C, an int8 fast
/// matrix product's bias (folded) and its B when stored [k][n] (transposed).
pub fn takes_packed_input(g: &Graph, node: &Node, k: usize) -> bool {
    match k {
        1 => {
            uses_packed_conv_weights(g, node)
                || use_fast_gemm(g, node)
                || fast_gemm_s8(g, node).is_some_and(|f| f.transposed)
        }
        2 => use_fast_gemm(g, node) || fast_gemm_s8(g, node).is_some(),
        _ => false,
    }
}

/// The operands of `mn_gemm_fast_s8` for an int8 Gemm / MatMul node: B stored [n][k],
/// and the bias folded with A's zero point (`mn_gemm_fast_s8_fold_bias`).
pub struct FastGemmS8 {
    /// Whether B was stored [k][n] (MatMul, Gemm without transB) and is transposed here.
    pub transposed: bool,
    pub b: Vec<i8>,
    pub folded: Vec<i32>,
}

/// The int8 matrix products of a whole model (their MACs together) up to which they run
/// the reference kernel even with fast kernels: `mn_gemm_s8` takes some 490 bytes less
/// flash than `mn_gemm_fast_s8` on a Cortex-M4, for a few thousand instructions more
/// per inference at this size (the classifier of a small CNN: nonn_k4's 640 MACs cost
/// 0.1 % more instructions). A model with more runs them all fast, so that no device
/// links both kernels.
pub const SMALL_S8_MATMUL_MACS: u64 = 2048;

/// Whether `node` is an int8 Gemm or MatMul.
fn is_s8_matmul(g: &Graph, node: &Node) -> bool {
    matches!(node.op, Op::Gemm { .. } | Op::MatMul) && is_int8(g, node)
}

/// [`FastGemmS8`] when `mn_gemm_fast_s8` runs the node: fast kernels allowed, an int8
/// Gemm or MatMul with a constant 2-D B whose zero points are all 0, a constant bias (or
/// none), a folded bias inside int32, and the model's int8 matrix products above
/// [`SMALL_S8_MATMUL_MACS`].
pub fn fast_gemm_s8(g: &Graph, node: &Node) -> Option<FastGemmS8> {
    let trans_b = match node.op {
        Op::Gemm { trans_b, .. } => trans_b,
        Op::MatMul => false,
        _ => return None,
    };
    if node.kernels == KernelSet::Reference || !is_int8(g, node) {
        return None;
    }
    let (a, bt) = (
        &g.tensors[*node.inputs.first()?],
        &g.tensors[*node.inputs.get(1)?],
    );
    let (aq, bq) = (a.quant.as_ref()?, bt.quant.as_ref()?);
    if !bt.is_const() || bq.zero_points.iter().any(|&z| z != 0) {
        return None;
    }
    let matmul_macs: u64 = g
        .nodes
        .iter()
        .filter(|n| is_s8_matmul(g, n))
        .map(|n| crate::ir::cost::macs(g, n))
        .sum();
    if matmul_macs <= SMALL_S8_MATMUL_MACS {
        return None;
    }
    let (k, n) = match (trans_b, bt.shape.as_slice()) {
        (true, &[n, k]) => (k, n),
        (false, &[k, n]) => (k, n),
        _ => return None,
    };
    let w = bt.data.as_ref()?.to_i64();
    let at = |j: usize, kk: usize| {
        let i = if trans_b { j * k + kk } else { kk * n + j };
        w.get(i).copied().unwrap_or(0)
    };
    let bias = match node.inputs.get(2) {
        None => vec![0; n],
        Some(&c) if g.tensors[c].is_const() => g.tensors[c].data.as_ref()?.to_i64(),
        Some(_) => return None,
    };
    let a_zp = i64::from(aq.zero_point());
    let mut folded = Vec::with_capacity(n);
    for j in 0..n {
        let sum: i64 = (0..k).map(|kk| at(j, kk)).sum();
        folded.push(i32::try_from(bias.get(j).copied()? - a_zp * sum).ok()?);
    }
    let b = (0..n)
        .flat_map(|j| (0..k).map(move |kk| (j, kk)))
        .map(|(j, kk)| at(j, kk) as i8)
        .collect();
    Some(FastGemmS8 {
        transposed: !trans_b,
        b,
        folded,
    })
}

/// The operands of `mn_gemm_fast_f32` for a Gemm node: B' scaled by alpha, packed
/// [k][n] row-major, and beta·C as one bias row of n values (`None` without C).
pub struct PackedGemm {
    pub b: Vec<f32>,
    pub bias: Option<Vec<f32>>,
}

/// Whether `mn_gemm_fast_f32` runs this Gemm node: fast kernels allowed, B constant, and
/// C absent or a constant that does not vary along m (a bias row, a scalar).
pub fn use_fast_gemm(g: &Graph, node: &Node) -> bool {
    if node.kernels == KernelSet::Reference
        || !matches!(node.op, Op::Gemm { .. })
        || is_int8(g, node)
    {
        return false;
    }
    let (Some(&b), Some(&y)) = (node.inputs.get(1), node.outputs.first()) else {
        return false;
    };
    let m = g.tensors[y].shape.first().copied().unwrap_or(0);
    let c_ok = match node.inputs.get(2) {
        None => true,
        Some(&c) => {
            let cs = &g.tensors[c].shape;
            g.tensors[c].is_const() && (cs.len() < 2 || cs[0] == 1 || m == 1)
        }
    };
    g.tensors[b].is_const() && g.tensors[b].data.is_some() && c_ok
}

/// [`PackedGemm`] for a node that runs on `mn_gemm_fast_f32` (see [`use_fast_gemm`]).
pub fn packed_gemm(g: &Graph, node: &Node) -> Option<PackedGemm> {
    if !use_fast_gemm(g, node) {
        return None;
    }
    let Op::Gemm {
        alpha,
        beta,
        trans_b,
        ..
    } = node.op
    else {
        return None;
    };
    let ys = &g.tensors[*node.outputs.first()?].shape;
    let n = *ys.get(1)?;
    let bt = &g.tensors[*node.inputs.get(1)?];
    let k = if trans_b {
        *bt.shape.get(1)?
    } else {
        *bt.shape.first()?
    };
    let w = bt.data.as_ref()?.to_f32();
    let mut b = Vec::with_capacity(k * n);
    for kk in 0..k {
        for j in 0..n {
            let v = if trans_b {
                w.get(j * k + kk)
            } else {
                w.get(kk * n + j)
            };
            b.push(alpha * v.copied().unwrap_or(0.0));
        }
    }
    let bias = match node.inputs.get(2) {
        None => None,
        Some(&c) => {
            let ct = &g.tensors[c];
            let cv = ct.data.as_ref()?.to_f32();
            // C broadcasts to [m][n]; it does not vary along m, so row 0 is every row.
            let cn = ct.shape.last().copied().unwrap_or(1);
            Some(
                (0..n)
                    .map(|j| beta * cv.get(if cn == 1 { 0 } else { j }).copied().unwrap_or(0.0))
                    .collect(),
            )
        }
    };
    Some(PackedGemm { b, bias })
}
