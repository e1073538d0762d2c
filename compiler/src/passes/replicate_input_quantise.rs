//! Before partitioning over several devices: a QuantizeLinear of a graph input that
//! several nodes read becomes one QuantizeLinear per reader. Each device senses its graph
//! inputs itself, so each reader's device can quantise the input on its own instead of
//! receiving the quantised tensor from one device, or all the readers being pulled onto
//! that device (NoNN's four students all read the quantised input). The copies compute
//! the same values (one rounding per element); a one-device build keeps the one
//! quantiser (the driver runs this pass only for multi-device deployments).

use crate::ir::{Graph, Node, Op};

/// Replicate every shared graph-input QuantizeLinear per reading node; returns how many
/// copies were added. Keeps the graph valid: each copy is placed right after the
/// original, so the nodes stay in topological order.
pub fn run(g: &mut Graph) -> usize {
    let mut added = 0;
    let mut i = 0;
    while i < g.nodes.len() {
        let copies = replicate(g, i);
        added += copies.len();
        let n = copies.len();
        g.nodes.splice(i + 1..i + 1, copies);
        i += 1 + n;
    }
    added
}

/// The copies of node `i` for its second and later readers (each reader rewired to its
/// own copy), or none when `i` is not a shared quantiser of a graph input.
fn replicate(g: &mut Graph, i: usize) -> Vec<Node> {
    let n = &g.nodes[i];
    let Some((&x, params)) = n.inputs.split_first() else {
        return vec![];
    };
    let quantises_input = matches!(n.op, Op::Quantize(_))
        && n.outputs.len() == 1
        && g.inputs.contains(&x)
        && params.iter().all(|&p| g.tensors[p].is_const());
    let y = n.outputs[0];
    if !quantises_input || g.outputs.contains(&y) {
        return vec![];
    }
    let readers: Vec<usize> = (i + 1..g.nodes.len())
        .filter(|&r| g.nodes[r].inputs.contains(&y))
        .collect();
    let mut copies = Vec::new();
    for &r in readers.iter().skip(1) {
        let suffix = format!("__for_{}", g.nodes[r].name);
        let mut t = g.tensors[y].clone();
        t.name += &suffix;
        let y2 = g.tensors.len();
        g.tensors.push(t);
        for input in g.nodes[r].inputs.iter_mut().filter(|v| **v == y) {
            *input = y2;
        }
        let mut copy = g.nodes[i].clone();
        copy.name += &suffix;
        copy.outputs = vec![y2];
        copies.push(copy);
    }
    copies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{DType, Quant, Tensor, UnaryKind};

    fn tensor(name: &str, dtype: DType) -> Tensor {
        Tensor {
            name: name.into(),
            dtype,
            shape: vec![4],
            data: None,
            quant: None,
        }
    }

    fn node(name: &str, op: Op, inputs: Vec<usize>, outputs: Vec<usize>) -> Node {
        Node {
            name: name.into(),
            onnx_op: String::new(),
            op,
            inputs,
            outputs,
            kernels: Default::default(),
        }
    }

    /// x -> Q -> q read by a and b: b gets its own Q right after the first; an
    /// intermediate tensor's quantiser is left alone.
    #[test]
    fn a_shared_input_quantiser_gets_one_copy_per_reader() {
        let q = Op::Quantize(Quant::per_tensor(0.5, 0));
        let relu = Op::Unary(UnaryKind::Relu);
        let mut g = Graph {
            tensors: vec![
                tensor("x", DType::F32),
                tensor("q", DType::I8),
                tensor("a", DType::I8),
                tensor("b", DType::I8),
                tensor("q2", DType::I8),
                tensor("c", DType::I8),
                tensor("d", DType::I8),
            ],
            nodes: vec![
                node("Q", q.clone(), vec![0], vec![1]),
                node("A", relu.clone(), vec![1], vec![2]),
                node("B", relu.clone(), vec![1], vec![3]),
                node("Q2", q, vec![3], vec![4]),
                node("C", relu.clone(), vec![4], vec![5]),
                node("D", relu, vec![4], vec![6]),
            ],
            inputs: vec![0],
            outputs: vec![2, 5, 6],
            ..Default::default()
        };
        assert_eq!(run(&mut g), 1);
        let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["Q", "Q__for_B", "A", "B", "Q2", "C", "D"]);
        assert_eq!(g.nodes[1].inputs, vec![0]);
        assert_eq!(g.nodes[1].outputs, vec![7]);
        assert_eq!(g.tensors[7].name, "q__for_B");
        assert_eq!(g.nodes[2].inputs, vec![1]);
        assert_eq!(g.nodes[3].inputs, vec![7]);
        assert_eq!(g.nodes[5].inputs, vec![4], "not a graph input's quantiser");
        crate::passes::verify::verify(&g).unwrap();
    }
}
