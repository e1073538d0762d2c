//! Shape — <https://onnx.ai/onnx/operators/onnx__Shape.html>
//!
//! Attributes `start` (0) and `end` (rank), opset >= 15, negative and clamped. Always
//! constant (shapes are static): becomes `Op::ConstOnly` with int64 data. Opsets 1+.

use crate::ir::{DType, Data};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let r = x.shape.len() as i64;
    let (start, end) = if ctx.opset >= 15 {
        (ctx.int("start", 0)?, ctx.int_opt("end")?.unwrap_or(r))
    } else {
        (0, r)
    };
    let fix = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let (s, e) = (fix(start), fix(end));
    let dims: Vec<i64> = x
        .shape
        .get(s..e.max(s))
        .unwrap_or(&[])
        .iter()
        .map(|&d| d as i64)
        .collect();
    Ok(Built::constant(vec![OutSpec::constant(
        DType::I64,
        vec![dims.len()],
        Data::I64(dims),
    )]))
}
