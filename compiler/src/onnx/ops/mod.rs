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
mod integer;
mod layer_norm;
mod logical;
mod lstm;
mod math;
mod matmul;
mod mod_op;
mod norm;
mod pad;
mod pool;
mod qlinear;
mod quantize;
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
    /// The attributes the operator's spec defines from `since` on, space separated: `name`,
    /// or with the opsets that define it, `name>=10`, `name<18`, `name>=2<11` (from the
    /// ONNX schemas, `onnx.defs.get_schema`). A node carrying any other attribute is
    /// rejected.
    pub attrs: &'static str,
    pub notes: &'static str,
    pub build: BuildFn,
}

const fn def(
    name: &'static str,
    since: u32,
    attrs: &'static str,
    notes: &'static str,
    build: BuildFn,
) -> OpDef {
    OpDef {
        name,
        since,
        attrs,
        notes,
        build,
    }
}

impl OpDef {
    /// The attributes the spec of this operator defines at `opset`.
    pub fn attrs_at(&self, opset: u32) -> Vec<&'static str> {
        self.attrs
            .split_whitespace()
            .filter_map(|entry| attr_at(entry, opset))
            .collect()
    }
}

/// The attribute name of a table entry (`"name"`, `"name>=A"`, `"name<B"`, `"name>=A<B"`)
/// when `opset` lies in its range.
fn attr_at(entry: &'static str, opset: u32) -> Option<&'static str> {
    let (name, range) = entry.split_at(entry.find(['>', '<']).unwrap_or(entry.len()));
    let (from, until) = match range.strip_prefix(">=") {
        Some(rest) => rest
            .split_once('<')
            .map_or((rest, None), |(a, b)| (a, Some(b))),
        None => ("0", range.strip_prefix('<')),
    };
    let from: u32 = from.parse().unwrap_or(0);
    let until: u32 = until.and_then(|b| b.parse().ok()).unwrap_or(u32::MAX);
    (from..until).contains(&opset).then_some(name)
}

/// The axes forms of the Reduce family (ReduceSum takes the input from opset 13).
const AXES: &str = "axes attribute (<18) or constant input";

/// Every supported operator (float32 data unless noted).
pub static OPS: &[OpDef] = &[
    def(
        "Abs",
        1,
        "consumed_inputs<6",
        "int64: compile time",
        math::build,
    ),
    def(
        "Add",
        1,
        "axis<7 broadcast<7 consumed_inputs<6",
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def(
        "And",
        1,
        "axis<7 broadcast<7",
        "bool; broadcasting",
        logical::build,
    ),
    def(
        "AveragePool",
        1,
        "auto_pad ceil_mode>=10 count_include_pad>=7 dilations>=19 kernel_shape pads strides",
        "1-D to 6-D; pads, strides, dilations, ceil_mode, count_include_pad, auto_pad",
        pool::build,
    ),
    def(
        "BatchNormalization",
        1,
        "consumed_inputs<6 epsilon is_test<7 momentum spatial<9 training_mode>=14",
        "inference only; extra outputs must be unused; spatial = 1 (< 9)",
        batchnorm::build,
    ),
    def(
        "Cast",
        1,
        "round_mode>=24 saturate>=19 to",
        "compile time on constants; float32->float32 at run time",
        cast::build,
    ),
    def("Ceil", 1, "consumed_inputs<6", "", math::build),
    def(
        "Clip",
        1,
        "consumed_inputs<6 max<11 min<11",
        "min/max attributes (<11) or inputs (>=11), constant or computed at run time",
        clip::build,
    ),
    def("Concat", 1, "axis", "", concat::build),
    def(
        "Constant",
        1,
        "sparse_value>=11 value value_float>=12 value_floats>=12 value_int>=12 value_ints>=12 value_string>=12 value_strings>=12",
        "value, value_float(s), value_int(s)",
        constant::build,
    ),
    def(
        "ConstantOfShape",
        9,
        "value",
        "compile time",
        constant_of_shape::build,
    ),
    def(
        "Conv",
        1,
        "auto_pad dilations group kernel_shape pads strides",
        "1-D to 6-D, group/depthwise, strides, dilations, pads, auto_pad",
        conv::build,
    ),
    def(
        "ConvInteger",
        10,
        "auto_pad dilations group kernel_shape pads strides",
        "int8/uint8 in; exact int32 sums as float32 (refused beyond 2^24)",
        integer::build,
    ),
    def("Cos", 7, "", "", math::build),
    def(
        "DequantizeLinear",
        10,
        "axis>=13 block_size>=21 output_dtype>=23",
        "int8/uint8 (int32 constants); per tensor or per axis; into int8 islands",
        quantize::build,
    ),
    def(
        "Div",
        1,
        "axis<7 broadcast<7 consumed_inputs<6",
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def(
        "Dropout",
        1,
        "consumed_inputs<6 is_test<7 ratio<12 seed>=12",
        "inference: identity; the mask output must be unused",
        identity::build,
    ),
    def("Elu", 1, "alpha consumed_inputs<6", "", unary::build),
    def(
        "Equal",
        1,
        "axis<7 broadcast<7",
        "bool output; broadcasting",
        compare::build,
    ),
    def("Erf", 9, "", "", math::build),
    def("Exp", 1, "consumed_inputs<6", "", math::build),
    def("Expand", 8, "", "", expand::build),
    def("Flatten", 1, "axis", "negative axis", flatten::build),
    def("Floor", 1, "consumed_inputs<6", "", math::build),
    def(
        "Gather",
        1,
        "axis",
        "constant indices, any axis",
        gather::build,
    ),
    def(
        "Gelu",
        20,
        "approximate",
        "approximate none/tanh",
        unary::build,
    ),
    def(
        "Gemm",
        1,
        "alpha beta broadcast<7 transA transB",
        "alpha, beta, transA, transB, C broadcast",
        gemm::build,
    ),
    def("GlobalAveragePool", 1, "", "", global_pool::build),
    def("GlobalMaxPool", 1, "", "", global_pool::build),
    def(
        "Greater",
        1,
        "axis<7 broadcast<7",
        "bool output; broadcasting",
        compare::build,
    ),
    def(
        "GreaterOrEqual",
        12,
        "",
        "bool output; broadcasting",
        compare::build,
    ),
    def(
        "GRU",
        7,
        "activation_alpha activation_beta activations clip direction hidden_size layout>=14 linear_before_reset",
        "default activations; linear_before_reset; layout; W, R constant",
        gru::build,
    ),
    def(
        "GroupNormalization",
        18,
        "epsilon num_groups stash_type>=21",
        "scale/bias per group (18) or per channel (21)",
        group_norm::build,
    ),
    def(
        "HardSigmoid",
        1,
        "alpha beta consumed_inputs<6",
        "",
        unary::build,
    ),
    def("HardSwish", 14, "", "", unary::build),
    def("Identity", 1, "", "", identity::build),
    def(
        "InstanceNormalization",
        1,
        "consumed_inputs<6 epsilon",
        "",
        instance_norm::build,
    ),
    def(
        "LayerNormalization",
        17,
        "axis epsilon stash_type",
        "any axis; optional Mean/InvStdDev outputs; float32 compute (stash_type)",
        layer_norm::build,
    ),
    def(
        "LeakyRelu",
        1,
        "alpha consumed_inputs<6",
        "",
        unary::build,
    ),
    def(
        "Less",
        1,
        "axis<7 broadcast<7",
        "bool output; broadcasting",
        compare::build,
    ),
    def(
        "LessOrEqual",
        12,
        "",
        "bool output; broadcasting",
        compare::build,
    ),
    def("Log", 1, "consumed_inputs<6", "", math::build),
    def("LogSoftmax", 1, "axis", "", softmax::build),
    def(
        "LSTM",
        7,
        "activation_alpha activation_beta activations clip direction hidden_size input_forget layout>=14",
        "default activations; peepholes; layout; W, R constant; no clip/input_forget",
        lstm::build,
    ),
    def("MatMul", 1, "", "1-D, batched, broadcast", matmul::build),
    def(
        "MatMulInteger",
        10,
        "",
        "int8/uint8 in; exact int32 sums as float32 (refused beyond 2^24)",
        integer::build,
    ),
    def(
        "Max",
        1,
        "consumed_inputs<6",
        "variadic, broadcasting; NaN propagates",
        variadic::build,
    ),
    def(
        "MaxPool",
        1,
        "auto_pad ceil_mode>=10 dilations>=10 kernel_shape pads storage_order>=8 strides",
        "1-D to 6-D; the Indices output must be unused",
        pool::build,
    ),
    def(
        "Mean",
        1,
        "consumed_inputs<6",
        "variadic, broadcasting",
        variadic::build,
    ),
    def(
        "Min",
        1,
        "consumed_inputs<6",
        "variadic, broadcasting; NaN propagates",
        variadic::build,
    ),
    def("Mish", 18, "", "", unary::build),
    def(
        "Mod",
        10,
        "fmod",
        "fmod 0 or 1; int64 at compile time",
        mod_op::build,
    ),
    def(
        "Mul",
        1,
        "axis<7 broadcast<7 consumed_inputs<6",
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def(
        "Neg",
        1,
        "consumed_inputs<6",
        "int64: compile time",
        math::build,
    ),
    def("Not", 1, "", "bool", logical::build),
    def(
        "Or",
        1,
        "axis<7 broadcast<7",
        "bool; broadcasting",
        logical::build,
    ),
    def(
        "Pad",
        1,
        "mode paddings<2 pads>=2<11 value<11",
        "constant, reflect, edge, wrap (>= 19) modes; negative pads crop",
        pad::build,
    ),
    def(
        "Pow",
        1,
        "axis<7 broadcast<7",
        "numpy broadcasting; float32 base and exponent",
        binary::build,
    ),
    def(
        "QLinearConv",
        10,
        "auto_pad dilations group kernel_shape pads strides",
        "int8/uint8; per-channel w; as DQ -> Conv -> Q, into int8 islands",
        qlinear::build,
    ),
    def(
        "QLinearMatMul",
        10,
        "",
        "int8/uint8; per-column b; as DQ -> MatMul -> Q, into int8 islands",
        qlinear::build,
    ),
    def(
        "QuantizeLinear",
        10,
        "axis>=13 block_size>=21 output_dtype>=21 precision>=23 saturate>=19",
        "float32 to int8/uint8; per tensor or per axis; into int8 islands",
        quantize::build,
    ),
    def(
        "Range",
        11,
        "stash_type>=27",
        "compile time",
        range::build,
    ),
    def("Reciprocal", 1, "consumed_inputs<6", "", math::build),
    def(
        "ReduceL1",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceL2",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceLogSum",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceLogSumExp",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceMax",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceMean",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceMin",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceProd",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def(
        "ReduceSum",
        1,
        "axes<13 keepdims noop_with_empty_axes>=13",
        "axes attribute (<13) or constant input",
        reduce::build,
    ),
    def(
        "ReduceSumSquare",
        1,
        "axes<18 keepdims noop_with_empty_axes>=18",
        AXES,
        reduce::build,
    ),
    def("Relu", 1, "consumed_inputs<6", "", unary::build),
    def(
        "Reshape",
        1,
        "allowzero>=14 consumed_inputs<5 shape<5",
        "constant shape input; 0 and -1, allowzero",
        reshape::build,
    ),
    def(
        "RNN",
        7,
        "activation_alpha activation_beta activations clip direction hidden_size layout>=14",
        "Tanh; layout; W, R constant",
        rnn::build,
    ),
    def("Round", 11, "", "half to even", math::build),
    def(
        "Selu",
        1,
        "alpha consumed_inputs<6 gamma",
        "",
        unary::build,
    ),
    def(
        "Shape",
        1,
        "end>=15 start>=15",
        "compile time (start/end >= 15)",
        shape_op::build,
    ),
    def("Sigmoid", 1, "consumed_inputs<6", "", unary::build),
    def("Sign", 9, "", "int64: compile time", math::build),
    def("Sin", 7, "", "", math::build),
    def(
        "Slice",
        1,
        "axes<10 ends<10 starts<10",
        "constant starts/ends/axes/steps, negative steps",
        slice::build,
    ),
    def(
        "Softmax",
        1,
        "axis",
        "opset < 13 coerces to 2-D",
        softmax::build,
    ),
    def("Softplus", 1, "", "", unary::build),
    def("Softsign", 1, "", "", unary::build),
    def(
        "Split",
        1,
        "axis num_outputs>=18 split<13",
        "split attribute/input, num_outputs (>=18)",
        split::build,
    ),
    def(
        "Squeeze",
        1,
        "axes<13",
        "axes attribute (<13) or constant input",
        squeeze::build,
    ),
    def(
        "Sub",
        1,
        "axis<7 broadcast<7 consumed_inputs<6",
        "numpy broadcasting; broadcast/axis (< 7)",
        binary::build,
    ),
    def("Sqrt", 1, "consumed_inputs<6", "", math::build),
    def(
        "Sum",
        1,
        "consumed_inputs<6",
        "variadic, broadcasting",
        variadic::build,
    ),
    def(
        "Swish",
        24,
        "alpha",
        "x * Sigmoid(x) (SiLU) is fused to it",
        unary::build,
    ),
    def("Tanh", 1, "consumed_inputs<6", "", unary::build),
    def(
        "Transpose",
        1,
        "perm",
        "any permutation",
        transpose::build,
    ),
    def(
        "Unsqueeze",
        1,
        "axes<13",
        "axes attribute (<13) or constant input",
        squeeze::build,
    ),
    def(
        "Where",
        9,
        "",
        "bool condition; broadcasting",
        where_op::build,
    ),
    def(
        "Xor",
        1,
        "axis<7 broadcast<7",
        "bool; broadcasting",
        logical::build,
    ),
];

/// The table row for an op type.
pub fn find(op_type: &str) -> Option<&'static OpDef> {
    OPS.iter().find(|d| d.name == op_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_ranges_parse() {
        let red = find("ReduceMean").unwrap();
        assert!(red.attrs_at(17).contains(&"axes") && !red.attrs_at(18).contains(&"axes"));
        assert!(red.attrs_at(18).contains(&"noop_with_empty_axes"));
        let pad = find("Pad").unwrap();
        assert_eq!(pad.attrs_at(1), ["mode", "paddings", "value"]);
        assert_eq!(pad.attrs_at(2), ["mode", "pads", "value"]);
        assert_eq!(pad.attrs_at(11), ["mode"]);
        for d in OPS {
            for entry in d.attrs.split_whitespace() {
                let name = entry.split(['>', '<']).next().unwrap_or("");
                let valid = !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && entry[name.len()..]
                        .split(['>', '=', '<'])
                        .all(|n| n.is_empty() || n.parse::<u32>().is_ok());
                assert!(valid, "{}: bad attribute entry {entry:?}", d.name);
            }
        }
    }
}
