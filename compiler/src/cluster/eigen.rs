//! Newman's leading-eigenvector method: recursive bisection by the leading eigenvector of
//! the generalised modularity matrix, plain (split by sign) or balanced (split at size
//! quantiles, then Kernighan–Lin) (reference: M. E. J. Newman, "Modularity and community
//! structure in networks", PNAS 103 (2006) 8577–8582, eqs. 4–6).
//!
//! For a group `g` the generalised modularity matrix is
//! `B^(g)_ij = A_ij − k_i k_j / 2m − δ_ij Σ_{l∈g} (A_il − k_i k_l / 2m)`; it is never
//! stored: a product `B^(g) x` costs one pass over the group's edges (a dense copy of the
//! group's block of `A` when it is dense). Its leading eigenvector comes from power
//! iteration on `B^(g) + c I`, with `c` the smaller of a Gershgorin bound and 1.05× a
//! power-iteration estimate of the spectral radius, so the dominant eigenvalue of the
//! shifted matrix is the leading (most positive) one of `B^(g)`. The start vector is a
//! fixed-seed pseudo-random vector (the all-ones vector is an eigenvector of `B` with
//! eigenvalue 0). Every sign split is fine-tuned by Newman's vertex moving
//! ([`refine::move_pair`]).

use super::modularity::{split_gain, LEFT, OUTSIDE, RIGHT};
use super::refine;
use super::WeightedGraph;

/// Power iteration stops when successive unit vectors differ by less than this (2-norm).
const POWER_TOLERANCE: f64 = 1e-10;
/// Upper bound on power-iteration steps per eigenvector.
const POWER_MAX_ITERATIONS: usize = 20_000;
/// Unshifted power steps at most when estimating the spectral radius.
const RADIUS_ITERATIONS: usize = 200;
/// Power iteration also stops when `‖(B + cI) x‖` changed by less than this (relative)
/// over the last [`STAGNATION_WINDOW`] steps.
const STAGNATION_TOLERANCE: f64 = 1e-7;
const STAGNATION_WINDOW: usize = 20;
/// Groups up to this size with at least a quarter of all pairs linked use a dense copy.
const DENSE_MAX_NODES: usize = 4096;
/// A group is indivisible when its leading eigenvalue is at most this times the shift.
const EIGENVALUE_TOLERANCE: f64 = 1e-9;
/// A split must raise Q by more than this to be taken when the number of parts is free.
const GAIN_TOLERANCE: f64 = 1e-12;

/// Leading eigenpair of `B^(g)`; `vector[p]` belongs to node `group[p]`.
pub struct Eigenpair {
    pub value: f64,
    pub vector: Vec<f64>,
    /// The shift `c` used; eigenvalues are compared against it.
    pub shift: f64,
}

