//! Quantised models (QDQ, as onnxruntime's `quantize_static` writes them) become integer
//! operators: every `DequantizeLinear -> op -> QuantizeLinear` island whose op has an int8
//! kernel is rewritten to that op on int8 tensors (the Q's output becomes the op's output;
//! weights int8 with their per-channel `Quant`, bias int32 in the accumulator's scale).
//! Softmax reads int8 and writes float32. What is left of the Q/DQ nodes runs at the
//! float boundary (`mn_quantize_s8`, `mn_dequantize_s8`); a float node between them stays
//! float (mixed precision). An island meshnn cannot run in integer is an error that
//! names every such node at once, with what and why.
//!
//! uint8 activations are int8 inside meshnn (mn_kernels_s8.h): q - 128 with zero point
//! zp - 128, the same real values; an int8 / uint8 graph output computed at run time is
//! an int8 tensor (a uint8 one is listed in `Graph::u8_outputs`: the device flips its bytes'
//! top bit as it copies it out), int8 / uint8 graph inputs are refused (a quantised output
//! computed at compile time keeps its type and is folded).
//! Runs after `fuse_activation` (a Relu / Clip fused into the op narrows the output's
//! clamp) and folds the Q/DQ nodes of constants left afterwards.

use super::{fold_constants, PassError};
use crate::ir::requant::requant_from_scale;
use crate::ir::{
    Activation, BinaryKind, DType, Data, Graph, Node, NodeId, Op, PoolKind, Quant, Tensor,
    TensorId, UnaryKind,
};
use std::collections::HashMap;

const PASS: &str = "quantise_islands";

/// The largest accumulator the int8 kernels take (mn_kernels_s8.h's precondition).
const MAX_ACC: i64 = (1 << 31) - 1;

pub fn run(g: &mut Graph) -> Result<(), PassError> {
    if !g.nodes.iter().any(|n| n.op.is_quantisation()) {
        return Ok(());
    }
    let compile_time = compile_time(g);
    check_boundary(g, &compile_time)?;
    uint8_as_int8(g, &compile_time);
    let rewrites = plan_rewrites(g, &compile_time)?;
    apply(g, rewrites);
    fold_constants::fold(g, true)?;
    let folded: Vec<bool> = g.tensors.iter().map(Tensor::is_const).collect();
    check_boundary(g, &folded)
}

fn fail(detail: String) -> PassError {
    PassError { pass: PASS, detail }
}

/// The tensors known at compile time: constants and the outputs of nodes that read only
/// such tensors (quantisation of constants, folded at the end of the pass; they keep
/// their ONNX types and are not islands).
fn compile_time(g: &Graph) -> Vec<bool> {
    let mut known: Vec<bool> = g.tensors.iter().map(Tensor::is_const).collect();
    for n in &g.nodes {
        if n.inputs.iter().all(|&t| known[t]) {
            n.outputs.iter().for_each(|&t| known[t] = true);
        }
    }
    known
}

/// Graph inputs stay float32 (as onnxruntime's quantiser leaves them), unless known at
/// compile time (`known`); a run-time int8 / uint8 graph output must be a QuantizeLinear's
/// (or an integer island's) output.
fn check_boundary(g: &Graph, known: &[bool]) -> Result<(), PassError> {
    for &t in &g.inputs {
        let tensor = &g.tensors[t];
        if matches!(tensor.dtype, DType::I8 | DType::U8) && !known[t] {
            return Err(fail(format!(
                "graph input '{}' is {}: meshnn's quantised models take float32 inputs (quantise inside the model, as onnxruntime's quantize_static does)",
                tensor.name,
                tensor.dtype.name()
            )));
        }
    }
    let producers = g.producers();
    for &t in &g.outputs {
        let tensor = &g.tensors[t];
        if !matches!(tensor.dtype, DType::I8 | DType::U8) || known[t] {
            continue;
        }
        let quantised = producers[t]
            .is_some_and(|n| matches!(g.nodes[n].op, Op::Quantize(_)) || tensor.quant.is_some());
        if !quantised {
            return Err(fail(format!(
                "graph output '{}' is {} but not the output of a QuantizeLinear: meshnn gives run-time int8 / uint8 outputs only as quantised values",
                tensor.name,
                tensor.dtype.name()
            )));
        }
    }
    Ok(())
}

