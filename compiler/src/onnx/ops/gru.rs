//! GRU — <https://onnx.ai/onnx/operators/onnx__GRU.html>
//!
//! Inputs X, W [dirs, 3H, I], R [dirs, 3H, H] (both constant), optional B [dirs, 6H],
//! sequence_lens, initial_h [dirs, batch, H]; gate order z, r, h. Outputs Y, Y_h, each
//! optional. Attributes: `hidden_size`, `direction` ("forward"), `layout` (0; opset 14+),
//! `linear_before_reset` (0; PyTorch exports 1), `activations` (only the default Sigmoid,
//! Tanh), `clip` (unsupported). Opsets 7, 14, 22. Shared rules: `recurrent.rs`.

use super::recurrent;
use crate::ir::CellKind;
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let linear_before_reset = match ctx.int("linear_before_reset", 0)? {
        0 => false,
        1 => true,
        v => {
            return Err(ctx.attr_err(
                "linear_before_reset",
                format!("has value {v}; expected 0 or 1"),
            ))
        }
    };
    let cell = CellKind::Gru {
        linear_before_reset,
    };
    recurrent::build(ctx, cell, &["Sigmoid", "Tanh"])
}
