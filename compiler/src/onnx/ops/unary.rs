//! Elementwise activations:
//! Relu <https://onnx.ai/onnx/operators/onnx__Relu.html>,
//! LeakyRelu (alpha = 0.01), Sigmoid, Tanh, HardSigmoid (alpha = 0.2, beta = 0.5),
//! HardSwish (opset 14+), Sqrt <https://onnx.ai/onnx/operators/onnx__Sqrt.html> (NaN for
//! negative inputs). Opset 1–5 `consumed_inputs` is ignored; float32.

use crate::ir::{Op, UnaryKind};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let x = ctx.input(0)?;
    if !x.is_const() {
        ctx.float_input(0)?;
    }
    let kind = match ctx.op_type {
        "Relu" => UnaryKind::Relu,
        "LeakyRelu" => UnaryKind::LeakyRelu {
            alpha: ctx.float("alpha", 0.01)?,
        },
        "Sigmoid" => UnaryKind::Sigmoid,
        "Tanh" => UnaryKind::Tanh,
        "HardSigmoid" => UnaryKind::HardSigmoid {
            alpha: ctx.float("alpha", 0.2)?,
            beta: ctx.float("beta", 0.5)?,
        },
        "Sqrt" => UnaryKind::Sqrt,
        _ => UnaryKind::HardSwish,
    };
    Ok(Built::new(
        Op::Unary(kind),
        vec![0],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}
