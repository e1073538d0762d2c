//! The operators of the IR: [`Op`] with every attribute resolved, the kinds of its
//! families, and the activation a kernel may apply to its output. Adding an operator starts
//! here (a variant), then `onnx/ops/` (its import), `ir/eval` and `ir/cost` (both
//! exhaustive matches: the compiler lists what is missing) and the lowering.

/// An activation applied elementwise to a kernel's output (fused by `passes::fuse_activation`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Activation {
    #[default]
    None,
    Relu,
    LeakyRelu {
        alpha: f32,
    },
    Clip {
        min: f32,
        max: f32,
    },
}

impl Activation {
    /// The ONNX operator name of the activation ("Relu", ...); `None` when there is none.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Activation::None => None,
            Activation::Relu => Some("Relu"),
            Activation::LeakyRelu { .. } => Some("LeakyRelu"),
            Activation::Clip { .. } => Some("Clip"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryKind {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryKind {
    Relu,
    LeakyRelu { alpha: f32 },
    Clip { min: f32, max: f32 },
    Sigmoid,
    Tanh,
    HardSigmoid { alpha: f32, beta: f32 },
    HardSwish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

/// How Pad fills positions outside the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PadMode {
    /// A constant value.
    #[default]
    Constant,
    /// Mirrored about the edge, the edge not repeated.
    Reflect,
    /// The edge value repeated.
    Edge,
    /// The input repeated (coordinate mod size).
    Wrap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceKind {
    Mean,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariadicKind {
    Sum,
    Mean,
}

/// Operators with every attribute resolved (defaults applied, auto_pad turned into explicit
/// pads, negative axes normalised, constant operand inputs folded into attributes).
///
/// Input conventions are listed per variant; optional inputs are simply absent from
/// `Node::inputs`.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// inputs: X [N, C, *spatial], W [M, C/group, *kernel], optional B [M].
    /// 1-D and 2-D. `pads` = [begin_0, begin_1.., end_0, end_1..].
    Conv {
        kernel: Vec<usize>,
        strides: Vec<usize>,
        dilations: Vec<usize>,
        pads: Vec<usize>,
        group: usize,
        act: Activation,
    },
    /// inputs: A, B, optional C (unidirectionally broadcastable to [M, N]).
    Gemm {
        alpha: f32,
        beta: f32,
        trans_a: bool,
        trans_b: bool,
        act: Activation,
    },
    /// inputs: A, B (numpy matmul semantics incl. 1-D and batch broadcasting).
    MatMul,
    /// inputs: A, B (numpy broadcasting).
    Binary { kind: BinaryKind, act: Activation },
    /// inputs: X.
    Unary(UnaryKind),
    /// Clip whose bounds are not all constant (constant bounds are `Unary(Clip)`):
    /// inputs X, then min if `has_min`, then max if `has_max` (one element each).
    ClipRange { has_min: bool, has_max: bool },
    /// inputs: X [N, C, *spatial]. `pads` as for Conv; output shape already includes ceil_mode.
    Pool {
        kind: PoolKind,
        kernel: Vec<usize>,
        strides: Vec<usize>,
        dilations: Vec<usize>,
        pads: Vec<usize>,
        count_include_pad: bool,
    },
    /// inputs: X [N, C, *spatial]; output [N, C, 1, 1..].
    GlobalPool { kind: PoolKind },
    /// inputs: X, scale, B, mean, var (inference mode).
    BatchNorm { epsilon: f32 },
    /// Reshape, Flatten, Squeeze, Unsqueeze: same data, new shape (the output's shape).
    /// inputs: X only (shape operands are folded away at import).
    Reshape,
    /// inputs: X.
    Transpose { perm: Vec<usize> },
    /// inputs: X0..Xn.
    Concat { axis: usize },
    /// inputs: X; one output per part, each `sizes[i]` long along `axis`.
    Split { axis: usize, sizes: Vec<usize> },
    /// inputs: X. One (start, step) per input axis, already clamped; the output shape gives
    /// the count along each axis. Axes not sliced have start 0, step 1.
    Slice { starts: Vec<i64>, steps: Vec<i64> },
    /// inputs: X; `indices` normalised to be non-negative, shaped `indices_shape`.
    Gather {
        axis: usize,
        indices: Vec<i64>,
        indices_shape: Vec<usize>,
    },
    /// inputs: X. `coerce_2d`: opset < 13 semantics (flatten to [prod(:axis), prod(axis:)]).
    Softmax {
        axis: usize,
        log: bool,
        coerce_2d: bool,
    },
    /// inputs: X. `axes` sorted, normalised; output shape reflects keepdims.
    Reduce {
        kind: ReduceKind,
        axes: Vec<usize>,
        keepdims: bool,
    },
    /// inputs: X. `pads` = [begin_0.., end_0..] over all axes; a negative pad crops;
    /// `value` fills in constant mode.
    Pad {
        pads: Vec<i64>,
        value: f32,
        mode: PadMode,
    },
    /// inputs: X; output shape is the broadcast target.
    Expand,
    /// Sum / Mean over inputs with numpy broadcasting.
    Variadic { kind: VariadicKind },
    /// Identity and inference-mode Dropout (removed by `passes::remove_identity`).
    Identity,
    /// A compile-time-only operator (Shape, Cast, ConstantOfShape, Range, Constant...) kept
    /// until `passes::fold_constants` removes it; its outputs must all be constant.
    ConstOnly,
}

impl Op {
    /// The activation fused into the node's kernel (only Conv, Gemm and Binary carry one;
    /// `passes::fuse_activation` sets it).
    pub fn fused_activation(&self) -> Activation {
        match self {
            Op::Conv { act, .. } | Op::Gemm { act, .. } | Op::Binary { act, .. } => *act,
            _ => Activation::None,
        }
    }

    /// Short, stable name used in reports and generated comments.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Op::Conv { .. } => "Conv",
            Op::Gemm { .. } => "Gemm",
            Op::MatMul => "MatMul",
            Op::Binary { kind, .. } => match kind {
                BinaryKind::Add => "Add",
                BinaryKind::Sub => "Sub",
                BinaryKind::Mul => "Mul",
                BinaryKind::Div => "Div",
            },
            Op::Unary(u) => match u {
                UnaryKind::Relu => "Relu",
                UnaryKind::LeakyRelu { .. } => "LeakyRelu",
                UnaryKind::Clip { .. } => "Clip",
                UnaryKind::Sigmoid => "Sigmoid",
                UnaryKind::Tanh => "Tanh",
                UnaryKind::HardSigmoid { .. } => "HardSigmoid",
                UnaryKind::HardSwish => "HardSwish",
            },
            Op::ClipRange { .. } => "Clip",
            Op::Pool {
                kind: PoolKind::Max,
                ..
            } => "MaxPool",
            Op::Pool {
                kind: PoolKind::Avg,
                ..
            } => "AveragePool",
            Op::GlobalPool {
                kind: PoolKind::Max,
            } => "GlobalMaxPool",
            Op::GlobalPool {
                kind: PoolKind::Avg,
            } => "GlobalAveragePool",
            Op::BatchNorm { .. } => "BatchNormalization",
            Op::Reshape => "Reshape",
            Op::Transpose { .. } => "Transpose",
            Op::Concat { .. } => "Concat",
            Op::Split { .. } => "Split",
            Op::Slice { .. } => "Slice",
            Op::Gather { .. } => "Gather",
            Op::Softmax { log: false, .. } => "Softmax",
            Op::Softmax { log: true, .. } => "LogSoftmax",
            Op::Reduce {
                kind: ReduceKind::Mean,
                ..
            } => "ReduceMean",
            Op::Reduce {
                kind: ReduceKind::Max,
                ..
            } => "ReduceMax",
            Op::Pad { .. } => "Pad",
            Op::Expand => "Expand",
            Op::Variadic {
                kind: VariadicKind::Sum,
            } => "Sum",
            Op::Variadic {
                kind: VariadicKind::Mean,
            } => "Mean",
            Op::Identity => "Identity",
            Op::ConstOnly => "Constant",
        }
    }
}
