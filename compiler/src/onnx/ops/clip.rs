//! Clip — <https://onnx.ai/onnx/operators/onnx__Clip.html>
//!
//! Opset < 11: attributes `min` (default -inf), `max` (default +inf).
//! Opset >= 11: optional inputs `min`, `max` (scalars), which must be constant; absent
//! bounds are -inf / +inf. Float32.

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
