//! The weighted undirected graph every algorithm of this crate works on, built from a
//! dense matrix, an edge list or a petgraph graph, with input validation.

use petgraph::graph::UnGraph;
use petgraph::visit::EdgeRef;

use crate::ClusterError;

/// Relative tolerance used to accept a dense adjacency matrix as symmetric.
pub const SYMMETRY_TOLERANCE: f64 = 1e-6;

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
    pub(crate) fn permuted(&self, order: &[usize]) -> Self {
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
