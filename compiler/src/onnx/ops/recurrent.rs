//! What RNN, GRU and LSTM share (`rnn.rs`, `gru.rs`, `lstm.rs` hold each operator's spec
//! header and its own attributes): inputs X, W, R, B, sequence_lens, initial_h (and for
//! LSTM initial_c, P), outputs Y, Y_h (and Y_c), attributes `hidden_size`, `direction`
//! ("forward"), `layout` (0, opset 14+), `activations` (only the defaults), `clip`
//! (unsupported). W and R must be constant (weights in flash); `sequence_lens` must be
//! absent or constant and equal to seq_length everywhere.

use crate::ir::{CellKind, DType, Direction, Op, Recurrent, Tensor};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;

/// ONNX input positions of the optional operands.
const B: usize = 3;
const SEQUENCE_LENS: usize = 4;
const INITIAL_H: usize = 5;
const INITIAL_C: usize = 6;
const P: usize = 7;

/// The node's sizes: (seq_length, batch_size, input_size).
struct Dims {
    seq: usize,
    batch: usize,
    input: usize,
}

/// Builds a recurrent node of `cell` whose default activations are `activations` (one
/// direction's list).
pub(super) fn build(
    ctx: &NodeCtx,
    cell: CellKind,
    activations: &[&str],
) -> Result<Built, ImportError> {
    if ctx.has_attr("clip") {
        return Err(ctx.feature_err(
            "attribute 'clip' is not supported; export the model without cell clipping",
        ));
    }
    let direction = direction(ctx)?;
    let dirs = if direction == Direction::Bidirectional {
        2
    } else {
        1
    };
    check_activations(ctx, activations, dirs)?;
    let batch_first = match ctx.int("layout", 0)? {
        0 => false,
        1 => true,
        v => return Err(ctx.attr_err("layout", format!("has value {v}; expected 0 or 1"))),
    };
    let x = ctx.float_input(0)?;
    let &[a, b, input] = x.shape.as_slice() else {
        return Err(ctx.shape_err(format!("X {:?} must be 3-D", x.shape)));
    };
    let d = if batch_first {
        Dims {
            seq: b,
            batch: a,
            input,
        }
    } else {
        Dims {
            seq: a,
            batch: b,
            input,
        }
    };
    let hidden = hidden_size(ctx, cell, dirs)?;
    let g = cell.gates();
    check_weight(ctx, 1, "W", &[dirs, g * hidden, d.input])?;
    check_weight(ctx, 2, "R", &[dirs, g * hidden, hidden])?;
    check_sequence_lens(ctx, &d)?;
    let state = if batch_first {
        vec![d.batch, dirs, hidden]
    } else {
        vec![dirs, d.batch, hidden]
    };
    let lstm = cell == CellKind::Lstm;
    let has = |i: usize| ctx.opt_input(i).is_some();
    if !lstm && (has(INITIAL_C) || has(P)) {
        return Err(ctx.shape_err("inputs #6 and #7 exist only for LSTM"));
    }
    check_opt(ctx, B, "B", &[dirs, 2 * g * hidden])?;
    check_opt(ctx, INITIAL_H, "initial_h", &state)?;
    check_opt(ctx, INITIAL_C, "initial_c", &state)?;
    check_opt(ctx, P, "P", &[dirs, 3 * hidden])?;
    let r = Recurrent {
        cell,
        direction,
        hidden,
        batch_first,
        has_b: has(B),
        has_initial_h: has(INITIAL_H),
        has_initial_c: has(INITIAL_C),
        has_p: has(P),
        has_y: output_named(ctx, 0),
        has_y_h: output_named(ctx, 1),
        has_y_c: lstm && output_named(ctx, 2),
    };
    let inputs = [0, 1, 2, B, INITIAL_H, INITIAL_C, P]
        .into_iter()
        .filter(|&i| has(i))
        .collect();
    let y = if batch_first {
        vec![d.batch, d.seq, dirs, hidden]
    } else {
        vec![d.seq, dirs, d.batch, hidden]
    };
    let specs = [y, state.clone(), state];
    let n_out = ctx.proto.output.len().min(if lstm { 3 } else { 2 });
    let outputs = specs[..n_out]
        .iter()
        .map(|s| OutSpec::new(DType::F32, s.clone()))
        .collect();
    Ok(Built::new(Op::Recurrent(r), inputs, outputs))
}

