//! RNN, GRU and LSTM (`mn_rnn_f32`, `mn_gru_f32`, `mn_lstm_f32`): one call over the whole
//! sequence, weights as stored, state and gates in the planned scratch
//! ([`kernels::scratch_bytes`](crate::kernels::scratch_bytes)).

use super::{Arg, Buf, Call, Cx, LowerError, Params};
use crate::ir::{CellKind, Direction, Recurrent};

pub(super) fn recurrent(cx: &Cx, r: &Recurrent) -> Result<Vec<Call>, LowerError> {
    let x = cx.input(0)?;
    let &[s0, s1, input] = cx.shape(x) else {
        return Err(cx.err("internal: X is not 3-D"));
    };
    let (seq, batch) = if r.batch_first { (s1, s0) } else { (s0, s1) };
    let linear_before_reset = matches!(
        r.cell,
        CellKind::Gru {
            linear_before_reset: true
        }
    );
    let p = Params::new("mn_rnn_params_t")
        .int("seq", seq)
        .int("batch", batch)
        .int("input", input)
        .int("hidden", r.hidden)
        .int("dirs", r.num_directions())
        .int("reverse", r.direction == Direction::Reverse)
        .int("batch_first", r.batch_first)
        .int("linear_before_reset", linear_before_reset);
    let [b, h0, c0, peep] = r.optional_inputs();
    let [y, y_h, y_c] = r.outputs();
    let input_arg = |i: Option<usize>| opt(cx, i.map(|i| cx.input(i)));
    let output_arg = |i: Option<usize>| opt(cx, i.map(|i| cx.output(i)));
    let mut args = vec![
        cx.arg(x),
        cx.arg(cx.input(1)?),
        cx.arg(cx.input(2)?),
        input_arg(b)?,
        input_arg(h0)?,
    ];
    let lstm = r.cell == CellKind::Lstm;
    if lstm {
        args.extend([input_arg(c0)?, input_arg(peep)?]);
    }
    args.extend([output_arg(y)?, output_arg(y_h)?]);
    if lstm {
        args.push(output_arg(y_c)?);
    }
    args.push(Arg::Buf(cx.st.scratch(cx.id)));
    let kernel = match r.cell {
        CellKind::Rnn => "mn_rnn_f32",
        CellKind::Gru { .. } => "mn_gru_f32",
        CellKind::Lstm => "mn_lstm_f32",
    };
    Ok(vec![Call::new(kernel, p, args)])
}

/// The operand of an optional tensor (a null buffer when the node does not have it).
fn opt(cx: &Cx, t: Option<Result<usize, LowerError>>) -> Result<Arg, LowerError> {
    t.map_or(Ok(Arg::Buf(Buf::Null)), |t| Ok(cx.arg(t?)))
}
