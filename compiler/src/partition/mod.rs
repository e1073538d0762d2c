//! The partition pass: assign every node to a device of a deployment so that few bytes
//! cross the link, every device fits its RAM and flash budget, and compute is balanced.
//!
//! Strategies (`deploy::Strategy`):
//! - `modularity` (default): several seeds — Louvain communities of the operator graph
//!   mapped onto devices ([`seed::modularity`]), MAC-balanced pipeline cuts, every
//!   two-way pipeline cut on two devices, everything on the hub — each refined by
//!   Fiduccia–Mattheyses moves ([`refine`]); the best placement wins;
//! - `layer`: contiguous MAC-balanced cuts of the layer-by-layer order (MoDNN style);
//! - `single`: everything on the hub;
//! - `manual`: the node -> device map of the deployment file.
//!
//! Pinned: nodes producing graph outputs, and every `Mean` over several copies (the
//! redundancy of a resilient model), run on the hub. A graph input is available on
//! every device that senses it; other devices receive it over the link.

pub mod model;
pub mod refine;
pub mod report;
pub mod seed;

use crate::cluster::{self, WeightedGraph};
use crate::deploy::{Deployment, Strategy};
use crate::ir::{Graph, TensorId};
use model::{Eval, Load, Problem};

/// A tensor that crosses the link.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CutTensor {
    pub tensor: TensorId,
    pub from: usize,
    pub to: Vec<usize>,
    /// Payload bytes per destination.
    pub bytes: u64,
}

/// The result of partitioning.
#[derive(Clone, Debug)]
pub struct Partition {
    pub strategy: Strategy,
    /// Device of every node.
    pub assign: Vec<usize>,
    pub cut: Vec<CutTensor>,
    /// Payload bytes on the link per inference (a tensor sent to two devices counts twice).
    pub bytes_per_inference: u64,
    /// Newman modularity of the placement (devices as communities) on the operator graph.
    pub modularity: f64,
    /// Estimated loads (see `model`).
    pub loads: Vec<Load>,
    /// MACs per device allowed by the balance tolerance, if any.
    pub macs_cap: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("no feasible placement: device '{device}' ({target}) needs {need} bytes of {resource} but has {have}: short by {short} bytes; use a device with more {resource}, add a device to the deployment, or shrink the model")]
    Infeasible {
        device: String,
        target: String,
        resource: &'static str,
        need: u64,
        have: u64,
        short: u64,
    },
    #[error("{file}: partition.manual does not place node(s) {nodes}; map every node to a device (see `meshnn inspect` for node names)")]
    ManualIncomplete { file: String, nodes: String },
    #[error("{file}: partition.manual names node '{node}', which the model does not have (after canonicalisation; see `meshnn inspect`)")]
    ManualUnknown { file: String, node: String },
}

