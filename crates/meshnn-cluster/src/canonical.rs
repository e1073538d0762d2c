//! Canonical forms: a node order computed from the graph's structure alone (the invariant
//! that results do not depend on how the nodes are numbered rests on it: every algorithm
//! runs on the graph in this order) and labels numbered by first appearance.

use std::cmp::Ordering;

use crate::WeightedGraph;

/// Rounds of colour refinement at most.
const REFINEMENT_ROUNDS: usize = 8;

/// A node order computed from the graph's structure alone (weighted colour refinement,
/// Weisfeiler–Lehman style): nodes are ranked by (degree, self-loop), then repeatedly by
/// their rank and the sorted multiset of (neighbour rank, weight). Nodes still tied are
/// structurally alike and keep their input order. Returns `order[p]` = node at place `p`.
pub fn canonical_order(g: &WeightedGraph) -> Vec<usize> {
    let n = g.len();
    let (mut color, mut ncolors) = initial_colors(g);
    for _round in 0..REFINEMENT_ROUNDS {
        let (new_color, new_count) = refined_colors(g, &color);
        color = new_color;
        if new_count == ncolors {
            break;
        }
        ncolors = new_count;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| color[b].cmp(&color[a]).then(a.cmp(&b)));
    order
}

/// Colours ranking the nodes by (degree, self-loop weight), and how many there are.
fn initial_colors(g: &WeightedGraph) -> (Vec<usize>, usize) {
    let n = g.len();
    let mut nodes: Vec<usize> = (0..n).collect();
    nodes.sort_by(|&a, &b| {
        g.degree(a)
            .total_cmp(&g.degree(b))
            .then(g.self_weight(a).total_cmp(&g.self_weight(b)))
    });
    let mut color = vec![0usize; n];
    let mut ncolors = 0;
    for (idx, &v) in nodes.iter().enumerate() {
        if idx > 0 {
            let u = nodes[idx - 1];
            if g.degree(u) != g.degree(v) || g.self_weight(u) != g.self_weight(v) {
                ncolors += 1;
            }
        }
        color[v] = ncolors;
    }
    (color, ncolors + 1)
}

/// One refinement round: nodes ranked by (colour, sorted (neighbour colour, weight)
/// multiset); returns the new colours and how many there are.
fn refined_colors(g: &WeightedGraph, color: &[usize]) -> (Vec<usize>, usize) {
    let n = g.len();
    let sigs: Vec<Vec<(usize, f64)>> = (0..n)
        .map(|i| {
            let mut s: Vec<(usize, f64)> =
                g.neighbors(i).iter().map(|&(j, w)| (color[j], w)).collect();
            s.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            s
        })
        .collect();
    let cmp_sig = |a: usize, b: usize| -> Ordering {
        color[a].cmp(&color[b]).then_with(|| {
            let (sa, sb) = (&sigs[a], &sigs[b]);
            for (x, y) in sa.iter().zip(sb) {
                let o = x.0.cmp(&y.0).then(x.1.total_cmp(&y.1));
                if o != Ordering::Equal {
                    return o;
                }
            }
            sa.len().cmp(&sb.len())
        })
    };
    let mut nodes: Vec<usize> = (0..n).collect();
    nodes.sort_by(|&a, &b| cmp_sig(a, b));
    let mut new_color = vec![0usize; n];
    let mut c = 0;
    for idx in 0..n {
        if idx > 0 && cmp_sig(nodes[idx - 1], nodes[idx]) != Ordering::Equal {
            c += 1;
        }
        new_color[nodes[idx]] = c;
    }
    let new_count = if n == 0 { 0 } else { c + 1 };
    (new_color, new_count)
}

/// Renumbers labels `0..c` in order of first appearance and returns `c`.
pub fn renumber(labels: &mut [usize]) -> usize {
    let mut sorted: Vec<usize> = labels.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut new_of = vec![usize::MAX; sorted.len()];
    let mut next = 0;
    for l in labels.iter_mut() {
        let idx = sorted.binary_search(l).unwrap_or(0);
        if new_of[idx] == usize::MAX {
            new_of[idx] = next;
            next += 1;
        }
        *l = new_of[idx];
    }
    next
}

/// Number of distinct labels.
pub(crate) fn count_labels(labels: &[usize]) -> usize {
    let mut sorted = labels.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.len()
}
