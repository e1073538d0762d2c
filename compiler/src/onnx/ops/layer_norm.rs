//! LayerNormalization — <https://onnx.ai/onnx/operators/onnx__LayerNormalization.html>
//!
//! Opset 17+. Inputs X, Scale, optional B; Scale and B hold one value per element of the
//! normalised shape X.shape[axis..] (any shape with that many values). Attributes: `axis`
//! (-1, negative counts from the end), `epsilon` (1e-5), `stash_type` (1: float32; any
//! value is accepted, meshnn computes in float32). The optional Mean and InvStdDev outputs
//! (training statistics) must be unused.

use super::norm::{build_norm, NormSpec};
use crate::ir::{NormAffine, NormKind};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let rank = ctx.input(0)?.shape.len();
    let axis = ctx.axis("axis", ctx.int("axis", -1)?, rank)?;
    for (i, what) in [(1, "Mean"), (2, "InvStdDev")] {
        if ctx.outputs_used.get(i).copied().unwrap_or(false) {
            return Err(ctx.feature_err(format!(
                "output #{i} ({what}) is used; meshnn computes only Y: compute the \
                 statistic with ReduceMean in the model instead"
            )));
        }
    }
    build_norm(
        ctx,
        NormSpec {
            kind: NormKind::Layer,
            axis,
            groups: 1,
            epsilon: ctx.float("epsilon", 1e-5)?,
            affine: NormAffine::PerElement,
        },
    )
}
