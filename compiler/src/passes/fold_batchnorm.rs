//! Fold inference BatchNormalization into the Conv or Gemm that produces its input.
//!
//! With s = scale / sqrt(var + eps): Conv weights W'[m] = W[m] * s[m] and bias
//! B'[m] = (B[m] - mean[m]) * s[m] + bias[m]. For Gemm (BN over axis 1, the N columns)
//! the columns of B are scaled and C' = (beta * C - mean) * s + bias with beta' = 1.
//! Only when the weights and BN parameters are constants and the producer's output feeds
//! nothing but the BN.

use super::PassError;
use crate::ir::{Data, Graph, Op, Tensor};

fn const_f32(g: &Graph, t: usize) -> Option<Vec<f32>> {
    g.tensors[t].data.as_ref().map(|d| d.to_f32())
}

/// BN parameters of node `bn`: (s, shift) so that bn(x) = x * s + shift.
fn bn_affine(g: &Graph, inputs: &[usize], epsilon: f32) -> Option<(Vec<f32>, Vec<f32>)> {
    let scale = const_f32(g, *inputs.get(1)?)?;
    let bias = const_f32(g, *inputs.get(2)?)?;
    let mean = const_f32(g, *inputs.get(3)?)?;
    let var = const_f32(g, *inputs.get(4)?)?;
    let c = scale.len();
    if bias.len() != c || mean.len() != c || var.len() != c {
        return None;
    }
    let s: Vec<f32> = (0..c)
        .map(|i| scale[i] / (var[i] + epsilon).sqrt())
        .collect();
    let shift: Vec<f32> = (0..c).map(|i| bias[i] - mean[i] * s[i]).collect();
    Some((s, shift))
}

fn new_const(g: &mut Graph, name: String, shape: Vec<usize>, v: Vec<f32>) -> usize {
    g.add_tensor(Tensor {
        name,
        dtype: crate::ir::DType::F32,
        shape,
        data: Some(Data::F32(v)),
        quant: None,
    })
}

/// One walk over the nodes with the producer and reader maps built once; a folded
/// BatchNorm is marked removed (node ids stay valid) and dropped at the end.
pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut producers = g.producers();
    let consumers = g.consumers();
    let is_output = g.output_mask();
    let mut removed = vec![false; g.nodes.len()];
    for (i, gone) in removed.iter_mut().enumerate() {
        let Op::BatchNorm { epsilon } = g.nodes[i].op else {
            continue;
        };
        let bn_in = g.nodes[i].inputs[0];
        let Some(p) = producers.get(bn_in).copied().flatten() else {
            continue;
        };
        if consumers[bn_in].len() != 1 || is_output[bn_in] {
            continue;
        }
        let Some((s, shift)) = bn_affine(g, &g.nodes[i].inputs, epsilon) else {
            continue;
        };
        let folded = match g.nodes[p].op.clone() {
            Op::Conv { .. } => fold_into_conv(g, p, &s, &shift),
            Op::Gemm {
                alpha,
                beta,
                trans_a,
                trans_b,
                act,
            } if act == Default::default() => {
                fold_into_gemm(g, p, &s, &shift, (alpha, beta, trans_a, trans_b))
            }
            _ => false,
        };
        if folded {
            let bn_out = g.nodes[i].outputs[0];
            // The producer now writes the BN's output tensor directly.
            for o in g.nodes[p].outputs.iter_mut() {
                if *o == bn_in {
                    *o = bn_out;
                }
            }
            producers[bn_out] = Some(p);
            producers[bn_in] = None;
            *gone = true;
        }
    }
    let mut marks = removed.iter();
    g.nodes.retain(|_| !marks.next().copied().unwrap_or(false));
    g.compact_tensors();
    Ok(())
}

