//! Cast — <https://onnx.ai/onnx/operators/onnx__Cast.html>
//!
//! Attribute `to` (required), `saturate` (>= 19, ignored). A constant input is converted at
//! compile time (`Op::ConstOnly`); a run-time float32 or bool -> float32 cast becomes
//! `Op::Identity` (bool is stored as float32 0 / 1); other run-time casts are rejected. Opsets 1–5: `to` is a string naming
//! the type ("FLOAT", "INT64", ...).

use crate::ir::{DType, Data, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::tensor;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let to = match ctx.attr("to") {
        Some(a) if ctx.opset < 6 && !a.s.is_empty() => {
            let name = ctx.string("to", "")?;
            legacy_type(&name)
                .ok_or_else(|| ctx.attr_err("to", format!("names unknown type '{name}'")))?
        }
        _ => ctx
            .int_opt("to")?
            .ok_or_else(|| ctx.attr_err("to", "is required but missing"))?,
    };
    let to = i32::try_from(to).unwrap_or(0);
    let dtype = tensor::const_dtype(to).ok_or_else(|| ImportError::DType {
        tensor: ctx.proto.output.first().cloned().unwrap_or_default(),
        dtype: tensor::onnx_dtype_name(to),
        what: format!(
            "Cast node '{}' targets a type meshnn cannot represent",
            ctx.name
        ),
    })?;
    let Some(data) = &x.data else {
        // A run-time bool is stored as float32 0 / 1 already.
        if matches!(x.dtype, DType::F32 | DType::Bool) && dtype == DType::F32 {
            return Ok(Built::new(
                Op::Identity,
                vec![0],
                vec![OutSpec::new(dtype, x.shape.clone())],
            ));
        }
        return Err(ctx.feature_err(format!(
            "a run-time cast from {} to {} (only constant inputs can be cast)",
            x.dtype.name(),
            dtype.name()
        )));
    };
    let out = match to {
        tensor::FLOAT | tensor::DOUBLE => Data::F32(data.to_f32()),
        tensor::BOOL => Data::I64(data.to_f32().iter().map(|&v| (v != 0.0) as i64).collect()),
        tensor::UINT8 => Data::I64(data.to_i64().iter().map(|&v| v as u8 as i64).collect()),
        tensor::INT8 => Data::I64(data.to_i64().iter().map(|&v| v as i8 as i64).collect()),
        tensor::INT32 => Data::I64(data.to_i64().iter().map(|&v| v as i32 as i64).collect()),
        tensor::INT16 => Data::I64(data.to_i64().iter().map(|&v| v as i16 as i64).collect()),
        tensor::UINT16 => Data::I64(data.to_i64().iter().map(|&v| v as u16 as i64).collect()),
        tensor::UINT32 => Data::I64(data.to_i64().iter().map(|&v| v as u32 as i64).collect()),
        _ => Data::I64(data.to_i64()),
    };
    Ok(Built::constant(vec![OutSpec::constant(
        dtype,
        x.shape.clone(),
        out,
    )]))
}

/// Opset 1 Cast names its target type with a TensorProto.DataType name.
fn legacy_type(name: &str) -> Option<i64> {
    const NAMES: [&str; 16] = [
        "UNDEFINED",
        "FLOAT",
        "UINT8",
        "INT8",
        "UINT16",
        "INT16",
        "INT32",
        "INT64",
        "STRING",
        "BOOL",
        "FLOAT16",
        "DOUBLE",
        "UINT32",
        "UINT64",
        "COMPLEX64",
        "COMPLEX128",
    ];
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .filter(|&i| i > 0)
        .map(|i| i as i64)
}
