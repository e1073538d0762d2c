//! Gather — <https://onnx.ai/onnx/operators/onnx__Gather.html>
//!
//! Attribute `axis` (0). Indices must be constant; negative indices are normalised; a
//! scalar index removes the axis. Output shape data[:axis] + indices.shape + data[axis+1:].
//! Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let axis = ctx.axis("axis", ctx.int("axis", 0)?, x.shape.len())?;
    let ind_t = ctx.input(1)?;
    let raw = ctx.const_data(1)?.to_i64();
    let dim = x.shape[axis] as i64;
    let indices = raw
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + dim } else { i };
            if (0..dim).contains(&j) {
                Ok(j)
            } else {
                Err(ctx.shape_err(format!(
                    "index {i} is out of range for axis {axis} of length {dim}"
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut shape = x.shape[..axis].to_vec();
    shape.extend(&ind_t.shape);
    shape.extend(&x.shape[axis + 1..]);
    Ok(Built::new(
        Op::Gather {
            axis,
            indices,
            indices_shape: ind_t.shape.clone(),
        },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
