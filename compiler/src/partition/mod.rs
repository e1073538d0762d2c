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
//! Pinned: nodes producing graph outputs (in a quantised model, also the node whose
//! int8 result the output's DequantizeLinear converts), and every `Mean` over several copies (the
//! redundancy of a resilient model), run on the hub. A graph input is available on
//! every device that senses it; other devices receive it over the link.
//!
//! Layout: [`model`] is the cost model every strategy is judged by ([`model::Problem`],
//! [`model::Eval`]), [`seed`] the initial placements, [`refine`] the FM moves, [`report`]
//! the `meshnn partition` output. A new strategy is a `deploy::Strategy` variant, one
//! arm in [`partition`] calling a `place_*` function here (new seeds go in [`seed`]), and
//! its name where `deploy::Strategy` is parsed.

pub mod model;
pub mod refine;
pub mod report;
pub mod seed;

use crate::cluster;
use crate::deploy::{Deployment, Strategy};
use crate::ir::{Graph, Op, TensorId, VariadicKind};
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
    #[error(transparent)]
    NodeTooBig(Box<NodeTooBig>),
    #[error("{file}: partition.manual does not place node(s) {nodes}; map every node to a device (see `meshnn inspect` for node names)")]
    ManualIncomplete { file: String, nodes: String },
    #[error("{file}: partition.manual names node '{node}', which the model does not have (after canonicalisation; see `meshnn inspect`)")]
    ManualUnknown { file: String, node: String },
}

/// A node that does not fit any device even alone, with its closest device.
#[derive(Debug, thiserror::Error)]
#[error("no feasible placement: node '{node}' ({op}) fits no device even alone: on the closest, '{device}' ({target}), it needs {need} bytes of {resource} but has {have}: short by {short} bytes; no placement or extra device can help: use a device with more {resource}, or shrink that layer")]
pub struct NodeTooBig {
    pub node: String,
    pub op: &'static str,
    pub device: String,
    pub target: String,
    pub resource: &'static str,
    pub need: u64,
    pub have: u64,
    pub short: u64,
}

/// Partition `g` for `dep` with `strategy`.
pub fn partition(
    g: &Graph,
    dep: &Deployment,
    strategy: Strategy,
) -> Result<Partition, PartitionError> {
    let p = Problem::new(g, dep);
    let pinned = pinned_nodes(&p);
    let (assign, eval) = match strategy {
        Strategy::Single => evaluated(&p, vec![dep.hub; g.nodes.len()]),
        Strategy::Layer => place_layers(&p, &pinned),
        Strategy::Manual => evaluated(&p, manual_assignment(&p)?),
        Strategy::Modularity => place_by_modularity(&p, &pinned),
    };
    if !eval.feasible() {
        return Err(node_too_big(&p).unwrap_or_else(|| shortfall(&p, &eval)));
    }
    Ok(Partition {
        strategy,
        modularity: placement_modularity(&p, &assign),
        cut: cut_tensors(&p, &assign),
        assign,
        bytes_per_inference: eval.bytes,
        loads: eval.loads,
        macs_cap: p.macs_cap(),
    })
}

/// Nodes that must run on the hub: producers of graph outputs (through the
/// Quantize/DequantizeLinear conversions of a quantised model's output, see
/// [`Problem::output_nodes`]), and every `Mean` over several copies. A Mean over copies of a feature is where redundancy pays off: it must
/// run on the hub, which averages the copies that arrive. Placed on a student's device it
/// would make the average depend on that one device.
fn pinned_nodes(p: &Problem) -> Vec<bool> {
    let g = p.g;
    let mut pinned = vec![false; g.nodes.len()];
    for i in p.output_nodes() {
        pinned[i] = true;
    }
    for (i, node) in g.nodes.iter().enumerate() {
        let mean = matches!(
            node.op,
            Op::Variadic {
                kind: VariadicKind::Mean
            }
        );
        if mean && node.inputs.len() > 1 {
            pinned[i] = true;
        }
    }
    pinned
}

/// An assignment with its evaluation.
fn evaluated(p: &Problem, assign: Vec<usize>) -> (Vec<usize>, Eval) {
    let eval = p.eval(&assign);
    (assign, eval)
}

/// Moves the pinned nodes of `assign` onto the hub.
fn pin_to_hub(p: &Problem, assign: &mut [usize], pinned: &[bool]) {
    for (a, _) in assign.iter_mut().zip(pinned).filter(|(_, &pin)| pin) {
        *a = p.dep.hub;
    }
}

/// The `layer` strategy: contiguous MAC-balanced cuts of the layer order, pinned nodes
/// on the hub.
fn place_layers(p: &Problem, pinned: &[bool]) -> (Vec<usize>, Eval) {
    let mut a = seed::contiguous_balanced(p, &seed::layer_order(p));
    pin_to_hub(p, &mut a, pinned);
    evaluated(p, a)
}

