//! Graph verifier: structural invariants every pass must preserve.

use crate::ir::{Graph, Op};

/// Check that nodes are topologically ordered, every tensor has at most one producer,
/// every node input is available when the node runs, graph outputs exist, constants are
/// never produced by a node with runtime work, and shapes agree with constant data.
pub fn verify(g: &Graph) -> Result<(), String> {
    let n = g.tensors.len();
    let mut available = vec![false; n];
    let mut produced = vec![false; n];
    for &t in &g.inputs {
        if t >= n {
            return Err(format!("graph input id {t} out of range"));
        }
        available[t] = true;
    }
    for (i, t) in g.tensors.iter().enumerate() {
        if let Some(d) = &t.data {
            if d.len() != t.numel() {
                return Err(format!(
                    "constant '{}' holds {} values but its shape {:?} needs {}",
                    t.name,
                    d.len(),
                    t.shape,
                    t.numel()
                ));
            }
            available[i] = true;
        }
    }
    for node in &g.nodes {
        for &t in &node.inputs {
            if t >= n {
                return Err(format!(
                    "node '{}' reads tensor id {t} out of range",
                    node.name
                ));
            }
            if !available[t] {
                return Err(format!(
                    "node '{}' reads '{}' before it is produced",
                    node.name, g.tensors[t].name
                ));
            }
        }
        for &t in &node.outputs {
            if t >= n {
                return Err(format!(
                    "node '{}' writes tensor id {t} out of range",
                    node.name
                ));
            }
            if produced[t] || g.inputs.contains(&t) {
                return Err(format!("tensor '{}' is produced twice", g.tensors[t].name));
            }
            if g.tensors[t].data.is_some() && !matches!(node.op, Op::ConstOnly) {
                // A pass may have folded the value without removing the node yet; that is
                // only legal until fold_constants runs, which removes such nodes.
                if !node.outputs.iter().all(|&o| g.tensors[o].data.is_some()) {
                    return Err(format!(
                        "node '{}' has a mix of constant and runtime outputs",
                        node.name
                    ));
                }
            }
            produced[t] = true;
            available[t] = true;
        }
    }
    for &t in &g.outputs {
        if t >= n || !available[t] {
            return Err(format!("graph output id {t} is never produced"));
        }
    }
    Ok(())
}
