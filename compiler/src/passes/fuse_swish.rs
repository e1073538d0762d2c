//! Recognise the self-gated activations exporters spell out as a product and replace the
//! product with one unary activation, so that `fuse_activation` can fold it into the
//! convolution or Gemm that produces `x`:
//!
//! ```text
//! Mul(x, HardSigmoid(x, alpha = 1/6, beta = 1/2))  ->  HardSwish(x)   (PyTorch, opset < 14)
//! Mul(x, Sigmoid(x))                               ->  Swish(x, alpha = 1): SiLU (nn.SiLU)
//! ```
//!
//! Either operand order. The Mul node becomes the activation (its name and output are
//! kept); the gate node stays while something else reads it and is removed otherwise.

use super::PassError;
use crate::ir::{Activation, BinaryKind, DType, Graph, NodeId, Op, TensorId, UnaryKind};

pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut gates = Vec::new();
    for i in 0..g.nodes.len() {
        if let Some((x, kind, gate)) = find(g, i) {
            g.nodes[i].op = Op::Unary(kind);
            g.nodes[i].inputs = vec![x];
            gates.push(gate);
        }
    }
    remove_unread(g, gates);
    Ok(())
}

/// Remove the gates nothing reads any more (now, so that `fuse_activation` sees `x`
/// read once and can fold the activation into its producer).
fn remove_unread(g: &mut Graph, mut gates: Vec<NodeId>) {
    let consumers = g.consumers();
    gates.retain(|&n| {
        let out = g.nodes[n].outputs[0];
        consumers[out].is_empty() && !g.outputs.contains(&out)
    });
    gates.sort_unstable();
    gates.dedup();
    for &n in gates.iter().rev() {
        g.nodes.remove(n);
    }
    g.compact_tensors();
}

/// The activation that node `mul` computes, with its input and the gate node, if it is
/// `x * gate(x)`.
fn find(g: &Graph, mul: NodeId) -> Option<(TensorId, UnaryKind, NodeId)> {
    let node = &g.nodes[mul];
    let Op::Binary {
        kind: BinaryKind::Mul,
        act: Activation::None,
    } = node.op
    else {
        return None;
    };
    let [a, b] = node.inputs[..] else {
        return None;
    };
    let same_shape = g.tensors[a].shape == g.tensors[b].shape;
    let float = g.tensors[a].dtype == DType::F32;
    if !same_shape || !float {
        return None;
    }
    let producers = g.producers();
    gated(g, producers[b], a).or_else(|| gated(g, producers[a], b))
}

/// The activation `x * gate(x)` when node `gate` is a gate of `x`.
fn gated(g: &Graph, gate: Option<NodeId>, x: TensorId) -> Option<(TensorId, UnaryKind, NodeId)> {
    let id = gate?;
    let gate = &g.nodes[id];
    if gate.inputs[..] != [x] {
        return None;
    }
    let kind = match gate.op {
        Op::Unary(UnaryKind::Sigmoid) => UnaryKind::Swish { alpha: 1.0 },
        Op::Unary(UnaryKind::HardSigmoid { alpha, beta }) if alpha == 1.0 / 6.0 && beta == 0.5 => {
            UnaryKind::HardSwish
        }
        _ => return None,
    };
    Some((x, kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Node, Tensor};

    fn tensor(g: &mut Graph, name: &str) -> TensorId {
        g.add_tensor(Tensor {
            name: name.into(),
            dtype: DType::F32,
            shape: vec![1, 4, 3, 3],
            data: None,
            quant: None,
        })
    }

    fn node(g: &mut Graph, name: &str, op: Op, inputs: Vec<TensorId>, out: TensorId) {
        g.nodes.push(Node {
            name: name.into(),
            onnx_op: op.kind_name().into(),
            op,
            inputs,
            outputs: vec![out],
            kernels: Default::default(),
        });
    }

    /// x -> gate -> Mul(x, gate) (or Mul(gate, x) with `swap`), the Mul the output.
    fn gated_graph(gate: UnaryKind, swap: bool) -> Graph {
        let mut g = Graph::default();
        let (x, s, y) = (
            tensor(&mut g, "x"),
            tensor(&mut g, "s"),
            tensor(&mut g, "y"),
        );
        g.inputs.push(x);
        node(&mut g, "gate", Op::Unary(gate), vec![x], s);
        let ins = if swap { vec![s, x] } else { vec![x, s] };
        let mul = Op::Binary {
            kind: BinaryKind::Mul,
            act: Activation::None,
        };
        node(&mut g, "mul", mul, ins, y);
        g.outputs.push(y);
        g
    }

    fn fused(gate: UnaryKind, swap: bool) -> Op {
        let mut g = gated_graph(gate, swap);
        run(&mut g).unwrap();
        crate::passes::verify::verify(&g).unwrap();
        g.nodes.last().unwrap().op.clone()
    }

    #[test]
    fn hard_sigmoid_gate_becomes_hard_swish() {
        let hs = UnaryKind::HardSigmoid {
            alpha: 1.0 / 6.0,
            beta: 0.5,
        };
        assert_eq!(fused(hs, false), Op::Unary(UnaryKind::HardSwish));
        assert_eq!(fused(hs, true), Op::Unary(UnaryKind::HardSwish));
    }

    #[test]
    fn sigmoid_gate_becomes_silu() {
        assert_eq!(
            fused(UnaryKind::Sigmoid, true),
            Op::Unary(UnaryKind::Swish { alpha: 1.0 })
        );
    }

    #[test]
    fn other_gates_stay_products() {
        // ONNX's default HardSigmoid (alpha 0.2) times x is not HardSwish.
        let hs = UnaryKind::HardSigmoid {
            alpha: 0.2,
            beta: 0.5,
        };
        assert!(matches!(fused(hs, false), Op::Binary { .. }));
        assert!(matches!(fused(UnaryKind::Tanh, false), Op::Binary { .. }));
    }

    #[test]
    fn gate_of_another_tensor_stays_a_product() {
        // Squeeze-and-excitation: x * HardSigmoid(s(x)) gates x by another tensor.
        let mut g = gated_graph(UnaryKind::Sigmoid, false);
        let z = tensor(&mut g, "z");
        g.inputs.push(z);
        g.nodes[0].inputs = vec![z];
        run(&mut g).unwrap();
        assert!(matches!(g.nodes[1].op, Op::Binary { .. }));
    }
}
