//! Where — <https://onnx.ai/onnx/operators/onnx__Where.html> (opset 9+; 16 adds types).
//!
//! No attributes. Inputs condition (bool), X, Y (one type) with numpy broadcasting over all
//! three; output X's element where condition is true, else Y's. Any data when all inputs
//! are constant (compile time); at run time X and Y float32, the condition a bool tensor
//! (float32 0 / 1 in the arena) or a constant.

use crate::ir::{DType, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let (c, x, y) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?);
    if c.dtype != DType::Bool {
        return Err(ctx.shape_err(format!(
            "the condition is {}; it must be bool",
            c.dtype.name()
        )));
    }
    if x.dtype != y.dtype {
        return Err(ctx.shape_err(format!(
            "X and Y have different element types ({} and {})",
            x.dtype.name(),
            y.dtype.name()
        )));
    }
    if !ctx.all_const() {
        ctx.runtime_input(1, &[DType::F32])?;
        ctx.runtime_input(2, &[DType::F32])?;
    }
    let shape = broadcast(&[&c.shape, &x.shape, &y.shape]).ok_or_else(|| {
        ctx.shape_err(format!(
            "shapes {:?}, {:?} and {:?} do not broadcast",
            c.shape, x.shape, y.shape
        ))
    })?;
    Ok(Built::new(
        Op::Where,
        vec![0, 1, 2],
        vec![OutSpec::new(x.dtype, shape)],
    ))
}
