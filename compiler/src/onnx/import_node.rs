//! Importing one ONNX node: resolve its inputs, let the operator table build the IR op,
//! re-label or reshape inputs read through a view, add the outputs, and fold the node away
//! when all its inputs are constant.

use super::ctx::{Built, NodeCtx, OutSpec};
use super::error::{ImportError, UnsupportedNode};
use super::importer::Importer;
use super::ops::{self, OpDef};
use super::shape;
use crate::ir::{eval, DType, Data, Node, Op, Quant, Tensor, TensorId};
use onnx_protobuf::NodeProto;
use std::collections::HashSet;

impl Importer<'_> {
    /// Translates `np` (named `name`) into IR nodes; `used` holds every value name some node
    /// or graph output reads.
    pub(super) fn import_node(
        &mut self,
        np: &NodeProto,
        name: &str,
        used: &HashSet<&str>,
    ) -> Result<(), ImportError> {
        let def = self.op_def(np, name)?;
        check_attributes(def, np, name, self.opset)?;
        let mut input_ids = self.resolve_inputs(np, name)?;
        let built = self.build(def, np, name, &input_ids, used)?;
        check_outputs(np, name, &built)?;
        for (pos, view) in &built.views {
            self.insert_view(np, name, &mut input_ids, *pos, view)?;
        }
        for &pos in &built.as_float {
            self.insert_float_const(name, &mut input_ids, pos);
        }
        for (pos, quant) in &built.dequantize {
            self.insert_dequantize(name, &mut input_ids, *pos, quant);
        }
        let inputs: Vec<TensorId> = built
            .inputs
            .iter()
            .filter_map(|&pos| input_ids.get(pos).copied().flatten())
            .collect();
        let outputs = self.add_outputs(np, built.outputs);
        let written = match &built.quantize {
            Some(_) => self.real_outputs(name, &outputs),
            None => outputs.clone(),
        };
        let (op, inputs) = self.fold_if_constant(built.op, inputs, &written);
        if op == Op::ConstOnly {
            self.check_computed(np, name, &written)?;
        }
        self.g.nodes.push(Node {
            name: name.to_string(),
            onnx_op: np.op_type.clone(),
            op,
            inputs,
            outputs: written.clone(),
            kernels: Default::default(),
        });
        if let Some(quant) = built.quantize {
            self.push_quantize(name, quant, written, outputs);
        }
        Ok(())
    }

    /// A DequantizeLinear node with `quant` reading input `pos` of node `name` (a
    /// QOperator node's operand); `input_ids[pos]` then names its float32 output.
    fn insert_dequantize(
        &mut self,
        name: &str,
        input_ids: &mut [Option<TensorId>],
        pos: usize,
        quant: &Quant,
    ) {
        let Some(Some(id)) = input_ids.get(pos).copied() else {
            return;
        };
        let src = self.g.tensor(id).clone();
        let fid = self.g.add_tensor(Tensor {
            name: format!("{}_dequantized_{name}", src.name),
            dtype: DType::F32,
            shape: src.shape,
            data: None,
            quant: None,
        });
        self.g.nodes.push(Node {
            name: format!("{name}_dequantize{pos}"),
            onnx_op: "DequantizeLinear".into(),
            op: Op::Dequantize(quant.clone()),
            inputs: vec![id],
            outputs: vec![fid],
            kernels: Default::default(),
        });
        input_ids[pos] = Some(fid);
    }

    /// The float32 values a requantising node (`Built::quantize`) computes before its
    /// QuantizeLinear, one per output in `outputs`.
    fn real_outputs(&mut self, name: &str, outputs: &[TensorId]) -> Vec<TensorId> {
        outputs
            .iter()
            .map(|&id| {
                let out = self.g.tensor(id).clone();
                self.g.add_tensor(Tensor {
                    name: format!("{}_real_{name}", out.name),
                    dtype: DType::F32,
                    shape: out.shape,
                    data: None,
                    quant: None,
                })
            })
            .collect()
    }

    /// The QuantizeLinear node with `quant` from a requantising node's float32 values
    /// (`real`) to its ONNX outputs.
    fn push_quantize(
        &mut self,
        name: &str,
        quant: Quant,
        real: Vec<TensorId>,
        outputs: Vec<TensorId>,
    ) {
        self.g.nodes.push(Node {
            name: format!("{name}_quantize"),
            onnx_op: "QuantizeLinear".into(),
            op: Op::Quantize(quant),
            inputs: real,
            outputs,
            kernels: Default::default(),
        });
    }

    /// The operator table's row for `np`.
    fn op_def(&self, np: &NodeProto, name: &str) -> Result<&'static OpDef, ImportError> {
        ops::find(&np.op_type).ok_or_else(|| {
            ImportError::Unsupported(vec![UnsupportedNode {
                op_type: np.op_type.clone(),
                domain: np.domain.clone(),
                opset: self.opset as i64,
                node: name.to_string(),
                since: None,
            }])
        })
    }

    /// The tensor of every ONNX input (`None` for an omitted optional input).
    fn resolve_inputs(
        &self,
        np: &NodeProto,
        name: &str,
    ) -> Result<Vec<Option<TensorId>>, ImportError> {
        np.input
            .iter()
            .map(|s| {
                if s.is_empty() {
                    Ok(None)
                } else {
                    self.names.get(s).copied().map(Some).ok_or_else(|| {
                        ImportError::Invalid(format!(
                            "input '{s}' of node '{name}' ({}) is not defined before the node",
                            np.op_type
                        ))
                    })
                }
            })
            .collect()
    }

    /// Runs the operator's translation function on the node.
    fn build(
        &self,
        def: &OpDef,
        np: &NodeProto,
        name: &str,
        input_ids: &[Option<TensorId>],
        used: &HashSet<&str>,
    ) -> Result<Built, ImportError> {
        let ctx = NodeCtx {
            name,
            op_type: &np.op_type,
            opset: self.opset,
            proto: np,
            inputs: input_ids
                .iter()
                .map(|id| id.and_then(|i| self.g.tensors.get(i)))
                .collect(),
            outputs_used: np
                .output
                .iter()
                .map(|o| !o.is_empty() && used.contains(o.as_str()))
                .collect(),
            base_dir: self.base_dir,
        };
        (def.build)(&ctx)
    }

    /// Input `pos` read as `view`: a constant is re-labelled, a runtime tensor gets an
    /// `Op::Reshape` node; `input_ids[pos]` then names the view.
    fn insert_view(
        &mut self,
        np: &NodeProto,
        name: &str,
        input_ids: &mut [Option<TensorId>],
        pos: usize,
        view: &[usize],
    ) -> Result<(), ImportError> {
        let Some(Some(id)) = input_ids.get(pos).copied() else {
            return Ok(());
        };
        let src = self.g.tensor(id).clone();
        if src.shape == view {
            return Ok(());
        }
        if shape::checked_numel(view) != Some(src.numel()) {
            return Err(ImportError::Shape {
                node: name.to_string(),
                op: np.op_type.clone(),
                detail: format!(
                    "cannot view input '{}' {:?} as {view:?}",
                    src.name, src.shape
                ),
            });
        }
        let vid = self.g.add_tensor(Tensor {
            name: format!("{}_view_{name}", src.name),
            dtype: src.dtype,
            shape: view.to_vec(),
            data: src.data.clone(),
            quant: None,
        });
        if !src.is_const() {
            self.g.nodes.push(Node {
                name: format!("{name}_view{pos}"),
                onnx_op: "Reshape".into(),
                op: Op::Reshape,
                inputs: vec![id],
                outputs: vec![vid],
                kernels: Default::default(),
            });
        }
        input_ids[pos] = Some(vid);
        Ok(())
    }

    /// Constant input `pos` as float32: a float32 copy of its data; `input_ids[pos]` then
    /// names the copy.
    fn insert_float_const(&mut self, name: &str, input_ids: &mut [Option<TensorId>], pos: usize) {
        let Some(Some(id)) = input_ids.get(pos).copied() else {
            return;
        };
        let src = self.g.tensor(id).clone();
        let (Some(data), false) = (&src.data, src.dtype == DType::F32) else {
            return;
        };
        let fid = self.g.add_tensor(Tensor {
            name: format!("{}_f32_{name}", src.name),
            dtype: DType::F32,
            shape: src.shape.clone(),
            data: Some(Data::F32(data.to_f32())),
            quant: None,
        });
        input_ids[pos] = Some(fid);
    }

    /// A tensor per named ONNX output (omitted outputs are skipped), registered by name.
    fn add_outputs(&mut self, np: &NodeProto, specs: Vec<OutSpec>) -> Vec<TensorId> {
        let mut outputs = Vec::new();
        for (spec, oname) in specs.into_iter().zip(&np.output) {
            if oname.is_empty() {
                continue;
            }
            let id = self.g.add_tensor(Tensor {
                name: oname.clone(),
                dtype: spec.dtype,
                shape: spec.shape,
                data: spec.data,
                quant: None,
            });
            self.names.insert(oname.clone(), id);
            outputs.push(id);
        }
        outputs
    }

    /// When every input is constant and the evaluator can compute `op`, stores the output
    /// data and returns `Op::ConstOnly` without inputs; else `op` and `inputs` unchanged.
    /// Quantize/Dequantize wait for `passes::quantise_islands` (it reads their int8 inputs).
    fn fold_if_constant(
        &mut self,
        op: Op,
        inputs: Vec<TensorId>,
        outputs: &[TensorId],
    ) -> (Op, Vec<TensorId>) {
        let all_inputs_const = inputs.iter().all(|&i| self.g.tensor(i).is_const());
        if op == Op::ConstOnly || op.is_quantisation() || !all_inputs_const || outputs.is_empty() {
            return (op, inputs);
        }
        let ins: Vec<&Tensor> = inputs.iter().map(|&i| self.g.tensor(i)).collect();
        let outs: Vec<Tensor> = outputs.iter().map(|&i| self.g.tensor(i).clone()).collect();
        // Beyond the folding limits the node stays and runs on the device.
        let Some(bytes) = eval::fold_bytes(&outs)
            .and_then(|b| b.checked_add(self.g.folded_bytes))
            .filter(|&total| total <= eval::MAX_FOLD_TOTAL_BYTES)
        else {
            return (op, inputs);
        };
        let Some(datas) = eval::eval(&op, &ins, &outs) else {
            return (op, inputs);
        };
        self.g.folded_bytes = bytes;
        for (&id, d) in outputs.iter().zip(datas) {
            if let Some(t) = self.g.tensors.get_mut(id) {
                t.data = Some(d);
            }
        }
        (Op::ConstOnly, Vec::new())
    }

    /// A compile-time node must have computed all its outputs.
    fn check_computed(
        &self,
        np: &NodeProto,
        name: &str,
        outputs: &[TensorId],
    ) -> Result<(), ImportError> {
        match outputs.iter().find(|&&id| !self.g.tensor(id).is_const()) {
            Some(&id) => Err(ImportError::Invalid(format!(
                "output '{}' of compile-time node '{name}' ({}) could not be computed",
                self.g.tensor(id).name,
                np.op_type
            ))),
            None => Ok(()),
        }
    }
}

