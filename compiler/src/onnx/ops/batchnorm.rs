//! BatchNormalization — <https://onnx.ai/onnx/operators/onnx__BatchNormalization.html>
//!
//! Inference mode only. Attributes: `epsilon` (1e-5), `momentum` (ignored), `spatial`
//! (opset < 9, must be 1), `training_mode` (>= 14, must be 0). Inputs X [N, C, ...], scale,
//! B, mean, var (each [C]). Outputs beyond Y must be unused. Opsets 1–6: `is_test` and
//! `consumed_inputs` (< 6) ignored (the extra outputs being unused is what matters).

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.float_input(0)?;
    let epsilon = ctx.float("epsilon", 1e-5)?;
    if ctx.opset < 9 && ctx.int("spatial", 1)? != 1 {
        return Err(ctx.feature_err("spatial = 0"));
    }
    if ctx.int("training_mode", 0)? != 0 {
        return Err(ctx.feature_err("training_mode = 1"));
    }
    for i in 1..5 {
        ctx.require_unused_output(i, "training statistics")?;
    }
    if x.shape.len() < 2 {
        return Err(ctx.shape_err(format!("input shape {:?} has no channel axis", x.shape)));
    }
    let c = x.shape[1];
    for i in 1..5 {
        let p = ctx.float_input(i)?;
        if p.numel() != c {
            return Err(ctx.shape_err(format!(
                "parameter '{}' has {} values, expected {c} (channels)",
                p.name,
                p.numel()
            )));
        }
    }
    Ok(Built::new(
        Op::BatchNorm { epsilon },
        vec![0, 1, 2, 3, 4],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}
