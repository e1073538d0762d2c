//! Conv — <https://onnx.ai/onnx/operators/onnx__Conv.html>
//!
//! Attributes: `auto_pad` (NOTSET; SAME_UPPER, SAME_LOWER, VALID are turned into explicit
//! pads), `dilations` (1s), `group` (1), `kernel_shape` (from W when absent), `pads` (0s),
//! `strides` (1s). Inputs X [N, C, *spatial], W [M, C/group, *kernel], optional B [M].
//! 1-D to 6-D spatial (3-D and wider on the N-d reference kernel); opsets 1+ (1, 11 and
//! 22 share semantics).

use crate::ir::layout::{window_output, Window};
use crate::ir::{Activation, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

/// Spatial axes the runtime's N-d kernels take (`MN_MAX_DIMS` - 2 in mn_kernels.h).
pub const MAX_SPATIAL: usize = 6;

/// A clear error for X of `rank` with more spatial axes than the runtime takes.
pub fn check_spatial_rank(ctx: &NodeCtx, rank: usize, what: &str) -> Result<(), ImportError> {
    if rank > MAX_SPATIAL + 2 {
        return Err(ctx.feature_err(format!(
            "a {}-D {what} (at most {MAX_SPATIAL} spatial axes are supported)",
            rank - 2
        )));
    }
    Ok(())
}

/// strides, dilations, pads, auto_pad.
pub type WindowAttrs = (Vec<usize>, Vec<usize>, Vec<usize>, String);

/// Resolves strides/dilations/pads/auto_pad for an `n`-axis window.
pub fn window_attrs(ctx: &NodeCtx, n: usize) -> Result<WindowAttrs, ImportError> {
    let strides = ctx.usizes_opt("strides")?.unwrap_or_else(|| vec![1; n]);
    let dilations = ctx.usizes_opt("dilations")?.unwrap_or_else(|| vec![1; n]);
    let pads = ctx.usizes_opt("pads")?.unwrap_or_else(|| vec![0; 2 * n]);
    let auto_pad = ctx.string("auto_pad", "NOTSET")?;
    if strides.len() != n {
        return Err(ctx.attr_err(
            "strides",
            format!("has {} values, expected {n}", strides.len()),
        ));
    }
    if dilations.len() != n {
        return Err(ctx.attr_err(
            "dilations",
            format!("has {} values, expected {n}", dilations.len()),
        ));
    }
    if pads.len() != 2 * n {
        return Err(ctx.attr_err(
            "pads",
            format!("has {} values, expected {}", pads.len(), 2 * n),
        ));
    }
    Ok((strides, dilations, pads, auto_pad))
}

/// Output spatial sizes and explicit pads of a Conv or pooling window over X
/// [N, C, *spatial] (see [`window_output`]).
pub fn window_of(
    ctx: &NodeCtx,
    x_shape: &[usize],
    kernel: &[usize],
    (strides, dilations, pads, auto_pad): &WindowAttrs,
    ceil_mode: bool,
) -> Result<(Vec<usize>, Vec<usize>), ImportError> {
    window_output(&Window {
        input: &x_shape[2..],
        kernel,
        strides,
        dilations,
        pads,
        auto_pad,
        ceil_mode,
    })
    .map_err(|d| ctx.shape_err(d))
}

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.float_input(0)?;
    let w = ctx.float_input(1)?;
    let rank = x.shape.len();
    if w.shape.len() != rank || rank < 3 {
        return Err(ctx.shape_err(format!(
            "X {:?} and W {:?} must both be [N, C, *spatial]",
            x.shape, w.shape
        )));
    }
    check_spatial_rank(ctx, rank, "convolution")?;
    let n = rank - 2;
    let group = ctx.int("group", 1)?;
    let group = usize::try_from(group)
        .ok()
        .filter(|&g| g > 0)
        .ok_or_else(|| ctx.attr_err("group", format!("value {group} must be positive")))?;
    let (m, cg) = (w.shape[0], w.shape[1]);
    let c = x.shape[1];
    if cg * group != c || m % group != 0 {
        return Err(ctx.shape_err(format!(
            "X has {c} channels, W {:?} with group {group} expects {}",
            w.shape,
            cg * group
        )));
    }
    let kernel = match ctx.usizes_opt("kernel_shape")? {
        Some(k) => k,
        None => w.shape[2..].to_vec(),
    };
    if kernel.as_slice() != &w.shape[2..] {
        return Err(ctx.shape_err(format!(
            "kernel_shape {:?} does not match W {:?}",
            kernel, w.shape
        )));
    }
    if let Some(b) = ctx.opt_input(2) {
        if b.numel() != m || b.shape.len() != 1 {
            return Err(ctx.shape_err(format!("bias shape {:?}, expected [{m}]", b.shape)));
        }
    }
    let attrs = window_attrs(ctx, n)?;
    let (spatial, pads) = window_of(ctx, &x.shape, &kernel, &attrs, false)?;
    let (strides, dilations, _, _) = attrs;
    let mut shape = vec![x.shape[0], m];
    shape.extend(spatial);
    let inputs = if ctx.opt_input(2).is_some() {
        vec![0, 1, 2]
    } else {
        vec![0, 1]
    };
    Ok(Built::new(
        Op::Conv {
            kernel,
            strides,
            dilations,
            pads,
            group,
            act: Activation::None,
        },
        inputs,
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
