//! Known-answer tests of the community module (`meshnn::cluster`).

use meshnn::cluster::{
    cluster, cluster_graph, eigen, modularity, refine, run_cli, ClusterError, ClusterOptions,
    Method, WeightedGraph,
};
use petgraph::graph::UnGraph;

fn opts(k: Option<usize>, method: Method, balanced: bool) -> ClusterOptions {
    ClusterOptions {
        k,
        method,
        balanced,
    }
}

fn dense(n: usize, edges: &[(usize, usize, f64)]) -> Vec<f64> {
    let mut a = vec![0.0; n * n];
    for &(i, j, w) in edges {
        a[i * n + j] += w;
        if i != j {
            a[j * n + i] += w;
        }
    }
    a
}

fn cliques(count: usize, size: usize) -> Vec<(usize, usize, f64)> {
    let mut e = Vec::new();
    for c in 0..count {
        for i in 0..size {
            for j in i + 1..size {
                e.push((c * size + i, c * size + j, 1.0));
            }
        }
    }
    e
}

fn sizes(labels: &[usize]) -> Vec<usize> {
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut s = vec![0; k];
    labels.iter().for_each(|&l| s[l] += 1);
    s
}

/// True when `a` and `b` are the same partition up to renaming the labels.
fn same_partition(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len()
        && (0..a.len()).all(|i| (0..a.len()).all(|j| (a[i] == a[j]) == (b[i] == b[j])))
}

// ---------------------------------------------------------------- two 5-cliques

fn two_cliques() -> Vec<f64> {
    let mut e = cliques(2, 5);
    e.push((4, 5, 1.0));
    dense(10, &e)
}

#[test]
fn two_cliques_found_by_both_methods_with_hand_computed_q() {
    // m = 21; each clique: in = 20 (ordered pairs), K = 21. Q = 2 (20/42 − 1/4) = 19/42.
    let expected_q = 19.0 / 42.0;
    let a = two_cliques();
    let truth = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
    for method in [Method::Eigen, Method::Louvain] {
        for k in [None, Some(2)] {
            for balanced in [false, true] {
                let r = cluster(&a, 10, &opts(k, method, balanced)).unwrap();
                assert_eq!(r.labels, truth, "{method} k={k:?} balanced={balanced}");
                assert!(
                    (r.modularity - expected_q).abs() < 1e-12,
                    "Q = {}",
                    r.modularity
                );
            }
        }
    }
    let g = WeightedGraph::from_dense(&a, 10).unwrap();
    assert!((modularity(&g, &truth).unwrap() - expected_q).abs() < 1e-12);
    assert_eq!(modularity(&g, &[0; 10]).unwrap(), 0.0);
}

#[test]
fn petgraph_input_matches_dense_input() {
    let mut g = UnGraph::<(), f64>::new_undirected();
    let nodes: Vec<_> = (0..10).map(|_| g.add_node(())).collect();
    let mut e = cliques(2, 5);
    e.push((4, 5, 1.0));
    for (i, j, w) in e {
        g.add_edge(nodes[i], nodes[j], w);
    }
    for method in [Method::Eigen, Method::Louvain] {
        let r = cluster_graph(&g, &opts(None, method, false)).unwrap();
        let d = cluster(&two_cliques(), 10, &opts(None, method, false)).unwrap();
        assert_eq!(r, d);
        let q = meshnn::cluster::modularity::modularity_graph(&g, &r.labels).unwrap();
        assert!((q - 19.0 / 42.0).abs() < 1e-12);
    }
}

// ---------------------------------------------------------------- ring of cliques

#[test]
fn louvain_finds_ring_of_six_4_cliques() {
    let mut e = cliques(6, 4);
    for c in 0..6 {
        e.push((c * 4 + 3, ((c + 1) % 6) * 4, 1.0));
    }
    let a = dense(24, &e);
    let truth: Vec<usize> = (0..24).map(|i| i / 4).collect();
    let r = cluster(&a, 24, &opts(None, Method::Louvain, false)).unwrap();
    assert_eq!(r.labels, truth);
    let r = cluster(&a, 24, &opts(Some(6), Method::Louvain, true)).unwrap();
    assert_eq!(r.labels, truth);
}

