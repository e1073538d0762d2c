//! QLinearConv <https://onnx.ai/onnx/operators/onnx__QLinearConv.html> and QLinearMatMul
//! <https://onnx.ai/onnx/operators/onnx__QLinearMatMul.html>: the QOperator form that
//! onnxruntime's `quantize_static(quant_format=QOperator)` writes.
//!
//! QLinearConv (opset 10+; Conv's attributes, see `conv.rs`): x, x_scale, x_zero_point, w,
//! w_scale, w_zero_point, y_scale, y_zero_point, optional B (int32 constant in the scale
//! x_scale * w_scale, zero point 0). QLinearMatMul (opset 10+): a, a_scale, a_zero_point,
//! b, b_scale, b_zero_point, y_scale, y_zero_point (numpy.matmul shapes). x / a, w / b and
//! y are int8 or uint8 (y's type is y_zero_point's); scales float32 constants (float16
//! scales, opset 21, are refused), zero points constants of the operand's type. x / a and
//! y are per tensor (a per-row a_scale is refused); w per tensor or per output channel
//! (axis 0), b per tensor or per column (its last axis).
//!
//! Imported in the QDQ form: DequantizeLinear on x, w and B, the float Conv / MatMul,
//! QuantizeLinear to y (`Built::dequantize` / `Built::quantize`), which
//! `passes::quantise_islands` lowers to the int8 kernels like any DQ -> op -> Q island
//! (the accumulator is requantised by fixed-point multiplier and shift, as for QDQ).

use super::quantize::{params_of, Params};
use super::{conv, matmul};
use crate::ir::{DType, Quant, Tensor};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    if ctx.op_type == "QLinearConv" {
        build_conv(ctx)
    } else {
        build_matmul(ctx)
    }
}

/// x (0..2), w (3..5, per channel along axis 0), y (6, 7), B (8).
fn build_conv(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let (x, xq) = per_tensor_operand(ctx, 0, 1)?;
    let w = quantised_input(ctx, 3)?;
    let per_channel = Params {
        scale: Some(4),
        zero_point: 5,
        axis: Some(0),
    };
    let wq = params_of(ctx, w, w.dtype, &per_channel)?;
    let (xf, wf) = (float_stand_in(x), float_stand_in(w));
    let bias = ctx.opt_input(8);
    let float = conv::build(&ctx.with_inputs(vec![Some(&xf), Some(&wf), bias]))?;
    let mut built = requantised(ctx, float, &[0, 3, 8])?
        .with_dequantize(0, xq.clone())
        .with_dequantize(3, wq.clone());
    if let Some(b) = bias {
        built = built.with_dequantize(8, bias_quant(ctx, b, &xq, &wq)?);
    }
    Ok(built)
}

/// a (0..2), b (3..5, per column along its last axis), y (6, 7).
fn build_matmul(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let a_rows = ctx.input(0)?.shape.len() as i64 - 2;
    let (a, aq) = per_tensor_operand(ctx, 0, a_rows)?;
    let b = quantised_input(ctx, 3)?;
    let per_column = Params {
        scale: Some(4),
        zero_point: 5,
        axis: Some(b.shape.len() as i64 - 1),
    };
    let bq = params_of(ctx, b, b.dtype, &per_column)?;
    let (af, bf) = (float_stand_in(a), float_stand_in(b));
    let float = matmul::build(&ctx.with_inputs(vec![Some(&af), Some(&bf)]))?;
    Ok(requantised(ctx, float, &[0, 3])?
        .with_dequantize(0, aq)
        .with_dequantize(3, bq))
}

/// The int8 / uint8 operand at input `pos` (its scale and zero point follow it), with
/// its per-tensor `Quant`; parameters per slice along `axis` (x's channels, a's rows) are
/// refused.
fn per_tensor_operand<'a>(
    ctx: &NodeCtx<'a>,
    pos: usize,
    axis: i64,
) -> Result<(&'a Tensor, Quant), ImportError> {
    let t = quantised_input(ctx, pos)?;
    let at = Params {
        scale: Some(pos + 1),
        zero_point: pos + 2,
        axis: Some(axis),
    };
    let q = params_of(ctx, t, t.dtype, &at)?;
    if !q.is_per_tensor() {
        return Err(ctx.feature_err(format!(
            "input #{pos} is quantised per axis; meshnn's int8 kernels take it per tensor (one scale and zero point)"
        )));
    }
    Ok((t, q))
}

/// Input `pos`: int8 or uint8.
pub(super) fn quantised_input<'a>(
    ctx: &NodeCtx<'a>,
    pos: usize,
) -> Result<&'a Tensor, ImportError> {
    let t = ctx.input(pos)?;
    if !matches!(t.dtype, DType::I8 | DType::U8) {
        return Err(ImportError::DType {
            tensor: t.name.clone(),
            dtype: t.dtype.name().into(),
            what: format!(
                "input #{pos} of node '{}' ({}) must be int8 or uint8",
                ctx.name, ctx.op_type
            ),
        });
    }
    Ok(t)
}

/// A float32 tensor of `t`'s name and shape, for the float op's checks.
pub fn float_stand_in(t: &Tensor) -> Tensor {
    Tensor {
        name: t.name.clone(),
        dtype: DType::F32,
        shape: t.shape.clone(),
        data: None,
        quant: None,
    }
}

/// The float op `float` (built on stand-ins at positions 0, 1, 2...) at the node's real
/// input positions `real`, requantised to y (y_scale input 6, y_zero_point input 7).
fn requantised(ctx: &NodeCtx, float: Built, real: &[usize]) -> Result<Built, ImportError> {
    let yz = ctx.input(7)?;
    if !matches!(yz.dtype, DType::I8 | DType::U8) {
        return Err(ctx.shape_err(format!(
            "y_zero_point of type {} is not supported (int8 or uint8)",
            yz.dtype.name()
        )));
    }
    let at = Params {
        scale: Some(6),
        zero_point: 7,
        axis: Some(0),
    };
    let yq = params_of(ctx, yz, yz.dtype, &at)?;
    if !yq.is_per_tensor() {
        return Err(ctx.shape_err("y_scale and y_zero_point must be scalars (per tensor)"));
    }
    let mut built = float;
    built.inputs = built.inputs.iter().map(|&i| real[i]).collect();
    for out in &mut built.outputs {
        out.dtype = yz.dtype;
    }
    Ok(built.with_quantize(yq))
}

/// B's parameters: int32 constant, scale x_scale * w_scale (per channel when w is),
/// zero point 0.
fn bias_quant(ctx: &NodeCtx, b: &Tensor, xq: &Quant, wq: &Quant) -> Result<Quant, ImportError> {
    if !(b.is_const() && matches!(b.dtype, DType::I32 | DType::I64)) {
        return Err(ctx.shape_err(format!(
            "bias '{}' must be an int32 constant (in the scale x_scale * w_scale)",
            b.name
        )));
    }
    let scales: Vec<f32> = wq.scales.iter().map(|&s| xq.scale() * s).collect();
    Ok(Quant {
        zero_points: vec![0; scales.len()],
        scales,
        axis: 0,
    })
}
