//! Comparisons: Equal <https://onnx.ai/onnx/operators/onnx__Equal.html>, Less, Greater
//! (opset 1+), LessOrEqual, GreaterOrEqual (opset 12+).
//!
//! No attributes from opset 7: inputs A, B of one type with numpy broadcasting; opsets 1–6
//! take `broadcast`/`axis` as Add does. The output is bool. Any types when both inputs are
//! constant (evaluated at compile time); at run time float32 (Equal: or bool), the bool
//! result stored as float32 0 / 1.

use super::binary::broadcasting;
use crate::ir::{BinaryKind, DType};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let (kind, runtime): (_, &[DType]) = match ctx.op_type {
        "Equal" => (BinaryKind::Equal, &[DType::F32, DType::Bool]),
        "Less" => (BinaryKind::Less, &[DType::F32]),
        "LessOrEqual" => (BinaryKind::LessOrEqual, &[DType::F32]),
        "Greater" => (BinaryKind::Greater, &[DType::F32]),
        _ => (BinaryKind::GreaterOrEqual, &[DType::F32]),
    };
    broadcasting(ctx, kind, runtime)
}
