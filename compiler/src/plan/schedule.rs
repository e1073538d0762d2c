//! Topological order with low peak live activation bytes.
//!
//! Candidate orders are generated (the model's own order, a greedy order that prefers the
//! ready node with the smallest net allocation, and a depth-first order that finishes one
//! branch before starting the next) and the one whose memory plan is smallest wins (ties:
//! smaller lower bound, then the earlier candidate), so the result is deterministic.

use super::memory;
use crate::ir::{Graph, NodeId, TensorId};
use std::collections::BTreeSet;

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
    // A plan's arena is never below its lower bound, so a candidate whose bound is no
    // better than the best plan so far cannot win: candidates are packed in order of
    // their bounds and such ones skipped (the choice is the same as packing them all,
    // without packing a breadth-first order with thousands of live tensors).
    let mut bounded: Vec<(usize, usize, Vec<NodeId>, Vec<memory::Buffer>)> = candidates
        .into_iter()
        .enumerate()
        .map(|(k, c)| {
            let (buffers, lb) = memory::buffers(g, &c, inputs, outputs);
            (lb, k, c, buffers)
        })
        .collect();
    bounded.sort_by_key(|(lb, k, _, _)| (*lb, *k));
    let mut best: Option<(usize, Vec<NodeId>, memory::Plan)> = None;
    for (lb, k, c, buffers) in bounded {
        if let Some((bk, _, b)) = &best {
            if (lb, lb, k) > (b.arena_bytes, b.lower_bound_bytes, *bk) {
                continue;
            }
        }
        let plan = memory::place(g, buffers, lb);
        let better = best.as_ref().is_none_or(|(bk, _, b)| {
            (plan.arena_bytes, plan.lower_bound_bytes, k)
                < (b.arena_bytes, b.lower_bound_bytes, *bk)
        });
        if better {
            best = Some((k, c, plan));
        }
    }
    best.map(|(_, c, plan)| (c, plan))
        .unwrap_or_else(|| (Vec::new(), memory::plan(g, &[], inputs, outputs)))
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
/// bytes net of what it frees (ties: the earliest in `subset`). The ready nodes sit in
/// an ordered set by (score, position); a score changes only when one of the node's
/// inputs drops to its last reader, and then only that tensor's readers are rescored.
fn greedy_order(g: &Graph, subset: &[NodeId]) -> Vec<NodeId> {
    let deps = deps(g, subset);
    let consumers = g.consumers();
    let n = g.nodes.len();
    let mut pos = vec![usize::MAX; n];
    let mut dependents: Vec<Vec<NodeId>> = vec![Vec::new(); n];
    for (k, &i) in subset.iter().enumerate() {
        pos[i] = k;
        for &d in &deps[i] {
            dependents[d].push(i);
        }
    }
    let is_output = g.output_mask();
    let mut remaining_uses: Vec<usize> = consumers.iter().map(|c| c.len()).collect();
    let score = |i: NodeId, remaining_uses: &[usize]| -> i64 {
        let node = &g.nodes[i];
        let alloc: i64 = node
            .outputs
            .iter()
            .map(|&t| g.tensors[t].size_bytes() as i64)
            .sum();
        let freed: i64 = node
            .inputs
            .iter()
            .filter(|&&t| !g.tensors[t].is_const() && remaining_uses[t] == 1 && !is_output[t])
            .map(|&t| g.tensors[t].size_bytes() as i64)
            .sum();
        alloc - freed
    };
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut score_of: Vec<Option<i64>> = vec![None; n];
    let mut ready: BTreeSet<(i64, usize)> = BTreeSet::new();
    for &i in subset.iter().filter(|&&i| waiting[i] == 0) {
        let s = score(i, &remaining_uses);
        score_of[i] = Some(s);
        ready.insert((s, pos[i]));
    }
    let mut order = Vec::with_capacity(subset.len());
    while let Some((_, k)) = ready.pop_first() {
        let i = subset[k];
        score_of[i] = None;
        order.push(i);
        for &t in &g.nodes[i].inputs {
            let before = remaining_uses[t];
            remaining_uses[t] = before.saturating_sub(1);
            if remaining_uses[t] == before || remaining_uses[t] > 1 {
                continue; // no score reads a count above one
            }
            for &c in &consumers[t] {
                if let Some(old) = score_of[c] {
                    ready.remove(&(old, pos[c]));
                    let s = score(c, &remaining_uses);
                    score_of[c] = Some(s);
                    ready.insert((s, pos[c]));
                }
            }
        }
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                let s = score(j, &remaining_uses);
                score_of[j] = Some(s);
                ready.insert((s, pos[j]));
            }
        }
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
