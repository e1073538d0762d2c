//! Simple recurrent layer `H = tanh(W x + R H + Wb + Rb)`: the twin of
//! runtime-c/src/mn_rnn_f32.c (contract: `mn_rnn_f32` and `mn_rnn_params_t` in
//! runtime-c/include/mn_kernels.h, shared with [`gru_f32`](super::gru_f32) and
//! [`lstm_f32`](super::lstm_f32)).

use super::util::{
    rnn_gates_add, rnn_gates_set, rnn_init_state, rnn_state_at, rnn_store, rnn_time, rnn_x_at,
    rnn_y_at,
};

/// Parameters of the recurrent kernels (`mn_rnn_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnParams {
    pub seq: i32,
    pub batch: i32,
    pub input: i32,
    pub hidden: i32,
    /// 1, or 2 (bidirectional).
    pub dirs: i32,
    /// `dirs` = 1: run the sequence backwards.
    pub reverse: i32,
    /// ONNX layout = 1.
    pub batch_first: i32,
    /// GRU: `r . (R_h h + Rb_h)` instead of `R_h (r . h) + Rb_h`.
    pub linear_before_reset: i32,
}

/// Scratch floats of the recurrent kernels, `(gates + 2) * hidden`: the state and the
/// gate values of one direction and batch entry (`MN_RNN_SCRATCH_FLOATS`).
pub const fn rnn_scratch_floats(gates: i32, hidden: i32) -> i32 {
    (gates + 2) * hidden
}

/// `H = tanh(W x + R H + Wb + Rb)` over `seq` steps, every direction and batch entry
/// (`mn_rnn_f32`). `b`, `h0`: `None` is zero; `y`, `y_h`: `None` is not computed;
/// `scratch` holds [`rnn_scratch_floats`]`(1, hidden)` floats.
#[allow(clippy::too_many_arguments)] // the C signature, operand for operand
pub fn rnn_f32(
    p: &RnnParams,
    x: &[f32],
    w: &[f32],
    r: &[f32],
    b: Option<&[f32]>,
    h0: Option<&[f32]>,
    mut y: Option<&mut [f32]>,
    mut y_h: Option<&mut [f32]>,
    scratch: &mut [f32],
) {
    let n = p.hidden.max(0) as usize;
    let input = p.input.max(0) as usize;
    let (h, rest) = scratch.split_at_mut(n);
    let g = &mut rest[..n];
    for d in 0..p.dirs {
        let du = d as usize;
        let wd = &w[du * n * input..];
        let rd = &r[du * n * n..];
        let wb = b.map(|b| &b[du * 2 * n..]);
        let rb = wb.map(|wb| &wb[n..]);
        for bi in 0..p.batch {
            rnn_init_state(h0, rnn_state_at(p, d, bi), h);
            for s in 0..p.seq {
                let t = rnn_time(p, d, s);
                let xt = &x[rnn_x_at(p, t, bi)..];
                rnn_gates_set(wb, wd, xt, input, g);
                rnn_gates_add(rb, rd, h, g);
                for (h, &g) in h.iter_mut().zip(g.iter()) {
                    *h = libm::tanhf(g);
                }
                rnn_store(y.as_deref_mut(), rnn_y_at(p, t, d, bi), h);
            }
            rnn_store(y_h.as_deref_mut(), rnn_state_at(p, d, bi), h);
        }
    }
}
