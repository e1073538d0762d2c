//! Initial placements for the refinement: modularity communities mapped onto devices,
//! contiguous pipeline cuts (the `layer` strategy), and everything on the hub.

use super::model::{Eval, Problem};
use crate::cluster::{self, ClusterOptions, Method};
use crate::ir::NodeId;

/// Modularity seed: Louvain communities of the operator graph (edge weight = bytes of the
/// tensors between two operators), then each community placed as a whole: communities
/// with pinned nodes first (graph-output producers on the hub; consumers of a sensed input
/// on the least-loaded device that senses it), the rest on the device where they add the
/// fewest cut bytes, preferring the least-loaded. Returns the assignment and Q.
pub fn modularity(p: &Problem) -> (Vec<usize>, f64) {
    let (labels, q) = louvain_communities(p);
    let mut placer = CommunityPlacer::new(p, &labels);
    placer.place_output_communities();
    let by_size = placer.communities_by_macs();
    placer.place_sensing_communities(&by_size);
    placer.place_rest_by_cut_bytes(&by_size);
    (placer.finish(), q)
}

/// Louvain communities of the operator graph and their Q; every node alone (Q = 0)
/// when the graph cannot be clustered.
fn louvain_communities(p: &Problem) -> (Vec<usize>, f64) {
    let n = p.g.nodes.len();
    let opts = ClusterOptions {
        k: None,
        method: Method::Louvain,
        balanced: false,
    };
    match p.operator_graph() {
        Ok(wg) if n > 0 => match cluster::cluster_weighted(&wg, &opts) {
            Ok(c) => (c.labels, c.modularity),
            Err(_) => ((0..n).collect(), 0.0),
        },
        _ => ((0..n).collect(), 0.0),
    }
}

/// Places whole communities onto devices, tracking each device's MACs.
struct CommunityPlacer<'a> {
    p: &'a Problem<'a>,
    labels: &'a [usize],
    /// Nodes of each community, increasing.
    members: Vec<Vec<NodeId>>,
    /// Device of each node; `usize::MAX` while unplaced.
    assign: Vec<usize>,
    /// MACs placed on each device so far.
    macs: Vec<u64>,
    placed: Vec<bool>,
}

impl<'a> CommunityPlacer<'a> {
    fn new(p: &'a Problem<'a>, labels: &'a [usize]) -> Self {
        let k = labels.iter().copied().max().map_or(0, |m| m + 1);
        let mut members: Vec<Vec<NodeId>> = vec![Vec::new(); k];
        for (i, &l) in labels.iter().enumerate() {
            members[l].push(i);
        }
        CommunityPlacer {
            p,
            labels,
            members,
            assign: vec![usize::MAX; labels.len()],
            macs: vec![0u64; p.devices()],
            placed: vec![false; k],
        }
    }

    fn place(&mut self, c: usize, d: usize) {
        for &i in &self.members[c] {
            self.assign[i] = d;
            self.macs[d] += self.p.macs[i];
        }
        self.placed[c] = true;
    }

    /// Communities producing a graph output go to the hub (`Problem::output_nodes`: in a
    /// quantised model also the community of the node whose result the output's
    /// DequantizeLinear converts).
    fn place_output_communities(&mut self) {
        let p = self.p;
        for i in p.output_nodes() {
            let c = self.labels[i];
            if !self.placed[c] {
                self.place(c, p.dep.hub);
            }
        }
    }

    /// Communities by decreasing MACs (ties by number): the order they choose devices in.
    fn communities_by_macs(&self) -> Vec<usize> {
        let mut by_size: Vec<usize> = (0..self.members.len()).collect();
        by_size.sort_by_key(|&c| {
            (
                std::cmp::Reverse(self.members[c].iter().map(|&i| self.p.macs[i]).sum::<u64>()),
                c,
            )
        });
        by_size
    }

    /// Communities reading a sensed input go onto a sensing device, least loaded first;
    /// largest communities choose first.
    fn place_sensing_communities(&mut self, by_size: &[usize]) {
        for &c in by_size {
            if self.placed[c] {
                continue;
            }
            let sensors = self.sensing_devices(c);
            if let Some(&d) = sensors.iter().min_by_key(|&&d| (self.macs[d], d)) {
                self.place(c, d);
            }
        }
    }

    /// Devices that sense an input of community `c`, in order of first appearance.
    fn sensing_devices(&self, c: usize) -> Vec<usize> {
        let p = self.p;
        let mut sensors: Vec<usize> = Vec::new();
        for &i in &self.members[c] {
            for &t in &p.g.nodes[i].inputs {
                for &d in &p.sensed_by[t] {
                    if !sensors.contains(&d) {
                        sensors.push(d);
                    }
                }
            }
        }
        sensors
    }

    /// The remaining communities go where they add the fewest cut bytes (ties: least
    /// loaded, then lowest device).
    fn place_rest_by_cut_bytes(&mut self, by_size: &[usize]) {
        for &c in by_size {
            if self.placed[c] {
                continue;
            }
            let mut best = (u64::MAX, u64::MAX, 0usize);
            for (d, &load) in self.macs.iter().enumerate() {
                let bytes = self.cut_bytes_with(c, d);
                if (bytes, load) < (best.0, best.1) {
                    best = (bytes, load, d);
                }
            }
            self.place(c, best.2);
        }
    }

    /// Payload bytes on the link with community `c` on device `d` (unplaced nodes
    /// provisionally on the hub).
    fn cut_bytes_with(&self, c: usize, d: usize) -> u64 {
        let p = self.p;
        let mut trial = self.assign.clone();
        for &i in &self.members[c] {
            trial[i] = d;
        }
        let filled: Vec<usize> = trial
            .iter()
            .map(|&x| if x == usize::MAX { p.dep.hub } else { x })
            .collect();
        p.cut(&filled)
            .iter()
            .map(|(t, _, dst)| p.g.tensors[*t].size_bytes() as u64 * dst.len() as u64)
            .sum()
    }

    /// The assignment, with anything still unplaced on the hub.
    fn finish(self) -> Vec<usize> {
        let hub = self.p.dep.hub;
        self.assign
            .into_iter()
            .map(|a| if a == usize::MAX { hub } else { a })
            .collect()
    }
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

/// The best two-segment cut of `order` (first segment on the first pipeline device, rest
/// on the hub; the first of equally good ones), when there are two pipeline devices: an
/// exhaustive search over pipeline cuts. Each cut is the previous one with one node moved,
/// so it is evaluated incrementally (`Problem::eval_move`) and only the best is kept.
pub fn best_two_way_cut(p: &Problem, order: &[NodeId]) -> Option<(Vec<usize>, Eval)> {
    let devs = pipeline_devices(p);
    if devs.len() != 2 || order.len() < 2 {
        return None;
    }
    let mut assign = vec![devs[1]; p.g.nodes.len()];
    let mut eval = p.eval(&assign);
    let mut best: Option<(usize, Eval)> = None;
    for k in 1..order.len() {
        let i = order[k - 1];
        eval = p.eval_move(&mut assign, &eval, i, devs[0]);
        assign[i] = devs[0];
        if best.as_ref().is_none_or(|(_, b)| eval.better_than(b)) {
            best = Some((k, eval.clone()));
        }
    }
    let (k, e) = best?;
    let mut a = vec![devs[1]; p.g.nodes.len()];
    for &i in &order[..k] {
        a[i] = devs[0];
    }
    Some((a, e))
}
