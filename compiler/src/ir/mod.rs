//! The meshnn intermediate representation: a static-shape dataflow graph.
//!
//! **Architecture Invariant:** nothing here knows about protobuf or ONNX files. The
//! importer (`crate::onnx`) produces a [`Graph`]; passes, the planner and the emitter read
//! and rewrite it. Every tensor has a fixed shape and a dtype; constants carry their data.
//! Nodes keep the ONNX node name and operator so reports and generated comments can point
//! back at the model. Partitioning keeps its node-to-device assignment outside the graph
//! (`partition::Partition`); the emitter can emit any subset of nodes.
//!
//! Here: tensors, nodes and the graph. `op` holds the operators, `eval` evaluates them on
//! constant inputs (import-time and pass-time folding), `cost` counts their MACs and
//! parameter bytes. Both `eval` and `cost` match every operator exhaustively, so a new
//! `Op` variant does not compile until each says what it does with it.

pub mod cost;
pub mod eval;
pub mod layout;
pub mod requant;

use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeSet, HashMap};

mod op;
pub use op::{
    Activation, BinaryKind, CellKind, Direction, NormAffine, NormKind, Op, PadMode, PoolKind,
    Recurrent, ReduceKind, UnaryKind, VariadicKind,
};

/// Index of a tensor in [`Graph::tensors`].
pub type TensorId = usize;
/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;

/// Element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    I64,
    I32,
    Bool,
    /// 8-bit integer, reserved for quantised kernels (scale/zero point in [`Quant`]).
    I8,
    U8,
}

impl DType {
    /// Bytes per element on a device. Bool is 4: a run-time bool tensor is stored as
    /// float32 0 / 1 (the kernels and the arena work in floats).
    pub fn size_bytes(self) -> usize {
        match self {
            DType::F32 | DType::I32 | DType::Bool => 4,
            DType::I64 => 8,
            DType::I8 | DType::U8 => 1,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::I64 => "int64",
            DType::I32 => "int32",
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::U8 => "uint8",
        }
    }
}

/// Affine quantisation parameters (real = scale * (q - zero_point)): one scale and zero
/// point for the whole tensor, or one per slice along `axis` (per-channel weights).
#[derive(Clone, Debug, PartialEq)]
pub struct Quant {
    pub scales: Vec<f32>,
    pub zero_points: Vec<i32>,
    /// The axis the parameters run along (0 and unused when per tensor).
    pub axis: usize,
}

impl Quant {
    pub fn per_tensor(scale: f32, zero_point: i32) -> Self {
        Quant {
            scales: vec![scale],
            zero_points: vec![zero_point],
            axis: 0,
        }
    }
    pub fn is_per_tensor(&self) -> bool {
        self.scales.len() == 1 && self.zero_points.len() == 1
    }
    /// The first (per tensor: the) scale.
    pub fn scale(&self) -> f32 {
        self.scales.first().copied().unwrap_or(1.0)
    }
    /// The first (per tensor: the) zero point.
    pub fn zero_point(&self) -> i32 {
        self.zero_points.first().copied().unwrap_or(0)
    }
    /// The parameter index of element `i` of a row-major tensor of `shape`.
    pub fn channel_of(&self, i: usize, shape: &[usize]) -> usize {
        if self.is_per_tensor() {
            return 0;
        }
        let inner: usize = shape.iter().skip(self.axis + 1).product();
        let dim = shape.get(self.axis).copied().unwrap_or(1).max(1);
        (i / inner.max(1)) % dim
    }
}

/// Constant tensor contents, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Values as i64 (floats truncated toward zero).
    pub fn to_i64(&self) -> Vec<i64> {
        match self {
            Data::F32(v) => v.iter().map(|x| *x as i64).collect(),
            Data::I64(v) => v.clone(),
        }
    }
    /// Values as f32.
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            Data::F32(v) => v.clone(),
            Data::I64(v) => v.iter().map(|x| *x as f32).collect(),
        }
    }
    /// The float32 values, `None` for int64 data.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match self {
            Data::F32(v) => Some(v),
            Data::I64(_) => None,
        }
    }
    /// The int64 values, `None` for float32 data.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match self {
            Data::I64(v) => Some(v),
            Data::F32(_) => None,
        }
    }
}

/// A value flowing along an edge of the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// The ONNX value name.
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Known at compile time (initialiser or folded).
    pub data: Option<Data>,
    pub quant: Option<Quant>,
}

impl Tensor {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn size_bytes(&self) -> usize {
        self.numel() * self.dtype.size_bytes()
    }
    pub fn is_const(&self) -> bool {
        self.data.is_some()
    }
}

/// Which runtime kernels may run a node: the fast variants (a convolution may need a
/// scratch buffer) or only the reference kernels (leanest memory). Set per device by the
/// driver from the device's `kernels` setting (see `deploy::Kernels`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KernelSet {
    #[default]
    Fast,
    Reference,
}

impl KernelSet {
    /// "fast" or "reference", as in deploy.toml.
    pub fn label(self) -> &'static str {
        match self {
            KernelSet::Fast => "fast",
            KernelSet::Reference => "reference",
        }
    }
}

/// One operator instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// ONNX node name (made unique and non-empty by the importer).
    pub name: String,
    /// The ONNX operator type as written in the model (e.g. "Flatten" for an `Op::Reshape`).
    pub onnx_op: String,
    pub op: Op,
    pub inputs: Vec<TensorId>,
    pub outputs: Vec<TensorId>,
    /// Kernels allowed on the node's device.
    pub kernels: KernelSet,
}

