//! The operator table: ONNX op type -> translation function. Add an operator by writing
//! `ops/<op>.rs` (spec header, attribute extraction, shape inference) and one row here.

use super::ctx::{Built, NodeCtx};
use super::error::ImportError;

mod batchnorm;
mod binary;
mod cast;
mod clip;
mod compare;
mod concat;
mod constant;
mod constant_of_shape;
mod conv;
mod expand;
mod flatten;
mod gather;
mod gemm;
mod global_pool;
mod group_norm;
mod gru;
mod identity;
mod instance_norm;
mod layer_norm;
mod logical;
mod lstm;
mod math;
mod matmul;
mod mod_op;
mod norm;
mod pad;
mod pool;
mod range;
mod recurrent;
mod reduce;
mod reshape;
mod rnn;
mod shape_op;
mod slice;
mod softmax;
mod split;
mod squeeze;
mod transpose;
mod unary;
mod variadic;
mod where_op;

pub type BuildFn = fn(&NodeCtx) -> Result<Built, ImportError>;

/// One registered operator.
pub struct OpDef {
    pub name: &'static str,
    /// Oldest opset accepted: the operator's semantics at every opset from here on are
    /// what the translation implements (legacy attribute forms included); a node of a model
    /// with an older opset is rejected, naming this opset.
    pub since: u32,
    pub notes: &'static str,
    pub build: BuildFn,
}

const fn def(name: &'static str, since: u32, notes: &'static str, build: BuildFn) -> OpDef {
    OpDef {
        name,
        since,
        notes,
        build,
    }
}

/// The axes forms of the Reduce family (ReduceSum takes the input from opset 13).
const AXES: &str = "axes attribute (<18) or constant input";

