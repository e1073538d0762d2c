//! Newman modularity Q of a partition of a weighted graph (reference: M. E. J. Newman,
//! "Modularity and community structure in networks", PNAS 103 (2006), eq. 2 with weights).
//!
//! `Q = Σ_c [ in_c / 2m − (K_c / 2m)² ]` where `in_c = Σ_{i,j∈c} A_ij` (ordered pairs,
//! diagonal once) and `K_c = Σ_{i∈c} k_i`. A graph without weight has `Q = 0`.

use crate::canonical::renumber;
use crate::{ClusterError, WeightedGraph};

/// Modularity of `labels` (any label values; one per node) on `g`.
pub fn modularity(g: &WeightedGraph, labels: &[usize]) -> Result<f64, ClusterError> {
    if labels.len() != g.len() {
        return Err(ClusterError::LabelCount {
            got: labels.len(),
            n: g.len(),
        });
    }
    Ok(modularity_unchecked(g, labels))
}

/// Modularity of a partition of a dense row-major `n × n` adjacency matrix.
pub fn modularity_dense(adj: &[f64], n: usize, labels: &[usize]) -> Result<f64, ClusterError> {
    let g = WeightedGraph::from_dense(adj, n)?;
    modularity(&g, labels)
}

/// Modularity of a partition of a petgraph undirected graph (labels indexed by
/// `NodeIndex::index()`).
pub fn modularity_graph<N>(
    g: &petgraph::graph::UnGraph<N, f64>,
    labels: &[usize],
) -> Result<f64, ClusterError> {
    modularity(&WeightedGraph::from_petgraph(g)?, labels)
}

/// [`modularity`] for callers that already know `labels.len() == g.len()`.
pub(crate) fn modularity_unchecked(g: &WeightedGraph, labels: &[usize]) -> f64 {
    let two_m = g.two_m();
    if two_m <= 0.0 {
        return 0.0;
    }
    let mut compact = labels.to_vec();
    let c = renumber(&mut compact);
    let mut inside = vec![0.0; c];
    let mut total = vec![0.0; c];
    for i in 0..g.len() {
        let ci = compact[i];
        total[ci] += g.degree(i);
        inside[ci] += g.self_weight(i);
        for &(j, w) in g.neighbors(i) {
            if compact[j] == ci {
                inside[ci] += w;
            }
        }
    }
    inside
        .iter()
        .zip(&total)
        .map(|(&a, &k)| a / two_m - (k / two_m) * (k / two_m))
        .sum()
}

/// Which side of a bisection a node is on (see [`split_gain`]).
pub(crate) const OUTSIDE: u8 = 0;
pub(crate) const LEFT: u8 = 1;
pub(crate) const RIGHT: u8 = 2;

/// Modularity change from splitting the community `group` into its [`LEFT`] and
/// [`RIGHT`] nodes (per `side`, indexed by node; nodes outside the group are
/// [`OUTSIDE`]): `ΔQ = (K_L K_R / 2m − cut(L, R)) / m`.
pub(crate) fn split_gain(g: &WeightedGraph, group: &[usize], side: &[u8]) -> f64 {
    let two_m = g.two_m();
    if two_m <= 0.0 {
        return 0.0;
    }
    let (mut kl, mut kr, mut cut) = (0.0, 0.0, 0.0);
    for &i in group {
        match side[i] {
            LEFT => {
                kl += g.degree(i);
                for &(j, w) in g.neighbors(i) {
                    if side[j] == RIGHT {
                        cut += w;
                    }
                }
            }
            RIGHT => kr += g.degree(i),
            _ => {}
        }
    }
    (kl * kr / two_m - cut) / (0.5 * two_m)
}

/// Weights between every node and every part `0..k` of a labelling, and each part's
/// degree total.
pub(crate) struct PartWeights {
    pub(crate) k: usize,
    /// `to_part[i * k + c] = Σ_{j∈c, j≠i} A_ij`.
    to_part: Vec<f64>,
    /// `total[c] = Σ_{i∈c} k_i`.
    total: Vec<f64>,
}

impl PartWeights {
    pub(crate) fn new(g: &WeightedGraph, part: &[usize], k: usize) -> Self {
        let n = g.len();
        let mut to_part = vec![0.0; n * k];
        let mut total = vec![0.0; k];
        for i in 0..n {
            total[part[i]] += g.degree(i);
            for &(j, w) in g.neighbors(i) {
                to_part[i * k + part[j]] += w;
            }
        }
        PartWeights { k, to_part, total }
    }

    /// `m` times the modularity change of moving node `i` from part `from` to `to`
    /// (requires `2m > 0`).
    pub(crate) fn move_delta(&self, g: &WeightedGraph, i: usize, from: usize, to: usize) -> f64 {
        let k = self.k;
        let ki = g.degree(i);
        (self.to_part[i * k + to] - self.to_part[i * k + from])
            - ki * (self.total[to] - self.total[from] + ki) / g.two_m()
    }

    /// Records node `i` moving from part `from` to `to`.
    pub(crate) fn move_node(&mut self, g: &WeightedGraph, i: usize, from: usize, to: usize) {
        let k = self.k;
        for &(j, w) in g.neighbors(i) {
            self.to_part[j * k + from] -= w;
            self.to_part[j * k + to] += w;
        }
        self.total[from] -= g.degree(i);
        self.total[to] += g.degree(i);
    }
}