/// A whole model: tensors, nodes in a valid topological order, graph inputs and outputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    pub name: String,
    pub tensors: Vec<Tensor>,
    pub nodes: Vec<Node>,
    /// Runtime graph inputs (initialisers excluded).
    pub inputs: Vec<TensorId>,
    pub outputs: Vec<TensorId>,
    /// Notes for `inspect` (e.g. "batch dimension of 'x' bound to 1").
    pub notes: Vec<String>,
    /// Bytes of the constants folded so far, at import and by passes (at most
    /// `eval::MAX_FOLD_TOTAL_BYTES`; beyond it nodes stay and run on the device).
    pub folded_bytes: usize,
    /// QuantizeLinear nodes that run at intake: in `begin`, reading the caller's float
    /// input, so that input takes no arena (set per device by `plan::intake::mark`).
    pub intake: BTreeSet<NodeId>,
    /// Run-time int8 graph outputs that leave the device as uint8: inside meshnn a uint8
    /// tensor is int8 (q - 128, zero point - 128), so the output copy flips each byte's
    /// top bit (set by `passes::quantise_islands`).
    pub u8_outputs: BTreeSet<TensorId>,
}

impl Graph {
    /// The element type graph output `t` has at the device's boundary (its field in the
    /// outputs struct): int8 or uint8 for a run-time quantised output, float32 otherwise
    /// (bool and integer outputs known at compile time are float32 values on devices).
    pub fn output_dtype(&self, t: TensorId) -> DType {
        let tensor = &self.tensors[t];
        match tensor.dtype {
            DType::I8 if self.u8_outputs.contains(&t) => DType::U8,
            DType::I8 if !tensor.is_const() => DType::I8,
            _ => DType::F32,
        }
    }

    pub fn tensor(&self, id: TensorId) -> &Tensor {
        &self.tensors[id]
    }

    pub fn add_tensor(&mut self, t: Tensor) -> TensorId {
        self.tensors.push(t);
        self.tensors.len() - 1
    }

    /// The run-time inputs' names, comma-separated, for messages ("none" when every
    /// input is constant and the model takes none).
    pub fn input_names_text(&self) -> String {
        let names = self.input_names();
        if names.is_empty() {
            return "none".into();
        }
        names.join(", ")
    }

    /// The run-time inputs' names, in graph-input order.
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs
            .iter()
            .map(|&t| self.tensors[t].name.as_str())
            .collect()
    }

    /// Tensor id by ONNX name.
    pub fn find_tensor(&self, name: &str) -> Option<TensorId> {
        self.tensors.iter().position(|t| t.name == name)
    }

    /// For every tensor, the node that produces it (None for inputs and constants).
    pub fn producers(&self) -> Vec<Option<NodeId>> {
        let mut p = vec![None; self.tensors.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for &o in &n.outputs {
                p[o] = Some(i);
            }
        }
        p
    }

    /// For every tensor, whether it is a graph output.
    pub fn output_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.tensors.len()];
        for &t in &self.outputs {
            mask[t] = true;
        }
        mask
    }

    /// For every tensor, the nodes that read it, in node order.
    pub fn consumers(&self) -> Vec<Vec<NodeId>> {
        let mut c = vec![Vec::new(); self.tensors.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for &t in &n.inputs {
                // Nodes are visited in order: a node reading `t` twice is the last entry.
                if c[t].last() != Some(&i) {
                    c[t].push(i);
                }
            }
        }
        c
    }

    /// Replace every use of each tensor `from` (node inputs and graph outputs) by its `to`
    /// in `rewires`, in one pass over the graph (no `to` may itself be a `from`).
    pub fn replace_uses(&mut self, rewires: &HashMap<TensorId, TensorId>) {
        if rewires.is_empty() {
            return;
        }
        let uses = self
            .nodes
            .iter_mut()
            .flat_map(|n| n.inputs.iter_mut())
            .chain(self.outputs.iter_mut());
        for t in uses {
            if let Some(&to) = rewires.get(t) {
                *t = to;
            }
        }
    }

    /// Drop tensors that no node, input or output refers to, renumbering the rest.
    pub fn compact_tensors(&mut self) {
        let mut used = vec![false; self.tensors.len()];
        for n in &self.nodes {
            for &t in n.inputs.iter().chain(&n.outputs) {
                used[t] = true;
            }
        }
        for &t in self.inputs.iter().chain(&self.outputs) {
            used[t] = true;
        }
        let mut map = vec![usize::MAX; self.tensors.len()];
        let mut kept = Vec::new();
        for (i, t) in std::mem::take(&mut self.tensors).into_iter().enumerate() {
            if used[i] {
                map[i] = kept.len();
                kept.push(t);
            }
        }
        self.tensors = kept;
        for n in &mut self.nodes {
            for t in n.inputs.iter_mut().chain(n.outputs.iter_mut()) {
                *t = map[*t];
            }
        }
        for t in self.inputs.iter_mut().chain(self.outputs.iter_mut()) {
            *t = map[*t];
        }
        self.u8_outputs = self.u8_outputs.iter().map(|&t| map[t]).collect();
    }

    /// The dataflow graph as petgraph (node weights = `NodeId`, edge weights = `TensorId`).
    pub fn dataflow(&self) -> (DiGraph<NodeId, TensorId>, Vec<NodeIndex>) {
        let mut g = DiGraph::new();
        let idx: Vec<NodeIndex> = (0..self.nodes.len()).map(|i| g.add_node(i)).collect();
        let producers = self.producers();
        for (i, n) in self.nodes.iter().enumerate() {
            for &t in &n.inputs {
                if let Some(p) = producers[t] {
                    g.add_edge(idx[p], idx[i], t);
                }
            }
        }
        (g, idx)
    }

    /// Map from ONNX tensor name to id (for tools and tests).
    pub fn tensor_names(&self) -> HashMap<&str, TensorId> {
        self.tensors
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.as_str(), i))
            .collect()
    }
}
