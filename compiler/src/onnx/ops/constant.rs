//! Constant — <https://onnx.ai/onnx/operators/onnx__Constant.html>
//!
//! Exactly one of `value` (tensor), `value_float`, `value_floats`, `value_int`,
//! `value_ints` (opset >= 12); `sparse_value` and strings are not supported. Becomes
//! `Op::ConstOnly`. Opsets 1+.

use crate::ir::{DType, Data};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::tensor;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let out = if let Some(t) = ctx.tensor_opt("value")? {
        let mut t = t.clone();
        if t.name.is_empty() {
            t.name = ctx.proto.output.first().cloned().unwrap_or_default();
        }
        let (dtype, shape, data) = tensor::convert(&t, ctx.base_dir)?;
        OutSpec::constant(dtype, shape, data)
    } else if let Some(f) = ctx.float_opt("value_float")? {
        OutSpec::constant(DType::F32, vec![], Data::F32(vec![f]))
    } else if let Some(v) = ctx.floats_opt("value_floats")? {
        OutSpec::constant(DType::F32, vec![v.len()], Data::F32(v))
    } else if let Some(i) = ctx.int_opt("value_int")? {
        OutSpec::constant(DType::I64, vec![], Data::I64(vec![i]))
    } else if let Some(v) = ctx.ints_opt("value_ints")? {
        OutSpec::constant(DType::I64, vec![v.len()], Data::I64(v))
    } else {
        return Err(ctx.feature_err(
            "a Constant without value/value_float(s)/value_int(s) (sparse and string constants are not supported)",
        ));
    };
    Ok(Built::constant(vec![out]))
}
