//! LayerNormalization — <https://onnx.ai/onnx/operators/onnx__LayerNormalization.html>
//!
//! Opset 17+. Inputs X, Scale, optional B; Scale and B hold one value per element of the
//! normalised shape X.shape[axis..] (any shape with that many values). Attributes: `axis`
//! (-1, negative counts from the end), `epsilon` (1e-5), `stash_type` (1: float32; any
//! value is accepted, meshnn computes in float32). Outputs Y and the optional Mean and
//! InvStdDev (float32, shaped X.shape[..axis] followed by 1s); InvStdDev needs Mean named.

use super::norm::{build_norm, NormSpec};
use crate::ir::{DType, NormAffine, NormKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let rank = ctx.input(0)?.shape.len();
    let axis = ctx.axis("axis", ctx.int("axis", -1)?, rank)?;
    let named = |i: usize| ctx.proto.output.get(i).is_some_and(|o| !o.is_empty());
    if named(2) && !named(1) {
        return Err(ctx.feature_err(
            "output InvStdDev is named but Mean is not; name Mean too (it may stay unused)",
        ));
    }
    let mut built = build_norm(
        ctx,
        NormSpec {
            kind: NormKind::Layer,
            axis,
            groups: 1,
            epsilon: ctx.float("epsilon", 1e-5)?,
            affine: NormAffine::PerElement,
        },
    )?;
    let x = ctx.input(0)?;
    let stat_shape: Vec<usize> = (0..rank)
        .map(|d| if d < axis { x.shape[d] } else { 1 })
        .collect();
    for _ in (1..3).filter(|&i| named(i)) {
        built
            .outputs
            .push(OutSpec::new(DType::F32, stat_shape.clone()));
    }
    Ok(built)
}
