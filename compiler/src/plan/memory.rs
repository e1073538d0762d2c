//! Static memory planner: one arena, a fixed offset for every runtime tensor.
//!
//! Algorithm (greedy by size, as in TFLite Micro's GreedyMemoryPlanner):
//! 1. Tensors that share storage (a Reshape/Flatten/Squeeze output is a view of its
//!    input) are merged into one *buffer*; a buffer lives from the step that first writes
//!    it to the step that last reads it (graph inputs from step 0, graph outputs to the
//!    end, where they are copied out). A kernel that needs scratch memory (see
//!    `kernels::scratch_bytes`) gets one more buffer, live only during its step.
//! 2. Buffers get offsets so that buffers live at the same step never overlap: greedy
//!    placement plus a short local search, in [`super::pack`].
//!
//! A QuantizeLinear run at intake (see [`super::intake`]) reads the caller's float input:
//! that input gets no buffer, and the int8 tensor it writes is live from step 0.
//!
//! With patches (see [`super::patch`]) a chain's intermediate tensors get no buffer: its
//! tiles all run at the chain's first step, reading the chain's input and writing its
//! output there, with one workspace buffer (patch buffers and kernel scratch) live at that
//! step only.
//!
//! The *lower bound* is the peak, over steps, of the bytes of buffers live at that step
//! (scratch included): no placement of the same order can use less. [`check`] verifies that no two buffers
//! live at the same time overlap in the arena (tests run it on every plan).

pub use super::buffer::{check, Buffer, Plan, ALIGN};
use super::patch::{self, Patch, PatchOptions};
use crate::ir::{Graph, NodeId, Op, TensorId};
use crate::kernels::scratch_bytes;

/// Plan the arena for running `g`'s nodes `order` (all of them, or one device's) when
/// `inputs` are present from the start (graph inputs a device senses, tensors it
/// receives) and `outputs` must survive to the end (graph outputs it delivers).
pub fn plan(g: &Graph, order: &[NodeId], inputs: &[TensorId], outputs: &[TensorId]) -> Plan {
    plan_with(g, order, inputs, outputs, Vec::new())
}

/// [`plan`], running chains patch by patch where `opts` allows and it lowers the peak.
pub fn plan_patched(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
    opts: &PatchOptions,
) -> Plan {
    let patches = patch::choose(g, order, inputs, outputs, opts);
    plan_with(g, order, inputs, outputs, patches)
}

/// The lower bound of the arena for `order` with `patches` (no placement).
pub fn lower_bound_with(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
    patches: &[Patch],
) -> usize {
    lower_bound(
        &all_buffers(g, order, inputs, outputs, patches),
        order.len(),
    )
}

/// The buffers of running `order` unpatched (see [`plan`]) and their lower bound, before
/// placement (the scheduler compares candidate orders by it).
pub fn buffers(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
) -> (Vec<Buffer>, usize) {
    let buffers = all_buffers(g, order, inputs, outputs, &[]);
    let lower_bound_bytes = lower_bound(&buffers, order.len());
    (buffers, lower_bound_bytes)
}

fn plan_with(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
    patches: Vec<Patch>,
) -> Plan {
    let buffers = all_buffers(g, order, inputs, outputs, &patches);
    let lower_bound_bytes = lower_bound(&buffers, order.len());
    let layer_bound_bytes = match patches.is_empty() {
        true => lower_bound_bytes,
        false => lower_bound_with(g, order, inputs, outputs, &[]),
    };
    Plan {
        layer_bound_bytes,
        patches,
        ..place(g, buffers, lower_bound_bytes)
    }
}

/// Give `buffers` their offsets (see [`super::pack`]) and map every tensor to its offset
/// (an unpatched plan: its layer-by-layer bound is its lower bound).
pub fn place(g: &Graph, mut buffers: Vec<Buffer>, lower_bound_bytes: usize) -> Plan {
    let (arena_bytes, offs) = super::pack::pack(&buffers, lower_bound_bytes);
    for (b, off) in buffers.iter_mut().zip(offs) {
        b.offset = off;
    }
    let mut offsets = vec![None; g.tensors.len()];
    for b in &buffers {
        for &t in &b.tensors {
            offsets[t] = Some(b.offset);
        }
    }
    Plan {
        buffers,
        offsets,
        arena_bytes,
        lower_bound_bytes,
        layer_bound_bytes: lower_bound_bytes,
        patches: Vec::new(),
    }
}

