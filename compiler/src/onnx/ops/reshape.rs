//! Reshape — <https://onnx.ai/onnx/operators/onnx__Reshape.html>
//!
//! Input `shape` (opset >= 5; the `shape` attribute before) must be constant: 0 copies the
//! input dimension (unless `allowzero` = 1, opset >= 14), -1 is inferred. `consumed_inputs`
//! (< 5) ignored. Becomes `Op::Reshape`.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::checked_numel;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let target = if ctx.opset < 5 {
        ctx.ints_opt("shape")?
            .ok_or_else(|| ctx.attr_err("shape", "is required but missing"))?
    } else {
        ctx.const_data(1)?.to_i64()
    };
    let allowzero = ctx.opset >= 14 && ctx.int("allowzero", 0)? != 0;
    let mut shape = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            0 if !allowzero => shape.push(*x.shape.get(i).ok_or_else(|| {
                ctx.shape_err(format!(
                    "shape {target:?} copies axis {i} which X {:?} lacks",
                    x.shape
                ))
            })?),
            -1 if infer.is_none() => {
                infer = Some(i);
                shape.push(1);
            }
            d if d >= 0 => shape.push(d as usize),
            _ => return Err(ctx.shape_err(format!("invalid target shape {target:?}"))),
        }
    }
    let known = checked_numel(&shape)
        .ok_or_else(|| ctx.shape_err(format!("target shape {target:?} is too large")))?;
    if let Some(i) = infer {
        if known == 0 || x.numel() % known != 0 {
            return Err(ctx.shape_err(format!("cannot reshape {:?} into {target:?}", x.shape)));
        }
        shape[i] = x.numel() / known;
    }
    if shape.iter().product::<usize>() != x.numel() {
        return Err(ctx.shape_err(format!(
            "cannot reshape {:?} ({} elements) into {target:?}",
            x.shape,
            x.numel()
        )));
    }
    Ok(Built::new(
        Op::Reshape,
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
