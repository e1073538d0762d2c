//! The leading eigenpair of Newman's generalised modularity matrix (reference: M. E. J.
//! Newman, "Modularity and community structure in networks", PNAS 103 (2006) 8577–8582,
//! eqs. 4–6).
//!
//! For a group `g` the generalised modularity matrix is
//! `B^(g)_ij = A_ij − k_i k_j / 2m − δ_ij Σ_{l∈g} (A_il − k_i k_l / 2m)`; it is never
//! stored: a product `B^(g) x` costs one pass over the group's edges (a dense copy of the
//! group's block of `A` when it is dense). Its leading eigenvector comes from power
//! iteration on `B^(g) + c I`, with `c` the smaller of a Gershgorin bound and 1.05× a
//! power-iteration estimate of the spectral radius, so the dominant eigenvalue of the
//! shifted matrix is the leading (most positive) one of `B^(g)`. The start vector is a
//! fixed-seed pseudo-random vector (the all-ones vector is an eigenvector of `B` with
//! eigenvalue 0).

use crate::WeightedGraph;

/// Power iteration stops when successive unit vectors differ by less than this (2-norm).
const POWER_TOLERANCE: f64 = 1e-10;
/// Upper bound on power-iteration steps per eigenvector.
const POWER_MAX_ITERATIONS: usize = 20_000;
/// Unshifted power steps at most when estimating the spectral radius.
const RADIUS_ITERATIONS: usize = 200;
/// The radius estimate stops when successive norms differ by at most this (relative).
const RADIUS_TOLERANCE: f64 = 1e-3;
/// The shift is at most this times the estimated spectral radius.
const RADIUS_MARGIN: f64 = 1.05;
/// Power iteration also stops when `‖(B + cI) x‖` changed by less than this (relative)
/// over the last [`STAGNATION_WINDOW`] steps.
const STAGNATION_TOLERANCE: f64 = 1e-7;
const STAGNATION_WINDOW: usize = 20;
/// Groups up to this size with at least a quarter of all pairs linked use a dense copy.
const DENSE_MAX_NODES: usize = 4096;
/// Marks a node outside the group in [`ModularityMatrix::pos`].
const NOT_IN_GROUP: usize = usize::MAX;

/// Leading eigenpair of `B^(g)`; `vector[p]` belongs to node `group[p]`.
pub struct Eigenpair {
    pub value: f64,
    pub vector: Vec<f64>,
    /// The shift `c` used; eigenvalues are compared against it.
    pub shift: f64,
}

impl Eigenpair {
    /// The answer for a group without weight: eigenvalue 0, zero vector.
    fn zero(ng: usize) -> Self {
        Eigenpair {
            value: 0.0,
            vector: vec![0.0; ng],
            shift: 0.0,
        }
    }
}

/// Leading eigenpair of the generalised modularity matrix of `group`.
pub fn leading_eigenvector(g: &WeightedGraph, group: &[usize]) -> Eigenpair {
    let ng = group.len();
    if ng == 0 || g.two_m() <= 0.0 {
        return Eigenpair::zero(ng);
    }
    let b = ModularityMatrix::new(g, group);
    let bound = b.gershgorin_bound();
    if bound <= 0.0 {
        return Eigenpair::zero(ng);
    }
    let shift = bound
        .min(RADIUS_MARGIN * b.spectral_radius_estimate())
        .max(f64::MIN_POSITIVE);
    let vector = b.shifted_power_iteration(shift);
    let value = b.rayleigh_quotient(&vector);
    Eigenpair {
        value,
        vector,
        shift,
    }
}

/// `B^(g)` of one group, ready for products `B^(g) x`.
struct ModularityMatrix<'a> {
    g: &'a WeightedGraph,
    group: &'a [usize],
    /// Place of each graph node in `group`, [`NOT_IN_GROUP`] outside it.
    pos: Vec<usize>,
    /// Degrees `k_i` of the group's nodes.
    k: Vec<f64>,
    /// `a_in[p] = Σ_{l∈g} A_il` (diagonal included).
    a_in: Vec<f64>,
    /// `d[p] = Σ_{l∈g} B_il`, the diagonal correction.
    d: Vec<f64>,
    /// The group's block of `A`, row-major, when the group is dense.
    dense: Option<Vec<f64>>,
}

impl<'a> ModularityMatrix<'a> {
    fn new(g: &'a WeightedGraph, group: &'a [usize]) -> Self {
        let ng = group.len();
        let two_m = g.two_m();
        let mut pos = vec![NOT_IN_GROUP; g.len()];
        for (p, &i) in group.iter().enumerate() {
            pos[i] = p;
        }
        let k: Vec<f64> = group.iter().map(|&i| g.degree(i)).collect();
        let k_group: f64 = k.iter().sum();
        let a_in: Vec<f64> = group
            .iter()
            .map(|&i| {
                g.self_weight(i)
                    + g.neighbors(i)
                        .iter()
                        .filter(|&&(j, _)| pos[j] != NOT_IN_GROUP)
                        .map(|&(_, w)| w)
                        .sum::<f64>()
            })
            .collect();
        let d: Vec<f64> = (0..ng).map(|p| a_in[p] - k[p] * k_group / two_m).collect();
        let dense = dense_block(g, group, &pos);
        ModularityMatrix {
            g,
            group,
            pos,
            k,
            a_in,
            d,
            dense,
        }
    }