/// Every run-time uint8 tensor becomes int8 (q - 128, zero point - 128), and every
/// run-time quantised tensor carries the `Quant` of its QuantizeLinear.
fn uint8_as_int8(g: &mut Graph, known: &[bool]) {
    let was_u8: Vec<bool> = g
        .tensors
        .iter()
        .zip(known)
        .map(|(t, &k)| t.dtype == DType::U8 && !k)
        .collect();
    for n in &mut g.nodes {
        match &mut n.op {
            // A compile-time output keeps its type and no `Quant` (an int8 constant with
            // one is an int8 kernel operand, emitted as int8_t).
            Op::Quantize(q) if !known[n.outputs[0]] => {
                let y = &mut g.tensors[n.outputs[0]];
                if was_u8[n.outputs[0]] {
                    shift_zero_points(q);
                    y.dtype = DType::I8;
                    if g.outputs.contains(&n.outputs[0]) {
                        g.u8_outputs.insert(n.outputs[0]);
                    }
                }
                y.quant = Some(q.clone());
            }
            Op::Dequantize(q) if was_u8[n.inputs[0]] => shift_zero_points(q),
            _ => {}
        }
    }
}

fn shift_zero_points(q: &mut Quant) {
    q.zero_points.iter_mut().for_each(|z| *z -= 128);
}

/// One rewritten node: its new op, inputs and outputs (the absorbed Q node's output).
struct Rewrite {
    op: Op,
    inputs: Vec<TensorId>,
    outputs: Vec<TensorId>,
    /// The QuantizeLinear absorbed, removed.
    absorbed_q: Option<NodeId>,
    /// New constant tensors (int8 weights, int32 bias), added before `inputs` refer to
    /// them: (placeholder id in `inputs`, tensor).
    new_consts: Vec<(usize, Tensor)>,
}

/// The graph's view for recognising islands.
struct View<'a> {
    g: &'a Graph,
    /// Tensors known at compile time (see [`compile_time`]).
    known: &'a [bool],
    producers: Vec<Option<NodeId>>,
    consumers: Vec<Vec<NodeId>>,
    is_output: Vec<bool>,
}

impl View<'_> {
    /// The int8 run-time tensor and its `Quant` behind a DequantizeLinear output.
    fn dq_runtime(&self, t: TensorId) -> Option<(TensorId, Quant)> {
        let n = &self.g.nodes[self.producers[t]?];
        let Op::Dequantize(q) = &n.op else {
            return None;
        };
        let x = n.inputs[0];
        let xt = &self.g.tensors[x];
        (xt.dtype == DType::I8 && !self.known[x]).then(|| (x, q.clone()))
    }
    /// The constant behind a DequantizeLinear output and its `Quant`.
    fn dq_const(&self, t: TensorId) -> Option<(&Tensor, Quant)> {
        let n = &self.g.nodes[self.producers[t]?];
        let Op::Dequantize(q) = &n.op else {
            return None;
        };
        let x = &self.g.tensors[n.inputs[0]];
        x.is_const().then(|| (x, q.clone()))
    }
    /// The QuantizeLinear that alone reads `t` (not a graph output), and its output.
    fn q_after(&self, t: TensorId) -> Option<(NodeId, TensorId)> {
        if self.is_output[t] {
            return None;
        }
        let [c] = self.consumers[t][..] else {
            return None;
        };
        let n = &self.g.nodes[c];
        matches!(n.op, Op::Quantize(ref q) if q.is_per_tensor()).then(|| (c, n.outputs[0]))
    }
}