fn direction(ctx: &NodeCtx) -> Result<Direction, ImportError> {
    match ctx.string("direction", "forward")?.as_str() {
        "forward" => Ok(Direction::Forward),
        "reverse" => Ok(Direction::Reverse),
        "bidirectional" => Ok(Direction::Bidirectional),
        other => Err(ctx.attr_err(
            "direction",
            format!("has value '{other}'; expected forward, reverse or bidirectional"),
        )),
    }
}

/// `activations`, when given, must be the defaults (once per direction).
fn check_activations(ctx: &NodeCtx, defaults: &[&str], dirs: usize) -> Result<(), ImportError> {
    let Some(a) = ctx.attr("activations") else {
        return Ok(());
    };
    let got: Vec<String> = a
        .strings
        .iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    let want = defaults.repeat(dirs);
    if got.len() != want.len()
        || got
            .iter()
            .zip(&want)
            .any(|(g, w)| !g.eq_ignore_ascii_case(w))
    {
        return Err(ctx.feature_err(format!(
            "activations {got:?} are not supported; only the defaults {want:?} are"
        )));
    }
    Ok(())
}

/// `hidden_size`, or R's last dimension when the attribute is absent.
fn hidden_size(ctx: &NodeCtx, cell: CellKind, dirs: usize) -> Result<usize, ImportError> {
    let r = ctx.input(2)?;
    let from_r = match r.shape.as_slice() {
        &[_, _, h] => h,
        _ => return Err(ctx.shape_err(format!("R {:?} must be 3-D", r.shape))),
    };
    let hidden = match ctx.int_opt("hidden_size")? {
        None => from_r,
        Some(h) => usize::try_from(h)
            .ok()
            .filter(|&h| h > 0)
            .ok_or_else(|| ctx.attr_err("hidden_size", format!("has invalid value {h}")))?,
    };
    if hidden != from_r || r.shape[1] != cell.gates() * hidden || r.shape[0] != dirs {
        return Err(ctx.shape_err(format!(
            "R {:?} does not match hidden_size {hidden} and {dirs} direction(s)",
            r.shape
        )));
    }
    Ok(hidden)
}

/// A constant float32 weight input of shape `want`.
fn check_weight(ctx: &NodeCtx, i: usize, what: &str, want: &[usize]) -> Result<(), ImportError> {
    let t = ctx.float_input(i)?;
    check_shape(ctx, t, what, want)?;
    ctx.const_data(i).map(|_| ())
}

/// An optional float32 input, when present, of shape `want` (constant or run time).
fn check_opt(ctx: &NodeCtx, i: usize, what: &str, want: &[usize]) -> Result<(), ImportError> {
    match ctx.opt_input(i) {
        Some(_) => check_shape(ctx, ctx.float_input(i)?, what, want),
        None => Ok(()),
    }
}

fn check_shape(ctx: &NodeCtx, t: &Tensor, what: &str, want: &[usize]) -> Result<(), ImportError> {
    if t.shape != want {
        return Err(ctx.shape_err(format!("{what} {:?} must be {want:?}", t.shape)));
    }
    Ok(())
}

/// `sequence_lens`: absent, or constant and equal to seq_length for every batch entry.
fn check_sequence_lens(ctx: &NodeCtx, d: &Dims) -> Result<(), ImportError> {
    let Some(lens) = ctx.opt_const_ints(SEQUENCE_LENS)? else {
        return Ok(());
    };
    if lens.len() != d.batch || lens.iter().any(|&l| l != d.seq as i64) {
        return Err(ctx.feature_err(format!(
            "sequence_lens {lens:?} differ from seq_length {} (batch {}); only full-length \
             sequences are supported: pad the sequences and drop sequence_lens",
            d.seq, d.batch
        )));
    }
    Ok(())
}

/// Whether the node names output `i` (an omitted optional output has an empty name).
fn output_named(ctx: &NodeCtx, i: usize) -> bool {
    ctx.proto.output.get(i).is_some_and(|o| !o.is_empty())
}