fn fold_into_conv(g: &mut Graph, p: usize, s: &[f32], shift: &[f32]) -> bool {
    let node = &g.nodes[p];
    let w_id = node.inputs[1];
    let Some(w) = const_f32(g, w_id) else {
        return false;
    };
    let m = g.tensors[w_id].shape[0];
    if m != s.len() || m == 0 {
        return false;
    }
    let bias = match node.inputs.get(2) {
        Some(&b) => match const_f32(g, b) {
            Some(v) => v,
            None => return false,
        },
        None => vec![0.0; m],
    };
    let per = w.len() / m;
    let w2: Vec<f32> = w.iter().enumerate().map(|(j, x)| x * s[j / per]).collect();
    let b2: Vec<f32> = (0..m).map(|j| bias[j] * s[j] + shift[j]).collect();
    let w_shape = g.tensors[w_id].shape.clone();
    let base = g.nodes[p].name.clone();
    let w_new = new_const(g, format!("{base}_W_bn"), w_shape, w2);
    let b_new = new_const(g, format!("{base}_B_bn"), vec![m], b2);
    let node = &mut g.nodes[p];
    node.inputs.truncate(1);
    node.inputs.push(w_new);
    node.inputs.push(b_new);
    true
}

fn fold_into_gemm(
    g: &mut Graph,
    p: usize,
    s: &[f32],
    shift: &[f32],
    (alpha, beta, trans_a, trans_b): (f32, f32, bool, bool),
) -> bool {
    let node = &g.nodes[p];
    let out_shape = &g.tensors[node.outputs[0]].shape;
    if out_shape.len() != 2 || out_shape[1] != s.len() {
        return false;
    }
    let (m, n) = (out_shape[0], out_shape[1]);
    let b_id = node.inputs[1];
    let Some(bw) = const_f32(g, b_id) else {
        return false;
    };
    // C broadcast to [M, N], then reduced to [N] only if identical across rows.
    let c_full: Vec<f32> = match node.inputs.get(2) {
        Some(&c) => {
            let Some(cv) = const_f32(g, c) else {
                return false;
            };
            let cs = &g.tensors[c].shape;
            let (rows, cols) = match cs.len() {
                0 => (1, 1),
                1 => (1, cs[0]),
                _ => (cs[cs.len() - 2], cs[cs.len() - 1]),
            };
            let mut full = Vec::with_capacity(m * n);
            for i in 0..m {
                for j in 0..n {
                    let r = if rows == 1 { 0 } else { i };
                    let c = if cols == 1 { 0 } else { j };
                    full.push(cv[r * cols + c]);
                }
            }
            full
        }
        None => vec![0.0; m * n],
    };
    let row_invariant = (1..m).all(|i| (0..n).all(|j| c_full[i * n + j] == c_full[j]));
    let mut c_new: Vec<f32> = c_full
        .iter()
        .enumerate()
        .map(|(idx, c)| beta * c * s[idx % n] + shift[idx % n])
        .collect();
    let c_shape = if row_invariant {
        c_new.truncate(n);
        vec![n]
    } else {
        vec![m, n]
    };
    let b_shape = g.tensors[b_id].shape.clone();
    let bw2: Vec<f32> = bw
        .iter()
        .enumerate()
        .map(|(idx, x)| {
            // B' is [K, N] (column = idx % N) or [N, K] when transposed (row = idx / K).
            let col = if trans_b { idx / b_shape[1] } else { idx % n };
            x * s[col]
        })
        .collect();
    let base = g.nodes[p].name.clone();
    let b_new = new_const(g, format!("{base}_B_bn"), b_shape, bw2);
    let c_id = new_const(g, format!("{base}_C_bn"), c_shape, c_new);
    let node = &mut g.nodes[p];
    node.inputs.truncate(1);
    node.inputs.push(b_new);
    node.inputs.push(c_id);
    node.op = Op::Gemm {
        alpha,
        beta: 1.0,
        trans_a,
        trans_b,
        act: Default::default(),
    };
    true
}
