//! Fiduccia–Mattheyses-style refinement: repeatedly move the boundary node whose move to
//! another device gives the best placement (fits budgets, then balance, then fewest cut
//! bytes), locking each moved node for the rest of the pass, even through uphill moves,
//! and keep the best placement seen; then whole-device moves (all of one device's nodes
//! onto another) while one improves. Pinned nodes never move.

use super::model::{Eval, Problem};

const MAX_PASSES: usize = 6;
const MAX_MOVES_PER_PASS: usize = 48;

/// Nodes with a neighbour on another device, or reading a graph input their device does
/// not sense.
fn boundary(p: &Problem, assign: &[usize]) -> Vec<usize> {
    let g = p.g;
    let mut out = Vec::new();
    for (i, node) in g.nodes.iter().enumerate() {
        let d = assign[i];
        let mut b = false;
        for &t in &node.inputs {
            match p.producer[t] {
                Some(pr) => b |= assign[pr] != d,
                None => b |= !g.tensors[t].is_const() && !p.sensed_by[t].contains(&d),
            }
        }
        for &t in &node.outputs {
            b |= p.consumers[t].iter().any(|&c| assign[c] != d);
            b |= p.is_output[t] && d != p.dep.hub;
        }
        if b {
            out.push(i);
        }
    }
    out
}

/// Refine `assign`; returns the best placement found and its evaluation.
pub fn refine(p: &Problem, assign: Vec<usize>, pinned: &[bool]) -> (Vec<usize>, Eval) {
    let nd = p.devices();
    let mut best = assign;
    let mut best_eval = p.eval(&best);
    if nd < 2 {
        return (best, best_eval);
    }
    for _ in 0..MAX_PASSES {
        let mut cur = best.clone();
        let mut cur_eval = best_eval.clone();
        let mut locked = pinned.to_vec();
        let mut improved = false;
        for _ in 0..MAX_MOVES_PER_PASS {
            let mut choice: Option<(usize, usize, Eval)> = None;
            for i in boundary(p, &cur) {
                if locked[i] {
                    continue;
                }
                let from = cur[i];
                for d in 0..nd {
                    if d == from {
                        continue;
                    }
                    let e = p.eval_move_to_compare(&mut cur, &cur_eval, i, d);
                    if choice.as_ref().is_none_or(|(_, _, c)| e.better_than(c)) {
                        choice = Some((i, d, e));
                    }
                }
            }
            let Some((i, d, _)) = choice else { break };
            let e = p.eval_move(&mut cur, &cur_eval, i, d);
            cur[i] = d;
            locked[i] = true;
            if e.better_than(&best_eval) {
                best = cur.clone();
                best_eval = e.clone();
                improved = true;
            }
            cur_eval = e;
        }
        if !improved {
            break;
        }
    }
    merge_devices(p, best, best_eval, pinned)
}

/// Whole-device moves, which one-node moves cannot reach: every unpinned node of one
/// device onto another, the best such move while one gives a better placement. A NoNN
/// student moved one node at a time onto the hub cuts a large activation at every step,
/// but moved whole it saves its feature vector's bytes and cannot be lost (the hub's own
/// copy): with int8 features (a quarter of the float bytes) the classifier's community
/// no longer pulls a student onto the hub, and only this move puts one there.
fn merge_devices(
    p: &Problem,
    mut assign: Vec<usize>,
    mut eval: Eval,
    pinned: &[bool],
) -> (Vec<usize>, Eval) {
    let nd = p.devices();
    loop {
        let mut best: Option<(Vec<usize>, Eval)> = None;
        for from in 0..nd {
            let nodes: Vec<usize> = (0..assign.len())
                .filter(|&i| assign[i] == from && !pinned[i])
                .collect();
            if nodes.is_empty() {
                continue;
            }
            for to in (0..nd).filter(|&d| d != from) {
                let mut a = assign.clone();
                for &i in &nodes {
                    a[i] = to;
                }
                let e = p.eval(&a);
                if e.better_than(best.as_ref().map_or(&eval, |b| &b.1)) {
                    best = Some((a, e));
                }
            }
        }
        match best {
            Some((a, e)) => (assign, eval) = (a, e),
            None => return (assign, eval),
        }
    }
}
