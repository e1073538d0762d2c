//! Static memory planner: one arena, a fixed offset for every runtime tensor.
//!
//! Algorithm (greedy by size, as in TFLite Micro's GreedyMemoryPlanner):
//! 1. Tensors that share storage (a Reshape/Flatten/Squeeze output is a view of its
//!    input) are merged into one *buffer*; a buffer lives from the step that first writes
//!    it to the step that last reads it (graph inputs from step 0, graph outputs to the
//!    end, where they are copied out). A kernel that needs scratch memory (see
//!    `codegen::fast::scratch_bytes`) gets one more buffer, live only during its step.
//! 2. Buffers get offsets so that buffers live at the same step never overlap: greedy
//!    placement plus a short local search, in [`super::pack`].
//!
//! The *lower bound* is the peak, over steps, of the bytes of buffers live at that step
//! (scratch included): no placement of the same order can use less. [`check`] verifies that no two buffers
//! live at the same time overlap in the arena (tests run it on every plan).

use crate::ir::{Graph, NodeId, Op, TensorId};
use std::fmt;

/// Offsets are multiples of this many bytes (one float).
pub const ALIGN: usize = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct Buffer {
    /// Tensors stored here (a tensor and its views).
    pub tensors: Vec<TensorId>,
    pub size: usize,
    /// First and last step (index into the order) at which the buffer is live.
    pub first: usize,
    pub last: usize,
    pub offset: usize,
    /// `Some(node)` for the scratch buffer of that node's kernel (then `tensors` is empty).
    pub scratch_of: Option<NodeId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub buffers: Vec<Buffer>,
    /// Byte offset of each runtime tensor in the arena (None for constants/unused).
    pub offsets: Vec<Option<usize>>,
    pub arena_bytes: usize,
    pub lower_bound_bytes: usize,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Plan the arena for running `g`'s nodes `order` (all of them, or one device's) when
/// `inputs` are present from the start (graph inputs a device senses, tensors it
/// receives) and `outputs` must survive to the end (graph outputs it delivers).
pub fn plan(g: &Graph, order: &[NodeId], inputs: &[TensorId], outputs: &[TensorId]) -> Plan {
    let nt = g.tensors.len();
    let runtime = |t: TensorId| !g.tensors[t].is_const();
    // 1. alias groups
    let mut parent: Vec<usize> = (0..nt).collect();
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
    // 2. live intervals per group
    let end = order.len();
    let mut first = vec![usize::MAX; nt];
    let mut last = vec![0usize; nt];
    let mut size = vec![0usize; nt];
    let mut members: Vec<Vec<TensorId>> = vec![Vec::new(); nt];
    let mut touch = |t: TensorId, step: usize, parent: &mut [usize]| {
        let r = find(parent, t);
        first[r] = first[r].min(step);
        last[r] = last[r].max(step);
        size[r] = size[r].max(g.tensors[t].size_bytes());
        if !members[r].contains(&t) {
            members[r].push(t);
        }
    };
    for &t in inputs {
        if runtime(t) {
            touch(t, 0, &mut parent);
        }
    }
    for (step, &i) in order.iter().enumerate() {
        let node = &g.nodes[i];
        for &t in node.inputs.iter().chain(&node.outputs) {
            if runtime(t) {
                touch(t, step, &mut parent);
            }
        }
    }
    for &t in outputs {
        if runtime(t) {
            touch(t, end, &mut parent);
        }
    }
    let mut buffers: Vec<Buffer> = (0..nt)
        .filter(|&r| first[r] != usize::MAX)
        .map(|r| {
            let mut tensors = members[r].clone();
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
        .collect();
    for (step, &i) in order.iter().enumerate() {
        let size = crate::codegen::fast::scratch_bytes(g, &g.nodes[i]);
        if size > 0 {
            buffers.push(Buffer {
                tensors: Vec::new(),
                size,
                first: step,
                last: step,
                offset: 0,
                scratch_of: Some(i),
            });
        }
    }
    // 3. lower bound
    let mut live = vec![0usize; end + 1];
    for b in &buffers {
        for l in &mut live[b.first..=b.last] {
            *l += b.size;
        }
    }
    let lower_bound_bytes = live.iter().copied().max().unwrap_or(0);
    // 4. placement (see `pack`)
    let (arena_bytes, offs) = super::pack::pack(&buffers, lower_bound_bytes);
    for (b, off) in buffers.iter_mut().zip(offs) {
        b.offset = off;
    }
    let mut offsets = vec![None; nt];
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
    }
}

impl Plan {
    /// Arena byte offset of `node`'s scratch buffer, if it has one.
    pub fn scratch_offset(&self, node: NodeId) -> Option<usize> {
        self.buffers
            .iter()
            .find(|b| b.scratch_of == Some(node))
            .map(|b| b.offset)
    }
}

/// Verify that buffers live at the same step never share arena bytes and fit the arena.
pub fn check(plan: &Plan) -> Result<(), String> {
    for (i, a) in plan.buffers.iter().enumerate() {
        if a.offset + a.size > plan.arena_bytes || a.offset % ALIGN != 0 {
            return Err(format!(
                "buffer {i} [{}, +{}) outside the arena or misaligned",
                a.offset, a.size
            ));
        }
        for (j, b) in plan.buffers.iter().enumerate().skip(i + 1) {
            let time = a.first <= b.last && b.first <= a.last;
            let space = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
            if time && space && a.size > 0 && b.size > 0 {
                return Err(format!(
                    "buffers {i} (steps {}..={}, bytes {}..{}) and {j} (steps {}..={}, bytes {}..{}) overlap",
                    a.first, a.last, a.offset, a.offset + a.size, b.first, b.last, b.offset, b.offset + b.size
                ));
            }
        }
    }
    Ok(())
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "arena {} bytes (lower bound {} bytes)",
            self.arena_bytes, self.lower_bound_bytes
        )?;
        let mut b: Vec<&Buffer> = self.buffers.iter().collect();
        b.sort_by_key(|b| (b.offset, b.first));
        for buf in b {
            writeln!(
                f,
                "  [{:>8} .. {:>8}) steps {:>3}..={:<3} {}",
                buf.offset,
                buf.offset + buf.size,
                buf.first,
                buf.last,
                match buf.scratch_of {
                    Some(n) => format!("scratch of node {n}"),
                    None => format!("tensors {:?}", buf.tensors),
                }
            )?;
        }
        Ok(())
    }
}
