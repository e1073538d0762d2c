//! Identity <https://onnx.ai/onnx/operators/onnx__Identity.html> and Dropout
//! <https://onnx.ai/onnx/operators/onnx__Dropout.html> in inference mode.
//!
//! Dropout attributes: `ratio` (< 12, ignored), `seed` (ignored); inputs `ratio`,
//! `training_mode` (>= 12; a constant true training_mode is rejected). The `mask` output
//! must be unused. Opsets 1–6: `is_test`, `consumed_inputs` ignored.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if ctx.op_type == "Dropout" {
        ctx.require_unused_output(1, "mask")?;
        if ctx.opt_input(2).is_some() {
            let training = ctx.const_data(2)?.to_i64();
            if training.first().copied().unwrap_or(0) != 0 {
                return Err(ctx.feature_err("training_mode = true"));
            }
        }
    }
    Ok(Built::new(
        Op::Identity,
        vec![0],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}
