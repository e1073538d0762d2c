//! The Reduce family: ReduceMean <https://onnx.ai/onnx/operators/onnx__ReduceMean.html>,
//! ReduceMax, ReduceMin, ReduceSum, ReduceProd, ReduceSumSquare, ReduceL1, ReduceL2,
//! ReduceLogSum and ReduceLogSumExp (same page names, `onnx__<Op>.html`).
//!
//! Attributes: `keepdims` (1); `axes`: an attribute before opset 13 for ReduceSum and
//! before opset 18 for the others, a constant optional input from then on;
//! `noop_with_empty_axes` (0, with the axes input): with no axes, reduce over all axes, or
//! pass through when it is 1. Opsets 1+. Float32 at run time, float32 or int64 folded.
//! Max and Min propagate NaN; the empty reduction gives the identity (0, 1, -inf, +inf;
//! LogSum and LogSumExp -inf).

use crate::ir::{Op, ReduceKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if !x.is_const() {
        ctx.float_input(0)?;
    }
    let r = x.shape.len();
    let keepdims = ctx.int("keepdims", 1)? != 0;
    let kind = kind(ctx.op_type);
    let axes_as_input = ctx.opset >= axes_input_since(kind);
    let axes = if axes_as_input {
        ctx.opt_const_ints(1)?
    } else {
        ctx.ints_opt("axes")?
    };
    let axes = axes.unwrap_or_default();
    if axes.is_empty() && axes_as_input && ctx.int("noop_with_empty_axes", 0)? != 0 {
        return Ok(Built::new(
            Op::Identity,
            vec![0],
            vec![OutSpec::new(x.dtype, x.shape.clone())],
        ));
    }
    let mut axes: Vec<usize> = if axes.is_empty() {
        (0..r).collect()
    } else {
        axes.iter()
            .map(|&a| ctx.axis("axes", a, r))
            .collect::<Result<_, _>>()?
    };
    axes.sort_unstable();
    axes.dedup();
    let mut shape = Vec::new();
    for (i, &d) in x.shape.iter().enumerate() {
        if axes.contains(&i) {
            if keepdims {
                shape.push(1);
            }
        } else {
            shape.push(d);
        }
    }
    Ok(Built::new(
        Op::Reduce {
            kind,
            axes,
            keepdims,
        },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}

/// The kind of a Reduce* op type (the table routes only these here).
fn kind(op_type: &str) -> ReduceKind {
    match op_type {
        "ReduceMax" => ReduceKind::Max,
        "ReduceSum" => ReduceKind::Sum,
        "ReduceMin" => ReduceKind::Min,
        "ReduceProd" => ReduceKind::Prod,
        "ReduceSumSquare" => ReduceKind::SumSquare,
        "ReduceL1" => ReduceKind::L1,
        "ReduceL2" => ReduceKind::L2,
        "ReduceLogSum" => ReduceKind::LogSum,
        "ReduceLogSumExp" => ReduceKind::LogSumExp,
        _ => ReduceKind::Mean,
    }
}

/// The opset from which `axes` is an input rather than an attribute.
fn axes_input_since(kind: ReduceKind) -> u32 {
    if kind == ReduceKind::Sum {
        13
    } else {
        18
    }
}
