//! The cost model the partitioner optimises: for an assignment node -> device, the bytes
//! that cross the link per inference and every device's MACs, flash and RAM.
//!
//! - bytes (payload): each runtime tensor travels once from its producer's device (a graph input:
//!   from a device that senses it) to every other device that reads it;
//! - flash: the distinct constants a device's nodes read, plus an estimate of code size;
//! - RAM: peak live activation bytes of the device's nodes in model order (views share
//!   their input's buffer; received and sensed tensors live from the start), plus link
//!   buffers; a device with `patch = "auto"` that does not fit so is estimated again with
//!   patch-based execution (`plan::patch`). The final report uses the real memory plan of
//!   each device.

use crate::cluster::{ClusterError, WeightedGraph};
use crate::deploy::Deployment;
use crate::ir::cost;
use crate::ir::{Graph, NodeId, Op, TensorId};
use crate::link;
use crate::plan::{memory, patch};
use std::collections::BTreeMap;

/// Estimated code bytes of the runtime and the schedule: a fixed part plus a part per node.
pub const CODE_BYTES_FIXED: u64 = 12 * 1024;
pub const CODE_BYTES_PER_NODE: u64 = 160;

/// Precomputed facts about the graph, shared by every evaluation.
pub struct Problem<'a> {
    pub g: &'a Graph,
    pub dep: &'a Deployment,
    pub order: Vec<NodeId>,
    pub macs: Vec<u64>,
    pub producer: Vec<Option<NodeId>>,
    pub consumers: Vec<Vec<NodeId>>,
    /// For each tensor: the devices that sense it (graph inputs only).
    pub sensed_by: Vec<Vec<usize>>,
    /// Buffer root of each tensor (views share their input's buffer).
    pub root: Vec<TensorId>,
    pub is_output: Vec<bool>,
}

/// Resources of one device under an assignment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    pub macs: u64,
    pub flash: u64,
    pub ram: u64,
    pub nodes: usize,
}

/// An evaluated assignment.
#[derive(Clone, Debug)]
pub struct Eval {
    pub bytes: u64,
    pub loads: Vec<Load>,
    /// Sum of RAM and flash overruns (0 when every device fits), normalised by budget.
    pub budget_violation: f64,
    /// Sum of compute-balance overruns (0 when balanced within the tolerance).
    pub balance_violation: f64,
    /// Views (Reshape/Flatten/...) placed on another device than their input's producer:
    /// a tie-breaker, since a view is free where its input already is.
    pub split_views: usize,
}

impl Eval {
    pub fn feasible(&self) -> bool {
        self.budget_violation <= 0.0
    }
    /// Lexicographic: fits the budgets, then balance, then bytes, then the largest load.
    pub fn better_than(&self, other: &Eval) -> bool {
        let max_macs = |e: &Eval| e.loads.iter().map(|l| l.macs).max().unwrap_or(0);
        let a = (self.budget_violation, self.balance_violation);
        let b = (other.budget_violation, other.balance_violation);
        if a != b {
            return a < b;
        }
        (self.bytes, self.split_views, max_macs(self))
            < (other.bytes, other.split_views, max_macs(other))
    }
}

impl<'a> Problem<'a> {
    pub fn new(g: &'a Graph, dep: &'a Deployment) -> Self {
        let order: Vec<NodeId> = (0..g.nodes.len()).collect();
        let macs = g.nodes.iter().map(|n| cost::macs(g, n)).collect();
        let producer = g.producers();
        let consumers = g.consumers();
        let mut sensed_by = vec![Vec::new(); g.tensors.len()];
        for &t in &g.inputs {
            for (d, dev) in dep.devices.iter().enumerate() {
                if dev.inputs.iter().any(|i| *i == g.tensors[t].name) {
                    sensed_by[t].push(d);
                }
            }
        }
        let mut root: Vec<TensorId> = (0..g.tensors.len()).collect();
        for n in &g.nodes {
            if n.op == Op::Reshape {
                if let (Some(&x), Some(&y)) = (n.inputs.first(), n.outputs.first()) {
                    if !g.tensors[x].is_const() {
                        root[y] = root[x];
                    }
                }
            }
        }
        let is_output = g.output_mask();
        Problem {
            g,
            dep,
            order,
            macs,
            producer,
            consumers,
            sensed_by,
            root,
            is_output,
        }
    }

