//! Pooling (`mn_pool2d_f32` or the variant [`kernels::pool_kernel`] picks; 3-D and wider
//! windows `mn_pool_nd_f32`), global pooling and inference BatchNorm: per-channel kernels
//! over [N, C, *spatial]; and the Layer/Instance/GroupNormalization (`mn_norm_f32` over
//! [outer, groups, inner]).

use super::{i64s, numel, Arg, Buf, Call, Cx, LowerError, Params};
use crate::ir::layout::norm_blocks;
use crate::ir::{NormAffine, Op, PoolKind};
use crate::kernels::{self, NdWindow, PoolGeom};

fn pool_kind(k: PoolKind) -> &'static str {
    match k {
        PoolKind::Max => "MN_POOL_MAX",
        PoolKind::Avg => "MN_POOL_AVG",
    }
}

pub(super) fn pool(cx: &Cx) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let Op::Pool {
        kind,
        count_include_pad,
        ..
    } = cx.node.op
    else {
        return Err(cx.err("not a pooling node"));
    };
    if let Some(nd) = kernels::nd_window(cx.g, cx.node) {
        return Ok(vec![Call::new(
            "mn_pool_nd_f32",
            pool_nd_params(&nd, kind, count_include_pad),
            vec![cx.arg(x), cx.arg(y)],
        )]);
    }
    let p = kernels::pool_geom(cx.g, cx.node)
        .ok_or_else(|| cx.err("a pooling node without a window geometry"))?;
    Ok(vec![Call::new(
        kernels::pool_kernel(cx.node, &p),
        pool_params(&p),
        vec![cx.arg(x), cx.arg(y)],
    )])
}

/// `mn_pool_params_t` (also the first fields of `mn_pool_s8_params_t`).
pub(super) fn pool_params(p: &PoolGeom) -> Params {
    Params::new("mn_pool_params_t")
        .konst("kind", pool_kind(p.kind))
        .int("channels", p.channels)
        .int("in_h", p.input[0])
        .int("in_w", p.input[1])
        .int("out_h", p.output[0])
        .int("out_w", p.output[1])
        .int("k_h", p.kernel[0])
        .int("k_w", p.kernel[1])
        .int("stride_h", p.strides[0])
        .int("stride_w", p.strides[1])
        .int("dil_h", p.dilations[0])
        .int("dil_w", p.dilations[1])
        .int("pad_top", p.pads_begin[0])
        .int("pad_left", p.pads_begin[1])
        .int("pad_bottom", p.pads_end[0])
        .int("pad_right", p.pads_end[1])
        .int("count_include_pad", p.count_include_pad)
}

/// `mn_pool_nd_params_t` of a pooling window `w`.
fn pool_nd_params(w: &NdWindow, kind: PoolKind, count_include_pad: bool) -> Params {
    Params::new("mn_pool_nd_params_t")
        .konst("kind", pool_kind(kind))
        .int("channels", w.n * w.c_in)
        .int("nd", w.kernel.len())
        .ints("in", i64s(&w.input))
        .ints("out", i64s(&w.output))
        .ints("k", i64s(&w.kernel))
        .ints("strides", i64s(&w.strides))
        .ints("dilations", i64s(&w.dilations))
        .ints("pads_begin", i64s(&w.pads_begin))
        .ints("pads_end", i64s(&w.pads_end))
        .int("count_include_pad", count_include_pad)
}

pub(super) fn global_pool(cx: &Cx, kind: PoolKind) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xs = cx.shape(x);
    let p = Params::new("mn_global_pool_params_t")
        .konst("kind", pool_kind(kind))
        .int("channels", xs[0] * xs[1])
        .int("size", numel(&xs[2..]));
    Ok(vec![Call::new(
        "mn_global_pool_f32",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}

pub(super) fn batchnorm(cx: &Cx, epsilon: f32) -> Result<Vec<Call>, LowerError> {
    let xs = cx.shape(cx.input(0)?);
    let p = Params::new("mn_batchnorm_params_t")
        .int("n", xs[0])
        .int("channels", xs.get(1).copied().unwrap_or(1))
        .int("size", xs.iter().skip(2).product::<usize>())
        .float("epsilon", epsilon);
    let mut args = Vec::new();
    for i in 0..5 {
        args.push(cx.arg(cx.input(i)?));
    }
    args.push(cx.arg(cx.output(0)?));
    Ok(vec![Call::new("mn_batchnorm_f32", p, args)])
}

pub(super) fn norm(
    cx: &Cx,
    axis: usize,
    groups: usize,
    epsilon: f32,
    affine: NormAffine,
) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let b = norm_blocks(cx.shape(x), axis, groups, affine)
        .ok_or_else(|| cx.err("internal: normalisation blocks do not fit the input"))?;
    let p = Params::new("mn_norm_params_t")
        .int("outer", b.outer)
        .int("groups", b.groups)
        .int("inner", b.inner)
        .int("affine_div", b.affine_div)
        .float("epsilon", epsilon);
    let stat = |i: usize| match cx.node.outputs.get(i) {
        Some(&t) => cx.arg(t),
        None => Arg::Buf(Buf::Null),
    };
    let args = vec![
        cx.arg(x),
        cx.arg(cx.input(1)?),
        cx.opt_arg(2),
        cx.arg(y),
        stat(1),
        stat(2),
    ];
    Ok(vec![Call::new("mn_norm_f32", p, args)])
}
