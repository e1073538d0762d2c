//! QuantizeLinear <https://onnx.ai/onnx/operators/onnx__QuantizeLinear.html> and
//! DequantizeLinear <https://onnx.ai/onnx/operators/onnx__DequantizeLinear.html>.
//!
//! Inputs: X, scale, optional zero point; scale and zero point must be constants (what
//! onnxruntime's quantiser writes): a scalar (per tensor) or a 1-D tensor along `axis`
//! (>= 13, default 1; per channel). Quantize: X float32, Y int8 or uint8 (the zero
//! point's type; uint8 without one; `output_dtype` (>= 21) may say it), `saturate`
//! (>= 19) concerns float8 only. Dequantize: X int8, uint8 or an int32 constant (a
//! quantised bias), Y float32. Blocked quantisation (`block_size` > 0, >= 21), other
//! element types (int16, int4, float8) and `precision` / `output_dtype` other than these
//! are refused. Opsets 10+. They stay in the graph until `passes::quantise_islands` turns
//! DQ -> op -> Q into integer operators.

use crate::ir::{DType, Op, Quant, Tensor};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::tensor;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if ctx.int("block_size", 0)? != 0 {
        return Err(ctx.feature_err(
            "blocked quantisation (block_size > 0); quantise per tensor or per channel",
        ));
    }
    let quantize = ctx.op_type == "QuantizeLinear";
    let q_dtype = if quantize {
        ctx.float_input(0)?;
        output_dtype(ctx)?
    } else {
        input_dtype(ctx, x)?
    };
    let quant = params_of(ctx, x, q_dtype, &QDQ)?;
    let (op, dtype) = if quantize {
        (Op::Quantize(quant), q_dtype)
    } else {
        if ctx.int("output_dtype", 0)? > tensor::FLOAT as i64 {
            return Err(ctx.attr_err("output_dtype", "only float32 output is supported"));
        }
        (Op::Dequantize(quant), DType::F32)
    };
    Ok(Built::new(
        op,
        vec![0],
        vec![OutSpec::new(dtype, x.shape.clone())],
    ))
}

/// The quantised type of a QuantizeLinear: its zero point's, else `output_dtype`, else
/// uint8.
fn output_dtype(ctx: &NodeCtx) -> Result<DType, ImportError> {
    let attr = match ctx.int("output_dtype", 0)? as i32 {
        0 => None,
        tensor::INT8 => Some(DType::I8),
        tensor::UINT8 => Some(DType::U8),
        code => {
            return Err(ctx.attr_err(
                "output_dtype",
                format!(
                    "{} is not supported (int8 or uint8)",
                    tensor::onnx_dtype_name(code)
                ),
            ))
        }
    };
    let zp = ctx.opt_input(2).map(|t| t.dtype);
    match (zp, attr) {
        (Some(z), Some(a)) if z != a => Err(ctx.attr_err(
            "output_dtype",
            format!("says {} but the zero point is {}", a.name(), z.name()),
        )),
        (Some(z @ (DType::I8 | DType::U8)), _) => Ok(z),
        (Some(z), _) => Err(ctx.shape_err(format!(
            "zero point of type {} is not supported (int8 or uint8)",
            z.name()
        ))),
        (None, a) => Ok(a.unwrap_or(DType::U8)),
    }
}

/// The quantised type of a DequantizeLinear's X: int8 or uint8, or an int32 constant
/// (imported as int64 data).
fn input_dtype(ctx: &NodeCtx, x: &Tensor) -> Result<DType, ImportError> {
    match x.dtype {
        DType::I8 | DType::U8 => Ok(x.dtype),
        DType::I64 if x.is_const() => Ok(DType::I64),
        d => Err(ImportError::DType {
            tensor: x.name.clone(),
            dtype: d.name().into(),
            what: format!(
                "input #0 of node '{}' (DequantizeLinear) must be int8 or uint8 (int32 as a constant)",
                ctx.name
            ),
        }),
    }
}

