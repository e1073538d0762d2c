//! MaxPool <https://onnx.ai/onnx/operators/onnx__MaxPool.html> and AveragePool
//! <https://onnx.ai/onnx/operators/onnx__AveragePool.html>.
//!
//! Attributes: `kernel_shape` (required), `strides` (1s), `pads` (0s), `auto_pad` (NOTSET),
//! `dilations` (1s; MaxPool >= 10, AveragePool >= 19), `ceil_mode` (0; >= 10),
//! `count_include_pad` (AveragePool, 0), `storage_order` (MaxPool, must be 0). MaxPool's
//! Indices output must be unused. 1-D to 6-D spatial (3-D and wider on the N-d reference
//! kernel); opsets 1+ (`count_include_pad` from 7, absent = 0). With ceil_mode the last window
//! must start inside the input or the left padding (ONNX reference rule).

use super::conv::{check_spatial_rank, window_attrs, window_of};
use crate::ir::{Op, PoolKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.float_input(0)?;
    let rank = x.shape.len();
    if rank < 3 {
        return Err(ctx.shape_err(format!("X {:?} must be [N, C, *spatial]", x.shape)));
    }
    check_spatial_rank(ctx, rank, "pooling")?;
    let n = rank - 2;
    let kind = if ctx.op_type == "MaxPool" {
        PoolKind::Max
    } else {
        PoolKind::Avg
    };
    if kind == PoolKind::Max {
        ctx.require_unused_output(1, "Indices")?;
        if ctx.int("storage_order", 0)? != 0 {
            return Err(ctx.feature_err("storage_order = 1"));
        }
    }
    let kernel = ctx
        .usizes_opt("kernel_shape")?
        .ok_or_else(|| ctx.attr_err("kernel_shape", "is required but missing"))?;
    if kernel.len() != n {
        return Err(ctx.attr_err(
            "kernel_shape",
            format!("has {} values, expected {n}", kernel.len()),
        ));
    }
    let attrs = window_attrs(ctx, n)?;
    let ceil_mode = ctx.int("ceil_mode", 0)? != 0;
    let count_include_pad = ctx.int("count_include_pad", 0)? != 0;
    let (spatial, pads) = window_of(ctx, &x.shape, &kernel, &attrs, ceil_mode)?;
    let (strides, dilations, _, _) = attrs;
    let mut shape = x.shape[..2].to_vec();
    shape.extend(spatial);
    Ok(Built::new(
        Op::Pool {
            kind,
            kernel,
            strides,
            dilations,
            pads,
            count_include_pad,
        },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