/// Partition `g` for `dep` with `strategy`.
pub fn partition(
    g: &Graph,
    dep: &Deployment,
    strategy: Strategy,
) -> Result<Partition, PartitionError> {
    let p = Problem::new(g, dep);
    let n = g.nodes.len();
    let hub = dep.hub;
    let mut pinned = vec![false; n];
    for &t in &g.outputs {
        if let Some(pr) = p.producer[t] {
            pinned[pr] = true;
        }
    }
    // A Mean over copies of a feature is where redundancy pays off: it must run on the
    // hub, which averages the copies that arrive. Placed on a student's device it would
    // make the average depend on that one device.
    for (i, node) in g.nodes.iter().enumerate() {
        if matches!(
            node.op,
            crate::ir::Op::Variadic {
                kind: crate::ir::VariadicKind::Mean
            }
        ) && node.inputs.len() > 1
        {
            pinned[i] = true;
        }
    }
    let (assign, eval) = match strategy {
        Strategy::Single => {
            let a = vec![hub; n];
            let e = p.eval(&a);
            (a, e)
        }
        Strategy::Layer => {
            let mut a = seed::contiguous_balanced(&p, &seed::layer_order(&p));
            for i in 0..n {
                if pinned[i] {
                    a[i] = hub;
                }
            }
            let e = p.eval(&a);
            (a, e)
        }
        Strategy::Manual => {
            let mut a = vec![usize::MAX; n];
            for (node, dev) in &dep.manual {
                let Some(i) = g.nodes.iter().position(|x| &x.name == node) else {
                    return Err(PartitionError::ManualUnknown {
                        file: dep.file.clone(),
                        node: node.clone(),
                    });
                };
                a[i] = dep
                    .devices
                    .iter()
                    .position(|d| &d.name == dev)
                    .unwrap_or(hub);
            }
            let missing: Vec<&str> = (0..n)
                .filter(|&i| a[i] == usize::MAX)
                .map(|i| g.nodes[i].name.as_str())
                .collect();
            if !missing.is_empty() {
                let mut list = missing
                    .iter()
                    .take(8)
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                if missing.len() > 8 {
                    list += &format!(" and {} more", missing.len() - 8);
                }
                return Err(PartitionError::ManualIncomplete {
                    file: dep.file.clone(),
                    nodes: list,
                });
            }
            let e = p.eval(&a);
            (a, e)
        }
        Strategy::Modularity => {
            let mut seeds = vec![seed::modularity(&p).0, vec![hub; n]];
            let model_order: Vec<usize> = (0..n).collect();
            seeds.push(seed::contiguous_balanced(&p, &model_order));
            seeds.push(seed::contiguous_balanced(&p, &seed::layer_order(&p)));
            // With two devices, every pipeline cut is a candidate (exhaustive for chains).
            let mut best_cut: Option<(Vec<usize>, Eval)> = None;
            for a in seed::all_two_way_cuts(&p, &model_order) {
                let e = p.eval(&a);
                if best_cut.as_ref().is_none_or(|(_, b)| e.better_than(b)) {
                    best_cut = Some((a, e));
                }
            }
            if let Some((a, _)) = best_cut {
                seeds.push(a);
            }
            let mut best: Option<(Vec<usize>, Eval)> = None;
            for mut s in seeds {
                for i in 0..n {
                    if pinned[i] {
                        s[i] = hub;
                    }
                }
                let (a, e) = refine::refine(&p, s, &pinned);
                if best.as_ref().is_none_or(|(_, b)| e.better_than(b)) {
                    best = Some((a, e));
                }
            }
            best.unwrap_or_else(|| (vec![hub; n], p.eval(&vec![hub; n])))
        }
    };
    if !eval.feasible() {
        return Err(shortfall(&p, &eval));
    }
    let cut: Vec<CutTensor> = p
        .cut(&assign)
        .into_iter()
        .map(|(t, from, to)| CutTensor {
            tensor: t,
            from,
            to,
            bytes: g.tensors[t].size_bytes() as u64,
        })
        .collect();
    Ok(Partition {
        strategy,
        modularity: placement_modularity(&p, &assign),
        assign,
        cut,
        bytes_per_inference: eval.bytes,
        loads: eval.loads,
        macs_cap: p.macs_cap(),
    })
}

/// The worst overrun of an infeasible placement, as an error.
fn shortfall(p: &Problem, e: &Eval) -> PartitionError {
    let mut worst: Option<(u64, PartitionError)> = None;
    for (d, load) in e.loads.iter().enumerate() {
        let dev = &p.dep.devices[d];
        for (resource, need, have) in [
            ("RAM", load.ram, dev.ram_budget()),
            ("flash", load.flash, dev.flash_budget()),
        ] {
            if need > have && worst.as_ref().is_none_or(|(s, _)| need - have > *s) {
                worst = Some((
                    need - have,
                    PartitionError::Infeasible {
                        device: dev.name.clone(),
                        target: dev.target.name.clone(),
                        resource,
                        need,
                        have,
                        short: need - have,
                    },
                ));
            }
        }
    }
    worst.map(|(_, e)| e).unwrap_or(PartitionError::Infeasible {
        device: "?".into(),
        target: "?".into(),
        resource: "RAM",
        need: 0,
        have: 0,
        short: 0,
    })
}

/// Newman Q of the device assignment on the operator graph (edge weight = tensor bytes).
fn placement_modularity(p: &Problem, assign: &[usize]) -> f64 {
    let g = p.g;
    let mut edges = Vec::new();
    for (t, cons) in p.consumers.iter().enumerate() {
        let Some(src) = p.producer[t] else { continue };
        for &c in cons {
            if c != src {
                edges.push((
                    src.min(c),
                    src.max(c),
                    (g.tensors[t].size_bytes() as f64).max(1.0),
                ));
            }
        }
    }
    match WeightedGraph::from_edges(g.nodes.len(), &edges) {
        Ok(wg) => cluster::modularity(&wg, assign).unwrap_or(0.0),
        Err(_) => 0.0,
    }
}
