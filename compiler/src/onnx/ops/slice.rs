//! Slice — <https://onnx.ai/onnx/operators/onnx__Slice.html>
//!
//! Opset < 10: attributes `starts`, `ends`, `axes`. Opset >= 10: constant inputs starts,
//! ends, optional axes, optional steps (default 1; negative steps allowed, 0 rejected).
//! Starts/ends are clamped as in the spec (negative values count from the end). Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    let r = x.shape.len();
    let (starts, ends, axes, steps) = if ctx.opset < 10 {
        let starts = ctx
            .ints_opt("starts")?
            .ok_or_else(|| ctx.attr_err("starts", "is required but missing"))?;
        let ends = ctx
            .ints_opt("ends")?
            .ok_or_else(|| ctx.attr_err("ends", "is required but missing"))?;
        (starts, ends, ctx.ints_opt("axes")?, None)
    } else {
        (
            ctx.const_data(1)?.to_i64(),
            ctx.const_data(2)?.to_i64(),
            ctx.opt_const_ints(3)?,
            ctx.opt_const_ints(4)?,
        )
    };
    let n = starts.len();
    let axes = axes.unwrap_or_else(|| (0..n as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; n]);
    if ends.len() != n || axes.len() != n || steps.len() != n {
        return Err(ctx.shape_err(format!(
            "starts {starts:?}, ends {ends:?}, axes {axes:?} and steps {steps:?} differ in length"
        )));
    }
    let mut out_starts = vec![0i64; r];
    let mut out_steps = vec![1i64; r];
    let mut shape = x.shape.clone();
    let mut seen = vec![false; r];
    for k in 0..n {
        let a = ctx.axis("axes", axes[k], r)?;
        if seen[a] {
            return Err(ctx.shape_err(format!("axis {a} is sliced twice")));
        }
        seen[a] = true;
        let (start, end, step) = (starts[k], ends[k], steps[k]);
        if step == 0 {
            return Err(ctx.shape_err("step 0 is not allowed"));
        }
        let dim = x.shape[a] as i64;
        let fix = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        let (s, e) = if step > 0 {
            (fix(start).clamp(0, dim), fix(end).clamp(0, dim))
        } else {
            (
                fix(start).clamp(0, (dim - 1).max(0)),
                fix(end).clamp(-1, dim - 1),
            )
        };
        // i128: steps may be as large as i64::MAX / i64::MIN.
        let (s128, e128, st128) = (s as i128, e as i128, step as i128);
        let count = if step > 0 && e128 > s128 {
            (e128 - s128 + st128 - 1) / st128
        } else if step < 0 && s128 > e128 {
            (s128 - e128 - st128 - 1) / -st128
        } else {
            0
        };
        out_starts[a] = s;
        // A step longer than the axis takes one element, as the axis' length does: the
        // clamped step fits the runtime's 32-bit index arithmetic whatever the model says.
        out_steps[a] = step.clamp(-dim.max(1), dim.max(1));
        shape[a] = count as usize;
    }
    Ok(Built::new(
        Op::Slice {
            starts: out_starts,
            steps: out_steps,
        },
        vec![0],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
