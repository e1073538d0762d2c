//! Louvain modularity optimisation with Leiden-style refinement, so that communities stay
//! connected, plus greedy merging / eigenvector splitting to an exact number of parts
//! (references: V. D. Blondel et al., "Fast unfolding of communities in large networks",
//! J. Stat. Mech. (2008) P10008; V. A. Traag, L. Waltman, N. J. van Eck, "From Louvain to
//! Leiden: guaranteeing well-connected communities", Sci. Rep. 9 (2019) 5233).
//!
//! Each level: (1) local moving — nodes are visited in index order, sweep after sweep,
//! and each moves to the neighbouring (or an empty) community with the largest strictly
//! positive modularity gain; (2) refinement — inside every community, singleton nodes
//! that are well connected to it merge, greedily and deterministically (Leiden's θ → 0),
//! into well-connected subcommunities they link to, never lowering Q; (3) aggregation by
//! the refined partition, starting the next level from the unrefined one. It stops when
//! local moving leaves every aggregate node alone. Finally one more local-moving pass runs
//! over the original nodes, and any community that is still disconnected is split into its connected components (which always raises Q).

use crate::canonical::renumber;
use crate::eigen;
use crate::WeightedGraph;

/// Aggregation levels at most.
const MAX_LEVELS: usize = 64;
/// Local-moving sweeps per level at most.
const MAX_SWEEPS: usize = 1_000;
/// A move must gain more than this times 2m (in weight units) to be taken.
const RELATIVE_EPS: f64 = 1e-13;

/// One level of the aggregated graph (same conventions as [`WeightedGraph`]).
struct Level {
    adj: Vec<Vec<(usize, f64)>>,
    self_w: Vec<f64>,
    k: Vec<f64>,
}

impl Level {
    fn of(g: &WeightedGraph) -> Self {
        Level {
            adj: (0..g.len()).map(|i| g.neighbors(i).to_vec()).collect(),
            self_w: (0..g.len()).map(|i| g.self_weight(i)).collect(),
            k: (0..g.len()).map(|i| g.degree(i)).collect(),
        }
    }

    fn len(&self) -> usize {
        self.adj.len()
    }
}

/// Louvain/Leiden communities of `g`, then exactly `k` of them when asked: the pair of
/// communities whose merge raises Q most (loses least) is merged while there are too
/// many, the largest community is bisected by its leading eigenvector while too few.
pub fn louvain_k(g: &WeightedGraph, k: Option<usize>) -> Vec<usize> {
    let mut labels = louvain(g);
    if let Some(k) = k {
        merge_to_k(g, &mut labels, k);
        split_to_k(g, &mut labels, k);
    }
    labels
}

/// Louvain with Leiden refinement; one label per node, communities connected.
pub fn louvain(g: &WeightedGraph) -> Vec<usize> {
    let n = g.len();
    let two_m = g.two_m();
    if n == 0 || two_m <= 0.0 {
        return (0..n).collect();
    }
    let mut level = Level::of(g);
    let mut node_of: Vec<usize> = (0..n).collect();
    let mut part: Vec<usize> = (0..n).collect();
    for _ in 0..MAX_LEVELS {
        local_moving(&level, &mut part, two_m);
        let communities = renumber(&mut part);
        if communities == level.len() {
            break;
        }
        let mut refined = refine_partition(&level, &part, two_m);
        let subcommunities = renumber(&mut refined);
        if subcommunities == level.len() {
            break;
        }
        let next = aggregate(&level, &refined, subcommunities);
        let mut next_part = vec![0; subcommunities];
        for v in 0..level.len() {
            next_part[refined[v]] = part[v];
        }
        for x in node_of.iter_mut() {
            *x = refined[*x];
        }
        level = next;
        part = next_part;
    }
    // A last local-moving pass over the original nodes: aggregate levels never move a
    // single node again, and this can only raise Q.
    let mut labels: Vec<usize> = node_of.iter().map(|&v| part[v]).collect();
    local_moving(&Level::of(g), &mut labels, two_m);
    split_disconnected(g, &labels)
}

