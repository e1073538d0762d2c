//! Unit tests of the crate's building blocks (the known-answer tests of the whole
//! method, on Zachary's karate club and planted partitions, are in meshnn's
//! `compiler/tests/cluster.rs`).

use crate::canonical::{count_labels, renumber};
use crate::eigenvector::leading_eigenvector;
use crate::refine::{chain_refine, kl_pair, move_pair, rebalance, target_sizes};
use crate::{canonical_order, cluster, modularity, ClusterOptions, Method, WeightedGraph};

/// Two 5-cliques joined by the edge (4, 5).
fn two_cliques() -> WeightedGraph {
    let mut edges = Vec::new();
    for base in [0, 5] {
        for i in 0..5 {
            for j in i + 1..5 {
                edges.push((base + i, base + j, 1.0));
            }
        }
    }
    edges.push((4, 5, 1.0));
    WeightedGraph::from_edges(10, &edges).unwrap()
}

fn sizes(labels: &[usize]) -> Vec<usize> {
    let mut s = vec![0; count_labels(labels)];
    for &l in labels {
        s[l] += 1;
    }
    s
}

#[test]
fn renumber_numbers_labels_by_first_appearance() {
    let mut labels = vec![7, 3, 7, 9, 3];
    assert_eq!(renumber(&mut labels), 3);
    assert_eq!(labels, vec![0, 1, 0, 2, 1]);
    assert_eq!(count_labels(&[4, 4, 1]), 2);
}

#[test]
fn target_sizes_differ_by_at_most_one() {
    assert_eq!(target_sizes(10, 3), vec![4, 3, 3]);
    assert_eq!(target_sizes(6, 2), vec![3, 3]);
}

#[test]
fn parallel_edges_add_up_and_degrees_count_self_loops_once() {
    let g = WeightedGraph::from_edges(2, &[(0, 1, 1.0), (1, 0, 2.0), (0, 0, 0.5)]).unwrap();
    assert_eq!(g.neighbors(0), &[(1, 3.0)]);
    assert_eq!(g.degree(0), 3.5);
    assert_eq!(g.two_m(), 6.5);
}

#[test]
fn canonical_order_ignores_node_numbering() {
    // A path 0-1-2-3 with a heavier end edge, and the same path numbered backwards.
    let fwd = WeightedGraph::from_edges(4, &[(0, 1, 2.0), (1, 2, 1.0), (2, 3, 1.0)]).unwrap();
    let bwd = WeightedGraph::from_edges(4, &[(3, 2, 2.0), (2, 1, 1.0), (1, 0, 1.0)]).unwrap();
    let a = canonical_order(&fwd);
    let b: Vec<usize> = canonical_order(&bwd).iter().map(|&i| 3 - i).collect();
    assert_eq!(a, b);
}

#[test]
fn leading_eigenvector_separates_two_cliques_by_sign() {
    let g = two_cliques();
    let all: Vec<usize> = (0..10).collect();
    let eig = leading_eigenvector(&g, &all);
    assert!(eig.value > 0.0);
    let left: Vec<bool> = eig.vector.iter().map(|&x| x > 0.0).collect();
    assert!(left[..5].iter().all(|&s| s == left[0]));
    assert!(left[5..].iter().all(|&s| s != left[0]));
}

#[test]
fn both_methods_find_two_cliques_with_hand_computed_q() {
    for method in [Method::Eigen, Method::Louvain] {
        for balanced in [false, true] {
            let opts = ClusterOptions {
                k: None,
                method,
                balanced,
            };
            let dense: Vec<f64> = (0..100)
                .map(|x| {
                    let (i, j) = (x / 10, x % 10);
                    let same = i != j && i / 5 == j / 5;
                    f64::from(u8::from(same || (i, j) == (4, 5) || (i, j) == (5, 4)))
                })
                .collect();
            let r = cluster(&dense, 10, &opts).unwrap();
            assert_eq!(r.labels, vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1], "{method}");
            assert!((r.modularity - 19.0 / 42.0).abs() < 1e-12);
        }
    }
}

#[test]
fn refinements_never_lower_q_and_pair_swaps_keep_sizes() {
    let g = two_cliques();
    // Nodes 0 and 9 swapped into the wrong clique.
    let start = vec![1, 0, 0, 0, 0, 1, 1, 1, 1, 0];
    let q0 = modularity(&g, &start).unwrap();

    let mut kl = start.clone();
    let gain = kl_pair(&g, &mut kl, 0, 1);
    assert_eq!(sizes(&kl), sizes(&start));
    assert!((modularity(&g, &kl).unwrap() - (q0 + gain)).abs() < 1e-12);
    assert!((modularity(&g, &kl).unwrap() - 19.0 / 42.0).abs() < 1e-12);

    let mut chain = start.clone();
    let gain = chain_refine(&g, &mut chain);
    assert!(gain >= 0.0);
    assert_eq!(sizes(&chain), sizes(&start));

    let mut moved = start.clone();
    let gain = move_pair(&g, &mut moved, 0, 1);
    assert!(gain > 0.0);
    assert!((modularity(&g, &moved).unwrap() - (q0 + gain)).abs() < 1e-12);
}

#[test]
fn rebalance_reaches_equal_sizes() {
    let g = two_cliques();
    let mut labels = vec![0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
    rebalance(&g, &mut labels, 2);
    assert_eq!(sizes(&labels), vec![5, 5]);
}
