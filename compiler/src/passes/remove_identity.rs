//! Remove Identity and inference-mode Dropout nodes by rewiring their consumers.

use super::PassError;
use crate::ir::{Graph, Op, TensorId};
use std::collections::HashMap;

/// Consumers of an Identity read its input directly. An Identity whose output is a graph
/// output keeps the output's name: it becomes a zero-cost `Reshape` (an alias of the same
/// buffer), so no copy is emitted either way.
pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut keep = Vec::with_capacity(g.nodes.len());
    let nodes = std::mem::take(&mut g.nodes);
    // Removed output -> the tensor its readers read instead, resolved through chains of
    // Identities (nodes are in topological order, so a source is final when it is seen).
    let mut source_of: HashMap<TensorId, TensorId> = HashMap::new();
    for mut node in nodes {
        if node.op == Op::Identity {
            let (Some(&src), Some(&dst)) = (node.inputs.first(), node.outputs.first()) else {
                return Err(PassError {
                    pass: "remove_identity",
                    detail: format!("node '{}' has no input or output", node.name),
                });
            };
            if g.outputs.contains(&dst) {
                node.op = Op::Reshape;
                keep.push(node);
            } else {
                let src = source_of.get(&src).copied().unwrap_or(src);
                source_of.insert(dst, src);
            }
        } else {
            keep.push(node);
        }
    }
    g.nodes = keep;
    g.replace_uses(&source_of);
    g.compact_tensors();
    Ok(())
}
