//! What LayerNormalization, InstanceNormalization and GroupNormalization share: the checks
//! of X, scale and bias and the `Op::Norm` node (each operator's attributes are read in its
//! own file: `layer_norm.rs`, `instance_norm.rs`, `group_norm.rs`).

use crate::ir::layout::norm_blocks;
use crate::ir::{NormAffine, NormKind, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

/// One normalisation: X normalised from `axis` in `groups` groups, scale (input 1) and
/// the optional bias (input 2) indexed as `affine` says.
pub(super) struct NormSpec {
    pub kind: NormKind,
    pub axis: usize,
    pub groups: usize,
    pub epsilon: f32,
    pub affine: NormAffine,
}

/// Checks X (float32), scale and bias (float32, one value per affine index) and builds the
/// node with output Y shaped like X.
pub(super) fn build_norm(ctx: &NodeCtx, spec: NormSpec) -> Result<Built, ImportError> {
    let x = ctx.float_input(0)?;
    let blocks = norm_blocks(&x.shape, spec.axis, spec.groups, spec.affine).ok_or_else(|| {
        ctx.shape_err(format!(
            "input shape {:?} cannot be split into {} group(s) from axis {}",
            x.shape, spec.groups, spec.axis
        ))
    })?;
    let n_affine = blocks.groups * blocks.inner / blocks.affine_div;
    let mut inputs = vec![0, 1];
    for (i, what) in [(1, "scale"), (2, "bias")] {
        if i == 2 && ctx.opt_input(2).is_none() {
            continue;
        }
        let p = ctx.float_input(i)?;
        if p.numel() != n_affine {
            return Err(ctx.shape_err(format!(
                "{what} '{}' {:?} has {} values, expected {n_affine}",
                p.name,
                p.shape,
                p.numel()
            )));
        }
        if i == 2 {
            inputs.push(2);
        }
    }
    let op = Op::Norm {
        kind: spec.kind,
        axis: spec.axis,
        groups: spec.groups,
        epsilon: spec.epsilon,
        affine: spec.affine,
    };
    Ok(Built::new(
        op,
        inputs,
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}

/// X's rank, at least 2 (a batch and a channel axis).
pub(super) fn channel_rank(ctx: &NodeCtx) -> Result<usize, ImportError> {
    let x = ctx.input(0)?;
    if x.shape.len() < 2 {
        return Err(ctx.shape_err(format!("input shape {:?} has no channel axis", x.shape)));
    }
    Ok(x.shape.len())
}