// ---------------------------------------------------------------- karate club

/// Zachary's karate club, 1-based edge list (78 edges).
const KARATE: [(usize, usize); 78] = [
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (1, 9),
    (1, 11),
    (1, 12),
    (1, 13),
    (1, 14),
    (1, 18),
    (1, 20),
    (1, 22),
    (1, 32),
    (2, 3),
    (2, 4),
    (2, 8),
    (2, 14),
    (2, 18),
    (2, 20),
    (2, 22),
    (2, 31),
    (3, 4),
    (3, 8),
    (3, 9),
    (3, 10),
    (3, 14),
    (3, 28),
    (3, 29),
    (3, 33),
    (4, 8),
    (4, 13),
    (4, 14),
    (5, 7),
    (5, 11),
    (6, 7),
    (6, 11),
    (6, 17),
    (7, 17),
    (9, 31),
    (9, 33),
    (9, 34),
    (10, 34),
    (14, 34),
    (15, 33),
    (15, 34),
    (16, 33),
    (16, 34),
    (19, 33),
    (19, 34),
    (20, 34),
    (21, 33),
    (21, 34),
    (23, 33),
    (23, 34),
    (24, 26),
    (24, 28),
    (24, 30),
    (24, 33),
    (24, 34),
    (25, 26),
    (25, 28),
    (25, 32),
    (26, 32),
    (27, 30),
    (27, 34),
    (28, 34),
    (29, 32),
    (29, 34),
    (30, 33),
    (30, 34),
    (31, 33),
    (31, 34),
    (32, 33),
    (32, 34),
    (33, 34),
];

/// Mr Hi's faction (1-based); the rest followed the Officer.
const MR_HI: [usize; 17] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 17, 18, 20, 22];

fn karate() -> Vec<f64> {
    let e: Vec<_> = KARATE.iter().map(|&(i, j)| (i - 1, j - 1, 1.0)).collect();
    dense(34, &e)
}

fn faction_errors(labels: &[usize]) -> usize {
    let truth: Vec<bool> = (1..=34).map(|v| MR_HI.contains(&v)).collect();
    let agree = (0..34)
        .filter(|&i| (labels[i] == labels[0]) == truth[i])
        .count();
    34 - agree.max(34 - agree)
}

#[test]
fn karate_louvain_reaches_known_modularity() {
    let r = cluster(&karate(), 34, &opts(None, Method::Louvain, false)).unwrap();
    println!("karate louvain: k = {}, Q = {:.6}", r.k(), r.modularity);
    assert!(r.modularity >= 0.4198 * 0.99, "Q = {}", r.modularity);
    let g = WeightedGraph::from_dense(&karate(), 34).unwrap();
    assert!((modularity(&g, &r.labels).unwrap() - r.modularity).abs() < 1e-12);
}

#[test]
fn karate_eigen_bisection_recovers_factions() {
    let r = cluster(&karate(), 34, &opts(Some(2), Method::Eigen, false)).unwrap();
    let errors = faction_errors(&r.labels);
    println!(
        "karate eigen k=2: Q = {:.6}, misplaced = {errors}",
        r.modularity
    );
    assert_eq!(r.k(), 2);
    assert!(
        errors <= 2,
        "{errors} members off their faction: {:?}",
        r.labels
    );

    let natural = cluster(&karate(), 34, &opts(None, Method::Eigen, false)).unwrap();
    println!(
        "karate eigen natural: k = {}, Q = {:.6}",
        natural.k(),
        natural.modularity
    );
    assert!(natural.modularity >= r.modularity);

    let louvain2 = cluster(&karate(), 34, &opts(Some(2), Method::Louvain, false)).unwrap();
    println!("karate louvain k=2: Q = {:.6}", louvain2.modularity);
    assert_eq!(louvain2.k(), 2);
}

#[test]
fn karate_balanced_bisection_is_17_17() {
    for method in [Method::Eigen, Method::Louvain] {
        let r = cluster(&karate(), 34, &opts(Some(2), method, true)).unwrap();
        println!(
            "karate {method} balanced k=2: Q = {:.6}, misplaced = {}",
            r.modularity,
            faction_errors(&r.labels)
        );
        assert_eq!(sizes(&r.labels), vec![17, 17]);
    }
    let r = cluster(&karate(), 34, &opts(Some(3), Method::Eigen, true)).unwrap();
    let mut s = sizes(&r.labels);
    s.sort();
    assert_eq!(s, vec![11, 11, 12]);
}

