//! ConvInteger <https://onnx.ai/onnx/operators/onnx__ConvInteger.html> and MatMulInteger
//! <https://onnx.ai/onnx/operators/onnx__MatMulInteger.html>: int32 sums of products of
//! zero-point-shifted int8 / uint8 operands.
//!
//! ConvInteger (opset 10+; Conv's attributes, see `conv.rs`): x, w, optional x_zero_point,
//! optional w_zero_point (per tensor or per output channel, axis 0). MatMulInteger (opset
//! 10+): A, B, optional a_zero_point (per tensor, or per row of a constant A), optional
//! b_zero_point (per tensor or per column of B). Zero points are constants of their
//! operand's type; a run-time operand is per tensor.
//!
//! Lowered exactly in float32: a DequantizeLinear of scale 1 subtracts each zero point
//! (`Built::dequantize`), the float Conv / MatMul sums the integer products. Integers up to
//! 2^24 are exact in float32, so every partial sum is exact when the largest possible
//! |sum| (|x - x_zp| at most, times the sum of one output's |w - w_zp|) is at most 2^24;
//! a node that could exceed it is refused. The output holds those exact integer values as
//! float32 (a following Cast to float is then the identity).

use super::qlinear::{float_stand_in, quantised_input};
use super::quantize::{params_of, Params};
use super::{conv, matmul};
use crate::ir::{DType, Data, Quant, Tensor};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

/// The largest |integer| float32 holds exactly, with every integer below it.
const EXACT_F32: i64 = 1 << 24;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = quantised_input(ctx, 0)?;
    let w = quantised_input(ctx, 1)?;
    let conv = ctx.op_type == "ConvInteger";
    let w_axis = if conv { 0 } else { w.shape.len() as i64 - 1 };
    let x_axis = x.shape.len() as i64 - 2;
    let xq = zero_points(ctx, x, 2, x_axis)?;
    if conv && !xq.is_per_tensor() {
        return Err(ctx.shape_err("x_zero_point must be a scalar (per tensor)"));
    }
    let wq = zero_points(ctx, w, 3, w_axis)?;
    let (xf, wf) = (float_stand_in(x), float_stand_in(w));
    let float = if conv {
        conv::build(&ctx.with_inputs(vec![Some(&xf), Some(&wf)]))?
    } else {
        matmul::build(&ctx.with_inputs(vec![Some(&xf), Some(&wf)]))?
    };
    check_exact(ctx, x, &xq, w, &wq)?;
    Ok(float.with_dequantize(0, xq).with_dequantize(1, wq))
}

/// The zero points of operand `t` (input `zp`, absent: 0) as a scale-1 `Quant`, per tensor
/// or along `axis`; a run-time operand must be per tensor.
fn zero_points(ctx: &NodeCtx, t: &Tensor, zp: usize, axis: i64) -> Result<Quant, ImportError> {
    let at = Params {
        scale: None,
        zero_point: zp,
        axis: Some(axis),
    };
    let q = params_of(ctx, t, t.dtype, &at)?;
    if !t.is_const() && !q.is_per_tensor() {
        return Err(ctx.feature_err(format!(
            "the run-time input '{}' has a zero point per axis; meshnn takes one per tensor for run-time data",
            t.name
        )));
    }
    Ok(q)
}

/// Refuses a node whose int32 sums could exceed 2^24 (float32 would round them).
fn check_exact(
    ctx: &NodeCtx,
    x: &Tensor,
    xq: &Quant,
    w: &Tensor,
    wq: &Quant,
) -> Result<(), ImportError> {
    let x_max = largest_shifted(x, xq);
    let w_sum = largest_weight_sum(ctx.op_type == "ConvInteger", w, wq);
    let bound = x_max.saturating_mul(w_sum);
    if bound > EXACT_F32 {
        return Err(ctx.feature_err(format!(
            "its int32 sums can reach {bound}, beyond 2^24 = {EXACT_F32} where meshnn's exact float32 lowering of {} would round them; use fewer input channels or taps per output, or QLinearConv / QLinearMatMul",
            ctx.op_type
        )));
    }
    Ok(())
}

/// The largest |x - zero point| `t` can hold: from its data when constant, else its
/// type's range.
fn largest_shifted(t: &Tensor, q: &Quant) -> i64 {
    let zp = |i: usize| q.zero_points[q.channel_of(i, &t.shape)] as i64;
    match &t.data {
        Some(d) => d
            .to_i64()
            .iter()
            .enumerate()
            .map(|(i, &v)| (v - zp(i)).abs())
            .max()
            .unwrap_or(0),
        None => {
            let (lo, hi) = if t.dtype == DType::U8 {
                (0, 255)
            } else {
                (-128, 127)
            };
            q.zero_points
                .iter()
                .map(|&z| (hi - z as i64).abs().max((lo - z as i64).abs()))
                .max()
                .unwrap_or(0)
        }
    }
}

/// The largest sum of |w - zero point| over the terms of one output: a filter (W [M,
/// ...], ConvInteger) or a column of one matrix (B [..., K, N], MatMulInteger); 255 per
/// term when W is not constant.
fn largest_weight_sum(conv: bool, w: &Tensor, wq: &Quant) -> i64 {
    let numel = w.numel();
    let (terms, cols) = if conv {
        let m = w.shape.first().copied().unwrap_or(1).max(1);
        (numel / m, 1)
    } else {
        let mut dims = w.shape.iter().rev();
        let n = dims.next().copied().unwrap_or(1).max(1);
        (dims.next().copied().unwrap_or(1).max(1), n)
    };
    let Some(data) = w.data.as_ref().map(Data::to_i64) else {
        return 255 * terms as i64;
    };
    let mut sums = vec![0i64; numel / terms.max(1)];
    for (i, &v) in data.iter().enumerate() {
        let zp = wq.zero_points[wq.channel_of(i, &w.shape)] as i64;
        let out = (i / (terms * cols)) * cols + i % cols;
        if let Some(s) = sums.get_mut(out) {
            *s += (v - zp).abs();
        }
    }
    sums.into_iter().max().unwrap_or(0)
}
