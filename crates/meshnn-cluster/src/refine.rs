//! Size-preserving modularity refinement: Kernighan–Lin pair swaps between two parts and
//! a greedy rebalancing to equal sizes (reference: B. W. Kernighan and S. Lin, "An
//! efficient heuristic procedure for partitioning graphs", Bell Syst. Tech. J. 49 (1970);
//! the modularity gains follow Newman, PNAS 103 (2006) 8577).
//!
//! Moving node `i` from part X to part Y changes Q by
//! `g_i = [(k_{i,Y} − k_{i,X∖i}) − k_i (K_Y − K_X + k_i) / 2m] / m`, and swapping `a ∈ X`
//! with `b ∈ Y` by `g_a + g_b − 2 B_ab / m` with `B_ab = A_ab − k_a k_b / 2m`. One KL pass
//! locks nodes as it swaps them (the best single move on either side, then its best
//! partner on the other), and keeps the prefix of swaps with the largest total gain;
//! passes repeat while that gain is positive, so Q never decreases.

use crate::WeightedGraph;

/// Passes of [`kl_pair`] at most.
const MAX_PASSES: usize = 50;
/// Rounds over all pairs of parts in [`kernighan_lin`] at most.
const MAX_ROUNDS: usize = 20;
/// Gains at or below this are treated as zero.
const GAIN_EPS: f64 = 1e-12;

/// Kernighan–Lin refinement between parts `a` and `b` of `labels`: swaps pairs of nodes
/// while that raises modularity; part sizes are unchanged. Returns the gain in Q.
pub fn kl_pair(g: &WeightedGraph, labels: &mut [usize], a: usize, b: usize) -> f64 {
    let two_m = g.two_m();
    if two_m <= 0.0 || a == b {
        return 0.0;
    }
    let m = 0.5 * two_m;
    let members: Vec<usize> = (0..g.len())
        .filter(|&i| labels[i] == a || labels[i] == b)
        .collect();
    let n_a = members.iter().filter(|&&i| labels[i] == a).count();
    let steps = n_a.min(members.len() - n_a);
    if steps == 0 {
        return 0.0;
    }
    let mut total_gain = 0.0;
    let mut link = vec![0.0; g.len()]; // k_{i,other} − k_{i,own}
    let mut locked = vec![false; g.len()];
    let mut row = vec![0.0; g.len()];
    for _pass in 0..MAX_PASSES {
        let (mut k_a, mut k_b) = (0.0, 0.0);
        for &i in &members {
            let own = labels[i];
            let other = if own == a { b } else { a };
            let mut l = 0.0;
            for &(j, w) in g.neighbors(i) {
                if labels[j] == other {
                    l += w;
                } else if labels[j] == own {
                    l -= w;
                }
            }
            link[i] = l;
            locked[i] = false;
            if own == a {
                k_a += g.degree(i);
            } else {
                k_b += g.degree(i);
            }
        }
        let gain = |i: usize, labels: &[usize], link: &[f64], k_a: f64, k_b: f64| {
            let (k_own, k_other) = if labels[i] == a {
                (k_a, k_b)
            } else {
                (k_b, k_a)
            };
            let ki = g.degree(i);
            (link[i] - ki * (k_other - k_own + ki) / two_m) / m
        };
        let mut swaps: Vec<(usize, usize)> = Vec::new();
        let (mut cum, mut best, mut best_len) = (0.0, 0.0, 0);
        for _ in 0..steps {
            // Best single move on either side.
            let mut first: Option<(usize, f64)> = None;
            for &i in &members {
                if !locked[i] {
                    let gi = gain(i, labels, &link, k_a, k_b);
                    if first.is_none_or(|(_, bg)| gi > bg) {
                        first = Some((i, gi));
                    }
                }
            }
            let Some((u, gu)) = first else { break };
            for &(j, w) in g.neighbors(u) {
                row[j] = w;
            }
            let ku = g.degree(u);
            let mut second: Option<(usize, f64)> = None;
            for &v in &members {
                if !locked[v] && labels[v] != labels[u] {
                    let b_uv = row[v] - ku * g.degree(v) / two_m;
                    let gv = gain(v, labels, &link, k_a, k_b) - 2.0 * b_uv / m;
                    if second.is_none_or(|(_, bg)| gv > bg) {
                        second = Some((v, gv));
                    }
                }
            }
            for &(j, _) in g.neighbors(u) {
                row[j] = 0.0;
            }
            let Some((v, gv)) = second else { break };
            for node in [u, v] {
                move_node(g, labels, &mut link, node, a, b);
                let kn = g.degree(node);
                if labels[node] == a {
                    k_a += kn;
                    k_b -= kn;
                } else {
                    k_b += kn;
                    k_a -= kn;
                }
                locked[node] = true;
            }
            swaps.push((u, v));
            cum += gu + gv;
            if cum > best + GAIN_EPS {
                best = cum;
                best_len = swaps.len();
            }
        }
        for &(u, v) in swaps[best_len..].iter().rev() {
            labels.swap(u, v);
        }
        if best_len == 0 {
            break;
        }
        total_gain += best;
    }
    total_gain
}

