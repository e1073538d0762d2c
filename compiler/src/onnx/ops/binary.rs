//! Add, Sub, Mul, Div — <https://onnx.ai/onnx/operators/onnx__Add.html> (and Sub/Mul/Div).
//!
//! Attributes: none from opset 7 (the pre-7 `broadcast`/`axis` form is not accepted).
//! Inputs A, B with numpy broadcasting. Opsets 7–14 accepted; float32 at run time, float32
//! or int64 when both inputs are constant.

use crate::ir::{Activation, BinaryKind, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let kind = match ctx.op_type {
        "Add" => BinaryKind::Add,
        "Sub" => BinaryKind::Sub,
        "Mul" => BinaryKind::Mul,
        _ => BinaryKind::Div,
    };
    let a = ctx.input(0)?;
    let b = ctx.input(1)?;
    if a.dtype != b.dtype {
        return Err(ctx.shape_err(format!(
            "inputs have different element types ({} and {})",
            a.dtype.name(),
            b.dtype.name()
        )));
    }
    if !(a.is_const() && b.is_const()) {
        ctx.float_input(0)?;
    }
    let shape = broadcast(&[&a.shape, &b.shape]).ok_or_else(|| {
        ctx.shape_err(format!(
            "shapes {:?} and {:?} do not broadcast",
            a.shape, b.shape
        ))
    })?;
    Ok(Built::new(
        Op::Binary {
            kind,
            act: Activation::None,
        },
        vec![0, 1],
        vec![OutSpec::new(a.dtype, shape)],
    ))
}