    /// Gershgorin bound on the spectral radius: `max_p a_in + k_p K_g / 2m + |d_p|`.
    fn gershgorin_bound(&self) -> f64 {
        let k_group: f64 = self.k.iter().sum();
        let two_m = self.g.two_m();
        (0..self.group.len())
            .map(|p| self.a_in[p] + self.k[p] * k_group / two_m + self.d[p].abs())
            .fold(0.0, f64::max)
    }

    /// `y = B^(g) x`.
    fn multiply(&self, x: &[f64], y: &mut [f64]) {
        let two_m = self.g.two_m();
        let ng = self.group.len();
        let kx: f64 = self.k.iter().zip(x).map(|(a, b)| a * b).sum();
        for p in 0..ng {
            let s = match &self.dense {
                Some(a) => dot(&a[p * ng..(p + 1) * ng], x),
                None => self.sparse_row_product(p, x),
            };
            y[p] = s - self.k[p] * kx / two_m - self.d[p] * x[p];
        }
    }

    /// `Σ_{q} A_{pq} x_q` over the group, from the adjacency lists.
    fn sparse_row_product(&self, p: usize, x: &[f64]) -> f64 {
        let i = self.group[p];
        let mut s = self.g.self_weight(i) * x[p];
        for &(j, w) in self.g.neighbors(i) {
            let q = self.pos[j];
            if q != NOT_IN_GROUP {
                s += w * x[q];
            }
        }
        s
    }

    /// A lower estimate of the spectral radius ρ from a few unshifted power steps
    /// (‖B x‖ ≤ ρ for unit x). A shift of 1.05 ρ̂ keeps any negative eigenvalue of the
    /// shifted matrix tiny next to the leading one, so the iteration converges as well
    /// as with a safe bound but far faster than with Gershgorin's on dense graphs.
    fn spectral_radius_estimate(&self) -> f64 {
        let ng = self.group.len();
        let mut x = start_vector(ng);
        let mut y = vec![0.0; ng];
        let mut rho: f64 = 0.0;
        for _ in 0..RADIUS_ITERATIONS {
            self.multiply(&x, &mut y);
            let norm = norm2(&y);
            if norm <= 0.0 {
                break;
            }
            let done = (norm - rho).abs() <= RADIUS_TOLERANCE * norm;
            rho = rho.max(norm);
            y.iter_mut().for_each(|v| *v /= norm);
            std::mem::swap(&mut x, &mut y);
            if done {
                break;
            }
        }
        rho
    }

    /// Power iteration on `B + cI` from [`start_vector`]. It stops when the vector
    /// settles or, when the leading eigenvalues are (nearly) degenerate and the vector
    /// only drifts inside their subspace, when ‖(B + cI) x‖ has stopped growing: any
    /// vector of that subspace gives an equally good split. Returns the unit vector.
    fn shifted_power_iteration(&self, shift: f64) -> Vec<f64> {
        let ng = self.group.len();
        let mut x = start_vector(ng);
        let mut y = vec![0.0; ng];
        let mut history = [0.0f64; STAGNATION_WINDOW];
        for iter in 0..POWER_MAX_ITERATIONS {
            self.multiply(&x, &mut y);
            for p in 0..ng {
                y[p] += shift * x[p];
            }
            let norm = norm2(&y);
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
        x
    }

    /// `xᵀ B x` for a unit vector `x`: its eigenvalue when `x` is an eigenvector.
    fn rayleigh_quotient(&self, x: &[f64]) -> f64 {
        let mut y = vec![0.0; x.len()];
        self.multiply(x, &mut y);
        x.iter().zip(&y).map(|(a, b)| a * b).sum()
    }
}

/// A dense copy of `A` restricted to `group` when the group is small and has at least a
/// quarter of all pairs linked: the same products, in the same order, without index
/// look-ups.
fn dense_block(g: &WeightedGraph, group: &[usize], pos: &[usize]) -> Option<Vec<f64>> {
    let ng = group.len();
    let internal: usize = group
        .iter()
        .map(|&i| {
            g.neighbors(i)
                .iter()
                .filter(|&&(j, _)| pos[j] != NOT_IN_GROUP)
                .count()
        })
        .sum();
    (ng <= DENSE_MAX_NODES && 4 * internal >= ng * ng).then(|| {
        let mut a = vec![0.0; ng * ng];
        for (p, &i) in group.iter().enumerate() {
            a[p * ng + p] = g.self_weight(i);
            for &(j, w) in g.neighbors(i) {
                if pos[j] != NOT_IN_GROUP {
                    a[p * ng + pos[j]] = w;
                }
            }
        }
        a
    })
}

/// Euclidean norm, summed in index order.
fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|v| v * v).sum::<f64>().sqrt()
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
    let norm = norm2(&x);
    x.iter_mut().for_each(|v| *v /= norm);
    x
}
