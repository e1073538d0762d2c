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

/// The node's sizes and layout.
struct Dims {
    seq: usize,
    batch: usize,
    input: usize,
    dirs: usize,
    hidden: usize,
    batch_first: bool,
}

impl Dims {
    /// initial_h, initial_c, Y_h, Y_c.
    fn state(&self) -> Vec<usize> {
        if self.batch_first {
            vec![self.batch, self.dirs, self.hidden]
        } else {
            vec![self.dirs, self.batch, self.hidden]
        }
    }
    fn y(&self) -> Vec<usize> {
        if self.batch_first {
            vec![self.batch, self.seq, self.dirs, self.hidden]
        } else {
            vec![self.seq, self.dirs, self.batch, self.hidden]
        }
    }
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
    let d = dims(ctx, cell, dirs)?;
    check_operands(ctx, cell, &d)?;
    let lstm = cell == CellKind::Lstm;
    let has = |i: usize| ctx.opt_input(i).is_some();
    let r = Recurrent {
        cell,
        direction,
        hidden: d.hidden,
        batch_first: d.batch_first,
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
    let specs = [d.y(), d.state(), d.state()];
    let n_out = ctx.proto.output.len().min(if lstm { 3 } else { 2 });
    let outputs = specs
        .into_iter()
        .take(n_out)
        .map(|s| OutSpec::new(DType::F32, s))
        .collect();
    Ok(Built::new(Op::Recurrent(r), inputs, outputs))
}

/// The sizes from X, R, `layout` and `hidden_size`.
fn dims(ctx: &NodeCtx, cell: CellKind, dirs: usize) -> Result<Dims, ImportError> {
    let batch_first = match ctx.int("layout", 0)? {
        0 => false,
        1 => true,
        v => return Err(ctx.attr_err("layout", format!("has value {v}; expected 0 or 1"))),
    };
    let x = ctx.float_input(0)?;
    let &[a, b, input] = x.shape.as_slice() else {
        return Err(ctx.shape_err(format!("X {:?} must be 3-D", x.shape)));
    };
    let (seq, batch) = if batch_first { (b, a) } else { (a, b) };
    Ok(Dims {
        seq,
        batch,
        input,
        dirs,
        hidden: hidden_size(ctx, cell, dirs)?,
        batch_first,
    })
}

/// W, R constant; every operand of its shape; sequence_lens full length.
fn check_operands(ctx: &NodeCtx, cell: CellKind, d: &Dims) -> Result<(), ImportError> {
    let gh = cell.gates() * d.hidden;
    check_weight(ctx, 1, "W", &[d.dirs, gh, d.input])?;
    check_weight(ctx, 2, "R", &[d.dirs, gh, d.hidden])?;
    check_sequence_lens(ctx, d)?;
    let lstm_only = ctx.opt_input(INITIAL_C).is_some() || ctx.opt_input(P).is_some();
    if cell != CellKind::Lstm && lstm_only {
        return Err(ctx.shape_err("inputs #6 and #7 exist only for LSTM"));
    }
    check_opt(ctx, B, "B", &[d.dirs, 2 * gh])?;
    check_opt(ctx, INITIAL_H, "initial_h", &d.state())?;
    check_opt(ctx, INITIAL_C, "initial_c", &d.state())?;
    check_opt(ctx, P, "P", &[d.dirs, 3 * d.hidden])
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