// ---------------------------------------------------------------- planted partition

/// 64 nodes in 8 planted groups of 8 (node i in group i / 8); a fixed LCG draws edges
/// with probability 0.5 inside a group and 0.04 between groups.
fn planted() -> Vec<f64> {
    let n = 64;
    let mut state: u64 = 12345;
    let mut e = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let p = if i / 8 == j / 8 { 0.5 } else { 0.04 };
            if u < p {
                e.push((i, j, 1.0));
            }
        }
    }
    dense(n, &e)
}

#[test]
fn balanced_parts_have_equal_sizes_on_planted_graph() {
    let a = planted();
    for method in [Method::Eigen, Method::Louvain] {
        for k in [2, 4, 8] {
            let r = cluster(&a, 64, &opts(Some(k), method, true)).unwrap();
            assert_eq!(sizes(&r.labels), vec![64 / k; k], "{method} k={k}");
            println!("planted {method} balanced k={k}: Q = {:.6}", r.modularity);
        }
    }
    let r = cluster(&a, 64, &opts(Some(8), Method::Eigen, true)).unwrap();
    let truth: Vec<usize> = (0..64).map(|i| i / 8).collect();
    assert!(same_partition(&r.labels, &truth), "{:?}", r.labels);
}

#[test]
fn kernighan_lin_never_lowers_modularity_and_keeps_sizes() {
    let a = planted();
    let g = WeightedGraph::from_dense(&a, 64).unwrap();
    let mut starts: Vec<Vec<usize>> = Vec::new();
    for k in [2, 4, 8] {
        starts.push(eigen::eigen_balanced(&g, k, false));
        // Round-robin and scrambled balanced starts.
        starts.push((0..64).map(|i| i % k).collect());
        starts.push((0..64).map(|i| (i * 37 + 11) % 64 % k).collect());
    }
    for mut labels in starts {
        let before = modularity(&g, &labels).unwrap();
        let before_sizes = sizes(&labels);
        let gain = refine::kernighan_lin(&g, &mut labels);
        let after = modularity(&g, &labels).unwrap();
        assert!(after >= before - 1e-12, "KL lowered Q: {before} -> {after}");
        assert!((after - before - gain).abs() < 1e-9, "reported gain {gain}");
        assert_eq!(sizes(&labels), before_sizes);
    }
    // The refined balanced partition is at least as good as the unrefined one.
    for k in [2, 4, 8] {
        let plain = modularity(&g, &eigen::eigen_balanced(&g, k, false)).unwrap();
        let refined = modularity(&g, &eigen::eigen_balanced(&g, k, true)).unwrap();
        assert!(refined >= plain - 1e-12, "k={k}: {plain} -> {refined}");
    }
}

// ---------------------------------------------------------------- determinism

#[test]
fn same_input_gives_same_output() {
    for method in [Method::Eigen, Method::Louvain] {
        for balanced in [false, true] {
            let o = opts(Some(4), method, balanced);
            assert_eq!(
                cluster(&karate(), 34, &o).unwrap(),
                cluster(&karate(), 34, &o).unwrap()
            );
            let o = opts(None, method, balanced);
            assert_eq!(
                cluster(&planted(), 64, &o).unwrap(),
                cluster(&planted(), 64, &o).unwrap()
            );
        }
    }
}

#[test]
fn relabelled_input_gives_same_partition() {
    for (a, n) in [(karate(), 34), (planted(), 64)] {
        // perm[i] = new name of node i.
        let perm: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
        let mut b = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                b[perm[i] * n + perm[j]] = a[i * n + j];
            }
        }
        for method in [Method::Eigen, Method::Louvain] {
            for (k, balanced) in [(None, false), (Some(2), false), (Some(4), true)] {
                let o = opts(k, method, balanced);
                let ra = cluster(&a, n, &o).unwrap();
                let rb = cluster(&b, n, &o).unwrap();
                let back: Vec<usize> = (0..n).map(|i| rb.labels[perm[i]]).collect();
                assert!(
                    same_partition(&ra.labels, &back),
                    "{method} {k:?} {balanced}"
                );
                assert!((ra.modularity - rb.modularity).abs() < 1e-12);
            }
        }
    }
}

