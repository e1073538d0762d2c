//! Mod — <https://onnx.ai/onnx/operators/onnx__Mod.html> (opset 10+).
//!
//! Attribute `fmod` (default 0): 1 takes the sign of the dividend (C `fmod`), 0 the sign of
//! the divisor (Python `%`, numpy `mod`; the spec asks fmod = 1 for floats, but its own
//! float fmod = 0 test expects numpy's result, which meshnn computes). Inputs A, B with
//! numpy broadcasting. Integer Mod (e.g. shape arithmetic exported by torch) is evaluated
//! at compile time; at run time float32.

use super::binary::broadcasting;
use crate::ir::{BinaryKind, DType};
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let fmod = match ctx.int("fmod", 0)? {
        0 => false,
        1 => true,
        v => return Err(ctx.attr_err("fmod", format!("is {v}; it must be 0 or 1"))),
    };
    broadcasting(ctx, BinaryKind::Mod { fmod }, &[DType::F32])
}
