//! Remove nodes none of whose outputs is used by another node or the graph outputs.

use super::PassError;
use crate::ir::Graph;

pub fn run(g: &mut Graph) -> Result<(), PassError> {
    loop {
        let consumers = g.consumers();
        let before = g.nodes.len();
        let outputs = g.outputs.clone();
        g.nodes.retain(|n| {
            n.outputs
                .iter()
                .any(|&t| !consumers[t].is_empty() || outputs.contains(&t))
        });
        if g.nodes.len() == before {
            break;
        }
    }
    g.compact_tensors();
    Ok(())
}
