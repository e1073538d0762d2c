//! Remove nodes none of whose outputs is used by another node or the graph outputs.

use super::PassError;
use crate::ir::Graph;

/// One sweep from the last node back (nodes are topologically ordered, so every reader of
/// a node's outputs has been decided before the node is): a node stays when one of its
/// outputs is a graph output or an input of a node that stays. The result is the same as
/// removing unread nodes until none is left, in linear time.
pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut needed = vec![false; g.tensors.len()];
    for &t in &g.outputs {
        needed[t] = true;
    }
    let mut keep = vec![false; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate().rev() {
        if n.outputs.iter().any(|&t| needed[t]) {
            keep[i] = true;
            for &t in &n.inputs {
                needed[t] = true;
            }
        }
    }
    let mut kept = keep.iter();
    g.nodes.retain(|_| kept.next().copied().unwrap_or(true));
    g.compact_tensors();
    Ok(())
}
