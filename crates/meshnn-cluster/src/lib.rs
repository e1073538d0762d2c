//! meshnn-cluster: community detection on weighted undirected graphs by Newman
//! modularity (reference: M. E. J. Newman, "Modularity and community structure in
//! networks", PNAS 103 (2006) 8577–8582). A pure library: no IO, no dependency on the rest
//! of meshnn; meshnn's partitioner and the `meshnn cluster` command use it (re-exported as
//! `meshnn::cluster`).
//!
//! Two methods, one entry point ([`cluster`] for a dense symmetric adjacency matrix,
//! [`cluster_graph`] for a petgraph graph, [`cluster_weighted`] for a [`WeightedGraph`]):
//! - [`Method::Eigen`]: recursive bisection by the leading eigenvector of the
//!   (generalised) modularity matrix ([`eigen`], the eigenvector itself in
//!   [`eigenvector`]);
//! - [`Method::Louvain`]: Louvain local moving with Leiden-style refinement ([`louvain`]).
//!
//! With `balanced`, every part gets the same number of nodes (as equal as possible when
//! `k` does not divide `n`), and a Kernighan–Lin pass ([`refine`]) raises modularity
//! while keeping the sizes.
//!
//! Modules, lowest layer first (each uses only those above it): [`graph`] (the input
//! graph and its validation), [`canonical`] (node order), [`modularity`] (Q and split
//! gains), [`refine`] (size-keeping moves), [`eigenvector`], [`eigen`], [`louvain`], and
//! this file (the options and the driver). A new method is a module of its own plus a
//! [`Method`] variant and its arm in [`cluster_weighted`].
//!
//! **Invariant:** results are deterministic and do not depend on how the nodes are
//! numbered (up to genuine symmetries of the graph): the graph is first put into a
//! canonical node order computed from its structure alone ([`canonical_order`]), every
//! algorithm runs on that order, and the labels are mapped back and numbered by first
//! appearance.
//!
//! Conventions: `A` is the symmetric weight matrix, `k_i = Σ_j A_ij` (the diagonal counts
//! once), `2m = Σ_i k_i`, `Q = (1/2m) Σ_ij [A_ij − k_i k_j / 2m] δ(c_i, c_j)`. A graph with
//! no weight at all has `Q = 0`.

pub mod canonical;
pub mod eigen;
pub mod eigenvector;
pub mod graph;
pub mod louvain;
pub mod modularity;
pub mod refine;

use std::fmt;

use petgraph::graph::UnGraph;
use serde::Serialize;

use canonical::count_labels;
pub use canonical::{canonical_order, renumber};
pub use graph::{validate_dense, WeightedGraph, SYMMETRY_TOLERANCE};
pub use modularity::modularity;

/// Which community method to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Newman's leading-eigenvector method with recursive bisection.
    #[default]
    Eigen,
    /// Louvain with Leiden-style refinement.
    Louvain,
}

impl Method {
    /// The lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Eigen => "eigen",
            Method::Louvain => "louvain",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClusterOptions {
    /// Number of parts; `None` lets the method choose (the natural number of communities).
    pub k: Option<usize>,
    /// The community method.
    pub method: Method,
    /// Give every part the same number of nodes (sizes differ by at most one).
    /// With `k = None` the natural number of communities of `method` is balanced.
    pub balanced: bool,
}

/// A partition of the nodes and its modularity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clustering {
    /// Community of each node, in `0..k`, numbered in order of first appearance.
    pub labels: Vec<usize>,
    /// Newman modularity Q of `labels`.
    pub modularity: f64,
}

impl Clustering {
    /// Number of communities.
    pub fn k(&self) -> usize {
        self.labels.iter().map(|&c| c + 1).max().unwrap_or(0)
    }

    /// Members of each community, in increasing node order.
    pub fn communities(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.k()];
        for (i, &c) in self.labels.iter().enumerate() {
            out[c].push(i);
        }
        out
    }
}

