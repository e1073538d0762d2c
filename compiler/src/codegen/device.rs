//! One device's code as plain data, before any target language: constant tables, stages
//! of lowered steps, I/O tensors and link tensors. A renderer (`c_render` for C) formats
//! a [`DeviceCode`]; nothing here prints syntax.

use super::lower::{lower_node, lower_patch, Buf, Call, LowerError, Storage};
use super::names::{field_idents, ident, Symbols};
use super::{stages, DeviceSpec, LinkTensor};
use crate::deploy::Fallback;
use crate::ir::eval::quant::quantize_one;
use crate::ir::{DType, Graph, NodeId, Tensor, TensorId};
use crate::kernels;
use crate::link;
use crate::plan::memory::Plan;
use std::collections::{BTreeSet, HashMap};

/// Everything a renderer needs to write one device's code.
pub struct DeviceCode {
    /// At least one; stage 0 also sends the sensed inputs other devices need.
    pub stages: Vec<StageCode>,
    pub inputs: Vec<IoTensor>,
    pub outputs: Vec<IoTensor>,
    pub rx: Vec<LinkCode>,
    pub tx: Vec<LinkCode>,
    /// Constant tables in the order they were first used.
    pub tables: Vec<ConstTable>,
    /// Every kernel a step calls, sorted.
    pub kernels: BTreeSet<&'static str>,
}

/// A run of steps that waits first for received tensors (see [`stages::split`]).
pub struct StageCode {
    /// Indices into the device's received tensors.
    pub waits: Vec<usize>,
    /// Indices into the device's sent tensors, sent before the steps (sensed inputs).
    pub sends_first: Vec<usize>,
    pub steps: Vec<Step>,
}

/// One node: its kernel calls, then the sent tensors it completes.
pub struct Step {
    pub node: NodeId,
    pub calls: Vec<Call>,
    pub sends: Vec<usize>,
}

/// A graph input or output of the device: its field in the I/O struct and its buffer.
pub struct IoTensor {
    pub tensor: TensorId,
    pub ident: String,
    pub buf: Buf,
    /// Its element type in the I/O struct: float32, or int8 / uint8 for a run-time
    /// quantised graph output (`Graph::output_dtype`; a uint8 one is int8 in the arena,
    /// copied out with each byte's top bit flipped).
    pub dtype: DType,
    /// For an input quantised at intake (see `plan::intake`): the calls `begin` makes
    /// instead of copying it into the arena (they read `Buf::Input`).
    pub intake: Vec<Call>,
}

/// A received or sent tensor as the link glue handles it.
pub struct LinkCode {
    pub id: u16,
    pub tensor: TensorId,
    pub bytes: usize,
    /// Frames it takes at the link's payload.
    pub frags: usize,
    /// Arena offset in floats.
    pub offset: usize,
    /// The source (received) or destinations (sent) by device id.
    pub peers: Vec<usize>,
    /// The fallback in effect (`Mean` only with calibration means).
    pub fallback: Fallback,
    /// The calibration means in the tensor's type: float32, or for an int8 tensor
    /// quantised with its scale and zero point (`TableValues::I8`).
    pub mean: Option<TableValues>,
    /// An int8 tensor's zero point (its ZERO fallback: the integer meaning 0.0); None for
    /// a float32 tensor (bytes per element 4, ZERO fallback 0.0).
    pub zero_point: Option<i8>,
}

impl LinkCode {
    /// Elements of the tensor: bytes / 4 for float32, bytes for int8.
    pub fn elems(&self) -> usize {
        match self.zero_point {
            Some(_) => self.bytes,
            None => self.bytes / 4,
        }
    }
    /// Floats of arena (or hold buffer) the tensor spans (an int8 tensor rounded up).
    pub fn floats(&self) -> usize {
        self.bytes.div_ceil(4)
    }
}

/// A constant array in the device's weights.
#[derive(Clone)]
pub struct ConstTable {
    pub symbol: String,
    pub values: TableValues,
    /// What it holds, for a comment (tensor name and shape, or what was derived).
    pub comment: String,
}

#[derive(Clone)]
pub enum TableValues {
    F32(Vec<f32>),
    I32(Vec<i32>),
    /// int8 weights of a quantised model.
    I8(Vec<i8>),
}