/// The activation inputs of an op that may run in int8 (positions in `Node::inputs`);
/// `None` for an op without an int8 kernel.
fn activation_inputs(node: &Node) -> Option<Vec<usize>> {
    Some(match &node.op {
        Op::Conv { .. } | Op::Gemm { .. } | Op::MatMul => vec![0],
        Op::Binary {
            kind: BinaryKind::Add | BinaryKind::Mul,
            ..
        } => vec![0, 1],
        Op::Concat { .. } => (0..node.inputs.len()).collect(),
        Op::Pool { .. }
        | Op::Unary(UnaryKind::Relu | UnaryKind::Clip { .. })
        | Op::GlobalPool {
            kind: PoolKind::Avg,
        }
        | Op::Reshape
        | Op::Softmax { log: false, .. } => vec![0],
        _ => return None,
    })
}

/// Every island's rewrite, or one error naming every node that cannot run in int8.
fn plan_rewrites(g: &Graph, known: &[bool]) -> Result<Vec<(NodeId, Rewrite)>, PassError> {
    let v = View {
        g,
        known,
        producers: g.producers(),
        consumers: g.consumers(),
        is_output: g.output_mask(),
    };
    let mut rewrites = Vec::new();
    let mut refused = Vec::new();
    for (i, node) in g.nodes.iter().enumerate() {
        if node.op.is_quantisation() || node.outputs.len() != 1 {
            continue;
        }
        match island(&v, node) {
            Ok(Some(r)) => rewrites.push((i, r)),
            Ok(None) => {}
            Err(why) => refused.push(format!("  node '{}' ({}): {why}", node.name, node.onnx_op)),
        }
    }
    if refused.is_empty() {
        return Ok(rewrites);
    }
    Err(fail(format!(
        "{} quantised node(s) cannot run in int8:\n{}\nexclude them from quantisation (quantize_static's nodes_to_exclude) so they run in float32, or change them as said",
        refused.len(),
        refused.join("\n")
    )))
}

/// The rewrite of node `i` when it is a DQ -> op -> Q island (`Ok(None)` when it is not an
/// island: it stays float), or why it cannot be integer.
fn island(v: &View, node: &Node) -> Result<Option<Rewrite>, String> {
    let y = node.outputs[0];
    let all_dq = |positions: &[usize]| {
        positions.iter().all(|&k| {
            node.inputs
                .get(k)
                .is_some_and(|&t| v.dq_runtime(t).is_some())
        })
    };
    let softmax = matches!(node.op, Op::Softmax { log: false, .. });
    let Some(act_inputs) = activation_inputs(node) else {
        let ins: Vec<usize> = (0..node.inputs.len())
            .filter(|&k| !v.known[node.inputs[k]])
            .collect();
        if !ins.is_empty() && all_dq(&ins) && v.q_after(y).is_some() {
            return Err(format!(
                "meshnn has no int8 kernel for {}",
                node.op.kind_name()
            ));
        }
        return Ok(None);
    };
    if !all_dq(&act_inputs) {
        return Ok(None);
    }
    let q = v.q_after(y);
    if q.is_none() && !softmax {
        return Ok(None); // a float node reading dequantised values
    }
    let x: Vec<(TensorId, Quant)> = act_inputs
        .iter()
        .filter_map(|&k| v.dq_runtime(node.inputs[k]))
        .collect();
    let (absorbed_q, out) = match q {
        Some((qn, out)) if !softmax => (Some(qn), out),
        _ => (None, y),
    };
    let y_quant = v.g.tensors[out].quant.clone();
    let mut r = Rewrite {
        op: node.op.clone(),
        inputs: x.iter().map(|(t, _)| *t).collect(),
        outputs: vec![out],
        absorbed_q,
        new_consts: Vec::new(),
    };
    let yq = y_quant.as_ref().map_or(1.0, Quant::scale);
    match &node.op {
        Op::Conv { act, kernel, .. } => {
            check_act(act)?;
            let taps = v.g.tensors[node.inputs[1]]
                .shape
                .get(1)
                .copied()
                .unwrap_or(1)
                * kernel.iter().product::<usize>();
            weights_and_bias(v, node, &x[0].1, yq, 0, taps, &mut r)?;
        }
        Op::Gemm {
            alpha,
            beta,
            trans_a,
            trans_b,
            act,
        } => {
            check_act(act)?;
            if *trans_a || *alpha != 1.0 || (*beta != 1.0 && node.inputs.len() > 2) {
                return Err("int8 Gemm takes transA = 0, alpha = 1 and beta = 1".into());
            }
            let k = v.g.tensors[node.inputs[0]]
                .shape
                .last()
                .copied()
                .unwrap_or(1);
            weights_and_bias(v, node, &x[0].1, yq, usize::from(!*trans_b), k, &mut r)?;
        }
        Op::MatMul => {
            let k = v.g.tensors[node.inputs[0]]
                .shape
                .last()
                .copied()
                .unwrap_or(1);
            if v.g.tensors[node.inputs[1]].shape.len() != 2 {
                return Err("int8 MatMul takes a 2-D constant B".into());
            }
            weights_and_bias(v, node, &x[0].1, yq, 1, k, &mut r)?;
        }
        Op::Binary { act, .. } => check_act(act)?,
        Op::Reshape if x[0].1 != *y_quant.as_ref().unwrap_or(&x[0].1) => {
            return Err("the reshaped tensor's scale or zero point changes".into());
        }
        Op::Softmax {
            axis, coerce_2d, ..
        } if !coerce_2d && *axis + 1 != v.g.tensors[y].shape.len() => {
            return Err("int8 Softmax runs along the last axis".into());
        }
        _ => {}
    }
    requant_in_range(&x, yq)?;
    Ok(Some(r))
}

