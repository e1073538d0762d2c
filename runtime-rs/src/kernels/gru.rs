//! Gated recurrent unit layer (gates z, r, h): the twin of runtime-c/src/mn_gru_f32.c
//! (contract: `mn_gru_f32` in runtime-c/include/mn_kernels.h).

use super::rnn::RnnParams;
use super::util::{
    rnn_gates_add, rnn_gates_set, rnn_init_state, rnn_state_at, rnn_store, rnn_time, rnn_x_at,
    rnn_y_at, sigmoid,
};

/// GRU over `seq` steps, every direction and batch entry: `z = sig(W_z x + R_z H + Wb_z +
/// Rb_z)`, `r` likewise, candidate `n = tanh(W_h x + Wb_h + R_h (r . H) + Rb_h)` (or `r .
/// (R_h H + Rb_h)` with `linear_before_reset`), `H = (1 - z) . n + z . H` (`mn_gru_f32`).
/// `b`, `h0`: `None` is zero; `y`, `y_h`: `None` is not computed; `scratch` holds
/// [`rnn_scratch_floats`](super::rnn_scratch_floats)`(3, hidden)` floats.
#[allow(clippy::too_many_arguments)] // the C signature, operand for operand
pub fn gru_f32(
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
    let (g, rest) = rest.split_at_mut(3 * n);
    let hr = &mut rest[..n];
    for d in 0..p.dirs {
        let du = d as usize;
        let wd = &w[du * 3 * n * input..];
        let rd = &r[du * 3 * n * n..];
        let wb = b.map(|b| &b[du * 6 * n..]);
        let rb = wb.map(|wb| &wb[3 * n..]);
        for bi in 0..p.batch {
            rnn_init_state(h0, rnn_state_at(p, d, bi), h);
            for s in 0..p.seq {
                let t = rnn_time(p, d, s);
                rnn_gates_set(wb, wd, &x[rnn_x_at(p, t, bi)..], input, g);
                gru_step(p, rd, rb, g, hr, h);
                rnn_store(y.as_deref_mut(), rnn_y_at(p, t, d, bi), h);
            }
            rnn_store(y_h.as_deref_mut(), rnn_state_at(p, d, bi), h);
        }
    }
}

/// One time step of one direction: the state `h` (`[n]`) from the input gates `g`
/// (`[3n]`: `Wb + W x` of z, r, h; overwritten), the recurrent weights `rd` (`[3n][n]`)
/// and biases `rb` (`[3n]` or `None`); `hr` (`[n]`) is scratch (`gru_step`).
fn gru_step(
    p: &RnnParams,
    rd: &[f32],
    rb: Option<&[f32]>,
    g: &mut [f32],
    hr: &mut [f32],
    h: &mut [f32],
) {
    let n = h.len();
    let (zr, gh) = g.split_at_mut(2 * n);
    rnn_gates_add(rb, rd, h, zr);
    zr.iter_mut().for_each(|v| *v = sigmoid(*v));
    let (z, rg) = zr.split_at_mut(n);
    let (rb_h, rd_h) = (rb.map(|rb| &rb[2 * n..]), &rd[2 * n * n..]);
    if p.linear_before_reset != 0 {
        rnn_gates_set(rb_h, rd_h, h, n, hr);
        hr.iter_mut().zip(rg.iter()).for_each(|(v, &r)| *v *= r);
    } else {
        rg.iter_mut().zip(h.iter()).for_each(|(r, &h)| *r *= h); // r . H
        rnn_gates_set(rb_h, rd_h, rg, n, hr);
    }
    for (((h, &z), &gh), &hr) in h.iter_mut().zip(z.iter()).zip(gh.iter()).zip(hr.iter()) {
        let cand = libm::tanhf(gh + hr);
        *h = (1.0 - z) * cand + z * *h;
    }
}
