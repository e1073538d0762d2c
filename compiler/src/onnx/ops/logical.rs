//! Logic on bool tensors: And <https://onnx.ai/onnx/operators/onnx__And.html>, Or, Xor
//! (opset 1+; `broadcast`/`axis` below opset 7, as Add) and Not
//! <https://onnx.ai/onnx/operators/onnx__Not.html> (opset 1+). No attributes from opset 7.
//! Inputs and output are bool: evaluated at compile time on constants, else stored as
//! float32 0 / 1 at run time.

use super::binary::broadcasting;
use crate::ir::{BinaryKind, DType, Op, UnaryKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let kind = match ctx.op_type {
        "And" => BinaryKind::And,
        "Or" => BinaryKind::Or,
        "Xor" => BinaryKind::Xor,
        _ => return not(ctx),
    };
    bool_input(ctx, 0)?;
    bool_input(ctx, 1)?;
    broadcasting(ctx, kind, &[DType::Bool])
}

fn not(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = bool_input(ctx, 0)?;
    Ok(Built::new(
        Op::Unary(UnaryKind::Not),
        vec![0],
        vec![OutSpec::new(DType::Bool, x.shape.clone())],
    ))
}

/// Input `i`, which must be bool (constant or not).
fn bool_input<'a>(ctx: &NodeCtx<'a>, i: usize) -> Result<&'a crate::ir::Tensor, ImportError> {
    let t = ctx.input(i)?;
    if t.dtype != DType::Bool {
        return Err(ctx.shape_err(format!(
            "input #{i} is {}; {} takes bool tensors",
            t.dtype.name(),
            ctx.op_type
        )));
    }
    Ok(t)
}
