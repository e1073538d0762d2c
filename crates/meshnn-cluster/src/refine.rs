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

use crate::modularity::PartWeights;
use crate::WeightedGraph;

/// Passes of [`kl_pair`], [`move_pair`] and [`chain_refine`] at most.
const MAX_PASSES: usize = 50;
/// Rounds over all pairs of parts in [`kernighan_lin`] at most.
const MAX_ROUNDS: usize = 20;
/// Gains at or below this are treated as zero.
const GAIN_EPS: f64 = 1e-12;

/// Kernighan–Lin refinement between parts `a` and `b` of `labels`: swaps pairs of nodes
/// while that raises modularity; part sizes are unchanged. Returns the gain in Q.
pub fn kl_pair(g: &WeightedGraph, labels: &mut [usize], a: usize, b: usize) -> f64 {
    if g.two_m() <= 0.0 || a == b {
        return 0.0;
    }
    let mut parts = TwoParts::new(g, labels, a, b);
    let n_a = parts.members.iter().filter(|&&i| labels[i] == a).count();
    let steps = n_a.min(parts.members.len() - n_a);
    if steps == 0 {
        return 0.0;
    }
    let mut row = vec![0.0; g.len()];
    repeat_passes(|| kl_swap_pass(&mut parts, labels, steps, &mut row))
}

/// One KL pass: up to `steps` swaps, each the best single move then its best partner on
/// the other side; keeps the best prefix of swaps.
fn kl_swap_pass(
    parts: &mut TwoParts,
    labels: &mut [usize],
    steps: usize,
    row: &mut [f64],
) -> BestPrefix {
    parts.start_pass(labels);
    let mut swaps: Vec<(usize, usize)> = Vec::new();
    let mut prefix = BestPrefix::default();
    for _ in 0..steps {
        let Some((u, gu)) = parts.best_move(labels, |_| true) else {
            break;
        };
        let Some((v, gv)) = parts.best_partner(labels, u, row) else {
            break;
        };
        parts.move_and_lock(labels, u);
        parts.move_and_lock(labels, v);
        swaps.push((u, v));
        prefix.add(gu + gv);
        prefix.candidate(swaps.len());
    }
    for &(u, v) in swaps[prefix.len..].iter().rev() {
        labels.swap(u, v);
    }
    prefix
}

/// Newman's fine-tuning of a bisection (PNAS 2006, "vertex moving", a Kernighan–Lin
/// variant without the size constraint): each pass moves every node of parts `a` and `b`
/// once, best gain first and never emptying a part, and keeps the best prefix; passes
/// repeat while Q rises. Returns the gain in Q.
pub fn move_pair(g: &WeightedGraph, labels: &mut [usize], a: usize, b: usize) -> f64 {
    if g.two_m() <= 0.0 || a == b {
        return 0.0;
    }
    let mut parts = TwoParts::new(g, labels, a, b);
    repeat_passes(|| vertex_moving_pass(&mut parts, labels))
}

/// One pass of Newman's vertex moving: every member moves once, best gain first, unless
/// that would empty its part; keeps the best prefix of moves.
fn vertex_moving_pass(parts: &mut TwoParts, labels: &mut [usize]) -> BestPrefix {
    parts.start_pass(labels);
    let (a, b) = (parts.a, parts.b);
    let mut moves: Vec<usize> = Vec::new();
    let mut prefix = BestPrefix::default();
    for _ in 0..parts.members.len() {
        let (n_a, n_b) = (parts.n_a, parts.n_b);
        let keeps_parts = |from_a: bool| !((from_a && n_a == 1) || (!from_a && n_b == 1));
        let Some((i, gi)) = parts.best_move(labels, keeps_parts) else {
            break;
        };
        parts.move_and_lock(labels, i);
        moves.push(i);
        prefix.add(gi);
        prefix.candidate(moves.len());
    }
    for &i in moves[prefix.len..].iter().rev() {
        labels[i] = if labels[i] == a { b } else { a };
    }
    prefix
}

/// Runs `pass` until a pass gains nothing (at most [`MAX_PASSES`] times); returns the
/// total gain in Q.
fn repeat_passes(mut pass: impl FnMut() -> BestPrefix) -> f64 {
    let mut total_gain = 0.0;
    for _pass in 0..MAX_PASSES {
        let prefix = pass();
        if prefix.len == 0 {
            break;
        }
        total_gain += prefix.best;
    }
    total_gain
}

/// The best prefix of a pass's moves: running total gain, the best total at a candidate
/// end, and how many moves that prefix holds.
#[derive(Default)]
struct BestPrefix {
    cum: f64,
    best: f64,
    len: usize,
}

impl BestPrefix {
    fn add(&mut self, gain: f64) {
        self.cum += gain;
    }

    /// The first `len` moves may end the pass: kept when their total gain is the best.
    fn candidate(&mut self, len: usize) {
        if self.cum > self.best + GAIN_EPS {
            self.best = self.cum;
            self.len = len;
        }
    }
}

