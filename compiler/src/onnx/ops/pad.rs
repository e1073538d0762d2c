//! Pad — <https://onnx.ai/onnx/operators/onnx__Pad.html>
//!
//! `mode`: "constant" (default), "reflect", "edge", and "wrap" (opset >= 19). Opset < 11:
//! attributes `pads` (`paddings` in opset 1) and `value` (0.0). Opset >= 11: constant
//! inputs pads, optional constant_value (0), and from opset 18 optional axes. Negative
//! pads crop (an axis may not end up shorter than 0). reflect, edge and wrap need every
//! axis they read from non-empty.

use crate::ir::{Op, PadMode};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let r = x.shape.len();
    let mode = pad_mode(ctx)?;
    let (raw, value, axes) = if ctx.opset < 11 {
        let name = if ctx.opset < 2 { "paddings" } else { "pads" };
        let pads = ctx
            .ints_opt(name)?
            .ok_or_else(|| ctx.attr_err(name, "is required but missing"))?;
        (pads, ctx.float("value", 0.0)?, None)
    } else {
        let pads = ctx.const_data(1)?.to_i64();
        let value = match ctx.opt_input(2) {
            Some(_) => ctx.const_data(2)?.to_f32().first().copied().unwrap_or(0.0),
            None => 0.0,
        };
        let axes = if ctx.opset >= 18 {
            ctx.opt_const_ints(3)?
        } else {
            None
        };
        (pads, value, axes)
    };
    let axes: Vec<usize> = match axes {
        None => (0..r).collect(),
        Some(a) => a
            .iter()
            .map(|&a| ctx.axis("axes", a, r))
            .collect::<Result<_, _>>()?,
    };
    let n = axes.len();
    if raw.len() != 2 * n {
        return Err(ctx.shape_err(format!(
            "pads {raw:?} should have {} values for {n} axes",
            2 * n
        )));
    }
    if raw
        .iter()
        .any(|&p| p.unsigned_abs() > crate::onnx::shape::MAX_C_INT as u64)
    {
        return Err(ctx.shape_err(format!(
            "pads {raw:?} are too large (at most {} each, the runtime's 32-bit int)",
            crate::onnx::shape::MAX_C_INT
        )));
    }
    let mut pads = vec![0i64; 2 * r];
    for (k, &a) in axes.iter().enumerate() {
        pads[a] = raw[k];
        pads[r + a] = raw[n + k];
    }
    let mut shape = Vec::with_capacity(r);
    for i in 0..r {
        let d = x.shape[i] as i64 + pads[i] + pads[r + i];
        let d = usize::try_from(d).map_err(|_| {
            ctx.shape_err(format!(
                "pads {raw:?} crop axis {i} of X {:?} below zero",
                x.shape
            ))
        })?;
        shape.push(d);
    }
    let padded_empty = (0..r).any(|i| x.shape[i] == 0 && shape[i] > 0);
    if mode != PadMode::Constant && padded_empty {
        return Err(ctx.shape_err(format!(
            "X {:?} has an empty padded axis: only constant mode can pad it",
            x.shape
        )));
    }
    Ok(Built::new(
        Op::Pad { pads, value, mode },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}

/// The `mode` attribute ("wrap" from opset 19).
fn pad_mode(ctx: &NodeCtx) -> Result<PadMode, ImportError> {
    let mode = ctx.string("mode", "constant")?;
    Ok(match mode.as_str() {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "edge" => PadMode::Edge,
        "wrap" if ctx.opset >= 19 => PadMode::Wrap,
        _ => {
            return Err(ctx.attr_err(
                "mode",
                format!("'{mode}' is not one of constant, reflect, edge, wrap (opset >= 19)"),
            ))
        }
    })
}