impl TableValues {
    /// Bytes of the values.
    pub fn bytes(&self) -> usize {
        match self {
            TableValues::F32(v) => v.len() * 4,
            TableValues::I32(v) => v.len() * 4,
            TableValues::I8(v) => v.len(),
        }
    }
    /// The values as little-endian bytes (the layout of the C array).
    pub fn le_bytes(&self) -> Vec<u8> {
        match self {
            TableValues::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TableValues::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TableValues::I8(v) => v.iter().map(|&x| x as u8).collect(),
        }
    }
}

/// A constant's values as the table its kernels read: int8 weights and int32 biases of
/// integer nodes keep their type, everything else is float32.
fn table_values(t: &Tensor) -> TableValues {
    let Some(data) = &t.data else {
        return TableValues::F32(Vec::new());
    };
    match (t.dtype, &t.quant) {
        (DType::I8, Some(_)) => TableValues::I8(data.to_i64().iter().map(|&x| x as i8).collect()),
        (DType::I32, _) => TableValues::I32(data.to_i64().iter().map(|&x| x as i32).collect()),
        _ => TableValues::F32(data.to_f32()),
    }
}

/// Where tensors live for one device: arena offsets for runtime tensors, symbols for
/// constants (created on first use, in schedule order, so output is deterministic).
struct DeviceStorage<'a> {
    g: &'a Graph,
    rx: Vec<TensorId>,
    /// The sensed inputs and their fields (an unplaced one is read from the caller).
    inputs: Vec<(TensorId, String)>,
    plan: &'a Plan,
    prefix: String,
    symbols: HashMap<TensorId, String>,
    names: Symbols,
    tables: Vec<ConstTable>,
}

impl DeviceStorage<'_> {
    fn table(&mut self, base: String, values: TableValues, comment: String) -> String {
        let symbol = self.names.unique(base);
        self.tables.push(ConstTable {
            symbol: symbol.clone(),
            values,
            comment,
        });
        symbol
    }
    fn const_symbol(&mut self, t: TensorId) {
        if self.symbols.contains_key(&t) {
            return;
        }
        let tensor = &self.g.tensors[t];
        let base = format!("{}_w_{}", self.prefix, ident(&tensor.name));
        let comment = format!("'{}' {:?}", tensor.name, tensor.shape);
        let sym = self.table(base, table_values(tensor), comment);
        self.symbols.insert(t, sym);
    }
}

impl Storage for DeviceStorage<'_> {
    fn buf(&self, t: TensorId) -> Buf {
        match (
            self.symbols.get(&t),
            self.plan.offsets.get(t).copied().flatten(),
        ) {
            (Some(s), _) => Buf::Const(s.clone()),
            (None, Some(off)) if self.g.tensors[t].dtype == DType::I8 => Buf::ArenaI8 {
                off: off / 4,
                len: self.g.tensors[t].size_bytes().div_ceil(4),
                bytes: self.g.tensors[t].size_bytes(),
            },
            (None, Some(off)) => Buf::Arena {
                off: off / 4,
                len: self.g.tensors[t].size_bytes() / 4,
            },
            // Read where the caller passed it, by a node run at intake.
            (None, None) if self.inputs.iter().any(|(i, _)| *i == t) => {
                let index = self.inputs.iter().position(|(i, _)| *i == t).unwrap_or(0);
                Buf::Input {
                    index,
                    ident: self.inputs[index].1.clone(),
                }
            }
            // Constants are registered before lowering (see `register_constants`).
            (None, None) => Buf::Unplaced(t),
        }
    }
    fn received(&self, t: TensorId) -> Option<usize> {
        self.rx.iter().position(|&r| r == t)
    }
    fn scratch(&self, i: NodeId) -> Buf {
        match self.plan.buffers.iter().find(|b| b.scratch_of == Some(i)) {
            Some(b) => Buf::Arena {
                off: b.offset / 4,
                len: b.size / 4,
            },
            None => Buf::Unplanned,
        }
    }
    fn float_table(&mut self, hint: &str, values: Vec<f32>) -> Buf {
        let base = format!("{}_w_{}", self.prefix, ident(hint));
        Buf::Const(self.table(base, TableValues::F32(values), hint.to_string()))
    }
    fn int_table(&mut self, hint: &str, values: Vec<i32>) -> Buf {
        let base = format!("{}_i_{}", self.prefix, ident(hint));
        let comment = format!("indices of {hint}");
        Buf::Const(self.table(base, TableValues::I32(values), comment))
    }
    fn i8_table(&mut self, hint: &str, values: Vec<i8>) -> Buf {
        let base = format!("{}_w_{}", self.prefix, ident(hint));
        Buf::Const(self.table(base, TableValues::I8(values), hint.to_string()))
    }
    fn requant_table(&mut self, hint: &str, words: Vec<i32>) -> Buf {
        let base = format!("{}_q_{}", self.prefix, ident(hint));
        let comment = format!(
            "requantisation per output channel ({hint}; mn_requant_word_t: mult | shift + 31)"
        );
        Buf::Const(self.table(base, TableValues::I32(words), comment))
    }
}