// ---------------------------------------------------------------- degenerate graphs

#[test]
fn isolated_nodes_and_empty_weights_do_not_panic() {
    let zero = vec![0.0; 25];
    for method in [Method::Eigen, Method::Louvain] {
        for balanced in [false, true] {
            for k in [None, Some(1), Some(3), Some(5)] {
                let r = cluster(&zero, 5, &opts(k, method, balanced)).unwrap();
                assert_eq!(r.modularity, 0.0);
                if let Some(k) = k {
                    assert_eq!(r.k(), k);
                }
            }
        }
    }
    // Two cliques plus two isolated nodes.
    let mut e = cliques(2, 5);
    e.push((4, 5, 1.0));
    let a = dense(12, &e);
    for method in [Method::Eigen, Method::Louvain] {
        for k in [Some(2), Some(4), Some(12)] {
            let r = cluster(&a, 12, &opts(k, method, false)).unwrap();
            assert_eq!(r.k(), k.unwrap(), "{method} {k:?}");
            assert!(r.modularity.is_finite());
        }
        let r = cluster(&a, 1, &opts(None, method, false));
        assert!(r.is_err());
        let one = cluster(&[0.0], 1, &opts(None, method, false)).unwrap();
        assert_eq!(one.labels, vec![0]);
    }
}

// ---------------------------------------------------------------- validation

