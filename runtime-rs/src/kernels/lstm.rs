//! Long short-term memory layer (gates i, o, f, c; optional peepholes): the twin of
//! runtime-c/src/mn_lstm_f32.c (contract: `mn_lstm_f32` in runtime-c/include/mn_kernels.h).

use super::rnn::RnnParams;
use super::util::{
    rnn_gates_add, rnn_gates_set, rnn_init_state, rnn_state_at, rnn_store, rnn_time, rnn_x_at,
    rnn_y_at, sigmoid,
};

/// LSTM over `seq` steps, every direction and batch entry (`mn_lstm_f32`). `b`, `h0`,
/// `c0`: `None` is zero; `peep` (`[dirs][3 * hidden]`: P_i, P_o, P_f) `None`: no
/// peepholes; `y`, `y_h`, `y_c`: `None` is not computed; `scratch` holds
/// [`rnn_scratch_floats`](super::rnn_scratch_floats)`(4, hidden)` floats.
#[allow(clippy::too_many_arguments)] // the C signature, operand for operand
pub fn lstm_f32(
    p: &RnnParams,
    x: &[f32],
    w: &[f32],
    r: &[f32],
    b: Option<&[f32]>,
    h0: Option<&[f32]>,
    c0: Option<&[f32]>,
    peep: Option<&[f32]>,
    mut y: Option<&mut [f32]>,
    mut y_h: Option<&mut [f32]>,
    mut y_c: Option<&mut [f32]>,
    scratch: &mut [f32],
) {
    let n = p.hidden.max(0) as usize;
    let input = p.input.max(0) as usize;
    let (h, rest) = scratch.split_at_mut(n);
    let (c, rest) = rest.split_at_mut(n);
    let g = &mut rest[..4 * n];
    for d in 0..p.dirs {
        let du = d as usize;
        let wd = &w[du * 4 * n * input..];
        let rd = &r[du * 4 * n * n..];
        let wb = b.map(|b| &b[du * 8 * n..]);
        let rb = wb.map(|wb| &wb[4 * n..]);
        let pd = peep.map(|peep| &peep[du * 3 * n..]);
        for bi in 0..p.batch {
            let at = rnn_state_at(p, d, bi);
            rnn_init_state(h0, at, h);
            rnn_init_state(c0, at, c);
            for s in 0..p.seq {
                let t = rnn_time(p, d, s);
                rnn_gates_set(wb, wd, &x[rnn_x_at(p, t, bi)..], input, g);
                rnn_gates_add(rb, rd, h, g);
                lstm_update(g, pd, h, c);
                rnn_store(y.as_deref_mut(), rnn_y_at(p, t, d, bi), h);
            }
            rnn_store(y_h.as_deref_mut(), at, h);
            rnn_store(y_c.as_deref_mut(), at, c);
        }
    }
}

/// The state update of one time step from the pre-activations `g` (`[4n]`: i, o, f, c
/// without peepholes): `c` and `h` (`[n]`) in place; `pd` (`[3n]`: P_i, P_o, P_f) or
/// `None` (`lstm_update`).
fn lstm_update(g: &[f32], pd: Option<&[f32]>, h: &mut [f32], c: &mut [f32]) {
    let n = h.len();
    let peep = |k: usize, c: f32| pd.map_or(0.0, |pd| pd[k] * c);
    for k in 0..n {
        let ig = sigmoid(g[k] + peep(k, c[k]));
        let fg = sigmoid(g[2 * n + k] + peep(2 * n + k, c[k]));
        c[k] = fg * c[k] + ig * libm::tanhf(g[3 * n + k]);
        let og = sigmoid(g[n + k] + peep(n + k, c[k]));
        h[k] = og * libm::tanhf(c[k]);
    }
}
