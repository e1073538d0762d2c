//! Community detection on weighted undirected graphs by Newman modularity: the API,
//! its types and input validation (reference: M. E. J. Newman, "Modularity and community
//! structure in networks", PNAS 103 (2006) 8577–8582; design.md §4).
//!
//! Two methods, one entry point ([`cluster`] for a dense symmetric adjacency matrix,
//! [`cluster_graph`] for a petgraph graph, [`cluster_weighted`] for a [`WeightedGraph`]):
//! - [`Method::Eigen`]: recursive bisection by the leading eigenvector of the
//!   (generalised) modularity matrix ([`eigen`]);
//! - [`Method::Louvain`]: Louvain local moving with Leiden-style refinement ([`louvain`]).
//!
//! With `balanced`, every part gets the same number of nodes (as equal as possible when
//! `k` does not divide `n`), and a Kernighan–Lin pass ([`refine`]) raises modularity
//! while keeping the sizes.
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

pub mod cli;
pub mod eigen;
pub mod louvain;
pub mod modularity;
pub mod refine;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use petgraph::graph::UnGraph;
use petgraph::visit::EdgeRef;
use serde::Serialize;

pub use cli::run_cli;
pub use modularity::modularity;

/// Relative tolerance used to accept a dense adjacency matrix as symmetric.
pub const SYMMETRY_TOLERANCE: f64 = 1e-6;

/// Which community method to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
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

impl FromStr for Method {
    type Err = ClusterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "eigen" => Ok(Method::Eigen),
            "louvain" => Ok(Method::Louvain),
            _ => Err(ClusterError::UnknownMethod(s.to_string())),
        }
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
    #[error("unknown community method '{0}'; supported: eigen, louvain")]
    UnknownMethod(String),
}

/// A weighted undirected graph in adjacency-list form, the one input every algorithm
/// of this module works on. Weights are the entries of the symmetric matrix `A`:
/// `A_ij = A_ji` for an edge, `A_ii` for a self-loop; zero weights are dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedGraph {
    /// Off-diagonal neighbours `(j, A_ij)` of each node, sorted by `j`, weights > 0.
    adj: Vec<Vec<(usize, f64)>>,
    /// Diagonal entries `A_ii`.
    self_w: Vec<f64>,
    /// Weighted degrees `k_i = Σ_j A_ij`.
    degree: Vec<f64>,
    /// `2m = Σ_i k_i`.
    two_m: f64,
}

impl WeightedGraph {
    /// Builds the graph of a dense row-major `n × n` adjacency matrix after validating it
    /// (square, finite non-negative weights, symmetric within [`SYMMETRY_TOLERANCE`]);
    /// the off-diagonal weight used is `(A_ij + A_ji) / 2`.
    pub fn from_dense(adj: &[f64], n: usize) -> Result<Self, ClusterError> {
        validate_dense(adj, n)?;
        let mut lists = vec![Vec::new(); n];
        let mut self_w = vec![0.0; n];
        for i in 0..n {
            self_w[i] = adj[i * n + i];
            for j in 0..n {
                if j != i {
                    let w = 0.5 * (adj[i * n + j] + adj[j * n + i]);
                    if w > 0.0 {
                        lists[i].push((j, w));
                    }
                }
            }
        }
        Ok(Self::from_parts(lists, self_w))
    }

    /// Builds the graph of a petgraph undirected graph with `f64` edge weights. An edge
    /// `{i, j}` of weight `w` sets `A_ij = A_ji = w`, a self-loop sets `A_ii = w`; parallel
    /// edges add up.
    pub fn from_petgraph<N>(g: &UnGraph<N, f64>) -> Result<Self, ClusterError> {
        let edges: Vec<(usize, usize, f64)> = g
            .edge_references()
            .map(|e| (e.source().index(), e.target().index(), *e.weight()))
            .collect();
        Self::from_edges(g.node_count(), &edges)
    }

    /// Builds the graph of an edge list `(i, j, w)` over nodes `0..n`, with the same
    /// conventions as [`WeightedGraph::from_petgraph`].
    pub fn from_edges(n: usize, edges: &[(usize, usize, f64)]) -> Result<Self, ClusterError> {
        let mut lists: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        let mut self_w = vec![0.0; n];
        for &(i, j, w) in edges {
            if i >= n || j >= n {
                return Err(ClusterError::NodeOutOfRange { row: i, col: j, n });
            }
            if !w.is_finite() || w < 0.0 {
                return Err(ClusterError::InvalidWeight {
                    row: i,
                    col: j,
                    value: w,
                });
            }
            if i == j {
                self_w[i] += w;
            } else if w > 0.0 {
                lists[i].push((j, w));
                lists[j].push((i, w));
            }
        }
        for list in &mut lists {
            list.sort_by_key(|e| e.0);
            list.dedup_by(|later, kept| {
                if later.0 == kept.0 {
                    kept.1 += later.1;
                    true
                } else {
                    false
                }
            });
        }
        Ok(Self::from_parts(lists, self_w))
    }