/// Leading eigenpair of the generalised modularity matrix of `group`.
pub fn leading_eigenvector(g: &WeightedGraph, group: &[usize]) -> Eigenpair {
    let ng = group.len();
    let two_m = g.two_m();
    if ng == 0 || two_m <= 0.0 {
        return Eigenpair {
            value: 0.0,
            vector: vec![0.0; ng],
            shift: 0.0,
        };
    }
    let mut pos = vec![usize::MAX; g.len()];
    for (p, &i) in group.iter().enumerate() {
        pos[i] = p;
    }
    let k: Vec<f64> = group.iter().map(|&i| g.degree(i)).collect();
    let k_group: f64 = k.iter().sum();
    // a_in[p] = Σ_{l∈g} A_il (diagonal included); d[p] = Σ_{l∈g} B_il.
    let a_in: Vec<f64> = group
        .iter()
        .map(|&i| {
            g.self_weight(i)
                + g.neighbors(i)
                    .iter()
                    .filter(|&&(j, _)| pos[j] != usize::MAX)
                    .map(|&(_, w)| w)
                    .sum::<f64>()
        })
        .collect();
    let d: Vec<f64> = (0..ng).map(|p| a_in[p] - k[p] * k_group / two_m).collect();
    let shift = (0..ng)
        .map(|p| a_in[p] + k[p] * k_group / two_m + d[p].abs())
        .fold(0.0, f64::max);
    if shift <= 0.0 {
        return Eigenpair {
            value: 0.0,
            vector: vec![0.0; ng],
            shift: 0.0,
        };
    }
    // Groups with many internal edges use a dense copy of A restricted to the group:
    // the same products, in the same order, without index look-ups.
    let internal: usize = group
        .iter()
        .map(|&i| {
            g.neighbors(i)
                .iter()
                .filter(|&&(j, _)| pos[j] != usize::MAX)
                .count()
        })
        .sum();
    let dense: Option<Vec<f64>> = (ng <= DENSE_MAX_NODES && 4 * internal >= ng * ng).then(|| {
        let mut a = vec![0.0; ng * ng];
        for (p, &i) in group.iter().enumerate() {
            a[p * ng + p] = g.self_weight(i);
            for &(j, w) in g.neighbors(i) {
                if pos[j] != usize::MAX {
                    a[p * ng + pos[j]] = w;
                }
            }
        }
        a
    });
    let multiply = |x: &[f64], y: &mut [f64]| {
        let kx: f64 = k.iter().zip(x).map(|(a, b)| a * b).sum();
        for p in 0..ng {
            let s = match &dense {
                Some(a) => dot(&a[p * ng..(p + 1) * ng], x),
                None => {
                    let i = group[p];
                    let mut s = g.self_weight(i) * x[p];
                    for &(j, w) in g.neighbors(i) {
                        let q = pos[j];
                        if q != usize::MAX {
                            s += w * x[q];
                        }
                    }
                    s
                }
            };
            y[p] = s - k[p] * kx / two_m - d[p] * x[p];
        }
    };
    // Tighten the shift: a few unshifted power steps estimate the spectral radius ρ from
    // below (‖B x‖ ≤ ρ for unit x); c = 1.05 ρ̂ keeps any negative eigenvalue of the
    // shifted matrix tiny next to the leading one, so the iteration converges as well
    // as with a safe bound but far faster than with Gershgorin's on dense graphs.
    let mut x = start_vector(ng);
    let mut y = vec![0.0; ng];
    let mut rho: f64 = 0.0;
    for _ in 0..RADIUS_ITERATIONS {
        multiply(&x, &mut y);
        let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= 0.0 {
            break;
        }
        let done = (norm - rho).abs() <= 1e-3 * norm;
        rho = rho.max(norm);
        y.iter_mut().for_each(|v| *v /= norm);
        std::mem::swap(&mut x, &mut y);
        if done {
            break;
        }
    }
    let shift = shift.min(1.05 * rho).max(f64::MIN_POSITIVE);
    // Power iteration on B + cI. It stops when the vector settles or, when the leading
    // eigenvalues are (nearly) degenerate and the vector only drifts inside their
    // subspace, when ‖(B + cI) x‖ has stopped growing: any vector of that subspace
    // gives an equally good split.
    let mut x = start_vector(ng);
    let mut history = [0.0f64; STAGNATION_WINDOW];
    for iter in 0..POWER_MAX_ITERATIONS {
        multiply(&x, &mut y);
        for p in 0..ng {
            y[p] += shift * x[p];
        }
        let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= 0.0 {
            break;
        }
        let mut diff = 0.0;
        for p in 0..ng {
            y[p] /= norm;
            diff += (y[p] - x[p]) * (y[p] - x[p]);
        }
        std::mem::swap(&mut x, &mut y);
        let slot = iter % STAGNATION_WINDOW;
        let stalled = iter >= STAGNATION_WINDOW
            && (norm - history[slot]).abs() <= STAGNATION_TOLERANCE * norm;
        history[slot] = norm;
        if diff.sqrt() < POWER_TOLERANCE || stalled {
            break;
        }
    }
    multiply(&x, &mut y);
    let value = x.iter().zip(&y).map(|(a, b)| a * b).sum();
    Eigenpair {
        value,
        vector: x,
        shift,
    }
}

