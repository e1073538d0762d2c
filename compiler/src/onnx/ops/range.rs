//! Range — <https://onnx.ai/onnx/operators/onnx__Range.html>
//!
//! Inputs start, limit, delta: constant scalars. Output length
//! max(ceil((limit - start) / delta), 0); a NaN or infinite start, limit
//! or delta is an error (onnxruntime rejects it too). Becomes `Op::ConstOnly`. Opsets 11+.

use crate::ir::Data;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let dtype = ctx.input(0)?.dtype;
    let scalar = |i: usize| -> Result<&Data, ImportError> {
        let d = ctx.const_data(i)?;
        if d.len() != 1 {
            return Err(ctx.shape_err(format!("input #{i} must be a scalar")));
        }
        Ok(d)
    };
    let (s, l, d) = (scalar(0)?, scalar(1)?, scalar(2)?);
    let data = match (s, l, d) {
        (Data::I64(s), Data::I64(l), Data::I64(d)) => {
            let (s, l, d) = (s[0], l[0], d[0]);
            if d == 0 {
                return Err(ctx.shape_err("delta is 0"));
            }
            let n = ((l as f64 - s as f64) / d as f64).ceil().max(0.0);
            if n > MAX_RANGE as f64 {
                return Err(too_long(ctx, n));
            }
            let n = n as i64;
            Data::I64((0..n).map(|i| s + i * d).collect())
        }
        _ => {
            let (s, l, d) = (s.to_f32()[0], l.to_f32()[0], d.to_f32()[0]);
            if let Some((what, v)) = [("start", s), ("limit", l), ("delta", d)]
                .into_iter()
                .find(|(_, v)| !v.is_finite())
            {
                return Err(ctx.shape_err(format!(
                    "{what} is {v}; start, limit and delta must be finite"
                )));
            }
            if d == 0.0 {
                return Err(ctx.shape_err("delta is 0"));
            }
            let n = ((l - s) / d).ceil().max(0.0);
            if n > MAX_RANGE as f32 {
                return Err(too_long(ctx, n as f64));
            }
            let n = n as usize;
            Data::F32((0..n).map(|i| s + i as f32 * d).collect())
        }
    };
    let n = data.len();
    Ok(Built::constant(vec![OutSpec::constant(
        dtype,
        vec![n],
        data,
    )]))
}

/// Most elements of a Range (always computed at compile time): the folding limit.
const MAX_RANGE: usize = crate::ir::eval::MAX_FOLD_BYTES / 8;

fn too_long(ctx: &NodeCtx, n: f64) -> ImportError {
    ctx.shape_err(format!(
        "the range has {n} elements; a compile-time constant holds at most {MAX_RANGE} ({} MiB)",
        crate::ir::eval::MAX_FOLD_BYTES >> 20
    ))
}
