//! Elementwise activations:
//! Relu <https://onnx.ai/onnx/operators/onnx__Relu.html>,
//! LeakyRelu (alpha = 0.01), Sigmoid, Tanh, HardSigmoid (alpha = 0.2, beta = 0.5),
//! HardSwish (opset 14+), Softplus, Softsign, Elu (alpha = 1.0), Selu (alpha =
//! 1.67326319217681884765625, gamma = 1.05070102214813232421875), Mish (opset 18+),
//! Gelu (opset 20+; approximate = "none" (erf) or "tanh"), Swish (opset 24+, alpha = 1.0).
//! Opset 1–5 `consumed_inputs` is ignored; float32.

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
        "HardSwish" => UnaryKind::HardSwish,
        "Swish" => UnaryKind::Swish {
            alpha: ctx.float("alpha", 1.0)?,
        },
        "Softplus" => UnaryKind::Softplus,
        "Softsign" => UnaryKind::Softsign,
        "Mish" => UnaryKind::Mish,
        "Elu" => UnaryKind::Elu {
            alpha: ctx.float("alpha", 1.0)?,
        },
        "Selu" => UnaryKind::Selu {
            alpha: ctx.float("alpha", 1.673_263_2)?,
            gamma: ctx.float("gamma", 1.050_701)?,
        },
        _ => gelu(ctx)?,
    };
    Ok(Built::new(
        Op::Unary(kind),
        vec![0],
        vec![OutSpec::new(x.dtype, x.shape.clone())],
    ))
}

/// Gelu's `approximate`: "none" (exact, erf) or "tanh".
fn gelu(ctx: &NodeCtx) -> Result<UnaryKind, ImportError> {
    match ctx.string("approximate", "none")?.as_str() {
        "none" => Ok(UnaryKind::Gelu { tanh: false }),
        "tanh" => Ok(UnaryKind::Gelu { tanh: true }),
        other => Err(ctx.attr_err(
            "approximate",
            format!("is \"{other}\"; it must be \"none\" or \"tanh\""),
        )),
    }
}