/// Two parts `a`, `b` of a labelling during a pass: for each member its `link`
/// (`k_{i,other} − k_{i,own}`) and whether it has moved, and each part's degree total
/// and size.
struct TwoParts<'a> {
    g: &'a WeightedGraph,
    a: usize,
    b: usize,
    /// Nodes of parts `a` and `b`, increasing.
    members: Vec<usize>,
    link: Vec<f64>,
    locked: Vec<bool>,
    k_a: f64,
    k_b: f64,
    n_a: usize,
    n_b: usize,
}

impl<'a> TwoParts<'a> {
    fn new(g: &'a WeightedGraph, labels: &[usize], a: usize, b: usize) -> Self {
        let members = (0..g.len())
            .filter(|&i| labels[i] == a || labels[i] == b)
            .collect();
        TwoParts {
            g,
            a,
            b,
            members,
            link: vec![0.0; g.len()],
            locked: vec![false; g.len()],
            k_a: 0.0,
            k_b: 0.0,
            n_a: 0,
            n_b: 0,
        }
    }

    /// Recomputes links, totals and sizes from `labels` and unlocks every member.
    fn start_pass(&mut self, labels: &[usize]) {
        let (a, b) = (self.a, self.b);
        (self.k_a, self.k_b, self.n_a, self.n_b) = (0.0, 0.0, 0, 0);
        for &i in &self.members {
            let own = labels[i];
            let mut l = 0.0;
            for &(j, w) in self.g.neighbors(i) {
                if labels[j] == a || labels[j] == b {
                    l += if labels[j] == own { -w } else { w };
                }
            }
            self.link[i] = l;
            self.locked[i] = false;
            if own == a {
                self.k_a += self.g.degree(i);
                self.n_a += 1;
            } else {
                self.k_b += self.g.degree(i);
                self.n_b += 1;
            }
        }
    }

    /// Modularity gain of moving member `i` to the other part.
    fn gain(&self, labels: &[usize], i: usize) -> f64 {
        let two_m = self.g.two_m();
        let (k_own, k_other) = if labels[i] == self.a {
            (self.k_a, self.k_b)
        } else {
            (self.k_b, self.k_a)
        };
        let ki = self.g.degree(i);
        (self.link[i] - ki * (k_other - k_own + ki) / two_m) / (0.5 * two_m)
    }

    /// The unlocked member whose move gains most (first on ties), among those whose
    /// side passes `allowed(from_a)`.
    fn best_move(&self, labels: &[usize], allowed: impl Fn(bool) -> bool) -> Option<(usize, f64)> {
        let mut pick: Option<(usize, f64)> = None;
        for &i in &self.members {
            if self.locked[i] || !allowed(labels[i] == self.a) {
                continue;
            }
            let gi = self.gain(labels, i);
            if pick.is_none_or(|(_, bg)| gi > bg) {
                pick = Some((i, gi));
            }
        }
        pick
    }

    /// The unlocked member of the other part than `u` whose swap with `u` gains most,
    /// with the gain it adds (`g_v − 2 B_uv / m`). `row` is zero on entry and on return.
    fn best_partner(&self, labels: &[usize], u: usize, row: &mut [f64]) -> Option<(usize, f64)> {
        let (g, two_m) = (self.g, self.g.two_m());
        let m = 0.5 * two_m;
        for &(j, w) in g.neighbors(u) {
            row[j] = w;
        }
        let ku = g.degree(u);
        let mut second: Option<(usize, f64)> = None;
        for &v in &self.members {
            if !self.locked[v] && labels[v] != labels[u] {
                let b_uv = row[v] - ku * g.degree(v) / two_m;
                let gv = self.gain(labels, v) - 2.0 * b_uv / m;
                if second.is_none_or(|(_, bg)| gv > bg) {
                    second = Some((v, gv));
                }
            }
        }
        for &(j, _) in g.neighbors(u) {
            row[j] = 0.0;
        }
        second
    }

    /// Moves `node` to the other part, updates its neighbours' links, the totals and the
    /// sizes, and locks it.
    fn move_and_lock(&mut self, labels: &mut [usize], node: usize) {
        let from = labels[node];
        let to = if from == self.a { self.b } else { self.a };
        for &(j, w) in self.g.neighbors(node) {
            if labels[j] == from {
                self.link[j] += 2.0 * w;
            } else if labels[j] == to {
                self.link[j] -= 2.0 * w;
            }
        }
        self.link[node] = -self.link[node];
        labels[node] = to;
        let kn = self.g.degree(node);
        if to == self.a {
            (self.k_a, self.k_b, self.n_a, self.n_b) =
                (self.k_a + kn, self.k_b - kn, self.n_a + 1, self.n_b - 1);
        } else {
            (self.k_a, self.k_b, self.n_a, self.n_b) =
                (self.k_a - kn, self.k_b + kn, self.n_a - 1, self.n_b + 1);
        }
        self.locked[node] = true;
    }
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
    let mut parts = labels.to_vec();
    parts.sort_unstable();
    parts.dedup();
    let k = parts.len();
    if k < 2 || g.two_m() <= 0.0 {
        return 0.0;
    }
    let mut part: Vec<usize> = labels
        .iter()
        .map(|l| parts.binary_search(l).unwrap_or(0))
        .collect();
    let total_gain = repeat_passes(|| chain_pass(g, &mut part, k));
    for (l, &p) in labels.iter_mut().zip(&part) {
        *l = parts[p];
    }
    total_gain
}

