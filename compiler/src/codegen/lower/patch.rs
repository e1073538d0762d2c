//! A patched chain (see `plan::patch`): for every tile, copy the input region into the
//! workspace, run each layer of the chain on patch-shaped tensors through the ordinary
//! lowering (`lower_node` on a one-node graph of the tile, whose window padding is the
//! padding this tile sees at the image border), ping-ponging between two patch buffers,
//! then copy the tile of the chain's output into the whole output tensor.

use super::movement::copy_call;
use super::{lower_node, Arg, Buf, Call, LowerError, Storage};
use crate::ir::layout::strides;
use crate::ir::{Graph, NodeId, TensorId};
use crate::plan::patch::{tile_node, Patch, Region};
use std::collections::HashMap;

/// Every call of the patched chain `p`, whose workspace starts at arena float `ws`.
pub fn lower_patch(
    g: &Graph,
    p: &Patch,
    ws: usize,
    st: &mut dyn Storage,
) -> Result<Vec<Call>, LowerError> {
    let bufs = [
        Span(ws, p.ping_bytes / 4),
        Span(ws + p.ping_bytes / 4, p.pong_bytes / 4),
    ];
    let scratch = Span(ws + (p.ping_bytes + p.pong_bytes) / 4, p.scratch_bytes / 4);
    let mut packed = HashMap::new();
    let mut calls = Vec::new();
    let last = p.tensors.len() - 1;
    for tile in &p.tiles {
        let (x, y) = (p.input(), p.output());
        calls.push(region_copy(g, x, tile[0], st.buf(x), bufs[0], true));
        for (j, &i) in p.nodes.iter().enumerate() {
            let (tg, origin) = tile_node(g, i, tile[j], tile[j + 1], true);
            let mut ts = TileStorage {
                parent: st,
                origin,
                input: bufs[j % 2],
                output: bufs[(j + 1) % 2],
                scratch,
                packed: &mut packed,
            };
            calls.extend(lower_node(&tg, 0, &mut ts)?);
        }
        calls.push(region_copy(
            g,
            y,
            tile[last],
            st.buf(y),
            bufs[last % 2],
            false,
        ));
    }
    Ok(calls)
}

/// Copy region `r` of the [1, C, H, W] tensor `t` (at `whole`) to or from a dense
/// [C, h, w] patch at workspace part `patch` (`into_patch`: whole to patch).
fn region_copy(
    g: &Graph,
    t: TensorId,
    r: Region,
    whole: Buf,
    patch: Span,
    into_patch: bool,
) -> Call {
    let s = &g.tensors[t].shape;
    let (c, h, w) = (s[1], s[2], s[3]);
    let dims = [c, r.h(), r.w()];
    let image = ((r.h0 * w + r.w0) as i64, vec![(h * w) as i64, w as i64, 1]);
    let dense = (0, strides(&dims).iter().map(|&x| x as i64).collect());
    let patch = Arg::Buf(patch.buf());
    match into_patch {
        true => copy_call(&dims, image, dense, Arg::Buf(whole), patch),
        false => copy_call(&dims, dense, image, patch, Arg::Buf(whole)),
    }
}

/// A part of the chain's workspace: arena offset and length in floats.
#[derive(Clone, Copy)]
struct Span(usize, usize);

impl Span {
    fn buf(self) -> Buf {
        Buf::Arena {
            off: self.0,
            len: self.1,
        }
    }
}

/// Storage of one layer on one tile: its runtime input and output are patch buffers,
/// its constants the device's own tables (packed weights registered once per chain).
struct TileStorage<'a> {
    parent: &'a mut dyn Storage,
    /// For each tensor of the tile's graph, the tensor of the model it stands for.
    origin: Vec<TensorId>,
    input: Span,
    output: Span,
    scratch: Span,
    packed: &'a mut HashMap<String, Buf>,
}

impl Storage for TileStorage<'_> {
    fn buf(&self, t: TensorId) -> Buf {
        match t {
            0 => self.input.buf(),
            _ if t + 1 == self.origin.len() => self.output.buf(),
            _ => self.parent.buf(self.origin[t]),
        }
    }
    fn received(&self, _: TensorId) -> Option<usize> {
        None
    }
    fn scratch(&self, _: NodeId) -> Buf {
        self.scratch.buf()
    }
    fn float_table(&mut self, hint: &str, values: Vec<f32>) -> Buf {
        if let Some(b) = self.packed.get(hint) {
            return b.clone();
        }
        let b = self.parent.float_table(hint, values);
        self.packed.insert(hint.to_string(), b.clone());
        b
    }
    fn int_table(&mut self, hint: &str, values: Vec<i32>) -> Buf {
        self.parent.int_table(hint, values)
    }
    fn i8_table(&mut self, hint: &str, values: Vec<i8>) -> Buf {
        self.parent.i8_table(hint, values)
    }
    fn requant_table(&mut self, hint: &str, words: Vec<i32>) -> Buf {
        self.parent.requant_table(hint, words)
    }
}
