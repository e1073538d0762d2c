//! Expand — <https://onnx.ai/onnx/operators/onnx__Expand.html>
//!
//! The shape input must be constant; the output shape is the numpy broadcast of the input
//! shape and it. Folded to a constant when the input is constant. Opsets 8+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let dims = ctx.const_data(1)?.to_i64();
    let target = dims
        .iter()
        .map(|&d| {
            usize::try_from(d)
                .ok()
                .filter(|&u| u <= crate::onnx::shape::MAX_ELEMENTS)
                .ok_or_else(|| ctx.shape_err(format!("invalid dimension in {dims:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let shape = broadcast(&[&x.shape, &target])
        .ok_or_else(|| ctx.shape_err(format!("{:?} cannot be expanded to {dims:?}", x.shape)))?;
    Ok(Built::new(
        Op::Expand,
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
