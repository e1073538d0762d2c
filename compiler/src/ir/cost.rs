//! Per-node cost model: multiply-accumulates and parameter bytes, used by `inspect`,
//! the partitioner and latency estimates.

use crate::ir::{Graph, Node, Op, Recurrent};

/// Multiply-accumulate operations of one inference of `node` (elementwise ops count one
/// per output element, data movement counts zero).
pub fn macs(g: &Graph, node: &Node) -> u64 {
    let out = |i: usize| g.tensors[node.outputs[i]].numel() as u64;
    let shape = |t: usize| &g.tensors[t].shape;
    match &node.op {
        Op::Conv { kernel, .. } => {
            let w = shape(node.inputs[1]);
            let c_per_group = w.get(1).copied().unwrap_or(1) as u64;
            out(0) * c_per_group * kernel.iter().product::<usize>() as u64
        }
        Op::Gemm { trans_a, .. } => {
            let a = shape(node.inputs[0]);
            let k = if *trans_a { a.first() } else { a.last() };
            out(0) * k.copied().unwrap_or(1) as u64
        }
        Op::MatMul => {
            let a = shape(node.inputs[0]);
            out(0) * a.last().copied().unwrap_or(1) as u64
        }
        Op::Pool { kernel, .. } => out(0) * kernel.iter().product::<usize>() as u64,
        Op::GlobalPool { .. } | Op::Reduce { .. } => g.tensors[node.inputs[0]].numel() as u64,
        Op::Binary { .. }
        | Op::Unary(_)
        | Op::ClipRange { .. }
        | Op::Where
        | Op::BatchNorm { .. }
        | Op::Softmax { .. }
        | Op::Quantize(_)
        | Op::Dequantize(_) => out(0),
        // Mean, variance, then the normalised output: three passes.
        Op::Norm { .. } => 3 * out(0),
        Op::Variadic { .. } => out(0) * node.inputs.len() as u64,
        Op::Recurrent(r) => recurrent_macs(shape(node.inputs[0]), r),
        // Data movement and compile-time-only nodes compute nothing.
        Op::Reshape
        | Op::Transpose { .. }
        | Op::Concat { .. }
        | Op::Split { .. }
        | Op::Slice { .. }
        | Op::Gather { .. }
        | Op::Pad { .. }
        | Op::Expand
        | Op::Identity
        | Op::ConstOnly => 0,
    }
}

/// Gates x (input + hidden) x hidden per time step, batch entry and direction (the
/// matrix-vector products; the gate arithmetic is not counted).
fn recurrent_macs(x: &[usize], r: &Recurrent) -> u64 {
    let steps: usize = x.iter().take(2).product();
    let input = x.get(2).copied().unwrap_or(0);
    (r.cell.gates() * (input + r.hidden) * r.hidden * steps * r.num_directions()) as u64
}

/// Bytes of constant operands (weights) a node reads.
pub fn param_bytes(g: &Graph, node: &Node) -> u64 {
    node.inputs
        .iter()
        .filter(|&&t| g.tensors[t].is_const())
        .map(|&t| g.tensors[t].size_bytes() as u64)
        .sum()
}
