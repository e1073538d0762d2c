//! RNN — <https://onnx.ai/onnx/operators/onnx__RNN.html>
//!
//! Inputs X, W [dirs, H, I], R [dirs, H, H] (both constant), optional B [dirs, 2H],
//! sequence_lens, initial_h [dirs, batch, H]. Outputs Y, Y_h, each optional. Attributes:
//! `hidden_size`, `direction` ("forward"), `layout` (0; opset 14+), `activations` (only the
//! default Tanh), `clip` (unsupported). Opsets 7, 14, 22. Shared rules: `recurrent.rs`.

use super::recurrent;
use crate::ir::CellKind;
use crate::onnx::ctx::{Built, NodeCtx};
use crate::onnx::error::ImportError;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    recurrent::build(ctx, CellKind::Rnn, &["Tanh"])
}
