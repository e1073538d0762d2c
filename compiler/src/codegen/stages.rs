//! Splitting a device's schedule into stages: a new stage starts before the first node
//! that reads a tensor received from another device, so `poll()` can run every stage whose
//! inputs are present and return "waiting" at the first one whose are not.

use crate::ir::{Graph, NodeId, TensorId};

/// One stage: the received tensors (indices into the device's rx list) it waits for
/// first, then its nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub waits: Vec<usize>,
    pub nodes: Vec<NodeId>,
}

/// Stages of `order` given the device's received tensors `rx`. Received tensors no node
/// reads (e.g. delivered graph outputs) are waited for in the last stage. There is always
/// at least one stage.
pub fn split(g: &Graph, order: &[NodeId], rx: &[TensorId]) -> Vec<Stage> {
    let mut stages = Vec::new();
    let mut current = Stage {
        waits: vec![],
        nodes: vec![],
    };
    let mut waited = vec![false; rx.len()];
    for &i in order {
        let mut needs: Vec<usize> = g.nodes[i]
            .inputs
            .iter()
            .filter_map(|&t| rx.iter().position(|&r| r == t))
            .filter(|&k| !waited[k])
            .collect();
        needs.sort_unstable();
        needs.dedup();
        if !needs.is_empty() {
            if !current.nodes.is_empty() || !current.waits.is_empty() {
                stages.push(std::mem::replace(
                    &mut current,
                    Stage {
                        waits: vec![],
                        nodes: vec![],
                    },
                ));
            }
            for k in needs {
                waited[k] = true;
                current.waits.push(k);
            }
        }
        current.nodes.push(i);
    }
    for (k, w) in waited.iter().enumerate() {
        if !w {
            current.waits.push(k);
        }
    }
    stages.push(current);
    stages
}