    /// The operator graph: an edge between a tensor's producer and each of its consumers,
    /// weighted by the tensor's bytes (at least 1); parallel edges add up.
    pub fn operator_graph(&self) -> Result<WeightedGraph, ClusterError> {
        let mut edges: Vec<(usize, usize, f64)> = Vec::new();
        for (t, cons) in self.consumers.iter().enumerate() {
            let Some(src) = self.producer[t] else {
                continue;
            };
            let w = self.g.tensors[t].size_bytes() as f64;
            for &c in cons {
                if c != src {
                    edges.push((src.min(c), src.max(c), w.max(1.0)));
                }
            }
        }
        WeightedGraph::from_edges(self.g.nodes.len(), &edges)
    }

    pub fn devices(&self) -> usize {
        self.dep.devices.len()
    }

    /// The nodes that produce the graph outputs, and, for each one that only converts
    /// (QuantizeLinear / DequantizeLinear), the producer of what it converts, back to the
    /// first node that computes: they run on the hub. Where a placement rule names the
    /// output's producer, it means the node computing the output, the same node in a float
    /// model and in its quantised twin: there the classifier writes int8 logits and a
    /// DequantizeLinear makes them the float output, and the classifier must stay on the hub
    /// as in the float model (placed on a student's device to save the link bytes of a
    /// few features, losing that device would lose the answer). Increasing, no duplicates.
    pub fn output_nodes(&self) -> Vec<NodeId> {
        let mut nodes = Vec::new();
        for &t in &self.g.outputs {
            let mut at = self.producer[t];
            while let Some(i) = at {
                if nodes.contains(&i) {
                    break;
                }
                nodes.push(i);
                let n = &self.g.nodes[i];
                at = match n.inputs.first() {
                    Some(&x) if n.op.is_quantisation() => self.producer[x],
                    _ => None,
                };
            }
        }
        nodes.sort_unstable();
        nodes
    }

    /// Devices that hold tensor `t` without receiving it (producer or sensors).
    fn sources(&self, t: TensorId, assign: &[usize]) -> Vec<usize> {
        match self.producer[t] {
            Some(p) => vec![assign[p]],
            None => self.sensed_by[t].clone(),
        }
    }

    /// Devices that read tensor `t` (the hub also "reads" graph outputs).
    pub fn readers(&self, t: TensorId, assign: &[usize]) -> Vec<usize> {
        let mut r: Vec<usize> = self.consumers[t].iter().map(|&c| assign[c]).collect();
        if self.is_output[t] {
            r.push(self.dep.hub);
        }
        r.sort_unstable();
        r.dedup();
        r
    }

    /// The cut tensors: (tensor, source device, destination devices).
    pub fn cut(&self, assign: &[usize]) -> Vec<(TensorId, usize, Vec<usize>)> {
        let mut cut = Vec::new();
        for t in 0..self.g.tensors.len() {
            if self.g.tensors[t].is_const() {
                continue;
            }
            let src = self.sources(t, assign);
            let Some(&first) = src.first() else { continue };
            let dst: Vec<usize> = self
                .readers(t, assign)
                .into_iter()
                .filter(|d| !src.contains(d))
                .collect();
            if !dst.is_empty() {
                cut.push((t, first, dst));
            }
        }
        cut
    }

    /// Payload bytes tensor `t` puts on the link under `assign` (0 when it is not cut).
    fn cut_bytes(&self, t: TensorId, assign: &[usize]) -> u64 {
        if self.g.tensors[t].is_const() {
            return 0;
        }
        let src = self.sources(t, assign);
        if src.is_empty() {
            return 0;
        }
        let dst = self
            .readers(t, assign)
            .into_iter()
            .filter(|d| !src.contains(d))
            .count();
        self.g.tensors[t].size_bytes() as u64 * dst as u64
    }