/// Every buffer of `order` with `patches`: tensors, kernel scratch, patch workspaces.
fn all_buffers(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
    patches: &[Patch],
) -> Vec<Buffer> {
    let mut steps: Vec<usize> = (0..order.len()).collect();
    let mut hidden = vec![false; g.tensors.len()];
    for p in patches {
        for s in &mut steps[p.step..p.step + p.nodes.len()] {
            *s = p.step;
        }
        for &t in p.hidden() {
            hidden[t] = true;
        }
    }
    let mut b = tensor_buffers(g, order, inputs, outputs, &steps, &hidden);
    b.extend(scratch_buffers(g, order, patches));
    b
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Union-find parents that merge every runtime view (Reshape output) with its input.
fn alias_groups(g: &Graph, order: &[NodeId]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..g.tensors.len()).collect();
    let runtime = |t: TensorId| !g.tensors[t].is_const();
    for &i in order {
        let node = &g.nodes[i];
        if node.op == Op::Reshape {
            if let (Some(&x), Some(&y)) = (node.inputs.first(), node.outputs.first()) {
                if runtime(x) && runtime(y) {
                    let (a, b) = (find(&mut parent, x), find(&mut parent, y));
                    parent[b] = a;
                }
            }
        }
    }
    parent
}

/// One buffer per alias group of runtime tensors, live from the step that first touches
/// it to the step that last does (inputs from step 0, outputs to the end).
/// `steps[k]` is the step at which the node at position k runs (a patched chain's nodes
/// all run at its first); `hidden` tensors get no buffer (they live in a workspace).
fn tensor_buffers(
    g: &Graph,
    order: &[NodeId],
    inputs: &[TensorId],
    outputs: &[TensorId],
    steps: &[usize],
    hidden: &[bool],
) -> Vec<Buffer> {
    let nt = g.tensors.len();
    // An intake node's float input stays with the caller; its int8 output is present
    // from the start, like the input it replaces (see `super::intake`).
    let mut from_caller = vec![false; nt];
    let mut at_intake = Vec::new();
    for &i in order.iter().filter(|i| g.intake.contains(i)) {
        let (x, y) = super::intake::tensors(g, i);
        from_caller[x] = true;
        at_intake.push(y);
    }
    let runtime = |t: &&TensorId| !g.tensors[**t].is_const() && !hidden[**t] && !from_caller[**t];
    let mut parent = alias_groups(g, order);
    let end = order.len();
    let mut first = vec![usize::MAX; nt];
    let mut last = vec![0usize; nt];
    let mut size = vec![0usize; nt];
    let mut members: Vec<Vec<TensorId>> = vec![Vec::new(); nt];
    let mut member = vec![false; nt];
    let steps = order.iter().zip(steps).flat_map(|(&i, &step)| {
        let node = &g.nodes[i];
        node.inputs
            .iter()
            .chain(&node.outputs)
            .map(move |t| (step, t))
    });
    let touched = (inputs.iter().chain(&at_intake).map(|t| (0, t)))
        .chain(steps)
        .chain(outputs.iter().map(|t| (end, t)));
    for (step, &t) in touched.filter(|(_, t)| runtime(t)) {
        let r = find(&mut parent, t);
        first[r] = first[r].min(step);
        last[r] = last[r].max(step);
        size[r] = size[r].max(g.tensors[t].size_bytes().next_multiple_of(ALIGN));
        if !member[t] {
            member[t] = true;
            members[r].push(t);
        }
    }
    (0..nt)
        .filter(|&r| first[r] != usize::MAX)
        .map(|r| {
            let mut tensors = std::mem::take(&mut members[r]);
            tensors.sort_unstable();
            Buffer {
                tensors,
                size: size[r],
                first: first[r],
                last: last[r],
                offset: 0,
                scratch_of: None,
            }
        })
        .collect()
}

/// The scratch buffer of each step whose kernel needs one, live only during that step;
/// a patched chain has one workspace instead, the scratch "of" its first node.
fn scratch_buffers(g: &Graph, order: &[NodeId], patches: &[Patch]) -> Vec<Buffer> {
    let patch_at = |step: usize| {
        patches
            .iter()
            .find(|p| (p.step..p.step + p.nodes.len()).contains(&step))
    };
    order
        .iter()
        .enumerate()
        .filter_map(|(step, &i)| {
            let size = match patch_at(step) {
                Some(p) if p.step == step => p.workspace_bytes().next_multiple_of(ALIGN),
                Some(_) => 0,
                None => scratch_bytes(g, &g.nodes[i]),
            };
            (size > 0).then_some(Buffer {
                tensors: Vec::new(),
                size,
                first: step,
                last: step,
                offset: 0,
                scratch_of: Some(i),
            })
        })
        .collect()
}

/// The peak, over steps `0..=end`, of the bytes of buffers live at that step (a running
/// sum over the steps where buffers start and end: linear in buffers and steps).
fn lower_bound(buffers: &[Buffer], end: usize) -> usize {
    let mut delta = vec![0i128; end + 2];
    for b in buffers {
        delta[b.first] += b.size as i128;
        delta[b.last + 1] -= b.size as i128;
    }
    let mut live = 0i128;
    let mut peak = 0i128;
    for d in &delta[..=end] {
        live += d;
        peak = peak.max(live);
    }
    peak as usize
}
