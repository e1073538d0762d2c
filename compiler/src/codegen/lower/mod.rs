//! Lowering: each IR node becomes one or more runtime kernel calls, as plain data that
//! any renderer can format ([`Call`]: kernel name, typed parameter block, operands). No
//! target-language syntax is decided here; the C renderer (`codegen::c_render`) formats it.
//!
//! Which kernel variant runs a node is decided in [`crate::kernels`]; this module only
//! builds the call. One file per operator family, mirroring `onnx/ops/`.

mod conv;
mod elementwise;
mod gemm;
mod int8;
mod movement;
mod patch;
mod pool;
mod recurrent;
mod reduce;
pub mod roles;

pub use patch::lower_patch;

use crate::ir::{Activation, Graph, Node, NodeId, Op, TensorId};

/// Highest rank the strided kernels take (`MN_MAX_DIMS` in mn_kernels.h).
pub const MAX_DIMS: usize = 8;

/// Something the emitter cannot express with the runtime kernels.
#[derive(Debug, thiserror::Error)]
#[error("cannot generate code for node '{node}' ({op}): {detail}")]
pub struct LowerError {
    pub node: String,
    pub op: String,
    pub detail: String,
}

/// One kernel invocation.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Runtime kernel function, e.g. `mn_conv2d_f32`.
    pub kernel: &'static str,
    /// Its constant parameter block (`None` for kernels without one).
    pub params: Option<Params>,
    /// Operands after the parameter block, in order.
    pub args: Vec<Arg>,
}

/// A kernel's constant parameter block: the runtime's struct type and its fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Struct type in the runtime, e.g. `mn_conv_params_t`.
    pub ty: &'static str,
    pub fields: Vec<Field>,
}

/// One field of a parameter block.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub value: Value,
}

/// A typed field value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f32),
    /// A fixed-size array field (the renderer pads it; may be empty for rank 0).
    Ints(Vec<i64>),
    /// A named constant of the runtime, e.g. `MN_ACT_RELU` (an enumerator).
    Const(&'static str),
    /// A nested struct, e.g. the fused activation `mn_act_t` (its type and fields).
    Struct(Params),
}

/// Where a tensor operand lives.
#[derive(Clone, Debug, PartialEq)]
pub enum Buf {
    /// In the device's arena: offset and length in floats (the length is what storage
    /// reserved there: the tensor's elements, or the scratch buffer's size).
    Arena { off: usize, len: usize },
    /// An int8 tensor in the arena: the span's offset and length in floats (4-byte
    /// aligned, like every buffer) and the tensor's `bytes` at its start.
    ArenaI8 {
        off: usize,
        len: usize,
        bytes: usize,
    },
    /// A constant table (weights, packed weights, indices) of this symbol.
    Const(String),
    /// A float graph input read where the caller passed it (the inputs struct of
    /// `begin`, by a QuantizeLinear run at intake): its position among the device's
    /// inputs and its field's identifier.
    Input { index: usize, ident: String },
    /// An absent optional operand (no bias).
    Null,
    /// A tensor the memory plan did not place (an internal error shown in the code).
    Unplaced(TensorId),
    /// A scratch buffer the memory plan did not reserve (an internal error likewise).
    Unplanned,
}

/// One operand of a kernel call.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Buf(Buf),
    Int(i64),
    Float(f32),
    /// Redundant copies of one tensor and, for each, the index of the received tensor
    /// whose arrival it depends on (`None`: computed locally, always present). Becomes two
    /// operands: the copies and their arrival flags.
    Arrived(Vec<(Buf, Option<usize>)>),
}

