//! Squeeze <https://onnx.ai/onnx/operators/onnx__Squeeze.html> and Unsqueeze
//! <https://onnx.ai/onnx/operators/onnx__Unsqueeze.html>.
//!
//! `axes`: attribute before opset 13, constant input from 13. Squeeze without axes removes
//! every 1; Unsqueeze axes refer to the output rank. Negative axes from opset 11. Both
//! become `Op::Reshape`. Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::norm_axis;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let axes = if ctx.opset < 13 {
        ctx.ints_opt("axes")?
    } else {
        ctx.opt_const_ints(1)?
    };
    let shape = if ctx.op_type == "Squeeze" {
        match axes {
            None => x.shape.iter().copied().filter(|&d| d != 1).collect(),
            Some(axes) => {
                let mut drop = vec![false; x.shape.len()];
                for &a in &axes {
                    let i = ctx.axis("axes", a, x.shape.len())?;
                    if x.shape[i] != 1 {
                        return Err(ctx.shape_err(format!(
                            "cannot squeeze axis {i} of {:?}: it is not 1",
                            x.shape
                        )));
                    }
                    drop[i] = true;
                }
                x.shape
                    .iter()
                    .zip(&drop)
                    .filter(|(_, &d)| !d)
                    .map(|(&s, _)| s)
                    .collect()
            }
        }
    } else {
        let axes = axes.ok_or_else(|| ctx.attr_err("axes", "is required but missing"))?;
        let rank = x.shape.len() + axes.len();
        let mut ones = vec![false; rank];
        for &a in &axes {
            let i = norm_axis(a, rank).ok_or_else(|| {
                ctx.attr_err(
                    "axes",
                    format!("value {a} is out of range for output rank {rank}"),
                )
            })?;
            if ones[i] {
                return Err(ctx.attr_err("axes", format!("repeats axis {a}")));
            }
            ones[i] = true;
        }
        let mut it = x.shape.iter();
        ones.iter()
            .map(|&one| {
                if one {
                    1
                } else {
                    it.next().copied().unwrap_or(1)
                }
            })
            .collect()
    };
    Ok(Built::new(
        Op::Reshape,
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