/// Newman's fine-tuning of a bisection (PNAS 2006, "vertex moving", a Kernighan–Lin
/// variant without the size constraint): each pass moves every node of parts `a` and `b`
/// once, best gain first and never emptying a part, and keeps the best prefix; passes
/// repeat while Q rises. Returns the gain in Q.
pub fn move_pair(g: &WeightedGraph, labels: &mut [usize], a: usize, b: usize) -> f64 {
    let two_m = g.two_m();
    if two_m <= 0.0 || a == b {
        return 0.0;
    }
    let m = 0.5 * two_m;
    let members: Vec<usize> = (0..g.len())
        .filter(|&i| labels[i] == a || labels[i] == b)
        .collect();
    let mut link = vec![0.0; g.len()];
    let mut locked = vec![false; g.len()];
    let mut total_gain = 0.0;
    for _pass in 0..MAX_PASSES {
        let (mut k_a, mut k_b) = (0.0, 0.0);
        let (mut n_a, mut n_b) = (0usize, 0usize);
        for &i in &members {
            let own = labels[i];
            let mut l = 0.0;
            for &(j, w) in g.neighbors(i) {
                if labels[j] == a || labels[j] == b {
                    l += if labels[j] == own { -w } else { w };
                }
            }
            link[i] = l;
            locked[i] = false;
            if own == a {
                k_a += g.degree(i);
                n_a += 1;
            } else {
                k_b += g.degree(i);
                n_b += 1;
            }
        }
        let mut moves: Vec<usize> = Vec::new();
        let (mut cum, mut best, mut best_len) = (0.0, 0.0, 0);
        for _ in 0..members.len() {
            let mut pick: Option<(usize, f64)> = None;
            for &i in &members {
                let from_a = labels[i] == a;
                if locked[i] || (from_a && n_a == 1) || (!from_a && n_b == 1) {
                    continue;
                }
                let (k_own, k_other) = if from_a { (k_a, k_b) } else { (k_b, k_a) };
                let ki = g.degree(i);
                let gi = (link[i] - ki * (k_other - k_own + ki) / two_m) / m;
                if pick.is_none_or(|(_, bg)| gi > bg) {
                    pick = Some((i, gi));
                }
            }
            let Some((i, gi)) = pick else { break };
            let ki = g.degree(i);
            if labels[i] == a {
                (k_a, k_b, n_a, n_b) = (k_a - ki, k_b + ki, n_a - 1, n_b + 1);
            } else {
                (k_a, k_b, n_a, n_b) = (k_a + ki, k_b - ki, n_a + 1, n_b - 1);
            }
            move_node(g, labels, &mut link, i, a, b);
            locked[i] = true;
            moves.push(i);
            cum += gi;
            if cum > best + GAIN_EPS {
                best = cum;
                best_len = moves.len();
            }
        }
        for &i in moves[best_len..].iter().rev() {
            labels[i] = if labels[i] == a { b } else { a };
        }
        if best_len == 0 {
            break;
        }
        total_gain += best;
    }
    total_gain
}

/// Moves `node` to the other one of parts `a`, `b` and updates its neighbours' `link`.
fn move_node(
    g: &WeightedGraph,
    labels: &mut [usize],
    link: &mut [f64],
    node: usize,
    a: usize,
    b: usize,
) {
    let from = labels[node];
    let to = if from == a { b } else { a };
    for &(j, w) in g.neighbors(node) {
        if labels[j] == from {
            link[j] += 2.0 * w;
        } else if labels[j] == to {
            link[j] -= 2.0 * w;
        }
    }
    link[node] = -link[node];
    labels[node] = to;
}

/// Kernighan–Lin refinement over every pair of parts, then [`chain_refine`], repeated
/// while Q rises. Part sizes are unchanged and Q never decreases. Returns the gain in Q.
pub fn kernighan_lin(g: &WeightedGraph, labels: &mut [usize]) -> f64 {
    let mut parts = labels.to_vec();
    parts.sort_unstable();
    parts.dedup();
    let mut total = 0.0;
    for _round in 0..MAX_ROUNDS {
        let mut round_gain = 0.0;
        for (x, &a) in parts.iter().enumerate() {
            for &b in &parts[x + 1..] {
                round_gain += kl_pair(g, labels, a, b);
            }
        }
        round_gain += chain_refine(g, labels);
        total += round_gain;
        if round_gain <= GAIN_EPS {
            break;
        }
    }
    total
}