    /// Whether view node `i` runs on another device than its input's producer.
    fn split_view(&self, i: NodeId, assign: &[usize]) -> bool {
        let n = &self.g.nodes[i];
        n.op == Op::Reshape
            && n.inputs
                .first()
                .and_then(|&t| self.producer[t])
                .is_some_and(|p| assign[p] != assign[i])
    }

    /// Payload plus per-frame header bytes of sending `payload` bytes at the link MTU,
    /// fragmented as the link layer does (`crate::link`).
    pub fn wire_bytes(&self, payload: u64) -> u64 {
        self.dep.link.framing().wire_bytes(payload)
    }

    /// RAM estimate of device `d`: peak live runtime bytes of its nodes in model order.
    pub fn ram(&self, assign: &[usize], d: usize) -> u64 {
        let g = self.g;
        let n_steps = self.order.len();
        // Lifetimes (first, last step) of the buffers the device touches: sparse, so a
        // device's estimate costs its own nodes, not the whole graph's tensors.
        let mut life: BTreeMap<TensorId, (usize, usize)> = BTreeMap::new();
        let mut touch = |t: TensorId, s: usize| {
            let e = life.entry(self.root[t]).or_insert((s, s));
            e.0 = e.0.min(s);
            e.1 = e.1.max(s);
        };
        let mut link_bytes = 0u64;
        for (s, &i) in self.order.iter().enumerate() {
            if assign[i] != d {
                continue;
            }
            let node = &g.nodes[i];
            for &t in &node.inputs {
                if g.tensors[t].is_const() {
                    continue;
                }
                let local = match self.producer[t] {
                    Some(p) => assign[p] == d,
                    None => false,
                };
                touch(t, if local { s } else { 0 });
                touch(t, s);
            }
            for &t in &node.outputs {
                touch(t, s);
                if self.is_output[t] && d == self.dep.hub {
                    touch(t, n_steps);
                }
            }
        }
        // Sensed inputs this device sends to others (it is the first sensor: `cut`).
        for &t in &g.inputs {
            if self.sensed_by[t].first() == Some(&d)
                && self
                    .readers(t, assign)
                    .iter()
                    .any(|r| !self.sensed_by[t].contains(r))
            {
                touch(t, 0);
            }
        }
        // Graph outputs produced elsewhere but delivered to the hub.
        if d == self.dep.hub {
            for &t in &self.g.outputs {
                if !g.tensors[t].is_const() {
                    let remote = self.producer[t].is_none_or(|p| assign[p] != d);
                    if remote {
                        touch(t, 0);
                        touch(t, n_steps);
                    }
                }
            }
        }
        // The peak of the live bytes: buffers start and end at sorted steps.
        let mut events: Vec<(usize, i64)> = Vec::with_capacity(2 * life.len());
        for (&r, &(first, last)) in &life {
            let size = g.tensors[r].size_bytes() as i64;
            events.push((first, size));
            events.push((last + 1, -size));
        }
        events.sort_unstable();
        let mut live = 0i64;
        let mut peak = 0i64;
        for (k, &(step, delta)) in events.iter().enumerate() {
            live += delta;
            if events.get(k + 1).is_none_or(|&(next, _)| next != step) {
                peak = peak.max(live);
            }
        }
        // One frame buffer each way.
        if self.devices() > 1 {
            link_bytes = 2 * (self.dep.link.mtu_bytes as u64 + link::LINK_HEADER_BYTES as u64)
                + self.dep.link.framing().scratch_bytes();
        }
        let dev = &self.dep.devices[d];
        let mut peak = peak as u64;
        if dev.patch.auto && peak + link_bytes > dev.ram_budget() {
            peak = peak.min(self.patched_peak(assign, d));
        }
        peak + link_bytes
    }