impl Params {
    pub fn new(ty: &'static str) -> Self {
        Params {
            ty,
            fields: Vec::new(),
        }
    }
    fn with(mut self, name: &'static str, value: Value) -> Self {
        self.fields.push(Field { name, value });
        self
    }
    pub fn int(self, name: &'static str, v: impl TryInto<i64>) -> Self {
        self.with(name, Value::Int(v.try_into().unwrap_or(i64::MAX)))
    }
    pub fn float(self, name: &'static str, v: f32) -> Self {
        self.with(name, Value::Float(v))
    }
    pub fn ints(self, name: &'static str, v: Vec<i64>) -> Self {
        self.with(name, Value::Ints(v))
    }
    pub fn konst(self, name: &'static str, v: &'static str) -> Self {
        self.with(name, Value::Const(v))
    }
    /// The fused activation field `act` (`mn_act_t`).
    pub fn act(self, a: &Activation) -> Self {
        let (kind, alpha, lo, hi) = match *a {
            Activation::None => ("MN_ACT_NONE", 0.0, 0.0, 0.0),
            Activation::Relu => ("MN_ACT_RELU", 0.0, 0.0, 0.0),
            Activation::LeakyRelu { alpha } => ("MN_ACT_LEAKY_RELU", alpha, 0.0, 0.0),
            Activation::Clip { min, max } => ("MN_ACT_CLIP", 0.0, min, max),
            // mn_act_t keeps HardSigmoid's beta in lo.
            Activation::HardSigmoid { alpha, beta } => ("MN_ACT_HARD_SIGMOID", alpha, beta, 0.0),
            Activation::HardSwish => ("MN_ACT_HARD_SWISH", 0.0, 0.0, 0.0),
            Activation::Swish { alpha } => ("MN_ACT_SWISH", alpha, 0.0, 0.0),
        };
        let act = Params::new("mn_act_t")
            .konst("kind", kind)
            .float("alpha", alpha)
            .float("lo", lo)
            .float("hi", hi);
        self.with("act", Value::Struct(act))
    }
}

impl Call {
    fn new(kernel: &'static str, params: Params, args: Vec<Arg>) -> Self {
        Call {
            kernel,
            params: Some(params),
            args,
        }
    }
}

/// Where each tensor lives, and the constant tables lowering creates.
pub trait Storage {
    fn buf(&self, t: TensorId) -> Buf;
    /// For a tensor received from another device: its index in the device's received
    /// tensors. None for local tensors.
    fn received(&self, t: TensorId) -> Option<usize>;
    /// The planned scratch buffer of node `i` (see `kernels::scratch_bytes`).
    fn scratch(&self, i: NodeId) -> Buf;
    /// Register a constant float table (e.g. packed weights) and return it.
    fn float_table(&mut self, hint: &str, values: Vec<f32>) -> Buf;
    /// Register a constant int32 table (e.g. Gather indices) and return it.
    fn int_table(&mut self, hint: &str, values: Vec<i32>) -> Buf;
    /// Register a constant int8 table (e.g. packed int8 weights) and return it.
    fn i8_table(&mut self, hint: &str, values: Vec<i8>) -> Buf;
    /// Register a per-channel requantisation table (`mn_requant_word_t` words, see
    /// `Requant::word`) and return it.
    fn requant_table(&mut self, hint: &str, words: Vec<i32>) -> Buf;
}

/// What every family's lowering works with: the graph, the node and its storage.
pub(super) struct Cx<'a> {
    g: &'a Graph,
    id: NodeId,
    node: &'a Node,
    st: &'a mut dyn Storage,
}

