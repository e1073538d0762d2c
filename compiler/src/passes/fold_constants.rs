//! Fold constants: evaluate nodes whose inputs are all known at compile time and drop
//! nodes whose outputs are already known (shape arithmetic, constant subgraphs).

use super::PassError;
use crate::ir::eval;
use crate::ir::{Graph, Op};

pub fn run(g: &mut Graph) -> Result<(), PassError> {
    fold(g, false)
}

/// Fold every foldable node; QuantizeLinear / DequantizeLinear only with `quantisation`
/// (`passes::quantise_islands` folds them once it has read their int8 operands).
pub fn fold(g: &mut Graph, quantisation: bool) -> Result<(), PassError> {
    let nodes = std::mem::take(&mut g.nodes);
    let mut keep = Vec::with_capacity(nodes.len());
    for node in nodes {
        let all_out_known = node.outputs.iter().all(|&t| g.tensors[t].data.is_some());
        if all_out_known {
            continue;
        }
        let all_in_known = node.inputs.iter().all(|&t| g.tensors[t].data.is_some());
        let foldable = quantisation || !node.op.is_quantisation();
        if all_in_known && foldable && node.op != Op::ConstOnly {
            let inputs: Vec<_> = node.inputs.iter().map(|&t| &g.tensors[t]).collect();
            let outputs: Vec<_> = node.outputs.iter().map(|&t| g.tensors[t].clone()).collect();
            let within = eval::fold_bytes(&outputs)
                .and_then(|b| b.checked_add(g.folded_bytes))
                .filter(|&total| total <= eval::MAX_FOLD_TOTAL_BYTES);
            let values = within.and_then(|_| eval::eval(&node.op, &inputs, &outputs));
            if let (Some(total), Some(values)) = (within, values) {
                if values.len() == node.outputs.len() {
                    g.folded_bytes = total;
                    for (&t, v) in node.outputs.iter().zip(values) {
                        g.tensors[t].data = Some(v);
                    }
                    continue;
                }
            }
        }
        if node.op == Op::ConstOnly {
            return Err(PassError {
                pass: "fold_constants",
                detail: format!(
                    "node '{}' ({}) must be computable at compile time but its inputs are not constant",
                    node.name, node.onnx_op
                ),
            });
        }
        keep.push(node);
    }
    g.nodes = keep;
    g.compact_tensors();
    Ok(())
}