/// Lower the nodes of one device and lay out its I/O and link tensors.
pub fn lower_device(
    g: &Graph,
    spec: &DeviceSpec,
    link: &crate::deploy::Link,
) -> Result<DeviceCode, LowerError> {
    let names = spec.inputs.iter().map(|&t| g.tensors[t].name.as_str());
    let mut st = DeviceStorage {
        g,
        rx: spec.rx.iter().map(|l| l.tensor).collect(),
        inputs: spec
            .inputs
            .iter()
            .copied()
            .zip(field_idents(names))
            .collect(),
        plan: spec.plan,
        prefix: format!("meshnn_{}", spec.device),
        symbols: HashMap::new(),
        names: Symbols::default(),
        tables: Vec::new(),
    };
    register_constants(g, spec, &mut st);
    let inputs = input_tensors(g, spec, &mut st)?;
    let stages = lower_stages(g, spec, &mut st)?;
    let kernels = stages
        .iter()
        .flat_map(|s| &s.steps)
        .flat_map(|s| &s.calls)
        .chain(inputs.iter().flat_map(|io| &io.intake))
        .map(|c| c.kernel)
        .collect();
    let framing = link.framing();
    Ok(DeviceCode {
        stages,
        inputs,
        outputs: io_tensors(g, spec.outputs, &st)
            .into_iter()
            .map(|io| IoTensor {
                dtype: g.output_dtype(io.tensor),
                ..io
            })
            .collect(),
        rx: spec
            .rx
            .iter()
            .map(|l| link_code(g, spec, l, framing))
            .collect(),
        tx: spec
            .tx
            .iter()
            .map(|l| link_code(g, spec, l, framing))
            .collect(),
        tables: st.tables,
        kernels,
    })
}

/// Constants get symbols in schedule order; weights a kernel takes repacked (see
/// `kernels::takes_packed_input`) are emitted only packed, when the node is lowered.
fn register_constants(g: &Graph, spec: &DeviceSpec, st: &mut DeviceStorage) {
    for &i in spec.order {
        let node = &g.nodes[i];
        for (k, &t) in node.inputs.iter().enumerate() {
            if g.tensors[t].is_const() && !kernels::takes_packed_input(g, node, k) {
                st.const_symbol(t);
            }
        }
    }
    for &t in spec.outputs {
        if g.tensors[t].is_const() {
            st.const_symbol(t);
        }
    }
}

/// Stages of lowered steps: a new stage starts before the first node that reads a
/// received tensor; sensed inputs that other devices need are sent first.
fn lower_stages(
    g: &Graph,
    spec: &DeviceSpec,
    st: &mut DeviceStorage,
) -> Result<Vec<StageCode>, LowerError> {
    let tx_index = |t: TensorId| spec.tx.iter().position(|r| r.tensor == t);
    let rx_tensors: Vec<TensorId> = spec.rx.iter().map(|l| l.tensor).collect();
    let mut stages = Vec::new();
    for stage in stages::split(g, spec.order, &rx_tensors) {
        let mut steps = Vec::new();
        for i in stage.nodes.into_iter().filter(|i| !g.intake.contains(i)) {
            steps.push(Step {
                node: i,
                calls: lower_step(g, spec.plan, i, st)?,
                sends: g.nodes[i]
                    .outputs
                    .iter()
                    .filter_map(|&t| tx_index(t))
                    .collect(),
            });
        }
        stages.push(StageCode {
            waits: stage.waits,
            sends_first: Vec::new(),
            steps,
        });
    }
    // Sensed inputs, and what `begin` quantised at intake from them, go out first (an
    // intake node is no step, so its output's send would otherwise never be made).
    let intake_outputs = spec
        .order
        .iter()
        .filter(|i| g.intake.contains(i))
        .flat_map(|&i| g.nodes[i].outputs.iter().copied());
    if let Some(first) = stages.first_mut() {
        first.sends_first = spec
            .inputs
            .iter()
            .copied()
            .chain(intake_outputs)
            .filter_map(tx_index)
            .collect();
    }
    Ok(stages)
}