impl<'a> Cx<'a> {
    fn err(&self, detail: impl Into<String>) -> LowerError {
        LowerError {
            node: self.node.name.clone(),
            op: self.node.onnx_op.clone(),
            detail: detail.into(),
        }
    }
    fn shape(&self, t: TensorId) -> &'a [usize] {
        &self.g.tensors[t].shape
    }
    fn input(&self, i: usize) -> Result<TensorId, LowerError> {
        self.nth(&self.node.inputs, "input", i)
    }
    fn output(&self, i: usize) -> Result<TensorId, LowerError> {
        self.nth(&self.node.outputs, "output", i)
    }
    fn nth(&self, ts: &[TensorId], what: &str, i: usize) -> Result<TensorId, LowerError> {
        ts.get(i)
            .copied()
            .ok_or_else(|| self.err(format!("missing {what} {i}")))
    }
    /// Input 0 and output 0, the operands of most one-in one-out kernels.
    fn x_y(&self) -> Result<(TensorId, TensorId), LowerError> {
        Ok((self.input(0)?, self.output(0)?))
    }
    fn rank_ok(&self, r: usize) -> Result<(), LowerError> {
        if r > MAX_DIMS {
            Err(self.err(format!(
                "rank {r} exceeds the runtime's limit of {MAX_DIMS} dimensions"
            )))
        } else {
            Ok(())
        }
    }
    /// The operand for tensor `t`.
    fn arg(&self, t: TensorId) -> Arg {
        Arg::Buf(self.st.buf(t))
    }
    /// The operand for optional input `i` (a null buffer when absent).
    fn opt_arg(&self, i: usize) -> Arg {
        match self.node.inputs.get(i) {
            Some(&t) => self.arg(t),
            None => Arg::Buf(Buf::Null),
        }
    }
}

/// Elements of a shape, as a parameter value.
fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Sizes or strides as array field values.
fn i64s(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&x| x as i64).collect()
}

/// Lower node `i` to kernel calls: one named function per operator family.
pub fn lower_node(g: &Graph, i: NodeId, st: &mut dyn Storage) -> Result<Vec<Call>, LowerError> {
    let node = &g.nodes[i];
    let mut cx = Cx { g, id: i, node, st };
    if crate::kernels::is_int8(g, node) {
        return int8::lower(&mut cx);
    }
    match &node.op {
        Op::Conv { act, .. } => conv::conv(&mut cx, act),
        Op::Gemm { .. } => gemm::gemm(&mut cx),
        Op::MatMul => gemm::matmul(&cx),
        Op::Binary { kind, act } => elementwise::binary_op(&cx, *kind, act),
        Op::Unary(u) => elementwise::unary_op(&cx, u),
        Op::ClipRange { has_min, has_max } => elementwise::clip_range(&cx, *has_min, *has_max),
        Op::Variadic { kind } => elementwise::variadic(&cx, *kind),
        Op::Where => elementwise::where_op(&cx),
        Op::Pool { .. } => pool::pool(&cx),
        Op::GlobalPool { kind } => pool::global_pool(&cx, *kind),
        Op::BatchNorm { epsilon } => pool::batchnorm(&cx, *epsilon),
        Op::Norm {
            axis,
            groups,
            epsilon,
            affine,
            ..
        } => pool::norm(&cx, *axis, *groups, *epsilon, *affine),
        Op::Reshape => Ok(Vec::new()), // a view: same buffer (see plan::memory)
        Op::Transpose { perm } => movement::transpose(&cx, perm),
        Op::Concat { axis } => movement::concat(&cx, *axis),
        Op::Split { axis, sizes } => movement::split(&cx, *axis, sizes),
        Op::Slice { starts, steps } => movement::slice(&cx, starts, steps),
        Op::Expand => movement::expand(&cx),
        Op::Pad { pads, value, mode } => movement::pad(&cx, pads, *value, *mode),
        Op::Gather { axis, indices, .. } => movement::gather(&mut cx, *axis, indices),
        Op::Softmax {
            axis,
            log,
            coerce_2d,
        } => reduce::softmax(&cx, *axis, *log, *coerce_2d),
        Op::Reduce { kind, axes, .. } => reduce::reduce(&cx, *kind, axes),
        Op::Recurrent(r) => recurrent::recurrent(&cx, r),
        Op::Identity | Op::ConstOnly | Op::Quantize(_) | Op::Dequantize(_) => {
            Err(cx.err("internal: node should have been removed by canonicalisation"))
        }
    }
}
