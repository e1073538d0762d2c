//! Elementwise math functions: Abs <https://onnx.ai/onnx/operators/onnx__Abs.html>, Neg,
//! Reciprocal, Exp, Log (natural; log(0) = -inf), Floor, Ceil, Sqrt (NaN for negative
//! inputs) (opset 1+), Sin, Cos
//! (opset 7+), Erf, Sign (opset 9+), Round (opset 11+; half to even).
//!
//! No attributes (opsets 1–5 `consumed_inputs` ignored). Float32; Abs, Neg and Sign also on
//! constant int64 data (evaluated at compile time).

use crate::ir::{DType, Op, UnaryKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let kind = match ctx.op_type {
        "Abs" => UnaryKind::Abs,
        "Neg" => UnaryKind::Neg,
        "Reciprocal" => UnaryKind::Reciprocal,
        "Exp" => UnaryKind::Exp,
        "Log" => UnaryKind::Log,
        "Floor" => UnaryKind::Floor,
        "Ceil" => UnaryKind::Ceil,
        "Sin" => UnaryKind::Sin,
        "Cos" => UnaryKind::Cos,
        "Erf" => UnaryKind::Erf,
        "Sign" => UnaryKind::Sign,
        "Sqrt" => UnaryKind::Sqrt,
        _ => UnaryKind::Round,
    };
    let x = ctx.input(0)?;
    let integer_ok = matches!(kind, UnaryKind::Abs | UnaryKind::Neg | UnaryKind::Sign);
    if !(x.is_const() && integer_ok && x.dtype == DType::I64) {
        ctx.float_input(0)?;
    }
    Ok(Built::new(
        Op::Unary(kind),
        vec![0],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}