/// Why a graph or a request cannot be clustered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    #[error("adjacency matrix is empty (n = 0); pass a graph with at least one node")]
    Empty,
    #[error("adjacency matrix is not square: {len} entries given but n = {n} needs n*n = {expected}; pass a row-major n×n matrix")]
    NotSquare {
        len: usize,
        n: usize,
        expected: usize,
    },
    #[error("adjacency matrix is not symmetric at row {row}, col {col}: A[{row}][{col}] = {a_ij} but A[{col}][{row}] = {a_ji}; symmetrise it (e.g. (A + Aᵀ)/2)")]
    Asymmetric {
        row: usize,
        col: usize,
        a_ij: f64,
        a_ji: f64,
    },
    #[error("invalid edge weight {value} at row {row}, col {col}: weights must be finite and non-negative")]
    InvalidWeight { row: usize, col: usize, value: f64 },
    #[error("edge ({row}, {col}) names a node outside 0..{n}")]
    NodeOutOfRange { row: usize, col: usize, n: usize },
    #[error("invalid number of parts k = {k} for a graph of {n} nodes; choose 1 <= k <= {n}")]
    InvalidK { k: usize, n: usize },
    #[error("partition has {got} labels but the graph has {n} nodes; give one label per node")]
    LabelCount { got: usize, n: usize },
}

/// Clusters a dense row-major `n × n` symmetric adjacency matrix.
pub fn cluster(adj: &[f64], n: usize, opts: &ClusterOptions) -> Result<Clustering, ClusterError> {
    check_k(opts.k, n)?;
    let g = WeightedGraph::from_dense(adj, n)?;
    cluster_weighted(&g, opts)
}

/// Clusters a petgraph undirected graph with `f64` edge weights; labels are indexed by
/// `NodeIndex::index()`.
pub fn cluster_graph<N>(
    g: &UnGraph<N, f64>,
    opts: &ClusterOptions,
) -> Result<Clustering, ClusterError> {
    let g = WeightedGraph::from_petgraph(g)?;
    cluster_weighted(&g, opts)
}

/// Clusters a [`WeightedGraph`]: the one driver behind [`cluster`] and [`cluster_graph`].
pub fn cluster_weighted(
    g: &WeightedGraph,
    opts: &ClusterOptions,
) -> Result<Clustering, ClusterError> {
    let n = g.len();
    if n == 0 {
        return Err(ClusterError::Empty);
    }
    check_k(opts.k, n)?;
    let order = canonical_order(g);
    let pg = g.permuted(&order);
    let plabels = match (opts.method, opts.balanced) {
        (Method::Eigen, false) => eigen::eigen_partition(&pg, opts.k),
        (Method::Eigen, true) => eigen_balanced(&pg, opts.k),
        (Method::Louvain, false) => louvain::louvain_k(&pg, opts.k),
        (Method::Louvain, true) => louvain_balanced(&pg, opts.k),
    };
    let labels = labels_in_input_order(&order, &plabels);
    let modularity = modularity::modularity_unchecked(g, &labels);
    Ok(Clustering { labels, modularity })
}

/// Balanced leading-eigenvector partition into `k` parts, or with `k = None` into the
/// natural number of communities of the plain method.
fn eigen_balanced(g: &WeightedGraph, k: Option<usize>) -> Vec<usize> {
    let k = match k {
        Some(k) => k,
        None => count_labels(&eigen::eigen_partition(g, None)),
    };
    eigen::eigen_balanced(g, k, true)
}

/// Louvain communities brought to equal sizes, then refined by Kernighan–Lin.
fn louvain_balanced(g: &WeightedGraph, k: Option<usize>) -> Vec<usize> {
    let mut labels = louvain::louvain_k(g, k);
    let k = count_labels(&labels);
    refine::rebalance(g, &mut labels, k);
    refine::kernighan_lin(g, &mut labels);
    labels
}

/// Maps labels of the canonically ordered graph (`plabels[p]` for node `order[p]`) back
/// to the input numbering, renumbered by first appearance.
fn labels_in_input_order(order: &[usize], plabels: &[usize]) -> Vec<usize> {
    let mut labels = vec![0; order.len()];
    for (p, &i) in order.iter().enumerate() {
        labels[i] = plabels[p];
    }
    renumber(&mut labels);
    labels
}

fn check_k(k: Option<usize>, n: usize) -> Result<(), ClusterError> {
    match k {
        Some(k) if k == 0 || k > n => Err(ClusterError::InvalidK { k, n }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
