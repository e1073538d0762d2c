//! Kernel selection: which runtime variant runs a node, and the scratch memory it needs.
//!
//! The reference kernels (`mn_<op>_f32`) are the oracle; a fast variant
//! (`mn_<op>_fast_f32`) is chosen here, at code-generation time, when it supports the
//! node. The memory planner asks [`scratch_bytes`] for each step, so a variant's
//! scratch is a planned arena buffer counted in the lower bound.

use crate::ir::{Graph, Node, Op};

/// `MN_CONV_FAST_MAX_TAPS` in mn_kernels.h.
pub const CONV_FAST_MAX_TAPS: usize = 64;
/// `MN_CF_NR` in mn_conv2d_fast_f32.c (slack floats at the end of its scratch).
const CONV_FAST_NR: usize = 16;

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

/// Geometry of a 1-D or 2-D Conv node; `None` for other nodes and other ranks.
pub fn conv_geom(g: &Graph, node: &Node) -> Option<ConvGeom> {
    let Op::Conv {
        kernel,
        strides,
        dilations,
        pads,
        group,
        ..
    } = &node.op
    else {
        return None;
    };
    let xs = &g.tensors[*node.inputs.first()?].shape;
    let ys = &g.tensors[*node.outputs.first()?].shape;
    let (n, c_in, c_out, group) = (*xs.first()?, *xs.get(1)?, *ys.get(1)?, *group);
    match kernel.len() {
        1 => Some(ConvGeom {
            n,
            c_in,
            in_h: 1,
            in_w: *xs.get(2)?,
            c_out,
            out_h: 1,
            out_w: *ys.get(2)?,
            k_h: 1,
            k_w: kernel[0],
            stride_h: 1,
            stride_w: strides[0],
            dil_h: 1,
            dil_w: dilations[0],
            pad_top: 0,
            pad_left: pads[0],
            group,
        }),
        2 => Some(ConvGeom {
            n,
            c_in,
            in_h: *xs.get(2)?,
            in_w: *xs.get(3)?,
            c_out,
            out_h: *ys.get(2)?,
            out_w: *ys.get(3)?,
            k_h: kernel[0],
            k_w: kernel[1],
            stride_h: strides[0],
            stride_w: strides[1],
            dil_h: dilations[0],
            dil_w: dilations[1],
            pad_top: pads[0],
            pad_left: pads[1],
            group,
        }),
        _ => None,
    }
}

/// Whether `mn_conv2d_fast_f32` runs this convolution (else `mn_conv2d_f32`).
pub fn use_fast_conv(c: &ConvGeom) -> bool {
    c.k_h * c.k_w <= CONV_FAST_MAX_TAPS && c.out_h * c.out_w > 0 && c.c_out > 0
}

/// `mn_conv2d_fast_f32_scratch_size` in floats (keep the two in step).
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

/// Scratch bytes the kernel chosen for `node` needs while it runs (0 for most nodes).
pub fn scratch_bytes(g: &Graph, node: &Node) -> usize {
    match conv_geom(g, node) {
        Some(c) if use_fast_conv(&c) => conv_fast_scratch_floats(&c) * 4,
        _ => 0,
    }
}
