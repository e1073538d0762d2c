//! The operators of the IR: [`Op`] with every attribute resolved, the kinds of its
//! families, and the activation a kernel may apply to its output. Adding an operator starts
//! here (a variant), then `onnx/ops/` (its import), `ir/eval` and `ir/cost` (both
//! exhaustive matches: the compiler lists what is missing) and the lowering.

use super::Quant;

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
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    HardSwish,
    /// x * sigmoid(alpha * x); SiLU is alpha = 1.
    Swish {
        alpha: f32,
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
            Activation::HardSigmoid { .. } => Some("HardSigmoid"),
            Activation::HardSwish => Some("HardSwish"),
            Activation::Swish { .. } => Some("Swish"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryKind {
    Add,
    Sub,
    Mul,
    Div,
    /// Float32 base and exponent (C `powf`); int64 when folded.
    Pow,
    /// ONNX Mod: `fmod` = C fmod (truncated, sign of the dividend); otherwise the result
    /// takes the divisor's sign (Python `%`).
    Mod {
        fmod: bool,
    },
    /// Elementwise minimum / maximum (NaN propagates); reached through variadic Min/Max.
    Min,
    Max,
    /// Comparisons: bool output (1 / 0).
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    /// Logic on bool operands: bool output.
    And,
    Or,
    Xor,
}

impl BinaryKind {
    /// The ONNX operator name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryKind::Add => "Add",
            BinaryKind::Sub => "Sub",
            BinaryKind::Mul => "Mul",
            BinaryKind::Div => "Div",
            BinaryKind::Pow => "Pow",
            BinaryKind::Mod { .. } => "Mod",
            BinaryKind::Min => "Min",
            BinaryKind::Max => "Max",
            BinaryKind::Equal => "Equal",
            BinaryKind::Less => "Less",
            BinaryKind::LessOrEqual => "LessOrEqual",
            BinaryKind::Greater => "Greater",
            BinaryKind::GreaterOrEqual => "GreaterOrEqual",
            BinaryKind::And => "And",
            BinaryKind::Or => "Or",
            BinaryKind::Xor => "Xor",
        }
    }
    /// Whether the result is bool (a comparison or a logic operator).
    pub fn is_bool_valued(self) -> bool {
        matches!(
            self,
            BinaryKind::Equal
                | BinaryKind::Less
                | BinaryKind::LessOrEqual
                | BinaryKind::Greater
                | BinaryKind::GreaterOrEqual
                | BinaryKind::And
                | BinaryKind::Or
                | BinaryKind::Xor
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryKind {
    Relu,
    LeakyRelu {
        alpha: f32,
    },
    Clip {
        min: f32,
        max: f32,
    },
    Sigmoid,
    Tanh,
    HardSigmoid {
        alpha: f32,
        beta: f32,
    },
    HardSwish,
    /// x * sigmoid(alpha * x) (ONNX Swish, opset 24; SiLU is alpha = 1, which
    /// `passes::fuse_swish` also makes of `x * Sigmoid(x)`).
    Swish {
        alpha: f32,
    },
    Sqrt,
    Erf,
    Reciprocal,
    Neg,
    Abs,
    Exp,
    /// Natural logarithm (log(0) = -inf).
    Log,
    Sin,
    Cos,
    Floor,
    Ceil,
    /// Round half to even.
    Round,
    /// -1, 0 or 1 (NaN stays NaN).
    Sign,
    /// log(1 + exp(x)).
    Softplus,
    /// x * tanh(softplus(x)).
    Mish,
    /// `tanh`: the tanh approximation; otherwise 0.5 x (1 + erf(x / sqrt 2)).
    Gelu {
        tanh: bool,
    },
    Elu {
        alpha: f32,
    },
    Selu {
        alpha: f32,
        gamma: f32,
    },
    /// x / (1 + |x|).
    Softsign,
    /// Logical not of a bool tensor.
    Not,
}

impl UnaryKind {
    /// The ONNX operator name.
    pub fn name(self) -> &'static str {
        match self {
            UnaryKind::Relu => "Relu",
            UnaryKind::LeakyRelu { .. } => "LeakyRelu",
            UnaryKind::Clip { .. } => "Clip",
            UnaryKind::Sigmoid => "Sigmoid",
            UnaryKind::Tanh => "Tanh",
            UnaryKind::HardSigmoid { .. } => "HardSigmoid",
            UnaryKind::HardSwish => "HardSwish",
            UnaryKind::Swish { .. } => "Swish",
            UnaryKind::Sqrt => "Sqrt",
            UnaryKind::Erf => "Erf",
            UnaryKind::Reciprocal => "Reciprocal",
            UnaryKind::Neg => "Neg",
            UnaryKind::Abs => "Abs",
            UnaryKind::Exp => "Exp",
            UnaryKind::Log => "Log",
            UnaryKind::Sin => "Sin",
            UnaryKind::Cos => "Cos",
            UnaryKind::Floor => "Floor",
            UnaryKind::Ceil => "Ceil",
            UnaryKind::Round => "Round",
            UnaryKind::Sign => "Sign",
            UnaryKind::Softplus => "Softplus",
            UnaryKind::Mish => "Mish",
            UnaryKind::Gelu { .. } => "Gelu",
            UnaryKind::Elu { .. } => "Elu",
            UnaryKind::Selu { .. } => "Selu",
            UnaryKind::Softsign => "Softsign",
            UnaryKind::Not => "Not",
        }
    }
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
    Sum,
    Min,
    Prod,
    SumSquare,
    L1,
    L2,
    LogSum,
    LogSumExp,
}

impl ReduceKind {
    /// The ONNX operator name ("ReduceMean", ...).
    pub fn onnx_name(self) -> &'static str {
        match self {
            ReduceKind::Mean => "ReduceMean",
            ReduceKind::Max => "ReduceMax",
            ReduceKind::Sum => "ReduceSum",
            ReduceKind::Min => "ReduceMin",
            ReduceKind::Prod => "ReduceProd",
            ReduceKind::SumSquare => "ReduceSumSquare",
            ReduceKind::L1 => "ReduceL1",
            ReduceKind::L2 => "ReduceL2",
            ReduceKind::LogSum => "ReduceLogSum",
            ReduceKind::LogSumExp => "ReduceLogSumExp",
        }
    }
}

/// Which normalisation operator an [`Op::Norm`] came from (its statistics and affine
/// layout are in the op's fields; the kind only names it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormKind {
    Layer,
    Instance,
    Group,
}