/// Local moving phase: returns whether any node moved.
fn local_moving(level: &Level, part: &mut [usize], two_m: f64) -> bool {
    let n = level.len();
    let eps = RELATIVE_EPS * two_m;
    let mut total = vec![0.0; n];
    let mut size = vec![0usize; n];
    for i in 0..n {
        total[part[i]] += level.k[i];
        size[part[i]] += 1;
    }
    let mut empty: Vec<usize> = (0..n).rev().filter(|&c| size[c] == 0).collect();
    let mut w_to = vec![0.0; n];
    let mut seen = vec![false; n];
    let mut touched: Vec<usize> = Vec::new();
    let mut moved_any = false;
    for _ in 0..MAX_SWEEPS {
        let mut moved = false;
        for i in 0..n {
            let ci = part[i];
            let ki = level.k[i];
            for &(j, w) in &level.adj[i] {
                let c = part[j];
                if !seen[c] {
                    seen[c] = true;
                    touched.push(c);
                }
                w_to[c] += w;
            }
            total[ci] -= ki;
            size[ci] -= 1;
            let mut best = ci;
            let mut best_value = w_to[ci] - ki * total[ci] / two_m;
            for &c in &touched {
                if c != ci {
                    let value = w_to[c] - ki * total[c] / two_m;
                    if value > best_value + eps {
                        best = c;
                        best_value = value;
                    }
                }
            }
            if best == ci && size[ci] > 0 && 0.0 > best_value + eps {
                if let Some(c) = empty.pop() {
                    best = c;
                }
            }
            total[best] += ki;
            size[best] += 1;
            if best != ci {
                part[i] = best;
                moved = true;
                if size[ci] == 0 {
                    empty.push(ci);
                }
            }
            for &c in &touched {
                w_to[c] = 0.0;
                seen[c] = false;
            }
            touched.clear();
        }
        if !moved {
            break;
        }
        moved_any = true;
    }
    moved_any
}

/// Leiden refinement: subcommunities of every community of `part`, each connected.
fn refine_partition(level: &Level, part: &[usize], two_m: f64) -> Vec<usize> {
    let n = level.len();
    let eps = RELATIVE_EPS * two_m;
    let mut comm_total = vec![0.0; n];
    for i in 0..n {
        comm_total[part[i]] += level.k[i];
    }
    let mut refined: Vec<usize> = (0..n).collect();
    let mut sub_total = level.k.clone();
    let mut sub_size = vec![1usize; n];
    // Weight from each subcommunity to the rest of its community.
    let mut sub_ext: Vec<f64> = (0..n)
        .map(|i| {
            level.adj[i]
                .iter()
                .filter(|&&(j, _)| part[j] == part[i])
                .map(|&(_, w)| w)
                .sum()
        })
        .collect();
    let mut w_to = vec![0.0; n];
    let mut seen = vec![false; n];
    let mut touched: Vec<usize> = Vec::new();
    for v in 0..n {
        if sub_size[refined[v]] != 1 {
            continue;
        }
        let c = part[v];
        let kv = level.k[v];
        let kc = comm_total[c];
        if sub_ext[v] < kv * (kc - kv) / two_m - eps {
            continue;
        }
        for &(u, w) in &level.adj[v] {
            if part[u] == c {
                let s = refined[u];
                if !seen[s] {
                    seen[s] = true;
                    touched.push(s);
                }
                w_to[s] += w;
            }
        }
        let mut best: Option<(usize, f64)> = None;
        for &s in &touched {
            if s == refined[v] {
                continue;
            }
            let ks = sub_total[s];
            if sub_ext[s] < ks * (kc - ks) / two_m - eps {
                continue;
            }
            let value = w_to[s] - kv * ks / two_m;
            if value >= 0.0 && best.is_none_or(|(_, bv)| value > bv + eps) {
                best = Some((s, value));
            }
        }
        if let Some((s, _)) = best {
            let own = refined[v];
            refined[v] = s;
            sub_total[s] += kv;
            sub_size[s] += 1;
            sub_size[own] = 0;
            sub_ext[s] = sub_ext[s] + sub_ext[own] - 2.0 * w_to[s];
        }
        for &s in &touched {
            w_to[s] = 0.0;
            seen[s] = false;
        }
        touched.clear();
    }
    refined
}

/// The graph of `groups` subcommunities: `A_ST = Σ_{i∈S, j∈T} A_ij`.
fn aggregate(level: &Level, group_of: &[usize], groups: usize) -> Level {
    let mut self_w = vec![0.0; groups];
    let mut k = vec![0.0; groups];
    let mut triples: Vec<(usize, usize, f64)> = Vec::new();
    for i in 0..level.len() {
        let a = group_of[i];
        self_w[a] += level.self_w[i];
        k[a] += level.k[i];
        for &(j, w) in &level.adj[i] {
            let b = group_of[j];
            if a == b {
                self_w[a] += w;
            } else {
                triples.push((a, b, w));
            }
        }
    }
    triples.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); groups];
    for (a, b, w) in triples {
        match adj[a].last_mut() {
            Some(last) if last.0 == b => last.1 += w,
            _ => adj[a].push((b, w)),
        }
    }
    Level { adj, self_w, k }
}