/// Dot product with four independent partial sums (a fixed order, so deterministic).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        for l in 0..4 {
            acc[l] += a[4 * c + l] * b[4 * c + l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// A fixed-seed pseudo-random unit vector with positive entries in [1, 2).
fn start_vector(n: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut x: Vec<f64> = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            1.0 + (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    x.iter_mut().for_each(|v| *v /= norm);
    x
}

/// A candidate bisection of one group.
pub struct Bisection {
    pub left: Vec<usize>,
    pub right: Vec<usize>,
    /// Modularity gain of the split.
    pub gain: f64,
    /// Whether Newman's criteria accept it: positive leading eigenvalue, both sides
    /// non-empty and a positive gain.
    pub beneficial: bool,
}

/// Bisection of `group` by the sign of the leading eigenvector, fine-tuned by
/// [`refine::move_pair`] (Newman 2006's vertex moving).
pub fn sign_bisection(g: &WeightedGraph, group: &[usize]) -> Bisection {
    let eig = leading_eigenvector(g, group);
    let (mut left, mut right) = split_by_sign(group, &eig.vector);
    if !left.is_empty() && !right.is_empty() {
        // Newman's fine-tuning by single-vertex moves.
        let mut labels = vec![usize::MAX; g.len()];
        left.iter().for_each(|&i| labels[i] = 0);
        right.iter().for_each(|&i| labels[i] = 1);
        refine::move_pair(g, &mut labels, 0, 1);
        left = group.iter().copied().filter(|&i| labels[i] == 0).collect();
        right = group.iter().copied().filter(|&i| labels[i] == 1).collect();
    }
    let gain = gain_of(g, group, &left, &right);
    let beneficial = eig.value > EIGENVALUE_TOLERANCE * eig.shift
        && !left.is_empty()
        && !right.is_empty()
        && gain > GAIN_TOLERANCE;
    Bisection {
        left,
        right,
        gain,
        beneficial,
    }
}

fn split_by_sign(group: &[usize], x: &[f64]) -> (Vec<usize>, Vec<usize>) {
    let mut left = Vec::new();
    let mut right = Vec::new();
    for (p, &i) in group.iter().enumerate() {
        if x[p] > 0.0 {
            left.push(i);
        } else {
            right.push(i);
        }
    }
    (left, right)
}

fn gain_of(g: &WeightedGraph, group: &[usize], left: &[usize], right: &[usize]) -> f64 {
    let mut side = vec![OUTSIDE; g.len()];
    left.iter().for_each(|&i| side[i] = LEFT);
    right.iter().for_each(|&i| side[i] = RIGHT);
    split_gain(g, group, &side)
}

/// Splits `group` (at least two nodes) in two whether or not that raises Q: by the sign
/// of the leading eigenvector when both sides are non-empty, else at its median.
pub fn forced_bisection(g: &WeightedGraph, group: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let eig = leading_eigenvector(g, group);
    let (left, right) = split_by_sign(group, &eig.vector);
    if !left.is_empty() && !right.is_empty() {
        return (left, right);
    }
    let ranked = rank_by_vector(group, &eig.vector);
    let half = group.len() / 2;
    (ranked[half..].to_vec(), ranked[..half].to_vec())
}

/// Group nodes sorted by ascending eigenvector entry (ties by node).
fn rank_by_vector(group: &[usize], x: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..group.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(group[a].cmp(&group[b])));
    idx.into_iter().map(|p| group[p]).collect()
}

/// Plain leading-eigenvector partition. With `k = None` every group is split while the
/// split is beneficial (the natural number of communities); with `k = Some(k)` the group
/// whose split gains most is split until there are `k` groups, and when no split gains,
/// the largest group is split anyway. Returns one label per node.
pub fn eigen_partition(g: &WeightedGraph, k: Option<usize>) -> Vec<usize> {
    let n = g.len();
    if n == 0 {
        return Vec::new();
    }
    let all: Vec<usize> = (0..n).collect();
    let groups = match k {
        None => {
            let mut done = Vec::new();
            let mut stack = vec![all];
            while let Some(group) = stack.pop() {
                let b = sign_bisection(g, &group);
                if b.beneficial {
                    stack.push(b.right);
                    stack.push(b.left);
                } else {
                    done.push(group);
                }
            }
            done
        }
        Some(k) => {
            let mut groups = vec![all];
            let mut cands = vec![sign_bisection(g, &groups[0])];
            while groups.len() < k {
                let best = (0..groups.len()).filter(|&i| cands[i].beneficial).fold(
                    None,
                    |acc: Option<usize>, i| match acc {
                        Some(a) if cands[a].gain >= cands[i].gain => Some(a),
                        _ => Some(i),
                    },
                );
                let (left, right) = match best {
                    Some(i) => {
                        let c = &cands[i];
                        let pair = (c.left.clone(), c.right.clone());
                        groups.swap_remove(i);
                        cands.swap_remove(i);
                        pair
                    }
                    None => {
                        let Some(i) = largest(&groups) else { break };
                        let group = groups.swap_remove(i);
                        cands.swap_remove(i);
                        forced_bisection(g, &group)
                    }
                };
                cands.push(sign_bisection(g, &left));
                groups.push(left);
                cands.push(sign_bisection(g, &right));
                groups.push(right);
            }
            groups
        }
    };
    labels_of(n, &groups)
}

/// Index of the largest group with at least two nodes (first on ties).
pub(crate) fn largest(groups: &[Vec<usize>]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, grp) in groups.iter().enumerate() {
        if grp.len() >= 2 && best.is_none_or(|b| grp.len() > groups[b].len()) {
            best = Some(i);
        }
    }
    best
}