/// Where a quantised operand's parameters are: ONNX input positions of its scale (`None`:
/// scale 1, ConvInteger / MatMulInteger) and optional zero point, and its axis (`None`:
/// the `axis` attribute, default 1) when they are per axis.
pub struct Params {
    pub scale: Option<usize>,
    pub zero_point: usize,
    pub axis: Option<i64>,
}

/// QuantizeLinear / DequantizeLinear: scale input 1, zero point input 2, `axis`.
const QDQ: Params = Params {
    scale: Some(1),
    zero_point: 2,
    axis: None,
};

/// Scale and zero point of `x`, quantised as `dtype`: constants, a scalar or one value
/// per slice along the axis; every scale finite and > 0, every zero point within
/// `dtype`'s range and, for int8/uint8 run-time data, of `x`'s type.
pub fn params_of(
    ctx: &NodeCtx,
    x: &Tensor,
    dtype: DType,
    at: &Params,
) -> Result<Quant, ImportError> {
    let zp_t = ctx.opt_input(at.zero_point);
    let zero_points = match zp_t {
        Some(_) => ctx.const_data(at.zero_point)?.to_i64(),
        None => Vec::new(),
    };
    let (scale_shape, scales) = match at.scale {
        Some(pos) => (
            ctx.float_input(pos)?.shape.clone(),
            ctx.const_data(pos)?.to_f32(),
        ),
        None => (
            zp_t.map_or_else(Vec::new, |z| z.shape.clone()),
            vec![1.0; zero_points.len().max(1)],
        ),
    };
    let zero_points = if zp_t.is_some() {
        zero_points
    } else {
        vec![0; scales.len()]
    };
    if let Some(z) = zp_t {
        if z.shape != scale_shape {
            return Err(ctx.shape_err(format!(
                "zero point shape {:?} differs from scale shape {:?}",
                z.shape, scale_shape
            )));
        }
        if matches!(x.dtype, DType::I8 | DType::U8) && !x.is_const() && x.dtype != z.dtype {
            return Err(ctx.shape_err(format!(
                "zero point type {} differs from the input's {}",
                z.dtype.name(),
                x.dtype.name()
            )));
        }
    }
    let axis = if scales.len() == 1 && scale_shape.len() <= 1 {
        0
    } else {
        per_axis(ctx, x, &scale_shape, scales.len(), at.axis)?
    };
    if let Some(s) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(ctx.shape_err(format!(
            "scale {s} is not finite and positive; a quantisation scale must be > 0"
        )));
    }
    let (lo, hi) = match dtype {
        DType::I8 => (-128, 127),
        DType::U8 => (0, 255),
        _ => (i32::MIN as i64, i32::MAX as i64),
    };
    if let Some(z) = zero_points.iter().find(|z| !(lo..=hi).contains(*z)) {
        return Err(ctx.shape_err(format!(
            "zero point {z} is outside the range of {} [{lo}, {hi}]",
            dtype.name()
        )));
    }
    Ok(Quant {
        scales,
        zero_points: zero_points.iter().map(|&z| z as i32).collect(),
        axis,
    })
}

/// The axis of per-axis parameters: `axis` (else the attribute, default 1), whose length
/// the 1-D scale has.
fn per_axis(
    ctx: &NodeCtx,
    x: &Tensor,
    scale_shape: &[usize],
    n: usize,
    axis: Option<i64>,
) -> Result<usize, ImportError> {
    let axis = match axis {
        Some(a) => a,
        None => ctx.int("axis", 1)?,
    };
    let axis = ctx.axis("axis", axis, x.shape.len())?;
    if scale_shape.len() != 1 || x.shape[axis] != n {
        return Err(ctx.shape_err(format!(
            "scale of shape {:?} fits neither per tensor (one value) nor per axis {axis} (length {})",
            scale_shape, x.shape[axis]
        )));
    }
    Ok(axis)
}