/// ReLU and Clip fuse into the requantisation's clamp; other activations do not.
fn check_act(act: &Activation) -> Result<(), String> {
    match act {
        Activation::None | Activation::Relu | Activation::Clip { .. } => Ok(()),
        _ => Err(format!(
            "the fused activation {act:?} has no int8 form (ReLU and Clip do)"
        )),
    }
}

/// Every input-to-output scale ratio fits the fixed-point form.
fn requant_in_range(x: &[(TensorId, Quant)], y_scale: f32) -> Result<(), String> {
    for (_, q) in x {
        let ratio = q.scale() as f64 / y_scale as f64;
        if requant_from_scale(ratio).is_none() {
            return Err(format!(
                "the scale ratio {ratio} between input and output is outside the fixed-point range (below 2^15)"
            ));
        }
    }
    Ok(())
}

/// Input 1 (weights: DQ of an int8 constant, per tensor or per channel along `w_axis`)
/// and optional input 2 (bias: DQ of an int32 constant, or float32, re-expressed in the
/// accumulator's scale x_scale * w_scale[c]) of a Conv, Gemm or MatMul, appended to `r`.
fn weights_and_bias(
    v: &View,
    node: &Node,
    xq: &Quant,
    y_scale: f32,
    w_axis: usize,
    taps: usize,
    r: &mut Rewrite,
) -> Result<(), String> {
    let (w, mut wq) = v
        .dq_const(node.inputs[1])
        .ok_or("the weights are not a dequantised int8 constant")?;
    if !matches!(w.dtype, DType::I8 | DType::U8) {
        return Err(format!(
            "weights of type {} (int8 expected)",
            w.dtype.name()
        ));
    }
    let mut values = w.data.as_ref().map(Data::to_i64).unwrap_or_default();
    if w.dtype == DType::U8 {
        values.iter_mut().for_each(|x| *x -= 128);
        shift_zero_points(&mut wq);
    }
    if !wq.is_per_tensor() && wq.axis != w_axis {
        return Err(format!(
            "weights quantised along axis {} (per output channel is axis {w_axis})",
            wq.axis
        ));
    }
    if wq.zero_points.iter().any(|&z| z != wq.zero_point()) {
        return Err("per-channel weight zero points differ (the kernels take one)".into());
    }
    let channels = w.shape.get(w_axis).copied().unwrap_or(1);
    let acc_scale = |c: usize| xq.scale() * wq.scales[if wq.is_per_tensor() { 0 } else { c }];
    for c in 0..channels {
        let ratio = acc_scale(c) as f64 / y_scale as f64;
        if requant_from_scale(ratio).is_none() {
            return Err(format!(
                "the requantisation scale {ratio} of output channel {c} is outside the fixed-point range"
            ));
        }
    }
    let w_id = placeholder(
        r,
        w.name.clone(),
        DType::I8,
        w.shape.clone(),
        values,
        Some(wq.clone()),
    );
    r.inputs.push(w_id);
    let mut max_bias = 0i64;
    if let Some(&b) = node.inputs.get(2) {
        let bias = int_bias(v, b, channels, &acc_scale)?;
        max_bias = bias.iter().map(|x| x.abs()).max().unwrap_or(0);
        let name = v.g.tensors[b].name.clone();
        let b_id = placeholder(r, name, DType::I32, vec![channels], bias, None);
        r.inputs.push(b_id);
    }
    let worst = (taps as i64)
        .saturating_mul(255 * 255)
        .saturating_add(max_bias);
    if worst > MAX_ACC {
        return Err(format!(
            "the int32 accumulator could overflow ({taps} taps, largest bias {max_bias}): split the layer"
        ));
    }
    Ok(())
}

