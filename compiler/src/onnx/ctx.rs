//! What an operator file sees of one node: its resolved inputs, typed attribute getters with
//! defaults, and error constructors that name the node.
//!
//! Attribute fields are read directly (never `AttributeProto::as_value`, which can panic).

use super::error::ImportError;
use crate::ir::{DType, Data, Op, Quant, Tensor};
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::{AttributeProto, NodeProto, TensorProto};

/// One output an operator file produces.
#[derive(Clone, Debug)]
pub struct OutSpec {
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Data when the operator computes it itself (ConstOnly plumbing).
    pub data: Option<Data>,
}

impl OutSpec {
    pub fn new(dtype: DType, shape: Vec<usize>) -> Self {
        OutSpec {
            dtype,
            shape,
            data: None,
        }
    }
    pub fn constant(dtype: DType, shape: Vec<usize>, data: Data) -> Self {
        OutSpec {
            dtype,
            shape,
            data: Some(data),
        }
    }
}

/// The IR node an operator file returns.
#[derive(Clone, Debug)]
pub struct Built {
    pub op: Op,
    /// Positions of the ONNX inputs kept as IR inputs (operands folded into the op dropped).
    pub inputs: Vec<usize>,
    /// One spec per ONNX output that the node produces (trailing unused outputs may be left
    /// out; the operator file checks they are unused).
    pub outputs: Vec<OutSpec>,
    /// Inputs the op reads through a reshaped view: (ONNX input position, view shape, same
    /// element count). The driver re-labels a constant input's data or inserts an
    /// `Op::Reshape` node for a runtime one (legacy `broadcast`/`axis` forms).
    pub views: Vec<(usize, Vec<usize>)>,
    /// Constant integer inputs the op reads as float32 (ONNX input positions): the driver
    /// adds a float32 copy of the data (Pow's integer exponent).
    pub as_float: Vec<usize>,
    /// The QDQ form of a QOperator node (QLinearConv, ConvInteger, ...): a
    /// DequantizeLinear with this `Quant` on ONNX input `pos` before the op, which reads
    /// its float32 output.
    pub dequantize: Vec<(usize, Quant)>,
    /// A QuantizeLinear with this `Quant` after the op: the op writes float32 and the
    /// quantised value (the output spec's dtype) is the ONNX output.
    pub quantize: Option<Quant>,
}

impl Built {
    pub fn new(op: Op, inputs: Vec<usize>, outputs: Vec<OutSpec>) -> Self {
        Built {
            op,
            inputs,
            outputs,
            views: Vec::new(),
            as_float: Vec::new(),
            dequantize: Vec::new(),
            quantize: None,
        }
    }
    /// Reads ONNX input `pos` through a DequantizeLinear with `quant`.
    pub fn with_dequantize(mut self, pos: usize, quant: Quant) -> Self {
        self.dequantize.push((pos, quant));
        self
    }
    /// Writes the output through a QuantizeLinear with `quant`.
    pub fn with_quantize(mut self, quant: Quant) -> Self {
        self.quantize = Some(quant);
        self
    }
    /// Reads constant ONNX input `pos` as float32 values.
    pub fn with_float_const(mut self, pos: usize) -> Self {
        self.as_float.push(pos);
        self
    }
    /// Reads ONNX input `pos` through a view of shape `shape` (same element count).
    pub fn with_view(mut self, pos: usize, shape: Vec<usize>) -> Self {
        self.views.push((pos, shape));
        self
    }
    /// A compile-time-only node whose outputs carry data.
    pub fn constant(outputs: Vec<OutSpec>) -> Self {
        Built {
            op: Op::ConstOnly,
            inputs: vec![],
            outputs,
            views: Vec::new(),
            as_float: Vec::new(),
            dequantize: Vec::new(),
            quantize: None,
        }
    }
}

pub struct NodeCtx<'a> {
    pub name: &'a str,
    pub op_type: &'a str,
    pub opset: u32,
    pub proto: &'a NodeProto,
    /// By ONNX input position; `None` for absent optional inputs.
    pub inputs: Vec<Option<&'a Tensor>>,
    /// By ONNX output position: whether any node or graph output reads it.
    pub outputs_used: Vec<bool>,
    /// Where external data of tensor attributes is resolved.
    pub base_dir: Option<&'a super::files::DataDir>,
}