/// How the scale and bias of an [`Op::Norm`] are indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormAffine {
    /// One value per element of the normalised block (LayerNormalization).
    PerElement,
    /// One value per channel, axis 1 (InstanceNormalization, GroupNormalization >= 21).
    PerChannel,
    /// One value per group (GroupNormalization 18).
    PerGroup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariadicKind {
    Sum,
    Mean,
    Min,
    Max,
}

impl VariadicKind {
    /// The binary operation that combines two inputs (Mean: their sum, divided at the end).
    pub fn combine(self) -> BinaryKind {
        match self {
            VariadicKind::Sum | VariadicKind::Mean => BinaryKind::Add,
            VariadicKind::Min => BinaryKind::Min,
            VariadicKind::Max => BinaryKind::Max,
        }
    }
}

/// The cell of a recurrent operator (ONNX RNN, GRU, LSTM), with its default activations
/// (RNN: Tanh; GRU: Sigmoid, Tanh; LSTM: Sigmoid, Tanh, Tanh).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Rnn,
    Gru { linear_before_reset: bool },
    Lstm,
}

impl CellKind {
    /// Gates stacked in W, R and each half of B (RNN 1; GRU z, r, h; LSTM i, o, f, c).
    pub fn gates(self) -> usize {
        match self {
            CellKind::Rnn => 1,
            CellKind::Gru { .. } => 3,
            CellKind::Lstm => 4,
        }
    }
}

/// Direction of a recurrent operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Reverse,
    Bidirectional,
}

/// A recurrent operator with its attributes resolved, and which of its optional operands
/// the node has (absent ones are not in `Node::inputs` / `Node::outputs`).
///
/// inputs, in this order: X, W, R, then B, initial_h, initial_c (LSTM), P (LSTM) when
/// present (`sequence_lens` is checked at import and dropped); outputs: Y, Y_h, Y_c
/// (LSTM) when present. layout 0: X [seq, batch, input], Y [seq, dirs, batch, hidden],
/// states [dirs, batch, hidden]; layout 1 (`batch_first`): X [batch, seq, input],
/// Y [batch, seq, dirs, hidden], states [batch, dirs, hidden].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recurrent {
    pub cell: CellKind,
    pub direction: Direction,
    pub hidden: usize,
    pub batch_first: bool,
    pub has_b: bool,
    pub has_initial_h: bool,
    pub has_initial_c: bool,
    pub has_p: bool,
    pub has_y: bool,
    pub has_y_h: bool,
    pub has_y_c: bool,
}

