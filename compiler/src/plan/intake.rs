//! Quantize at intake. In an int8 build the first node to read a float graph input is
//! usually its QuantizeLinear, and the float input would occupy four bytes per element of
//! the arena until that node has run. When that QuantizeLinear is the input's only
//! reader, the device runs it in `begin`, reading the caller's input struct (which
//! `begin` would otherwise copy into the arena): the arena then holds the one-byte
//! quantised tensor from the start and never the float input.
//!
//! [`mark`] records the choice on the graph (`Graph::intake`), per device, before
//! scheduling; the memory planner gives an intake node's float input no buffer and its
//! int8 output a buffer from step 0; lowering emits its call into `begin`.

use crate::ir::{DType, Graph, NodeId, Op, TensorId};

/// Whether node `i` can run at intake on a device that senses `sensed`: a QuantizeLinear
/// to int8 whose float input is a graph input the device senses, read by no other node
/// and not itself a graph output.
pub fn eligible(g: &Graph, consumers: &[Vec<NodeId>], i: NodeId, sensed: &[TensorId]) -> bool {
    let node = &g.nodes[i];
    let (Op::Quantize(_), [x], [y]) = (&node.op, &node.inputs[..], &node.outputs[..]) else {
        return false;
    };
    g.tensors[*x].dtype == DType::F32
        && g.tensors[*y].dtype == DType::I8
        && !g.tensors[*x].is_const()
        && sensed.contains(x)
        && g.inputs.contains(x)
        && !g.outputs.contains(x)
        && consumers[*x] == [i]
}

/// Record on `g` which of `nodes` (one device's) run at intake for a device that senses
/// `sensed`; other devices' entries are left as they are.
pub fn mark(g: &mut Graph, nodes: &[NodeId], sensed: &[TensorId]) {
    let consumers = g.consumers();
    for &i in nodes {
        match eligible(g, &consumers, i, sensed) {
            true => g.intake.insert(i),
            false => g.intake.remove(&i),
        };
    }
}

/// The float input of intake node `i` (read from the caller) and its int8 output.
pub fn tensors(g: &Graph, i: NodeId) -> (TensorId, TensorId) {
    (g.nodes[i].inputs[0], g.nodes[i].outputs[0])
}
