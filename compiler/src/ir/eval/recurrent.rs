//! RNN, GRU and LSTM on constant inputs (float32), with the default activations: the same
//! equations as the ONNX specification, one direction and one batch entry at a time.

use super::Operands;
use crate::ir::{CellKind, Data, Direction, Recurrent};

/// Sizes of a recurrent node and where its time steps and states lie (see [`Recurrent`]
/// for the two layouts).
struct Geom {
    seq: usize,
    batch: usize,
    input: usize,
    hidden: usize,
    dirs: usize,
    batch_first: bool,
}

impl Geom {
    fn x_at(&self, t: usize, b: usize) -> usize {
        let row = if self.batch_first {
            b * self.seq + t
        } else {
            t * self.batch + b
        };
        row * self.input
    }
    fn y_at(&self, t: usize, d: usize, b: usize) -> usize {
        let row = if self.batch_first {
            (b * self.seq + t) * self.dirs + d
        } else {
            (t * self.dirs + d) * self.batch + b
        };
        row * self.hidden
    }
    fn state_at(&self, d: usize, b: usize) -> usize {
        let row = if self.batch_first {
            b * self.dirs + d
        } else {
            d * self.batch + b
        };
        row * self.hidden
    }
}

/// The operands of one direction: weights, biases (`wb`, `rb`), peepholes.
struct DirWeights<'a> {
    w: &'a [f32],
    r: &'a [f32],
    wb: Vec<f32>,
    rb: Vec<f32>,
    p: Vec<f32>,
}

