//! Split — <https://onnx.ai/onnx/operators/onnx__Split.html>
//!
//! Attributes: `axis` (0), `split` (before opset 13), `num_outputs` (opset >= 18). From
//! opset 13 `split` is an optional constant input. Without sizes the axis is divided into
//! equal parts, one per output; with `num_outputs` the last chunk may be smaller. Opset 1:
//! `split` attribute or optional constant second input.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let axis = ctx.axis("axis", ctx.int("axis", 0)?, x.shape.len())?;
    let dim = x.shape[axis];
    let split = if ctx.opset < 2 && ctx.opt_input(1).is_some() {
        ctx.opt_const_ints(1)?
    } else if ctx.opset < 13 {
        ctx.ints_opt("split")?
    } else {
        ctx.opt_const_ints(1)?
    };
    let n_out = ctx.proto.output.len();
    let sizes: Vec<usize> = match split {
        Some(s) => s
            .iter()
            .map(|&v| {
                usize::try_from(v)
                    .map_err(|_| ctx.shape_err(format!("negative split size in {s:?}")))
            })
            .collect::<Result<_, _>>()?,
        None => {
            let num = match ctx.int_opt("num_outputs")? {
                Some(n) if ctx.opset >= 18 => {
                    let n = usize::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
                        ctx.attr_err("num_outputs", format!("value {n} must be positive"))
                    })?;
                    let chunk = dim.div_ceil(n);
                    let mut v = Vec::with_capacity(n);
                    let mut left = dim;
                    for _ in 0..n {
                        let c = chunk.min(left);
                        v.push(c);
                        left -= c;
                    }
                    if v.last() == Some(&0) {
                        return Err(ctx.shape_err(format!(
                            "axis {axis} of length {dim} cannot be split into {n} non-empty parts"
                        )));
                    }
                    return finish(ctx, axis, v);
                }
                _ => n_out,
            };
            if num == 0 || dim % num != 0 {
                return Err(ctx.shape_err(format!(
                    "axis {axis} of length {dim} does not split evenly into {num} outputs"
                )));
            }
            vec![dim / num; num]
        }
    };
    finish(ctx, axis, sizes)
}

fn finish(ctx: &NodeCtx, axis: usize, sizes: Vec<usize>) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if sizes.iter().sum::<usize>() != x.shape[axis] || sizes.len() != ctx.proto.output.len() {
        return Err(ctx.shape_err(format!(
            "split sizes {sizes:?} do not cover axis {axis} of {:?} with {} outputs",
            x.shape,
            ctx.proto.output.len()
        )));
    }
    let outputs = sizes
        .iter()
        .map(|&s| {
            let mut sh = x.shape.clone();
            sh[axis] = s;
            OutSpec::new(x.dtype, sh)
        })
        .collect();
    Ok(Built::new(Op::Split { axis, sizes }, vec![0], outputs))
}