    /// The lower bound of device `d`'s arena in model order with patch-based execution
    /// (only asked when the plain estimate does not fit: choosing patches costs more).
    fn patched_peak(&self, assign: &[usize], d: usize) -> u64 {
        let g = self.g;
        let order: Vec<NodeId> = self
            .order
            .iter()
            .copied()
            .filter(|&i| assign[i] == d)
            .collect();
        let mut present: Vec<TensorId> = Vec::new();
        for &i in &order {
            for &t in &g.nodes[i].inputs {
                let remote = self.producer[t].is_none_or(|p| assign[p] != d);
                if remote && !g.tensors[t].is_const() && !present.contains(&t) {
                    present.push(t);
                }
            }
        }
        let outputs: Vec<TensorId> = match d == self.dep.hub {
            true => g.outputs.clone(),
            false => Vec::new(),
        };
        let opts = &self.dep.devices[d].patch;
        let patches = patch::choose(g, &order, &present, &outputs, opts);
        memory::lower_bound_with(g, &order, &present, &outputs, &patches) as u64
    }

    /// Flash estimate of device `d`: distinct constants read plus code.
    pub fn flash(&self, assign: &[usize], d: usize) -> u64 {
        let g = self.g;
        let mut seen = vec![false; g.tensors.len()];
        let mut bytes = CODE_BYTES_FIXED;
        for (i, n) in g.nodes.iter().enumerate() {
            if assign[i] != d {
                continue;
            }
            bytes += CODE_BYTES_PER_NODE;
            for &t in &n.inputs {
                if g.tensors[t].is_const() && !seen[t] {
                    seen[t] = true;
                    bytes += g.tensors[t].size_bytes() as u64;
                }
            }
        }
        bytes
    }

    /// Most MACs one device may take under the balance tolerance.
    pub fn macs_cap(&self) -> Option<u64> {
        let total: u64 = self.macs.iter().sum();
        self.dep
            .balance_tolerance
            .map(|tol| (((1.0 + tol) * total as f64 / self.devices() as f64).ceil() as u64).max(1))
    }

    /// Evaluate an assignment.
    pub fn eval(&self, assign: &[usize]) -> Eval {
        let nd = self.devices();
        let mut loads = vec![Load::default(); nd];
        for (i, &d) in assign.iter().enumerate() {
            loads[d].macs += self.macs[i];
            loads[d].nodes += 1;
        }
        for (d, load) in loads.iter_mut().enumerate() {
            load.flash = self.flash(assign, d);
            load.ram = self.ram(assign, d);
        }
        let bytes = (0..self.g.tensors.len())
            .map(|t| self.cut_bytes(t, assign))
            .sum();
        let split_views = (0..self.g.nodes.len())
            .filter(|&i| self.split_view(i, assign))
            .count();
        self.evaluated(loads, bytes, split_views)
    }

    /// The evaluation of `assign` with node `i` moved to device `to`, computed from
    /// `before` (the evaluation of `assign`) by recomputing only what the move can change:
    /// the loads of the devices that hold `i` or its neighbours (and the hub), the cut
    /// bytes of `i`'s tensors and the views next to `i`. Equal to `eval` of the moved
    /// assignment (a test checks); `assign` is left as it was.
    pub fn eval_move(&self, assign: &mut [usize], before: &Eval, i: NodeId, to: usize) -> Eval {
        self.moved(assign, before, i, to, true)
    }

    /// A move's evaluation for comparing moves (`Eval::better_than`): as `eval_move`,
    /// except that when the move provably keeps every device whose RAM or flash it can
    /// change within budget, before and after, those loads keep their `before` values
    /// instead of being recomputed. `better_than` reads RAM and flash only through the
    /// budget violation, which is then zero for those devices either way, so comparisons
    /// are the same, at a cost of the node's degree instead of its devices' sizes. Use
    /// `eval_move` for the move actually made.
    pub fn eval_move_to_compare(
        &self,
        assign: &mut [usize],
        before: &Eval,
        i: NodeId,
        to: usize,
    ) -> Eval {
        self.moved(assign, before, i, to, false)
    }