/// Relabels so that every label is one connected component of its community.
pub fn split_disconnected(g: &WeightedGraph, labels: &[usize]) -> Vec<usize> {
    let n = g.len();
    let mut comp = vec![usize::MAX; n];
    let mut next = 0;
    let mut stack = Vec::new();
    for s in 0..n {
        if comp[s] != usize::MAX {
            continue;
        }
        comp[s] = next;
        stack.push(s);
        while let Some(i) = stack.pop() {
            for &(j, _) in g.neighbors(i) {
                if comp[j] == usize::MAX && labels[j] == labels[s] {
                    comp[j] = next;
                    stack.push(j);
                }
            }
        }
        next += 1;
    }
    comp
}

/// Merges communities greedily, the pair with the largest
/// `ΔQ = (A_ab − K_a K_b / 2m) / m` first (ties: smallest pair), until `k` remain.
pub fn merge_to_k(g: &WeightedGraph, labels: &mut [usize], k: usize) {
    let c = renumber(labels);
    if c <= k {
        return;
    }
    let two_m = g.two_m();
    let mut total = vec![0.0; c];
    let mut links: Vec<std::collections::BTreeMap<usize, f64>> = vec![Default::default(); c];
    for i in 0..g.len() {
        total[labels[i]] += g.degree(i);
        for &(j, w) in g.neighbors(i) {
            let (a, b) = (labels[i], labels[j]);
            if a != b {
                *links[a].entry(b).or_insert(0.0) += w;
            }
        }
    }
    let gain = |a_ab: f64, ka: f64, kb: f64| {
        if two_m > 0.0 {
            a_ab - ka * kb / two_m
        } else {
            0.0
        }
    };
    let mut alive: Vec<bool> = vec![true; c];
    let mut merged_into: Vec<usize> = (0..c).collect();
    for _ in k..c {
        let mut best: Option<(usize, usize, f64)> = None;
        let mut consider = |a: usize, b: usize, value: f64| {
            let (a, b) = (a.min(b), a.max(b));
            let better = match best {
                None => true,
                Some((ba, bb, bv)) => value > bv || (value == bv && (a, b) < (ba, bb)),
            };
            if better {
                best = Some((a, b, value));
            }
        };
        for a in (0..c).filter(|&a| alive[a]) {
            for (&b, &w) in &links[a] {
                if b > a {
                    consider(a, b, gain(w, total[a], total[b]));
                }
            }
        }
        // The best pair without a link joins the two smallest totals.
        let mut smallest: Vec<usize> = (0..c).filter(|&a| alive[a]).collect();
        smallest.sort_by(|&x, &y| total[x].total_cmp(&total[y]).then(x.cmp(&y)));
        if smallest.len() >= 2 {
            let (a, b) = (smallest[0], smallest[1]);
            let w = links[a].get(&b).copied().unwrap_or(0.0);
            consider(a, b, gain(w, total[a], total[b]));
        }
        let Some((a, b, _)) = best else { break };
        let from_b = std::mem::take(&mut links[b]);
        for (t, w) in from_b {
            if t == a {
                continue;
            }
            *links[a].entry(t).or_insert(0.0) += w;
            links[t].remove(&b);
            *links[t].entry(a).or_insert(0.0) += w;
        }
        links[a].remove(&b);
        total[a] += total[b];
        alive[b] = false;
        merged_into[b] = a;
    }
    for l in labels.iter_mut() {
        let mut r = *l;
        while merged_into[r] != r {
            r = merged_into[r];
        }
        *l = r;
    }
    renumber(labels);
}

/// Bisects the largest community (leading eigenvector, forced) until `k` exist.
pub fn split_to_k(g: &WeightedGraph, labels: &mut [usize], k: usize) {
    let c = renumber(labels);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); c];
    for (i, &l) in labels.iter().enumerate() {
        groups[l].push(i);
    }
    while groups.len() < k {
        let Some(i) = eigen::largest(&groups) else {
            break;
        };
        let (left, right) = eigen::forced_bisection(g, &groups[i]);
        groups[i] = left;
        groups.push(right);
    }
    for (c, grp) in groups.iter().enumerate() {
        for &i in grp {
            labels[i] = c;
        }
    }
}