fn type_name(t: AttributeType) -> &'static str {
    match t {
        AttributeType::FLOAT => "float",
        AttributeType::INT => "int",
        AttributeType::STRING => "string",
        AttributeType::TENSOR => "tensor",
        AttributeType::GRAPH => "graph",
        AttributeType::FLOATS => "floats",
        AttributeType::INTS => "ints",
        AttributeType::STRINGS => "strings",
        AttributeType::TENSORS => "tensors",
        AttributeType::GRAPHS => "graphs",
        _ => "other",
    }
}

impl<'a> NodeCtx<'a> {
    /// The same node seen with other inputs: a QOperator op reuses the float op's
    /// attribute and shape checks on float32 stand-ins of its operands.
    pub fn with_inputs<'b>(&'b self, inputs: Vec<Option<&'b Tensor>>) -> NodeCtx<'b> {
        NodeCtx {
            name: self.name,
            op_type: self.op_type,
            opset: self.opset,
            proto: self.proto,
            inputs,
            outputs_used: self.outputs_used.clone(),
            base_dir: self.base_dir,
        }
    }

    // ---------- errors ----------
    pub fn shape_err(&self, detail: impl Into<String>) -> ImportError {
        ImportError::Shape {
            node: self.name.into(),
            op: self.op_type.into(),
            detail: detail.into(),
        }
    }
    pub fn feature_err(&self, detail: impl Into<String>) -> ImportError {
        ImportError::Feature {
            node: self.name.into(),
            op: self.op_type.into(),
            detail: detail.into(),
        }
    }
    pub fn attr_err(&self, attr: &str, detail: impl Into<String>) -> ImportError {
        ImportError::Attribute {
            node: self.name.into(),
            op: self.op_type.into(),
            attr: attr.into(),
            detail: detail.into(),
        }
    }
    fn input_name(&self, i: usize) -> String {
        self.proto.input.get(i).cloned().unwrap_or_default()
    }

