//! ConstantOfShape — <https://onnx.ai/onnx/operators/onnx__ConstantOfShape.html>
//!
//! Attribute `value` (one-element tensor, default float32 0). The shape input must be
//! constant. Becomes `Op::ConstOnly`. Opsets 9+.

use crate::ir::{DType, Data};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::tensor;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let dims = ctx.const_data(0)?.to_i64();
    let shape = dims
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| ctx.shape_err(format!("negative dimension in {dims:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let numel = crate::onnx::shape::checked_numel(&shape)
        .ok_or_else(|| ctx.shape_err(format!("shape {dims:?} is too large")))?;
    if numel.saturating_mul(8) > crate::ir::eval::MAX_FOLD_BYTES {
        return Err(ctx.shape_err(format!(
            "shape {dims:?} has {numel} elements: a compile-time constant holds at most {} MiB; make the shape smaller",
            crate::ir::eval::MAX_FOLD_BYTES >> 20
        )));
    }
    let (dtype, data) = match ctx.tensor_opt("value")? {
        None => (DType::F32, Data::F32(vec![0.0; numel])),
        Some(t) => {
            let (dtype, _, data) = tensor::convert(t, ctx.base_dir)?;
            match data {
                Data::F32(v) => (
                    dtype,
                    Data::F32(vec![v.first().copied().unwrap_or(0.0); numel]),
                ),
                Data::I64(v) => (
                    dtype,
                    Data::I64(vec![v.first().copied().unwrap_or(0); numel]),
                ),
            }
        }
    };
    Ok(Built::constant(vec![OutSpec::constant(dtype, shape, data)]))
}
