//! Clip — <https://onnx.ai/onnx/operators/onnx__Clip.html>
//!
//! Opset < 11: attributes `min` (default -inf), `max` (default +inf).
//! Opset >= 11: optional inputs `min`, `max` (scalars); absent bounds are -inf / +inf.
//! Constant bounds become `Unary(Clip)` (fusable into the producing kernel); a bound
//! computed at run time makes the node `ClipRange`, which reads both bounds at run time.
//! Float32.

use crate::ir::{Op, UnaryKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if !x.is_const() {
        ctx.float_input(0)?;
    }
    let (min, max) = if ctx.opset < 11 {
        (
            ctx.float("min", f32::NEG_INFINITY)?,
            ctx.float("max", f32::INFINITY)?,
        )
    } else if let Some((op, inputs)) = run_time_bounds(ctx)? {
        let out = OutSpec::new(x.dtype, x.shape.clone());
        return Ok(Built::new(op, inputs, vec![out]));
    } else {
        let bound = |i: usize, default: f32| -> Result<f32, ImportError> {
            match ctx.opt_input(i) {
                None => Ok(default),
                Some(_) => {
                    let v = ctx.const_data(i)?.to_f32();
                    v.first()
                        .copied()
                        .ok_or_else(|| ctx.shape_err(format!("bound input #{i} is empty")))
                }
            }
        };
        (bound(1, f32::NEG_INFINITY)?, bound(2, f32::INFINITY)?)
    };
    Ok(Built::new(
        Op::Unary(UnaryKind::Clip { min, max }),
        vec![0],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}

/// `ClipRange` and its inputs when a bound input (opset >= 11) is not constant; `None`
/// when every present bound is constant. Each bound must hold one float32.
fn run_time_bounds(ctx: &NodeCtx) -> Result<Option<(Op, Vec<usize>)>, ImportError> {
    let present: Vec<usize> = [1, 2]
        .into_iter()
        .filter(|&i| ctx.opt_input(i).is_some())
        .collect();
    if present
        .iter()
        .all(|&i| ctx.input(i).is_ok_and(|t| t.is_const()))
    {
        return Ok(None);
    }
    for &i in &present {
        let t = ctx.float_input(i)?;
        if t.numel() != 1 {
            return Err(ctx.shape_err(format!(
                "bound input #{i} has shape {:?}, expected one value",
                t.shape
            )));
        }
    }
    let op = Op::ClipRange {
        has_min: present.contains(&1),
        has_max: present.contains(&2),
    };
    let mut inputs = vec![0];
    inputs.extend(present);
    Ok(Some((op, inputs)))
}
