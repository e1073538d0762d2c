//! GlobalAveragePool <https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html> and
//! GlobalMaxPool. No attributes. X [N, C, *spatial] -> [N, C, 1, ...]. Opsets 1+.

use crate::ir::{Op, PoolKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.float_input(0)?;
    if x.shape.len() < 3 {
        return Err(ctx.shape_err(format!("input shape {:?} has no spatial axes", x.shape)));
    }
    let kind = if ctx.op_type == "GlobalMaxPool" {
        PoolKind::Max
    } else {
        PoolKind::Avg
    };
    let mut shape = x.shape.clone();
    for d in shape.iter_mut().skip(2) {
        *d = 1;
    }
    Ok(Built::new(
        Op::GlobalPool { kind },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
