//! Transpose — <https://onnx.ai/onnx/operators/onnx__Transpose.html>
//!
//! Attribute `perm` (default: reverse the axes). Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let r = x.shape.len();
    let perm = match ctx.ints_opt("perm")? {
        None => (0..r).rev().collect::<Vec<_>>(),
        Some(p) => p
            .iter()
            .map(|&a| ctx.axis("perm", a, r))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut seen = vec![false; r];
    for &p in &perm {
        seen[p] = true;
    }
    if perm.len() != r || seen.iter().any(|s| !s) {
        return Err(ctx.attr_err("perm", format!("{perm:?} is not a permutation of {r} axes")));
    }
    let shape = perm.iter().map(|&p| x.shape[p]).collect();
    Ok(Built::new(
        Op::Transpose { perm },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