/// Y, Y_h and Y_c (those the node has) when every input is constant float32.
pub(super) fn recurrent(a: &Operands, r: &Recurrent) -> Option<Vec<Data>> {
    let f32s = |i: usize| match a.datas.get(i)? {
        Data::F32(v) => Some(v.as_slice()),
        Data::I64(_) => None,
    };
    let opt = |i: Option<usize>| match i {
        Some(i) => f32s(i).map(Some),
        None => Some(None),
    };
    let (x, w, rw) = (f32s(0)?, f32s(1)?, f32s(2)?);
    let [b, h0, c0, p] = r.optional_inputs();
    let (b, h0, c0, p) = (opt(b)?, opt(h0)?, opt(c0)?, opt(p)?);
    let &[s0, s1, input] = a.inputs.first()?.shape.as_slice() else {
        return None;
    };
    let (seq, batch) = if r.batch_first { (s1, s0) } else { (s0, s1) };
    let geo = Geom {
        seq,
        batch,
        input,
        hidden: r.hidden,
        dirs: r.num_directions(),
        batch_first: r.batch_first,
    };
    let gh = r.cell.gates() * r.hidden;
    let state_len = geo.dirs * batch * r.hidden;
    let sized = |v: Option<&[f32]>, n: usize| v.is_none_or(|v| v.len() == n);
    let consistent = sized(Some(w), geo.dirs * gh * input)
        && sized(Some(rw), geo.dirs * gh * r.hidden)
        && sized(b, geo.dirs * 2 * gh)
        && sized(h0, state_len)
        && sized(c0, state_len)
        && sized(p, geo.dirs * 3 * r.hidden);
    if !consistent || r.hidden == 0 {
        return None;
    }
    let mut y = vec![0.0; seq * state_len];
    let mut y_h = vec![0.0; state_len];
    let mut y_c = vec![0.0; state_len];
    for d in 0..geo.dirs {
        let bias = |k: usize| match b {
            Some(b) => b
                .get((2 * d + k) * gh..(2 * d + k + 1) * gh)
                .map(<[f32]>::to_vec),
            None => Some(vec![0.0; gh]),
        };
        let dw = DirWeights {
            w: w.get(d * gh * input..(d + 1) * gh * input)?,
            r: rw.get(d * gh * r.hidden..(d + 1) * gh * r.hidden)?,
            wb: bias(0)?,
            rb: bias(1)?,
            p: match p {
                Some(p) => p.get(d * 3 * r.hidden..(d + 1) * 3 * r.hidden)?.to_vec(),
                None => vec![0.0; 3 * r.hidden],
            },
        };
        let reverse = r.direction == Direction::Reverse || d == 1;
        for bi in 0..batch {
            let at = geo.state_at(d, bi);
            let init = |s: Option<&[f32]>| match s {
                Some(s) => s.get(at..at + r.hidden).map(<[f32]>::to_vec),
                None => Some(vec![0.0; r.hidden]),
            };
            let (mut h, mut c) = (init(h0)?, init(c0)?);
            for step in 0..seq {
                let t = if reverse { seq - 1 - step } else { step };
                let xt = x.get(geo.x_at(t, bi)..geo.x_at(t, bi) + input)?;
                match r.cell {
                    CellKind::Rnn => h = rnn_step(&dw, xt, &h),
                    CellKind::Gru {
                        linear_before_reset,
                    } => h = gru_step(&dw, xt, &h, linear_before_reset),
                    CellKind::Lstm => (h, c) = lstm_step(&dw, xt, &h, &c),
                }
                let yo = geo.y_at(t, d, bi);
                y.get_mut(yo..yo + r.hidden)?.copy_from_slice(&h);
            }
            y_h.get_mut(at..at + r.hidden)?.copy_from_slice(&h);
            y_c.get_mut(at..at + r.hidden)?.copy_from_slice(&c);
        }
    }
    let outs = [(r.has_y, y), (r.has_y_h, y_h), (r.has_y_c, y_c)];
    Some(
        outs.into_iter()
            .filter(|(has, _)| *has)
            .map(|(_, v)| Data::F32(v))
            .collect(),
    )
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// `m` (rows x v.len(), row-major) times `v`, plus `bias`.
fn matvec_add(m: &[f32], v: &[f32], bias: &[f32]) -> Vec<f32> {
    bias.iter()
        .zip(m.chunks(v.len().max(1)))
        .map(|(b, row)| b + row.iter().zip(v).map(|(a, x)| a * x).sum::<f32>())
        .collect()
}

/// W x + Wb + R h + Rb for every gate.
fn gates(dw: &DirWeights, x: &[f32], h: &[f32]) -> Vec<f32> {
    let wx = matvec_add(dw.w, x, &dw.wb);
    let rh = matvec_add(dw.r, h, &dw.rb);
    wx.iter().zip(&rh).map(|(a, b)| a + b).collect()
}

/// H = tanh(W x + R h + Wb + Rb).
fn rnn_step(dw: &DirWeights, x: &[f32], h: &[f32]) -> Vec<f32> {
    gates(dw, x, h).into_iter().map(f32::tanh).collect()
}

/// Gates z, r, h; the candidate's recurrent part is R_h (r . h) + Rb_h, or with
/// `linear_before_reset` r . (R_h h + Rb_h).
fn gru_step(dw: &DirWeights, x: &[f32], h: &[f32], linear_before_reset: bool) -> Vec<f32> {
    let n = h.len();
    let wx = matvec_add(dw.w, x, &dw.wb);
    let rh = matvec_add(dw.r, h, &dw.rb);
    let z: Vec<f32> = (0..n).map(|i| sigmoid(wx[i] + rh[i])).collect();
    let r: Vec<f32> = (0..n).map(|i| sigmoid(wx[n + i] + rh[n + i])).collect();
    let rec: Vec<f32> = if linear_before_reset {
        (0..n).map(|i| r[i] * rh[2 * n + i]).collect()
    } else {
        let rh_h: Vec<f32> = (0..n).map(|i| r[i] * h[i]).collect();
        matvec_add(&dw.r[2 * n * n..], &rh_h, &dw.rb[2 * n..])
    };
    (0..n)
        .map(|i| {
            let cand = (wx[2 * n + i] + rec[i]).tanh();
            (1.0 - z[i]) * cand + z[i] * h[i]
        })
        .collect()
}

/// Gates i, o, f, c with peepholes P = (Pi, Po, Pf); returns (H, C).
fn lstm_step(dw: &DirWeights, x: &[f32], h: &[f32], c: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = h.len();
    let g = gates(dw, x, h);
    let p = &dw.p;
    let mut h_new = vec![0.0; n];
    let mut c_new = vec![0.0; n];
    for k in 0..n {
        let i = sigmoid(g[k] + p[k] * c[k]);
        let f = sigmoid(g[2 * n + k] + p[2 * n + k] * c[k]);
        c_new[k] = f * c[k] + i * g[3 * n + k].tanh();
        let o = sigmoid(g[n + k] + p[n + k] * c_new[k]);
        h_new[k] = o * c_new[k].tanh();
    }
    (h_new, c_new)
}
