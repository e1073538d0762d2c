//! Concat — <https://onnx.ai/onnx/operators/onnx__Concat.html>
//!
//! Attribute `axis` (required from opset 4, default 1 before; negative from opset 11).
//! Variadic inputs of equal rank that agree on every other axis.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let first = ctx.input(0)?;
    let rank = first.shape.len();
    let axis = match ctx.int_opt("axis")? {
        Some(a) => a,
        None if ctx.opset < 4 => 1,
        None => return Err(ctx.attr_err("axis", "is required but missing")),
    };
    let axis = ctx.axis("axis", axis, rank)?;
    let mut shape = first.shape.clone();
    shape[axis] = 0;
    let mut inputs = Vec::new();
    for i in 0..ctx.num_inputs() {
        let Some(t) = ctx.opt_input(i) else { continue };
        let same = t.shape.len() == rank
            && t.dtype == first.dtype
            && (0..rank).all(|k| k == axis || t.shape[k] == first.shape[k]);
        if !same {
            return Err(ctx.shape_err(format!(
                "input '{}' {:?} ({}) does not match {:?} ({}) outside axis {axis}",
                t.name,
                t.shape,
                t.dtype.name(),
                first.shape,
                first.dtype.name()
            )));
        }
        shape[axis] += t.shape[axis];
        inputs.push(i);
    }
    Ok(Built::new(
        Op::Concat { axis },
        inputs,
        vec![OutSpec::new(first.dtype, shape)],
    ))
}