    /// Assembles the graph from sorted adjacency lists; degrees are summed over sorted
    /// weights so that they do not depend on the node numbering.
    fn from_parts(adj: Vec<Vec<(usize, f64)>>, self_w: Vec<f64>) -> Self {
        let degree: Vec<f64> = adj
            .iter()
            .zip(&self_w)
            .map(|(list, &s)| {
                let mut ws: Vec<f64> = list.iter().map(|&(_, w)| w).collect();
                ws.push(s);
                ws.sort_by(f64::total_cmp);
                ws.iter().sum()
            })
            .collect();
        let mut sorted = degree.clone();
        sorted.sort_by(f64::total_cmp);
        let two_m = sorted.iter().sum();
        WeightedGraph {
            adj,
            self_w,
            degree,
            two_m,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.adj.len()
    }

    /// True when the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.adj.is_empty()
    }

    /// Weighted degree `k_i`.
    pub fn degree(&self, i: usize) -> f64 {
        self.degree[i]
    }

    /// Self-loop weight `A_ii`.
    pub fn self_weight(&self, i: usize) -> f64 {
        self.self_w[i]
    }

    /// Off-diagonal neighbours `(j, A_ij)` of node `i`, sorted by `j`.
    pub fn neighbors(&self, i: usize) -> &[(usize, f64)] {
        &self.adj[i]
    }

    /// Total weight `2m = Σ_ij A_ij`.
    pub fn two_m(&self) -> f64 {
        self.two_m
    }

    /// The same graph with node `order[p]` renumbered `p`.
    fn permuted(&self, order: &[usize]) -> Self {
        let mut pos = vec![0; order.len()];
        for (p, &i) in order.iter().enumerate() {
            pos[i] = p;
        }
        let adj = order
            .iter()
            .map(|&i| {
                let mut list: Vec<(usize, f64)> =
                    self.adj[i].iter().map(|&(j, w)| (pos[j], w)).collect();
                list.sort_by_key(|e| e.0);
                list
            })
            .collect();
        let self_w = order.iter().map(|&i| self.self_w[i]).collect();
        Self::from_parts(adj, self_w)
    }
}

/// Checks a dense adjacency matrix; the first problem found is reported with its place.
pub fn validate_dense(adj: &[f64], n: usize) -> Result<(), ClusterError> {
    if n == 0 {
        return Err(ClusterError::Empty);
    }
    let expected = n.saturating_mul(n);
    if adj.len() != expected {
        return Err(ClusterError::NotSquare {
            len: adj.len(),
            n,
            expected,
        });
    }
    for row in 0..n {
        for col in 0..n {
            let value = adj[row * n + col];
            if !value.is_finite() || value < 0.0 {
                return Err(ClusterError::InvalidWeight { row, col, value });
            }
        }
    }
    for row in 0..n {
        for col in row + 1..n {
            let a_ij = adj[row * n + col];
            let a_ji = adj[col * n + row];
            if (a_ij - a_ji).abs() > SYMMETRY_TOLERANCE * a_ij.max(a_ji) {
                return Err(ClusterError::Asymmetric {
                    row,
                    col,
                    a_ij,
                    a_ji,
                });
            }
        }
    }
    Ok(())
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
        (Method::Eigen, true) => {
            let k = match opts.k {
                Some(k) => k,
                None => count_labels(&eigen::eigen_partition(&pg, None)),
            };
            eigen::eigen_balanced(&pg, k, true)
        }
        (Method::Louvain, false) => louvain::louvain_k(&pg, opts.k),
        (Method::Louvain, true) => {
            let mut labels = louvain::louvain_k(&pg, opts.k);
            let k = count_labels(&labels);
            refine::rebalance(&pg, &mut labels, k);
            refine::kernighan_lin(&pg, &mut labels);
            labels
        }
    };
    let mut labels = vec![0; n];
    for (p, &i) in order.iter().enumerate() {
        labels[i] = plabels[p];
    }
    renumber(&mut labels);
    let modularity = modularity::modularity_unchecked(g, &labels);
    Ok(Clustering { labels, modularity })
}

fn check_k(k: Option<usize>, n: usize) -> Result<(), ClusterError> {
    match k {
        Some(k) if k == 0 || k > n => Err(ClusterError::InvalidK { k, n }),
        _ => Ok(()),
    }
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

/// A node order computed from the graph's structure alone (weighted colour refinement,
/// Weisfeiler–Lehman style): nodes are ranked by (degree, self-loop), then repeatedly by
/// their rank and the sorted multiset of (neighbour rank, weight). Nodes still tied are
/// structurally alike and keep their input order. Returns `order[p]` = node at place `p`.
pub fn canonical_order(g: &WeightedGraph) -> Vec<usize> {
    let n = g.len();
    let mut nodes: Vec<usize> = (0..n).collect();
    nodes.sort_by(|&a, &b| {
        g.degree[a]
            .total_cmp(&g.degree[b])
            .then(g.self_w[a].total_cmp(&g.self_w[b]))
    });
    let mut color = vec![0usize; n];
    let mut ncolors = 0;
    for (idx, &v) in nodes.iter().enumerate() {
        if idx > 0 {
            let u = nodes[idx - 1];
            if g.degree[u] != g.degree[v] || g.self_w[u] != g.self_w[v] {
                ncolors += 1;
            }
        }
        color[v] = ncolors;
    }
    ncolors += 1;
    for _round in 0..8 {
        let sigs: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|i| {
                let mut s: Vec<(usize, f64)> =
                    g.adj[i].iter().map(|&(j, w)| (color[j], w)).collect();
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
