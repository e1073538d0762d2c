//! Softmax <https://onnx.ai/onnx/operators/onnx__Softmax.html> and LogSoftmax.
//!
//! Attribute `axis`: opset < 13 default 1 with coerce-to-2-D semantics (the input is seen as
//! [prod(:axis), prod(axis:)], `coerce_2d: true`); opset >= 13 default -1, along one axis.
//! Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if !x.is_const() {
        ctx.float_input(0)?;
    }
    let coerce_2d = ctx.opset < 13;
    let axis = ctx.int("axis", if coerce_2d { 1 } else { -1 })?;
    let axis = ctx.axis("axis", axis, x.shape.len())?;
    Ok(Built::new(
        Op::Softmax {
            axis,
            log: ctx.op_type == "LogSoftmax",
            coerce_2d,
        },
        vec![0],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}