/// The bias in the accumulator's scale: round(real bias / (x_scale * w_scale[c])) for
/// each of `channels` (onnxruntime's int32 bias comes back exactly).
fn int_bias(
    v: &View,
    b: TensorId,
    channels: usize,
    acc_scale: &dyn Fn(usize) -> f32,
) -> Result<Vec<i64>, String> {
    let real: Vec<f64> = match v.dq_const(b) {
        Some((t, q)) => {
            let data = t.data.as_ref().map(Data::to_i64).unwrap_or_default();
            data.iter()
                .enumerate()
                .map(|(i, &x)| {
                    let c = q.channel_of(i, &t.shape);
                    (x - q.zero_points[c] as i64) as f64 * q.scales[c] as f64
                })
                .collect()
        }
        None => match &v.g.tensors[b].data {
            Some(Data::F32(d)) => d.iter().map(|&x| x as f64).collect(),
            _ => return Err("the bias is neither a dequantised int32 nor a float constant".into()),
        },
    };
    if real.len() != channels && real.len() != 1 {
        return Err(format!(
            "bias of {} values for {channels} output channels",
            real.len()
        ));
    }
    (0..channels)
        .map(|c| {
            let q = (real[c.min(real.len() - 1)] / acc_scale(c) as f64).round_ties_even();
            if q.abs() > MAX_ACC as f64 {
                return Err(format!(
                    "bias of channel {c} exceeds int32 in the accumulator's scale"
                ));
            }
            Ok(q as i64)
        })
        .collect()
}

/// A new constant for `r`; the returned id is a placeholder (`usize::MAX - k`) replaced
/// by the real id in [`apply`].
fn placeholder(
    r: &mut Rewrite,
    name: String,
    dtype: DType,
    shape: Vec<usize>,
    values: Vec<i64>,
    quant: Option<Quant>,
) -> TensorId {
    let id = usize::MAX - r.new_consts.len();
    r.new_consts.push((
        id,
        Tensor {
            name: format!("{name}_q"),
            dtype,
            shape,
            data: Some(Data::I64(values)),
            quant,
        },
    ));
    id
}

/// Rewrites the island nodes and removes the QuantizeLinear nodes they absorbed (the
/// Dequantize nodes left unread go with `remove_dead`).
fn apply(g: &mut Graph, rewrites: Vec<(NodeId, Rewrite)>) {
    let mut absorbed = vec![false; g.nodes.len()];
    for (i, r) in rewrites {
        let mut ids = HashMap::new();
        for (placeholder, t) in r.new_consts {
            ids.insert(placeholder, g.add_tensor(t));
        }
        let node = &mut g.nodes[i];
        node.op = r.op;
        node.inputs = r
            .inputs
            .iter()
            .map(|t| ids.get(t).copied().unwrap_or(*t))
            .collect();
        node.outputs = r.outputs;
        if let Some(q) = r.absorbed_q {
            absorbed[q] = true;
        }
    }
    let mut marks = absorbed.iter();
    g.nodes.retain(|_| !marks.next().copied().unwrap_or(false));
    g.compact_tensors();
}