/// The calls of node `i`: its own, or, in a patched chain, every tile's calls at the
/// chain's first node and none at the others.
fn lower_step(
    g: &Graph,
    plan: &Plan,
    i: NodeId,
    st: &mut DeviceStorage,
) -> Result<Vec<Call>, LowerError> {
    match plan.patch_of(i) {
        None => lower_node(g, i, st),
        Some(p) if p.nodes[0] != i => Ok(Vec::new()),
        Some(p) => {
            let ws = plan.scratch_offset(i).ok_or_else(|| LowerError {
                node: g.nodes[i].name.clone(),
                op: g.nodes[i].onnx_op.clone(),
                detail: "internal: a patched chain without a planned workspace".into(),
            })?;
            lower_patch(g, p, ws / 4, st)
        }
    }
}

fn io_tensors(g: &Graph, ts: &[TensorId], st: &DeviceStorage) -> Vec<IoTensor> {
    let names = ts.iter().map(|&t| g.tensors[t].name.as_str());
    ts.iter()
        .zip(field_idents(names))
        .map(|(&t, ident)| IoTensor {
            tensor: t,
            ident,
            buf: st.buf(t),
            dtype: DType::F32,
            intake: Vec::new(),
        })
        .collect()
}

/// The sensed inputs, each with the calls of the node that quantises it at intake, if
/// one of the device's nodes does (see `plan::intake`).
fn input_tensors(
    g: &Graph,
    spec: &DeviceSpec,
    st: &mut DeviceStorage,
) -> Result<Vec<IoTensor>, LowerError> {
    let mut inputs = io_tensors(g, spec.inputs, st);
    for &i in spec.order.iter().filter(|i| g.intake.contains(i)) {
        let (x, _) = crate::plan::intake::tensors(g, i);
        let io = inputs.iter_mut().find(|io| io.tensor == x);
        let io = io.ok_or_else(|| LowerError {
            node: g.nodes[i].name.clone(),
            op: g.nodes[i].onnx_op.clone(),
            detail: "internal: quantised at intake, but its input is not sensed here".into(),
        })?;
        io.intake = lower_node(g, i, st)?;
    }
    Ok(inputs)
}

fn link_code(g: &Graph, spec: &DeviceSpec, l: &LinkTensor, framing: link::Framing) -> LinkCode {
    let t = &g.tensors[l.tensor];
    let bytes = t.size_bytes();
    let quant = (t.dtype == DType::I8)
        .then(|| super::per_tensor_quant(t))
        .flatten();
    let fallback = match (l.fallback, &l.mean) {
        (Fallback::Hold, _) => Fallback::Hold,
        (Fallback::Mean, Some(_)) => Fallback::Mean,
        _ => Fallback::Zero,
    };
    LinkCode {
        id: l.id,
        tensor: l.tensor,
        bytes,
        frags: framing.fragments(bytes as u64) as usize,
        offset: spec
            .plan
            .offsets
            .get(l.tensor)
            .copied()
            .flatten()
            .unwrap_or(0)
            / 4,
        peers: l.peers.clone(),
        fallback,
        mean: l.mean.as_deref().map(|m| link_mean(m, quant)),
        zero_point: quant.map(|(_, zp)| zp),
    }
}

/// Calibration means as the received tensor stores them: float32, or quantised like
/// QuantizeLinear with the int8 tensor's scale and zero point (round half to even).
fn link_mean(mean: &[f32], quant: Option<(f32, i8)>) -> TableValues {
    match quant {
        None => TableValues::F32(mean.to_vec()),
        Some((scale, zp)) => TableValues::I8(
            mean.iter()
                .map(|&m| quantize_one(m, scale, i32::from(zp), -128, 127) as i8)
                .collect(),
        ),
    }
}