/// One pass of [`chain_refine`] over parts `0..k`; keeps the best prefix that ends at a
/// closed chain.
fn chain_pass(g: &WeightedGraph, part: &mut [usize], k: usize) -> BestPrefix {
    let n = g.len();
    let mut weights = PartWeights::new(g, part, k);
    let mut locked = vec![false; n];
    let mut moves: Vec<(usize, usize)> = Vec::new(); // (node, from)
    let mut prefix = BestPrefix::default();
    let mut chain: Option<(usize, usize)> = None; // (deficit part, surplus part)
    for _ in 0..n {
        let surplus = chain.map(|(_, s)| s);
        let Some((i, to, dq)) = best_chain_move(g, &weights, part, &locked, surplus) else {
            break;
        };
        let from = part[i];
        weights.move_node(g, i, from, to);
        part[i] = to;
        locked[i] = true;
        moves.push((i, from));
        prefix.add(dq);
        chain = match chain {
            None => Some((from, to)),
            Some((d, _)) if to == d => {
                prefix.candidate(moves.len());
                None
            }
            Some((d, _)) => Some((d, to)),
        };
    }
    for &(i, from) in moves[prefix.len..].iter().rev() {
        part[i] = from;
    }
    prefix
}

/// The unlocked move with the largest gain in Q (first on ties); with an open chain,
/// only moves out of its `surplus` part.
fn best_chain_move(
    g: &WeightedGraph,
    weights: &PartWeights,
    part: &[usize],
    locked: &[bool],
    surplus: Option<usize>,
) -> Option<(usize, usize, f64)> {
    let m = 0.5 * g.two_m();
    let mut pick: Option<(usize, usize, f64)> = None;
    for i in 0..g.len() {
        let from = part[i];
        if locked[i] || surplus.is_some_and(|s| from != s) {
            continue;
        }
        for to in (0..weights.k).filter(|&t| t != from) {
            let dq = weights.move_delta(g, i, from, to) / m;
            if pick.is_none_or(|(_, _, bq)| dq > bq) {
                pick = Some((i, to, dq));
            }
        }
    }
    pick
}

/// Moves nodes greedily (the move that loses least modularity first) until the parts
/// `0..k` of `labels` have the sizes of [`target_sizes`], the larger targets going to the
/// parts that are larger now.
pub fn rebalance(g: &WeightedGraph, labels: &mut [usize], k: usize) {
    let n = g.len();
    if k == 0 || n == 0 {
        return;
    }
    let mut size = vec![0usize; k];
    for &l in labels.iter() {
        size[l] += 1;
    }
    let target = size_targets(&size, n);
    let mut weights = PartWeights::new(g, labels, k);
    while let Some((i, to)) = best_rebalancing_move(g, &weights, labels, &size, &target) {
        let from = labels[i];
        weights.move_node(g, i, from, to);
        size[from] -= 1;
        size[to] += 1;
        labels[i] = to;
    }
}

/// The target size of each part: [`target_sizes`] handed out largest first to the parts
/// in decreasing order of `size` (ties by part).
fn size_targets(size: &[usize], n: usize) -> Vec<usize> {
    let k = size.len();
    let mut by_size: Vec<usize> = (0..k).collect();
    by_size.sort_by(|&x, &y| size[y].cmp(&size[x]).then(x.cmp(&y)));
    let sizes = target_sizes(n, k);
    let mut target = vec![0usize; k];
    for (rank, &c) in by_size.iter().enumerate() {
        target[c] = sizes[rank];
    }
    target
}

/// The move from a part over its target to a part under its target that loses least
/// modularity (first on ties), if any part is over its target.
fn best_rebalancing_move(
    g: &WeightedGraph,
    weights: &PartWeights,
    labels: &[usize],
    size: &[usize],
    target: &[usize],
) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize, f64)> = None;
    for (i, &from) in labels.iter().enumerate() {
        if size[from] <= target[from] {
            continue;
        }
        for to in 0..weights.k {
            if size[to] >= target[to] {
                continue;
            }
            let dq = if g.two_m() > 0.0 {
                weights.move_delta(g, i, from, to)
            } else {
                0.0
            };
            if best.is_none_or(|(_, _, bq)| dq > bq) {
                best = Some((i, to, dq));
            }
        }
    }
    best.map(|(i, to, _)| (i, to))
}

/// Part sizes as equal as possible: `n mod k` parts of `⌈n/k⌉`, the rest of `⌊n/k⌋`.
pub fn target_sizes(n: usize, k: usize) -> Vec<usize> {
    let (q, r) = (n / k, n % k);
    (0..k).map(|i| if i < r { q + 1 } else { q }).collect()
}
