//! GroupNormalization — <https://onnx.ai/onnx/operators/onnx__GroupNormalization.html>
//!
//! Opsets 18 and 21. Inputs X [N, C, ...], scale, bias; the C channels form `num_groups`
//! groups (C divisible by it) and every (n, group) block is normalised on its own.
//! Attributes: `num_groups` (required), `epsilon` (1e-5), `stash_type` (21+, 1: float32;
//! any value is accepted, meshnn computes in float32). Scale and bias: one value per group
//! at opset 18, one per channel from opset 21.

use super::norm::{build_norm, channel_rank, NormSpec};
use crate::ir::{NormAffine, NormKind};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    channel_rank(ctx)?;
    ctx.input(2)?;
    let channels = ctx.input(0)?.shape[1];
    let groups = ctx
        .int_opt("num_groups")?
        .ok_or_else(|| ctx.attr_err("num_groups", "is required"))?;
    let groups = usize::try_from(groups)
        .ok()
        .filter(|&g| g > 0 && channels % g == 0)
        .ok_or_else(|| {
            ctx.attr_err(
                "num_groups",
                format!("value {groups} must be positive and divide the {channels} channels"),
            )
        })?;
    let affine = if ctx.opset >= 21 {
        NormAffine::PerChannel
    } else {
        NormAffine::PerGroup
    };
    build_norm(
        ctx,
        NormSpec {
            kind: NormKind::Group,
            axis: 1,
            groups,
            epsilon: ctx.float("epsilon", 1e-5)?,
            affine,
        },
    )
}
