//! Topological order with low peak live activation bytes.
//!
//! Candidate orders are generated (the model's own order, a greedy order that prefers the
//! ready node with the smallest net allocation, and a depth-first order that finishes one
//! branch before starting the next) and the one whose memory plan is smallest wins (ties:
//! smaller lower bound, then the earlier candidate), so the result is deterministic.

use super::memory;
use crate::ir::{Graph, NodeId, TensorId};

/// Return `g`'s nodes reordered for low memory; also the plan for that order.
pub fn order(g: &Graph) -> (Vec<NodeId>, memory::Plan) {
    let all: Vec<NodeId> = (0..g.nodes.len()).collect();
    order_subset(g, &all, &g.inputs, &g.outputs)
}

/// Order the nodes `subset` (given in a valid topological order) for low memory, with
/// `inputs` present from the start and `outputs` kept to the end (see `memory::plan`).
pub fn order_subset(
    g: &Graph,
    subset: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
) -> (Vec<NodeId>, memory::Plan) {
    let candidates = [
        subset.to_vec(),
        greedy_order(g, subset),
        depth_first_order(g, subset, outputs),
    ];
    let mut best: Option<(Vec<NodeId>, memory::Plan)> = None;
    for c in candidates {
        let plan = memory::plan(g, &c, inputs, outputs);
        let better = match &best {
            None => true,
            Some((_, b)) => {
                (plan.arena_bytes, plan.lower_bound_bytes) < (b.arena_bytes, b.lower_bound_bytes)
            }
        };
        if better {
            best = Some((c, plan));
        }
    }
    best.unwrap_or_else(|| (Vec::new(), memory::plan(g, &[], inputs, outputs)))
}

/// For every node, the nodes of `subset` it depends on (producers elsewhere are ignored:
/// their tensors arrive as inputs).
fn deps(g: &Graph, subset: &[NodeId]) -> Vec<Vec<NodeId>> {
    let producers = g.producers();
    let mut inside = vec![false; g.nodes.len()];
    for &i in subset {
        inside[i] = true;
    }
    g.nodes
        .iter()
        .map(|n| {
            let mut d: Vec<NodeId> = n
                .inputs
                .iter()
                .filter_map(|&t| producers[t])
                .filter(|&p| inside[p])
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        })
        .collect()
}

/// Greedy list scheduling: among ready nodes pick the one that allocates the fewest
/// bytes net of what it frees.
fn greedy_order(g: &Graph, subset: &[NodeId]) -> Vec<NodeId> {
    let deps = deps(g, subset);
    let consumers = g.consumers();
    let n = g.nodes.len();
    let mut done = vec![true; n];
    for &i in subset {
        done[i] = false;
    }
    let mut remaining_uses: Vec<usize> = consumers.iter().map(|c| c.len()).collect();
    let mut order = Vec::with_capacity(subset.len());
    for _ in 0..subset.len() {
        let mut pick: Option<(i64, NodeId)> = None;
        for &i in subset {
            if done[i] || !deps[i].iter().all(|&d| done[d]) {
                continue;
            }
            let node = &g.nodes[i];
            let alloc: i64 = node
                .outputs
                .iter()
                .map(|&t| g.tensors[t].size_bytes() as i64)
                .sum();
            let freed: i64 = node
                .inputs
                .iter()
                .filter(|&&t| !g.tensors[t].is_const() && remaining_uses[t] == 1)
                .filter(|&&t| !g.outputs.contains(&t))
                .map(|&t| g.tensors[t].size_bytes() as i64)
                .sum();
            let score = alloc - freed;
            if pick.is_none_or(|(s, _)| score < s) {
                pick = Some((score, i));
            }
        }
        let Some((_, i)) = pick else { break };
        done[i] = true;
        for &t in &g.nodes[i].inputs {
            remaining_uses[t] = remaining_uses[t].saturating_sub(1);
        }
        order.push(i);
    }
    order
}

/// Depth-first from the graph outputs: each node is emitted right after everything it
/// needs, visiting inputs in order, so one branch completes before the next starts.
fn depth_first_order(g: &Graph, subset: &[NodeId], outputs: &[TensorId]) -> Vec<NodeId> {
    let deps = deps(g, subset);
    let producers = g.producers();
    let n = g.nodes.len();
    let mut state = vec![2u8; n]; // 0 new, 1 on stack, 2 done (or not in the subset)
    for &i in subset {
        state[i] = 0;
    }
    let mut order = Vec::with_capacity(subset.len());
    let mut roots: Vec<NodeId> = outputs.iter().filter_map(|&t| producers[t]).collect();
    roots.extend(subset.iter().rev()); // the rest (e.g. nodes whose outputs are sent), latest first
    for root in roots {
        // Iterative post-order DFS (no recursion: graphs can be deep).
        let mut stack = vec![(root, 0usize)];
        while let Some((v, k)) = stack.pop() {
            if state[v] == 2 {
                continue;
            }
            state[v] = 1;
            if k < deps[v].len() {
                stack.push((v, k + 1));
                let d = deps[v][k];
                if state[d] == 0 {
                    stack.push((d, 0));
                }
            } else {
                state[v] = 2;
                order.push(v);
            }
        }
    }
    order
}
