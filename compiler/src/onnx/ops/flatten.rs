//! Flatten — <https://onnx.ai/onnx/operators/onnx__Flatten.html>
//!
//! Attribute `axis` (1; negative from opset 11, range [-r, r]). Output
//! [prod(dims[:axis]), prod(dims[axis:])]. Becomes `Op::Reshape`. Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let r = x.shape.len() as i64;
    let axis = ctx.int("axis", 1)?;
    let a = if axis < 0 { axis + r } else { axis };
    if !(0..=r).contains(&a) {
        return Err(ctx.attr_err("axis", format!("value {axis} is out of range for rank {r}")));
    }
    let a = a as usize;
    let outer: usize = x.shape[..a].iter().product();
    let inner: usize = x.shape[a..].iter().product();
    Ok(Built::new(
        Op::Reshape,
        vec![0],
        vec![OutSpec::new(x.dtype, vec![outer, inner])],
    ))
}