/// k-way Fiduccia–Mattheyses-style refinement with exact balance: a pass makes a
/// sequence of single-node moves, each the best one available with nodes locked once
/// moved; after a move from part `d` to `s` the next move must leave `s`, and the chain
/// closes (sizes restored) when a move enters `d`. The pass keeps the prefix that ends at
/// a closed chain with the largest total gain. This undoes cyclic misplacements among
/// three or more parts that pair swaps cannot. Returns the gain in Q (never negative).
pub fn chain_refine(g: &WeightedGraph, labels: &mut [usize]) -> f64 {
    let n = g.len();
    let two_m = g.two_m();
    let mut parts = labels.to_vec();
    parts.sort_unstable();
    parts.dedup();
    let k = parts.len();
    if k < 2 || two_m <= 0.0 {
        return 0.0;
    }
    let m = 0.5 * two_m;
    let mut part: Vec<usize> = labels
        .iter()
        .map(|l| parts.binary_search(l).unwrap_or(0))
        .collect();
    let mut total_gain = 0.0;
    for _pass in 0..MAX_PASSES {
        let mut to_part = vec![0.0; n * k];
        let mut total = vec![0.0; k];
        for i in 0..n {
            total[part[i]] += g.degree(i);
            for &(j, w) in g.neighbors(i) {
                to_part[i * k + part[j]] += w;
            }
        }
        let mut locked = vec![false; n];
        let mut moves: Vec<(usize, usize)> = Vec::new(); // (node, from)
        let (mut cum, mut best, mut best_len) = (0.0, 0.0, 0);
        let mut chain: Option<(usize, usize)> = None; // (deficit part, surplus part)
        for _ in 0..n {
            let mut pick: Option<(usize, usize, f64)> = None;
            for i in 0..n {
                let from = part[i];
                if locked[i] || chain.is_some_and(|(_, s)| from != s) {
                    continue;
                }
                let ki = g.degree(i);
                for to in (0..k).filter(|&t| t != from) {
                    let dq = ((to_part[i * k + to] - to_part[i * k + from])
                        - ki * (total[to] - total[from] + ki) / two_m)
                        / m;
                    if pick.is_none_or(|(_, _, bq)| dq > bq) {
                        pick = Some((i, to, dq));
                    }
                }
            }
            let Some((i, to, dq)) = pick else { break };
            let from = part[i];
            for &(j, w) in g.neighbors(i) {
                to_part[j * k + from] -= w;
                to_part[j * k + to] += w;
            }
            total[from] -= g.degree(i);
            total[to] += g.degree(i);
            part[i] = to;
            locked[i] = true;
            moves.push((i, from));
            cum += dq;
            chain = match chain {
                None => Some((from, to)),
                Some((d, _)) if to == d => {
                    if cum > best + GAIN_EPS {
                        best = cum;
                        best_len = moves.len();
                    }
                    None
                }
                Some((d, _)) => Some((d, to)),
            };
        }
        for &(i, from) in moves[best_len..].iter().rev() {
            part[i] = from;
        }
        if best_len == 0 {
            break;
        }
        total_gain += best;
    }
    for (l, &p) in labels.iter_mut().zip(&part) {
        *l = parts[p];
    }
    total_gain
}

/// Moves nodes greedily (the move that loses least modularity first) until the parts
/// `0..k` of `labels` have the sizes of [`target_sizes`], the larger
/// targets going to the parts that are larger now.
pub fn rebalance(g: &WeightedGraph, labels: &mut [usize], k: usize) {
    let n = g.len();
    if k == 0 || n == 0 {
        return;
    }
    let two_m = g.two_m();
    let mut size = vec![0usize; k];
    let mut total = vec![0.0; k];
    for i in 0..n {
        size[labels[i]] += 1;
        total[labels[i]] += g.degree(i);
    }
    let mut by_size: Vec<usize> = (0..k).collect();
    by_size.sort_by(|&x, &y| size[y].cmp(&size[x]).then(x.cmp(&y)));
    let sizes = target_sizes(n, k);
    let mut target = vec![0usize; k];
    for (rank, &c) in by_size.iter().enumerate() {
        target[c] = sizes[rank];
    }
    // to_part[i * k + c] = Σ_{j∈c, j≠i} A_ij
    let mut to_part = vec![0.0; n * k];
    for i in 0..n {
        for &(j, w) in g.neighbors(i) {
            to_part[i * k + labels[j]] += w;
        }
    }
    loop {
        let mut best: Option<(usize, usize, f64)> = None;
        for i in 0..n {
            let from = labels[i];
            if size[from] <= target[from] {
                continue;
            }
            let ki = g.degree(i);
            for to in 0..k {
                if size[to] >= target[to] {
                    continue;
                }
                let dq = if two_m > 0.0 {
                    (to_part[i * k + to] - to_part[i * k + from])
                        - ki * (total[to] - total[from] + ki) / two_m
                } else {
                    0.0
                };
                if best.is_none_or(|(_, _, bq)| dq > bq) {
                    best = Some((i, to, dq));
                }
            }
        }
        let Some((i, to, _)) = best else { break };
        let from = labels[i];
        for &(j, w) in g.neighbors(i) {
            to_part[j * k + from] -= w;
            to_part[j * k + to] += w;
        }
        size[from] -= 1;
        size[to] += 1;
        total[from] -= g.degree(i);
        total[to] += g.degree(i);
        labels[i] = to;
    }
}

/// Part sizes as equal as possible: `n mod k` parts of `⌈n/k⌉`, the rest of `⌊n/k⌋`.
pub fn target_sizes(n: usize, k: usize) -> Vec<usize> {
    let (q, r) = (n / k, n % k);
    (0..k).map(|i| if i < r { q + 1 } else { q }).collect()
}
