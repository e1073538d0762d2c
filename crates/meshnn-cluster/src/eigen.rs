//! Newman's leading-eigenvector method: recursive bisection by the leading eigenvector of
//! the generalised modularity matrix, plain (split by sign) or balanced (split at size
//! quantiles, then Kernighan–Lin) (reference: M. E. J. Newman, "Modularity and community
//! structure in networks", PNAS 103 (2006) 8577–8582, eqs. 4–6).
//!
//! The eigenvector comes from [`crate::eigenvector`]. Every sign split is fine-tuned by
//! Newman's vertex moving ([`refine::move_pair`]).

use crate::eigenvector::leading_eigenvector;
use crate::modularity::{split_gain, LEFT, OUTSIDE, RIGHT};
use crate::refine;
use crate::WeightedGraph;

/// A group is indivisible when its leading eigenvalue is at most this times the shift.
const EIGENVALUE_TOLERANCE: f64 = 1e-9;
/// A split must raise Q by more than this to be taken when the number of parts is free.
const GAIN_TOLERANCE: f64 = 1e-12;

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

/// Balanced leading-eigenvector partition into `k` parts of [`refine::target_sizes`]: each group
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
    split_balanced(
        g,
        &all,
        &refine::target_sizes(n, k),
        &mut labels,
        &mut next,
        refine,
    );
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
