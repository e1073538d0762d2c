//! Sum <https://onnx.ai/onnx/operators/onnx__Sum.html>, Mean
//! <https://onnx.ai/onnx/operators/onnx__Mean.html>, Min
//! <https://onnx.ai/onnx/operators/onnx__Min.html> and Max (a NaN input gives NaN, as
//! onnxruntime).
//!
//! No attributes; one or more inputs with numpy broadcasting (from opset 8; opset 7 models
//! with equal shapes work the same). One input becomes `Op::Identity`. Opsets 1–5 `consumed_inputs` ignored.

use crate::ir::{Op, VariadicKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let first = ctx.input(0)?;
    let mut inputs = Vec::new();
    let mut shapes: Vec<&[usize]> = Vec::new();
    for i in 0..ctx.num_inputs() {
        let Some(t) = ctx.opt_input(i) else { continue };
        if t.dtype != first.dtype {
            return Err(ctx.shape_err("inputs have different element types"));
        }
        if !t.is_const() {
            ctx.float_input(i)?;
        }
        shapes.push(&t.shape);
        inputs.push(i);
    }
    let shape = broadcast(&shapes)
        .ok_or_else(|| ctx.shape_err(format!("input shapes {shapes:?} do not broadcast")))?;
    let kind = match ctx.op_type {
        "Mean" => VariadicKind::Mean,
        "Min" => VariadicKind::Min,
        "Max" => VariadicKind::Max,
        _ => VariadicKind::Sum,
    };
    let op = if inputs.len() == 1 {
        Op::Identity
    } else {
        Op::Variadic { kind }
    };
    Ok(Built::new(
        op,
        inputs,
        vec![OutSpec::new(first.dtype, shape)],
    ))
}