impl Recurrent {
    /// 2 when bidirectional, else 1.
    pub fn num_directions(&self) -> usize {
        match self.direction {
            Direction::Bidirectional => 2,
            _ => 1,
        }
    }
    /// Position in `Node::inputs` of B, initial_h, initial_c and P (`None` when absent).
    pub fn optional_inputs(&self) -> [Option<usize>; 4] {
        positions(
            3,
            [
                self.has_b,
                self.has_initial_h,
                self.has_initial_c,
                self.has_p,
            ],
        )
    }
    /// Position in `Node::outputs` of Y, Y_h and Y_c (`None` when absent).
    pub fn outputs(&self) -> [Option<usize>; 3] {
        positions(0, [self.has_y, self.has_y_h, self.has_y_c])
    }
}

/// Positions, counted from `first`, of the present entries of `present`.
fn positions<const N: usize>(first: usize, present: [bool; N]) -> [Option<usize>; N] {
    let mut next = first;
    present.map(|p| {
        p.then(|| {
            next += 1;
            next - 1
        })
    })
}

/// A Conv or Pool window: (kernel, strides, dilations, pads), see [`Op::window`].
pub type Window<'a> = (&'a [usize], &'a [usize], &'a [usize], &'a [usize]);

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
    /// inputs: X, scale, optional bias. X is viewed as [outer, groups, inner] with
    /// outer = prod(shape[..axis]); each (outer, group) block of `inner` elements is
    /// normalised to zero mean and unit variance (+ `epsilon`), then scaled and shifted
    /// as `affine` says. LayerNormalization: groups 1; Instance/GroupNormalization: axis 1.
    /// outputs: Y, then optionally the mean and 1 / sqrt(variance + epsilon) of every
    /// block (LayerNormalization's Mean and InvStdDev, `outer × groups` values each).
    Norm {
        kind: NormKind,
        axis: usize,
        groups: usize,
        epsilon: f32,
        affine: NormAffine,
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
    /// RNN, GRU, LSTM (see [`Recurrent`] for the operands).
    Recurrent(Recurrent),
    /// inputs: condition (bool), X, Y with numpy broadcasting: X where condition, else Y.
    Where,
    /// QuantizeLinear: inputs X (float32); output int8 (uint8 outside integer islands, see
    /// `passes::quantise_islands`) = saturate(round_half_even(x / scale) + zero_point).
    Quantize(Quant),
    /// DequantizeLinear: inputs X (int8, uint8, or an int32 constant); output float32 =
    /// (x - zero_point) * scale.
    Dequantize(Quant),
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

    /// QuantizeLinear and DequantizeLinear: kept unfolded until
    /// `passes::quantise_islands` has read their constant operands (int8 weights), then
    /// folded there.
    pub fn is_quantisation(&self) -> bool {
        matches!(self, Op::Quantize(_) | Op::Dequantize(_))
    }

    /// The sliding window of a Conv or Pool node: (kernel, strides, dilations, pads);
    /// `None` for other operators.
    pub fn window(&self) -> Option<Window<'_>> {
        match self {
            Op::Conv {
                kernel,
                strides,
                dilations,
                pads,
                ..
            }
            | Op::Pool {
                kernel,
                strides,
                dilations,
                pads,
                ..
            } => Some((kernel, strides, dilations, pads)),
            _ => None,
        }
    }

    /// Short, stable name used in reports and generated comments.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Op::Conv { .. } => "Conv",
            Op::Gemm { .. } => "Gemm",
            Op::MatMul => "MatMul",
            Op::Binary { kind, .. } => kind.name(),
            Op::Unary(u) => u.name(),
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
            Op::Reduce { kind, .. } => kind.onnx_name(),
            Op::Norm { kind, .. } => match kind {
                NormKind::Layer => "LayerNormalization",
                NormKind::Instance => "InstanceNormalization",
                NormKind::Group => "GroupNormalization",
            },
            Op::Pad { .. } => "Pad",
            Op::Expand => "Expand",
            Op::Variadic {
                kind: VariadicKind::Sum,
            } => "Sum",
            Op::Variadic {
                kind: VariadicKind::Mean,
            } => "Mean",
            Op::Recurrent(r) => match r.cell {
                CellKind::Rnn => "RNN",
                CellKind::Gru { .. } => "GRU",
                CellKind::Lstm => "LSTM",
            },
            Op::Variadic {
                kind: VariadicKind::Min,
            } => "Min",
            Op::Variadic {
                kind: VariadicKind::Max,
            } => "Max",
            Op::Where => "Where",
            Op::Quantize(_) => "QuantizeLinear",
            Op::Dequantize(_) => "DequantizeLinear",
            Op::Identity => "Identity",
            Op::ConstOnly => "Constant",
        }
    }
}