/// The `manual` strategy: the deployment's node -> device map, which must place every
/// node (a device name the deployment lacks means the hub).
fn manual_assignment(p: &Problem) -> Result<Vec<usize>, PartitionError> {
    let (g, dep) = (p.g, p.dep);
    let mut a = vec![usize::MAX; g.nodes.len()];
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
            .unwrap_or(dep.hub);
    }
    let missing: Vec<&str> = (0..a.len())
        .filter(|&i| a[i] == usize::MAX)
        .map(|i| g.nodes[i].name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(PartitionError::ManualIncomplete {
            file: dep.file.clone(),
            nodes: quoted_list(&missing, 8),
        });
    }
    Ok(a)
}

/// `'a', 'b', …` with at most `most` names, then "and N more".
fn quoted_list(names: &[&str], most: usize) -> String {
    let mut list = names
        .iter()
        .take(most)
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > most {
        list += &format!(" and {} more", names.len() - most);
    }
    list
}

/// The `modularity` strategy: every seed (modularity communities, everything on the hub,
/// MAC-balanced cuts of the model and layer orders, the best two-way pipeline cut) with
/// pinned nodes on the hub, refined; the best refined placement wins.
fn place_by_modularity(p: &Problem, pinned: &[bool]) -> (Vec<usize>, Eval) {
    let hub = p.dep.hub;
    let n = p.g.nodes.len();
    let refined = seeds(p).into_iter().map(|mut s| {
        pin_to_hub(p, &mut s, pinned);
        refine::refine(p, s, pinned)
    });
    best_of(refined).unwrap_or_else(|| evaluated(p, vec![hub; n]))
}

/// The initial placements of the `modularity` strategy, in the order they are tried.
fn seeds(p: &Problem) -> Vec<Vec<usize>> {
    let n = p.g.nodes.len();
    let mut seeds = vec![seed::modularity(p).0, vec![p.dep.hub; n]];
    let model_order: Vec<usize> = (0..n).collect();
    seeds.push(seed::contiguous_balanced(p, &model_order));
    seeds.push(seed::contiguous_balanced(p, &seed::layer_order(p)));
    // With two devices, every pipeline cut is a candidate (exhaustive for chains).
    if let Some((a, _)) = seed::best_two_way_cut(p, &model_order) {
        seeds.push(a);
    }
    seeds
}

/// The best evaluated placement (the first of equally good ones).
fn best_of(candidates: impl Iterator<Item = (Vec<usize>, Eval)>) -> Option<(Vec<usize>, Eval)> {
    let mut best: Option<(Vec<usize>, Eval)> = None;
    for (a, e) in candidates {
        if best.as_ref().is_none_or(|(_, b)| e.better_than(b)) {
            best = Some((a, e));
        }
    }
    best
}

/// The tensors `assign` sends over the link.
fn cut_tensors(p: &Problem, assign: &[usize]) -> Vec<CutTensor> {
    p.cut(assign)
        .into_iter()
        .map(|(t, from, to)| CutTensor {
            tensor: t,
            from,
            to,
            bytes: p.g.tensors[t].size_bytes() as u64,
        })
        .collect()
}

/// (resource, need, budget) for a device's RAM and flash.
fn against_budgets(
    dev: &crate::deploy::Device,
    ram: u64,
    flash: u64,
) -> [(&'static str, u64, u64); 2] {
    [
        ("RAM", ram, dev.ram_budget()),
        ("flash", flash, dev.flash_budget()),
    ]
}

/// The first node that does not fit any device even when it runs there alone, as an error
/// naming it and its closest device (adding devices or moving other nodes cannot help).
fn node_too_big(p: &Problem) -> Option<PartitionError> {
    let n = p.g.nodes.len();
    (0..n).find_map(|i| {
        let closest = (0..p.devices())
            .map(|d| {
                let mut alone = vec![usize::MAX; n];
                alone[i] = d;
                let [ram, flash] =
                    against_budgets(&p.dep.devices[d], p.ram(&alone, d), p.flash(&alone, d));
                let worst = [ram, flash]
                    .into_iter()
                    .max_by_key(|&(_, need, have)| need.saturating_sub(have))
                    .unwrap_or(ram);
                (d, worst)
            })
            .min_by_key(|&(_, (_, need, have))| need.saturating_sub(have))?;
        let (d, (resource, need, have)) = closest;
        (need > have).then(|| {
            let dev = &p.dep.devices[d];
            PartitionError::NodeTooBig(Box::new(NodeTooBig {
                node: p.g.nodes[i].name.clone(),
                op: p.g.nodes[i].op.kind_name(),
                device: dev.name.clone(),
                target: dev.target.name.clone(),
                resource,
                need,
                have,
                short: need - have,
            }))
        })
    })
}

/// The worst overrun of an infeasible placement, as an error.
fn shortfall(p: &Problem, e: &Eval) -> PartitionError {
    let mut worst: Option<(u64, PartitionError)> = None;
    for (d, load) in e.loads.iter().enumerate() {
        let dev = &p.dep.devices[d];
        for (resource, need, have) in against_budgets(dev, load.ram, load.flash) {
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
    match p.operator_graph() {
        Ok(wg) => cluster::modularity(&wg, assign).unwrap_or(0.0),
        Err(_) => 0.0,
    }
}