/// Every supported operator (float32 data unless noted).
pub static OPS: &[OpDef] = &[
    def("Abs", 1, "int64: compile time", math::build),
    def(
        "Add",
        1,
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def("And", 1, "bool; broadcasting", logical::build),
    def(
        "AveragePool",
        1,
        "1-D to 6-D; pads, strides, dilations, ceil_mode, count_include_pad, auto_pad",
        pool::build,
    ),
    def(
        "BatchNormalization",
        1,
        "inference only; extra outputs must be unused; spatial = 1 (< 9)",
        batchnorm::build,
    ),
    def(
        "Cast",
        1,
        "compile time on constants; float32->float32 at run time",
        cast::build,
    ),
    def("Ceil", 1, "", math::build),
    def(
        "Clip",
        1,
        "min/max attributes (<11) or inputs (>=11), constant or computed at run time",
        clip::build,
    ),
    def("Concat", 1, "", concat::build),
    def(
        "Constant",
        1,
        "value, value_float(s), value_int(s)",
        constant::build,
    ),
    def(
        "ConstantOfShape",
        9,
        "compile time",
        constant_of_shape::build,
    ),
    def(
        "Conv",
        1,
        "1-D to 6-D, group/depthwise, strides, dilations, pads, auto_pad",
        conv::build,
    ),
    def("Cos", 7, "", math::build),
    def(
        "Div",
        1,
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def(
        "Dropout",
        1,
        "inference: identity; the mask output must be unused",
        identity::build,
    ),
    def("Elu", 1, "", unary::build),
    def("Equal", 1, "bool output; broadcasting", compare::build),
    def("Erf", 9, "", math::build),
    def("Exp", 1, "", math::build),
    def("Expand", 8, "", expand::build),
    def("Flatten", 1, "negative axis", flatten::build),
    def("Floor", 1, "", math::build),
    def("Gather", 1, "constant indices, any axis", gather::build),
    def("Gelu", 20, "approximate none/tanh", unary::build),
    def(
        "Gemm",
        1,
        "alpha, beta, transA, transB, C broadcast",
        gemm::build,
    ),
    def("GlobalAveragePool", 1, "", global_pool::build),
    def("GlobalMaxPool", 1, "", global_pool::build),
    def("Greater", 1, "bool output; broadcasting", compare::build),
    def(
        "GreaterOrEqual",
        12,
        "bool output; broadcasting",
        compare::build,
    ),
    def(
        "GRU",
        7,
        "default activations; linear_before_reset; layout; W, R constant",
        gru::build,
    ),
    def(
        "GroupNormalization",
        18,
        "scale/bias per group (18) or per channel (21)",
        group_norm::build,
    ),
    def("HardSigmoid", 1, "", unary::build),
    def("HardSwish", 14, "", unary::build),
    def("Identity", 1, "", identity::build),
    def("InstanceNormalization", 1, "", instance_norm::build),
    def(
        "LayerNormalization",
        17,
        "any axis; optional Mean/InvStdDev outputs; float32 compute (stash_type)",
        layer_norm::build,
    ),
    def("LeakyRelu", 1, "", unary::build),
    def("Less", 1, "bool output; broadcasting", compare::build),
    def(
        "LessOrEqual",
        12,
        "bool output; broadcasting",
        compare::build,
    ),
    def("Log", 1, "", math::build),
    def("LogSoftmax", 1, "", softmax::build),
    def(
        "LSTM",
        7,
        "default activations; peepholes; layout; W, R constant; no clip/input_forget",
        lstm::build,
    ),
    def("MatMul", 1, "1-D, batched, broadcast", matmul::build),
    def(
        "Max",
        1,
        "variadic, broadcasting; NaN propagates",
        variadic::build,
    ),
    def(
        "MaxPool",
        1,
        "1-D to 6-D; the Indices output must be unused",
        pool::build,
    ),
    def("Mean", 1, "variadic, broadcasting", variadic::build),
    def(
        "Min",
        1,
        "variadic, broadcasting; NaN propagates",
        variadic::build,
    ),
    def("Mish", 18, "", unary::build),
    def(
        "Mod",
        10,
        "fmod 0 or 1; int64 at compile time",
        mod_op::build,
    ),
    def(
        "Mul",
        1,
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def("Neg", 1, "int64: compile time", math::build),
    def("Not", 1, "bool", logical::build),
    def("Or", 1, "bool; broadcasting", logical::build),
    def(
        "Pad",
        1,
        "constant, reflect, edge, wrap (>= 19) modes; negative pads crop",
        pad::build,
    ),
    def(
        "Pow",
        1,
        "numpy broadcasting; float32 base and exponent",
        binary::build,
    ),
    def("Range", 11, "compile time", range::build),
    def("Reciprocal", 1, "", math::build),
    def("ReduceL1", 1, AXES, reduce::build),
    def("ReduceL2", 1, AXES, reduce::build),
    def("ReduceLogSum", 1, AXES, reduce::build),
    def("ReduceLogSumExp", 1, AXES, reduce::build),
    def("ReduceMax", 1, AXES, reduce::build),
    def("ReduceMean", 1, AXES, reduce::build),
    def("ReduceMin", 1, AXES, reduce::build),
    def("ReduceProd", 1, AXES, reduce::build),
    def(
        "ReduceSum",
        1,
        "axes attribute (<13) or constant input",
        reduce::build,
    ),
    def("ReduceSumSquare", 1, AXES, reduce::build),
    def("Relu", 1, "", unary::build),
    def(
        "Reshape",
        1,
        "constant shape input; 0 and -1, allowzero",
        reshape::build,
    ),
    def("RNN", 7, "Tanh; layout; W, R constant", rnn::build),
    def("Round", 11, "half to even", math::build),
    def("Selu", 1, "", unary::build),
    def(
        "Shape",
        1,
        "compile time (start/end >= 15)",
        shape_op::build,
    ),
    def("Sigmoid", 1, "", unary::build),
    def("Sign", 9, "int64: compile time", math::build),
    def("Sin", 7, "", math::build),
    def(
        "Slice",
        1,
        "constant starts/ends/axes/steps, negative steps",
        slice::build,
    ),
    def("Softmax", 1, "opset < 13 coerces to 2-D", softmax::build),
    def("Softplus", 1, "", unary::build),
    def("Softsign", 1, "", unary::build),
    def(
        "Split",
        1,
        "split attribute/input, num_outputs (>=18)",
        split::build,
    ),
    def(
        "Squeeze",
        1,
        "axes attribute (<13) or constant input",
        squeeze::build,
    ),
    def(
        "Sub",
        1,
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def("Sqrt", 1, "", math::build),
    def("Sum", 1, "variadic, broadcasting", variadic::build),
    def(
        "Swish",
        24,
        "alpha; x * Sigmoid(x) (SiLU) is fused to it",
        unary::build,
    ),
    def("Tanh", 1, "", unary::build),
    def("Transpose", 1, "any permutation", transpose::build),
    def(
        "Unsqueeze",
        1,
        "axes attribute (<13) or constant input",
        squeeze::build,
    ),
    def("Where", 9, "bool condition; broadcasting", where_op::build),
    def("Xor", 1, "bool; broadcasting", logical::build),
];

/// The table row for an op type.
pub fn find(op_type: &str) -> Option<&'static OpDef> {
    OPS.iter().find(|d| d.name == op_type)
}