    // ---------- inputs ----------
    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }
    pub fn opt_input(&self, i: usize) -> Option<&'a Tensor> {
        self.inputs.get(i).copied().flatten()
    }
    /// A required input.
    pub fn input(&self, i: usize) -> Result<&'a Tensor, ImportError> {
        self.opt_input(i)
            .ok_or_else(|| self.shape_err(format!("required input #{i} is missing")))
    }
    /// A required float32 input.
    pub fn float_input(&self, i: usize) -> Result<&'a Tensor, ImportError> {
        let t = self.input(i)?;
        if t.dtype != DType::F32 {
            return Err(ImportError::DType {
                tensor: t.name.clone(),
                dtype: t.dtype.name().into(),
                what: format!(
                    "input #{i} of node '{}' ({}) must be float32",
                    self.name, self.op_type
                ),
            });
        }
        Ok(t)
    }
    /// Input `i`, which must have one of the `allowed` element types unless it is constant
    /// (constants of any type are evaluated at compile time).
    pub fn runtime_input(&self, i: usize, allowed: &[DType]) -> Result<&'a Tensor, ImportError> {
        let t = self.input(i)?;
        if t.is_const() || allowed.contains(&t.dtype) {
            return Ok(t);
        }
        let names: Vec<&str> = allowed.iter().map(|d| d.name()).collect();
        Err(ImportError::DType {
            tensor: t.name.clone(),
            dtype: t.dtype.name().into(),
            what: format!(
                "input #{i} of node '{}' ({}) must be {} at run time",
                self.name,
                self.op_type,
                names.join(" or ")
            ),
        })
    }
    /// Data of an input that must be known at compile time.
    pub fn const_data(&self, i: usize) -> Result<&'a Data, ImportError> {
        let t = self.input(i)?;
        t.data.as_ref().ok_or_else(|| ImportError::NotConstant {
            node: self.name.into(),
            op: self.op_type.into(),
            input: self.input_name(i),
        })
    }
    /// An optional constant input as i64 values.
    pub fn opt_const_ints(&self, i: usize) -> Result<Option<Vec<i64>>, ImportError> {
        match self.opt_input(i) {
            None => Ok(None),
            Some(_) => Ok(Some(self.const_data(i)?.to_i64())),
        }
    }
    /// Whether every present input is constant.
    pub fn all_const(&self) -> bool {
        self.inputs.iter().flatten().all(|t| t.is_const())
    }
    /// Errors if output `i` (beyond the first) is read by anything.
    pub fn require_unused_output(&self, i: usize, what: &str) -> Result<(), ImportError> {
        if self.outputs_used.get(i).copied().unwrap_or(false) {
            return Err(self.feature_err(format!(
                "output #{i} ({what}) is used; only inference mode is supported"
            )));
        }
        Ok(())
    }

    // ---------- attributes ----------
    /// Whether the node carries attribute `name`.
    pub fn has_attr(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }
    pub fn attr(&self, name: &str) -> Option<&'a AttributeProto> {
        self.proto.attribute.iter().find(|a| a.name == name)
    }
    fn check(&self, a: &AttributeProto, want: AttributeType) -> Result<(), ImportError> {
        match a.type_.enum_value() {
            Ok(AttributeType::UNDEFINED) => Ok(()),
            Ok(t) if t == want => Ok(()),
            Ok(t) => Err(self.attr_err(
                &a.name,
                format!("has type {}, expected {}", type_name(t), type_name(want)),
            )),
            Err(code) => Err(self.attr_err(&a.name, format!("has unknown type code {code}"))),
        }
    }
    /// Attribute `name` read with `get` when present, after checking its type is `want`.
    fn typed<T>(
        &self,
        name: &str,
        want: AttributeType,
        get: impl FnOnce(&'a AttributeProto) -> T,
    ) -> Result<Option<T>, ImportError> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => self.check(a, want).map(|_| Some(get(a))),
        }
    }
    pub fn int_opt(&self, name: &str) -> Result<Option<i64>, ImportError> {
        self.typed(name, AttributeType::INT, |a| a.i)
    }
    pub fn int(&self, name: &str, default: i64) -> Result<i64, ImportError> {
        Ok(self.int_opt(name)?.unwrap_or(default))
    }
    pub fn float_opt(&self, name: &str) -> Result<Option<f32>, ImportError> {
        self.typed(name, AttributeType::FLOAT, |a| a.f)
    }
    pub fn float(&self, name: &str, default: f32) -> Result<f32, ImportError> {
        Ok(self.float_opt(name)?.unwrap_or(default))
    }
    pub fn ints_opt(&self, name: &str) -> Result<Option<Vec<i64>>, ImportError> {
        self.typed(name, AttributeType::INTS, |a| a.ints.clone())
    }
    pub fn floats_opt(&self, name: &str) -> Result<Option<Vec<f32>>, ImportError> {
        self.typed(name, AttributeType::FLOATS, |a| a.floats.clone())
    }
    pub fn string(&self, name: &str, default: &str) -> Result<String, ImportError> {
        let s = self.typed(name, AttributeType::STRING, |a| {
            String::from_utf8_lossy(&a.s).into_owned()
        })?;
        Ok(s.unwrap_or_else(|| default.to_string()))
    }
    pub fn tensor_opt(&self, name: &str) -> Result<Option<&'a TensorProto>, ImportError> {
        match self.typed(name, AttributeType::TENSOR, |a| a.t.as_ref())? {
            None => Ok(None),
            Some(Some(t)) => Ok(Some(t)),
            Some(None) => Err(self.attr_err(name, "has no tensor payload")),
        }
    }
    /// A non-negative ints attribute as usizes.
    pub fn usizes_opt(&self, name: &str) -> Result<Option<Vec<usize>>, ImportError> {
        match self.ints_opt(name)? {
            None => Ok(None),
            Some(v) => v
                .iter()
                .map(|&x| {
                    usize::try_from(x)
                        .ok()
                        .filter(|&u| u <= super::shape::MAX_C_INT)
                        .ok_or_else(|| {
                            self.attr_err(
                                name,
                                format!(
                                    "has invalid value {x} (from 0 to {}, the runtime's 32-bit int)",
                                    super::shape::MAX_C_INT
                                ),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }
    /// Normalises an axis against `rank`, naming the attribute on error.
    pub fn axis(&self, what: &str, axis: i64, rank: usize) -> Result<usize, ImportError> {
        super::shape::norm_axis(axis, rank).ok_or_else(|| {
            self.attr_err(
                what,
                format!("value {axis} is out of range for rank {rank}"),
            )
        })
    }
}