/// Every attribute of the node is defined by the operator's spec at the model's opset, and
/// appears once (onnxruntime rejects the node otherwise; meshnn would silently ignore it).
fn check_attributes(
    def: &OpDef,
    np: &NodeProto,
    name: &str,
    opset: u32,
) -> Result<(), ImportError> {
    let known = def.attrs_at(opset);
    let mut seen: HashSet<&str> = HashSet::new();
    for a in &np.attribute {
        let err = |detail: String| ImportError::Attribute {
            node: name.to_string(),
            op: np.op_type.clone(),
            attr: a.name.clone(),
            detail,
        };
        if !seen.insert(a.name.as_str()) {
            return Err(err("appears more than once on the node".into()));
        }
        if !known.contains(&a.name.as_str()) {
            let list = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            return Err(err(format!(
                "is not defined by {} at opset {opset} (its attributes: {list}), and would be ignored",
                np.op_type
            )));
        }
    }
    Ok(())
}

/// The node declares enough outputs, and none is too large.
fn check_outputs(np: &NodeProto, name: &str, built: &Built) -> Result<(), ImportError> {
    if built.outputs.len() > np.output.len() {
        return Err(ImportError::Invalid(format!(
            "node '{name}' ({}) declares {} output(s) but needs {}",
            np.op_type,
            np.output.len(),
            built.outputs.len()
        )));
    }
    for (spec, value) in built.outputs.iter().zip(&np.output) {
        let bytes =
            shape::checked_numel(&spec.shape).and_then(|n| n.checked_mul(spec.dtype.size_bytes()));
        match bytes {
            None => {
                return Err(ImportError::Shape {
                    node: name.to_string(),
                    op: np.op_type.clone(),
                    detail: format!("output shape {:?} is too large", spec.shape),
                })
            }
            Some(b) if b > shape::MAX_C_INT => {
                return Err(ImportError::Shape {
                    node: name.to_string(),
                    op: np.op_type.clone(),
                    detail: format!(
                        "output '{value}' of shape {:?} would hold {b} bytes; the runtime addresses a tensor with 32-bit ints (at most {} bytes): make it smaller",
                        spec.shape,
                        shape::MAX_C_INT
                    ),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}
