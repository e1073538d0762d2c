//! LSTM — <https://onnx.ai/onnx/operators/onnx__LSTM.html>
//!
//! Inputs X, W [dirs, 4H, I], R [dirs, 4H, H] (both constant), optional B [dirs, 8H],
//! sequence_lens, initial_h, initial_c [dirs, batch, H], P [dirs, 3H] (peepholes); gate
//! order i, o, f, c. Outputs Y, Y_h, Y_c, each optional. Attributes: `hidden_size`,
//! `direction` ("forward"), `layout` (0; opset 14+), `activations` (only the default
//! Sigmoid, Tanh, Tanh), `input_forget` (0 only), `clip` (unsupported). Opsets 7, 14, 22
//! (opset 1's `output_sequence` is not accepted). Shared rules: `recurrent.rs`.

use super::recurrent;
use crate::ir::CellKind;
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    if ctx.int("input_forget", 0)? != 0 {
        return Err(
            ctx.feature_err("input_forget = 1 (coupled input and forget gates) is not supported")
        );
    }
    recurrent::build(ctx, CellKind::Lstm, &["Sigmoid", "Tanh", "Tanh"])
}