fn labels_of(n: usize, groups: &[Vec<usize>]) -> Vec<usize> {
    let mut labels = vec![0; n];
    for (c, grp) in groups.iter().enumerate() {
        for &i in grp {
            labels[i] = c;
        }
    }
    labels
}

/// Part sizes as equal as possible: `n mod k` parts of `⌈n/k⌉`, the rest of `⌊n/k⌋`.
pub fn target_sizes(n: usize, k: usize) -> Vec<usize> {
    let (q, r) = (n / k, n % k);
    (0..k).map(|i| if i < r { q + 1 } else { q }).collect()
}

/// Balanced leading-eigenvector partition into `k` parts of [`target_sizes`]: each group
/// is split at the size quantile of its eigenvector (the median when both halves hold
/// the same number of parts), then, with `refine`, Kernighan–Lin swaps raise Q between
/// the two halves and finally between every pair of parts, keeping all sizes.
pub fn eigen_balanced(g: &WeightedGraph, k: usize, refine: bool) -> Vec<usize> {
    let n = g.len();
    if n == 0 || k == 0 {
        return vec![0; n];
    }
    let mut labels = vec![0; n];
    let mut next = 1;
    let all: Vec<usize> = (0..n).collect();
    split_balanced(g, &all, &target_sizes(n, k), &mut labels, &mut next, refine);
    if refine {
        refine::kernighan_lin(g, &mut labels);
    }
    labels
}

fn split_balanced(
    g: &WeightedGraph,
    group: &[usize],
    sizes: &[usize],
    labels: &mut [usize],
    next: &mut usize,
    refine: bool,
) {
    if sizes.len() <= 1 {
        return;
    }
    let half = sizes.len() / 2;
    let s_left: usize = sizes[..half].iter().sum();
    let eig = leading_eigenvector(g, group);
    let ranked = rank_by_vector(group, &eig.vector);
    let (mut left, mut right) = (ranked[..s_left].to_vec(), ranked[s_left..].to_vec());
    if 2 * s_left != group.len() {
        let cut = group.len() - s_left;
        let (l2, r2) = (ranked[cut..].to_vec(), ranked[..cut].to_vec());
        if gain_of(g, group, &l2, &r2) > gain_of(g, group, &left, &right) {
            (left, right) = (l2, r2);
        }
    }
    let (label_left, label_right) = (labels[group[0]], *next);
    *next += 1;
    for &i in &right {
        labels[i] = label_right;
    }
    if refine {
        refine::kl_pair(g, labels, label_left, label_right);
        left = group
            .iter()
            .copied()
            .filter(|&i| labels[i] == label_left)
            .collect();
        right = group
            .iter()
            .copied()
            .filter(|&i| labels[i] == label_right)
            .collect();
    }
    split_balanced(g, &left, &sizes[..half], labels, next, refine);
    split_balanced(g, &right, &sizes[half..], labels, next, refine);
}
