//! Initial placements for the refinement: modularity communities mapped onto devices,
//! contiguous pipeline cuts (the `layer` strategy), and everything on the hub.

use super::model::Problem;
use crate::cluster::{self, ClusterOptions, Method, WeightedGraph};
use crate::ir::NodeId;

/// Modularity seed: Louvain communities of the operator graph (edge weight = bytes of the
/// tensors between two operators), then each community placed as a whole: communities
/// with pinned nodes first (graph-output producers on the hub; consumers of a sensed input
/// on the least-loaded device that senses it), the rest on the device where they add the
/// fewest cut bytes, preferring the least-loaded. Returns the assignment and Q.
pub fn modularity(p: &Problem) -> (Vec<usize>, f64) {
    let g = p.g;
    let n = g.nodes.len();
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    for (t, cons) in p.consumers.iter().enumerate() {
        let Some(src) = p.producer[t] else { continue };
        let w = g.tensors[t].size_bytes() as f64;
        for &c in cons {
            if c != src {
                edges.push((src.min(c), src.max(c), w.max(1.0)));
            }
        }
    }
    let labels: Vec<usize>;
    let q;
    match WeightedGraph::from_edges(n, &edges) {
        Ok(wg) if n > 0 => {
            let opts = ClusterOptions {
                k: None,
                method: Method::Louvain,
                balanced: false,
            };
            match cluster::cluster_weighted(&wg, &opts) {
                Ok(c) => {
                    q = c.modularity;
                    labels = c.labels;
                }
                Err(_) => {
                    q = 0.0;
                    labels = (0..n).collect();
                }
            }
        }
        _ => {
            q = 0.0;
            labels = (0..n).collect();
        }
    }
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<NodeId>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        members[l].push(i);
    }
    let nd = p.devices();
    let mut assign = vec![usize::MAX; n];
    let mut macs = vec![0u64; nd];
    let place = |c: usize, d: usize, assign: &mut Vec<usize>, macs: &mut Vec<u64>| {
        for &i in &members[c] {
            assign[i] = d;
            macs[d] += p.macs[i];
        }
    };
    // Pinned communities: outputs -> hub.
    let mut placed = vec![false; k];
    for &t in &g.outputs {
        if let Some(pr) = p.producer[t] {
            let c = labels[pr];
            if !placed[c] {
                place(c, p.dep.hub, &mut assign, &mut macs);
                placed[c] = true;
            }
        }
    }
    // Communities reading a sensed input: onto a sensing device, least loaded first;
    // largest communities choose first.
    let mut by_size: Vec<usize> = (0..k).collect();
    by_size.sort_by_key(|&c| {
        (
            std::cmp::Reverse(members[c].iter().map(|&i| p.macs[i]).sum::<u64>()),
            c,
        )
    });
    for &c in &by_size {
        if placed[c] {
            continue;
        }
        let mut sensors: Vec<usize> = Vec::new();
        for &i in &members[c] {
            for &t in &g.nodes[i].inputs {
                for &d in &p.sensed_by[t] {
                    if !sensors.contains(&d) {
                        sensors.push(d);
                    }
                }
            }
        }
        if let Some(&d) = sensors.iter().min_by_key(|&&d| (macs[d], d)) {
            place(c, d, &mut assign, &mut macs);
            placed[c] = true;
        }
    }
    // The rest: where they add the fewest cut bytes (ties: least loaded).
    for &c in &by_size {
        if placed[c] {
            continue;
        }
        let mut best = (u64::MAX, u64::MAX, 0usize);
        for (d, &load) in macs.iter().enumerate() {
            let mut trial = assign.clone();
            for &i in &members[c] {
                trial[i] = d;
            }
            // Unplaced nodes are provisionally on the hub for counting.
            let filled: Vec<usize> = trial
                .iter()
                .map(|&x| if x == usize::MAX { p.dep.hub } else { x })
                .collect();
            let bytes: u64 = p
                .cut(&filled)
                .iter()
                .map(|(t, _, dst)| g.tensors[*t].size_bytes() as u64 * dst.len() as u64)
                .sum();
            let key = (bytes, load, d);
            if (key.0, key.1) < (best.0, best.1) {
                best = key;
            }
        }
        place(c, best.2, &mut assign, &mut macs);
    }
    for a in assign.iter_mut() {
        if *a == usize::MAX {
            *a = p.dep.hub;
        }
    }
    (assign, q)
}

/// Nodes ordered by depth (longest path from a graph input), ties by model order: the
/// layer-by-layer order of MoDNN-style pipelines.
pub fn layer_order(p: &Problem) -> Vec<NodeId> {
    let n = p.g.nodes.len();
    let mut depth = vec![0usize; n];
    for i in 0..n {
        for &t in &p.g.nodes[i].inputs {
            if let Some(pr) = p.producer[t] {
                depth[i] = depth[i].max(depth[pr] + 1);
            }
        }
    }
    let mut order: Vec<NodeId> = (0..n).collect();
    order.sort_by_key(|&i| (depth[i], i));
    order
}

/// Device order of a pipeline: devices that sense inputs first, the hub last.
pub fn pipeline_devices(p: &Problem) -> Vec<usize> {
    let nd = p.devices();
    let mut devs: Vec<usize> = (0..nd).filter(|&d| d != p.dep.hub).collect();
    devs.sort_by_key(|&d| (p.dep.devices[d].inputs.is_empty(), d));
    devs.push(p.dep.hub);
    devs
}

/// Contiguous cuts of `order` into the pipeline devices with about equal MACs.
pub fn contiguous_balanced(p: &Problem, order: &[NodeId]) -> Vec<usize> {
    let devs = pipeline_devices(p);
    let total: u64 = p.macs.iter().sum();
    let mut assign = vec![p.dep.hub; p.g.nodes.len()];
    let mut acc = 0u64;
    for &i in order {
        let share = if total == 0 {
            0
        } else {
            (acc as u128 * devs.len() as u128 / total as u128) as usize
        };
        assign[i] = devs[share.min(devs.len() - 1)];
        acc += p.macs[i];
    }
    assign
}

/// Every two-segment cut of `order` (first segment on the first pipeline device, rest on
/// the hub); with two devices this is an exhaustive search over pipeline cuts.
pub fn all_two_way_cuts(p: &Problem, order: &[NodeId]) -> Vec<Vec<usize>> {
    let devs = pipeline_devices(p);
    if devs.len() != 2 {
        return Vec::new();
    }
    (1..order.len())
        .map(|k| {
            let mut a = vec![devs[1]; p.g.nodes.len()];
            for &i in &order[..k] {
                a[i] = devs[0];
            }
            a
        })
        .collect()
}
