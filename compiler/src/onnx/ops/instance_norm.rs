//! InstanceNormalization — <https://onnx.ai/onnx/operators/onnx__InstanceNormalization.html>
//!
//! Opsets 1+ (`consumed_inputs`, < 6, ignored). Inputs X [N, C, ...], scale [C], B [C];
//! every (n, c) plane is normalised on its own. Attribute: `epsilon` (1e-5).

use super::norm::{build_norm, channel_rank, NormSpec};
use crate::ir::{NormAffine, NormKind};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    channel_rank(ctx)?;
    ctx.input(2)?;
    build_norm(
        ctx,
        NormSpec {
            kind: NormKind::Instance,
            axis: 1,
            groups: ctx.input(0)?.shape[1],
            epsilon: ctx.float("epsilon", 1e-5)?,
            affine: NormAffine::PerChannel,
        },
    )
}