    fn moved(
        &self,
        assign: &mut [usize],
        before: &Eval,
        i: NodeId,
        to: usize,
        exact: bool,
    ) -> Eval {
        let from = assign[i];
        let node = &self.g.nodes[i];
        let tensors: Vec<TensorId> = node.inputs.iter().chain(&node.outputs).copied().collect();
        let mut views: Vec<NodeId> = vec![i];
        for &t in &node.outputs {
            views.extend(self.consumers[t].iter().copied());
        }
        // Whose RAM can change: the two devices, the devices reading i's outputs (local
        // or received), the hub when i produces a graph output, and the first sensor of a
        // graph input i reads (it keeps the input for the devices that do not sense it).
        let mut devices = vec![from, to];
        for &t in &node.inputs {
            devices.extend(self.sensed_by[t].first().copied());
        }
        for &t in &node.outputs {
            devices.extend(self.consumers[t].iter().map(|&c| assign[c]));
            if self.is_output[t] {
                devices.push(self.dep.hub);
            }
        }
        devices.sort_unstable();
        devices.dedup();
        let old_bytes: u64 = tensors.iter().map(|&t| self.cut_bytes(t, assign)).sum();
        let old_views = views
            .iter()
            .filter(|&&v| self.split_view(v, assign))
            .count();
        assign[i] = to;
        let new_bytes: u64 = tensors.iter().map(|&t| self.cut_bytes(t, assign)).sum();
        let new_views = views
            .iter()
            .filter(|&&v| self.split_view(v, assign))
            .count();
        let mut loads = before.loads.clone();
        loads[from].macs -= self.macs[i];
        loads[from].nodes -= 1;
        loads[to].macs += self.macs[i];
        loads[to].nodes += 1;
        if exact || !self.stays_within_budgets(before, i, from, to, &devices) {
            for &d in &devices {
                loads[d].ram = self.ram(assign, d);
                if d == from || d == to {
                    loads[d].flash = self.flash(assign, d);
                }
            }
        }
        assign[i] = from;
        let bytes = before.bytes + new_bytes - old_bytes;
        let split_views = before.split_views + new_views - old_views;
        self.evaluated(loads, bytes, split_views)
    }

    /// Whether moving `i` from `from` to `to` keeps every device in `devices` (those
    /// whose RAM can change) within its RAM and flash budgets, before and after. A move
    /// changes the lifetime of at most the buffers of `i`'s own tensors on each of those
    /// devices, so a device's RAM grows by at most their bytes; only `to`'s flash grows,
    /// by `i`'s constants and code.
    fn stays_within_budgets(
        &self,
        before: &Eval,
        i: NodeId,
        from: usize,
        to: usize,
        devices: &[usize],
    ) -> bool {
        let g = self.g;
        let node = &g.nodes[i];
        let tensors = || node.inputs.iter().chain(&node.outputs);
        let ram_growth: u64 = tensors()
            .map(|&t| g.tensors[self.root[t]].size_bytes() as u64)
            .sum();
        let flash_growth: u64 = CODE_BYTES_PER_NODE
            + node
                .inputs
                .iter()
                .filter(|&&t| g.tensors[t].is_const())
                .map(|&t| g.tensors[t].size_bytes() as u64)
                .sum::<u64>();
        let ram_ok = devices.iter().all(|&d| {
            before.loads[d].ram.saturating_add(ram_growth) <= self.dep.devices[d].ram_budget()
        });
        let flash_ok = before.loads[from].flash <= self.dep.devices[from].flash_budget()
            && before.loads[to].flash.saturating_add(flash_growth)
                <= self.dep.devices[to].flash_budget();
        ram_ok && flash_ok
    }

    /// An evaluation from its loads, cut bytes and split views (the violations follow).
    fn evaluated(&self, loads: Vec<Load>, bytes: u64, split_views: usize) -> Eval {
        let mut budget_violation = 0.0;
        let mut balance_violation = 0.0;
        let macs_cap = self.macs_cap();
        for (d, load) in loads.iter().enumerate() {
            let dev = &self.dep.devices[d];
            budget_violation += over(load.ram, dev.ram_budget());
            budget_violation += over(load.flash, dev.flash_budget());
            if let Some(cap) = macs_cap {
                balance_violation += over(load.macs, cap);
            }
        }
        Eval {
            bytes,
            loads,
            budget_violation,
            balance_violation,
            split_views,
        }
    }
}

fn over(used: u64, cap: u64) -> f64 {
    if used > cap {
        (used - cap) as f64 / cap.max(1) as f64
    } else {
        0.0
    }
}