#[test]
fn invalid_input_is_rejected_with_location() {
    let o = ClusterOptions::default();
    assert!(matches!(
        cluster(&[0.0; 5], 2, &o),
        Err(ClusterError::NotSquare {
            len: 5,
            n: 2,
            expected: 4
        })
    ));
    assert_eq!(cluster(&[], 0, &o), Err(ClusterError::Empty));
    let err = cluster(&[0.0, 1.0, 2.0, 0.0], 2, &o).unwrap_err();
    assert!(
        matches!(err, ClusterError::Asymmetric { row: 0, col: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("row 0, col 1"), "{err}");
    // Within the relative tolerance is accepted.
    assert!(cluster(&[0.0, 1.0, 1.0 + 1e-9, 0.0], 2, &o).is_ok());
    let err = cluster(&[0.0, -1.0, -1.0, 0.0], 2, &o).unwrap_err();
    assert!(
        matches!(err, ClusterError::InvalidWeight { row: 0, col: 1, .. }),
        "{err}"
    );
    let err = cluster(&[0.0, 1.0, 1.0, f64::NAN], 2, &o).unwrap_err();
    assert!(
        matches!(err, ClusterError::InvalidWeight { row: 1, col: 1, .. }),
        "{err}"
    );
    for k in [0, 3] {
        let err = cluster(
            &[0.0, 1.0, 1.0, 0.0],
            2,
            &opts(Some(k), Method::Eigen, false),
        );
        assert_eq!(err, Err(ClusterError::InvalidK { k, n: 2 }));
    }
    // `--method` parses through clap's ValueEnum, case-insensitively.
    let parse = |s: &str| <Method as clap::ValueEnum>::from_str(s, true);
    assert_eq!(parse("Louvain"), Ok(Method::Louvain));
    assert_eq!(parse("eigen"), Ok(Method::Eigen));
    assert!(parse("spectral").is_err());
    let g = WeightedGraph::from_dense(&[0.0, 1.0, 1.0, 0.0], 2).unwrap();
    assert!(matches!(
        modularity(&g, &[0]),
        Err(ClusterError::LabelCount { got: 1, n: 2 })
    ));
    assert!(WeightedGraph::from_edges(2, &[(0, 2, 1.0)]).is_err());
    assert!(WeightedGraph::from_edges(2, &[(0, 1, f64::INFINITY)]).is_err());
    for e in [
        cluster(&[0.0; 5], 2, &o).unwrap_err(),
        cluster(&[0.0, 1.0, 2.0, 0.0], 2, &o).unwrap_err(),
    ] {
        assert!(!e.to_string().contains('\n'));
    }
}

// ---------------------------------------------------------------- CLI helper

fn write_npy<T: npyz::Serialize + npyz::AutoSerialize + Copy>(
    path: &std::path::Path,
    shape: &[u64],
    data: &[T],
) {
    use npyz::WriterBuilder;
    let file = std::fs::File::create(path).unwrap();
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(std::io::BufWriter::new(file))
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}

#[test]
fn cli_reads_npy_and_prints_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let a = two_cliques();
    let p64 = dir.path().join("adj64.npy");
    write_npy(&p64, &[10, 10], &a);
    let p32 = dir.path().join("adj32.npy");
    let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    write_npy(&p32, &[10, 10], &a32);

    let o = opts(Some(2), Method::Eigen, false);
    let text = run_cli(&p64, &o, false).unwrap();
    assert_eq!(
        text,
        "community 0: 5 nodes: 0 1 2 3 4\ncommunity 1: 5 nodes: 5 6 7 8 9\nmodularity Q = 0.452381\n"
    );
    assert_eq!(run_cli(&p32, &o, false).unwrap(), text);

    let o = opts(None, Method::Louvain, true);
    let json = run_cli(&p64, &o, true).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["n"], 10);
    assert_eq!(v["k"], 2);
    assert_eq!(v["method"], "louvain");
    assert_eq!(v["balanced"], true);
    assert_eq!(
        v["labels"],
        serde_json::json!([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    );
    assert_eq!(
        v["communities"],
        serde_json::json!([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    );
    assert!((v["modularity"].as_f64().unwrap() - 19.0 / 42.0).abs() < 1e-12);
    assert!(json.starts_with("{\"n\":10,\"k\":2,\"method\":\"louvain\",\"balanced\":true,"));
}

#[test]
fn cli_rejects_bad_files_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let o = ClusterOptions::default();
    // As `meshnn cluster` prints it: the message and its causes, joined by ": ".
    let err = |p: &std::path::Path| {
        format!(
            "{:#}",
            anyhow::Error::from(run_cli(p, &o, false).unwrap_err())
        )
    };

    let missing = dir.path().join("missing.npy");
    assert!(err(&missing).contains("cannot open"), "{}", err(&missing));

    let text = dir.path().join("adj.txt");
    std::fs::write(&text, "0 1\n1 0\n").unwrap();
    assert!(
        err(&text).contains("not a NumPy .npy file"),
        "{}",
        err(&text)
    );

    let rank1 = dir.path().join("rank1.npy");
    write_npy(&rank1, &[4], &[0.0; 4]);
    assert!(err(&rank1).contains("square 2-D"), "{}", err(&rank1));

    let rect = dir.path().join("rect.npy");
    write_npy(&rect, &[2, 3], &[0.0; 6]);
    assert!(err(&rect).contains("square 2-D"), "{}", err(&rect));

    let ints = dir.path().join("ints.npy");
    write_npy(&ints, &[2, 2], &[0i32, 1, 1, 0]);
    assert!(err(&ints).contains("unsupported dtype"), "{}", err(&ints));

    let asym = dir.path().join("asym.npy");
    write_npy(&asym, &[2, 2], &[0.0, 1.0, 3.0, 0.0]);
    assert!(
        err(&asym).contains("not symmetric at row 0, col 1"),
        "{}",
        err(&asym)
    );
}

#[test]
fn louvain_communities_are_connected() {
    for (a, n) in [(karate(), 34), (planted(), 64), (two_cliques(), 10)] {
        let r = cluster(&a, n, &opts(None, Method::Louvain, false)).unwrap();
        for members in r.communities() {
            let mut reached = vec![members[0]];
            let mut seen = vec![false; n];
            seen[members[0]] = true;
            while let Some(i) = reached.pop() {
                for &j in &members {
                    if !seen[j] && a[i * n + j] > 0.0 {
                        seen[j] = true;
                        reached.push(j);
                    }
                }
            }
            assert!(
                members.iter().all(|&j| seen[j]),
                "disconnected: {members:?}"
            );
        }
    }
}
