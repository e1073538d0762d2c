//! ReduceMean <https://onnx.ai/onnx/operators/onnx__ReduceMean.html> and ReduceMax
//! <https://onnx.ai/onnx/operators/onnx__ReduceMax.html>.
//!
//! Attributes: `keepdims` (1); `axes` attribute before opset 18 for both operators, a
//! constant optional input from 18; `noop_with_empty_axes` (0, opset >= 18): with no axes,
//! reduce over all axes, or pass through when it is 1. Opsets 1+.

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
    let axes = if ctx.opset < 18 {
        ctx.ints_opt("axes")?
    } else {
        ctx.opt_const_ints(1)?
    };
    let axes = axes.unwrap_or_default();
    if axes.is_empty() && ctx.opset >= 18 && ctx.int("noop_with_empty_axes", 0)? != 0 {
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
    let kind = if ctx.op_type == "ReduceMax" {
        ReduceKind::Max
    } else {
        ReduceKind::Mean
    };
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
