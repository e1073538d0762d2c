//! Gemm — <https://onnx.ai/onnx/operators/onnx__Gemm.html>
//!
//! Y = alpha * A' * B' + beta * C. Attributes: `alpha` (1.0), `beta` (1.0), `transA` (0),
//! `transB` (0). Inputs A [M, K] (or [K, M]), B [K, N] (or [N, K]), optional C
//! unidirectionally broadcastable to [M, N] (optional from opset 11). Opsets 1–6: attribute
//! `broadcast` (0): without it C must be exactly [M, N].

use crate::ir::{Activation, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let a = ctx.float_input(0)?;
    let b = ctx.float_input(1)?;
    let alpha = ctx.float("alpha", 1.0)?;
    let beta = ctx.float("beta", 1.0)?;
    let trans_a = ctx.int("transA", 0)? != 0;
    let trans_b = ctx.int("transB", 0)? != 0;
    let (&[a0, a1], &[b0, b1]) = (a.shape.as_slice(), b.shape.as_slice()) else {
        return Err(ctx.shape_err(format!(
            "A {:?} and B {:?} must both be 2-D",
            a.shape, b.shape
        )));
    };
    let (m, ka) = if trans_a { (a1, a0) } else { (a0, a1) };
    let (kb, n) = if trans_b { (b1, b0) } else { (b0, b1) };
    if ka != kb {
        return Err(ctx.shape_err(format!(
            "inner dimensions differ: A {:?} (transA {}) and B {:?} (transB {})",
            a.shape, trans_a as u8, b.shape, trans_b as u8
        )));
    }
    let mut inputs = vec![0, 1];
    if let Some(c) = ctx.opt_input(2) {
        ctx.float_input(2)?;
        if c.shape.len() > 2 || broadcast(&[&c.shape, &[m, n]]) != Some(vec![m, n]) {
            return Err(ctx.shape_err(format!("C {:?} does not broadcast to [{m}, {n}]", c.shape)));
        }
        if ctx.opset < 7 && ctx.int("broadcast", 0)? == 0 && c.shape != [m, n] {
            return Err(ctx.shape_err(format!(
                "C {:?} is not [{m}, {n}] and broadcast = 0 (opset {})",
                c.shape, ctx.opset
            )));
        }
        inputs.push(2);
    }
    Ok(Built::new(
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
            act: Activation::None,
        },
        inputs,
        vec![OutSpec::new(a.dtype, vec![m, n])],
    ))
}
