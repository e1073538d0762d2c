//! The result of memory planning: buffers with live intervals and arena offsets, the
//! arena size and its lower bound, and the overlap check tests run on every plan. Both the
//! planner ([`super::memory`]) and the placement search ([`super::pack`]) use these types.

use crate::ir::{NodeId, TensorId};
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
    /// The lower bound without patches (layer by layer); equals `lower_bound_bytes` when
    /// no chain is patched.
    pub layer_bound_bytes: usize,
    /// Chains run patch by patch (see `plan::patch`), by step.
    pub patches: Vec<super::patch::Patch>,
}

impl Plan {
    /// Arena byte offset of `node`'s scratch buffer, if it has one.
    /// The patch whose chain contains `node`.
    pub fn patch_of(&self, node: NodeId) -> Option<&super::patch::Patch> {
        self.patches.iter().find(|p| p.nodes.contains(&node))
    }
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
