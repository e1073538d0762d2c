//! ONNX front end: ModelProto -> IR [`Graph`].
//!
//! **API Boundary:** nothing outside this module sees protobuf types. The driver here
//! parses the model, converts initialisers and inputs, orders and names the nodes, and asks
//! the operator table (`ops`) to translate each node; after every node it folds constants
//! with [`crate::ir::eval::eval`] so that shape plumbing (Shape -> Gather -> Concat -> Reshape)
//! resolves at import time.

mod ctx;
mod error;
pub mod ops;
pub mod shape;
mod tensor;

pub use error::{ImportError, UnsupportedNode};

use crate::ir::{DType, Graph, Node, Op, Tensor, TensorId};
use ctx::NodeCtx;
use onnx_protobuf::tensor_shape_proto::dimension::Value as DimValue;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{GraphProto, ModelProto, NodeProto};
use protobuf::Message;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Oldest default-domain opset accepted.
pub const MIN_OPSET: i64 = 1;
/// Newest default-domain opset accepted.
pub const MAX_OPSET: i64 = 30;

/// One row of the operator registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpInfo {
    pub name: &'static str,
    /// Oldest opset accepted for this operator.
    pub since: u32,
    pub notes: &'static str,
}

/// The supported operators, sorted by name (the source of SUPPORTED_OPS.md).
pub fn supported_ops() -> Vec<OpInfo> {
    let mut v: Vec<OpInfo> = ops::OPS
        .iter()
        .map(|d| OpInfo {
            name: d.name,
            since: d.since,
            notes: d.notes,
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(b.name));
    v
}

/// Imports a model file; external data files are resolved relative to its directory.
pub fn import_file(path: &Path) -> Result<Graph, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    import_bytes(&bytes, Some(&base))
}

/// Imports a serialised ModelProto. `base_dir` resolves external data (None: no external
/// data allowed).
pub fn import_bytes(bytes: &[u8], base_dir: Option<&Path>) -> Result<Graph, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    let model =
        ModelProto::parse_from_bytes(bytes).map_err(|e| ImportError::Parse(e.to_string()))?;
    let Some(graph) = model.graph.as_ref() else {
        if model.ir_version == 0 && model.opset_import.is_empty() {
            return Err(ImportError::Parse("no ONNX model fields found".into()));
        }
        return Err(ImportError::MissingGraph);
    };
    let opset = match default_opset(&model) {
        Ok(v) => v,
        Err(e) => return Err(foreign_only(&model, graph).unwrap_or(e)),
    };
    Importer::new(opset, base_dir).run(graph)
}

/// When a model has no usable default-domain opset but every node belongs to another domain,
/// the useful error is the list of those (unsupported) nodes.
fn foreign_only(model: &ModelProto, graph: &GraphProto) -> Option<ImportError> {
    let foreign = |d: &str| !(d.is_empty() || d == "ai.onnx");
    if graph.node.is_empty() || !graph.node.iter().all(|n| foreign(&n.domain)) {
        return None;
    }
    let names = unique_names(&graph.node);
    Some(ImportError::Unsupported(
        graph
            .node
            .iter()
            .zip(names)
            .map(|(n, name)| UnsupportedNode {
                op_type: n.op_type.clone(),
                domain: n.domain.clone(),
                opset: model
                    .opset_import
                    .iter()
                    .find(|o| o.domain == n.domain)
                    .map_or(0, |o| o.version),
                node: name,
                since: None,
            })
            .collect(),
    ))
}

fn default_opset(model: &ModelProto) -> Result<u32, ImportError> {
    let v = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .ok_or_else(|| {
            ImportError::Opset(
                "the model declares no default-domain (ai.onnx) opset in opset_import; re-export it with an opset between 1 and 30".into(),
            )
        })?;
    if v < MIN_OPSET {
        return Err(ImportError::Opset(format!(
            "the model uses opset {v}, older than the oldest meshnn accepts ({MIN_OPSET}); convert it with onnx.version_converter.convert_version(model, 13)"
        )));
    }
    if v > MAX_OPSET {
        return Err(ImportError::Opset(format!(
            "the model uses opset {v}, newer than the newest meshnn accepts ({MAX_OPSET}); export it with an older opset"
        )));
    }
    Ok(v as u32)
}

struct Importer<'b> {
    opset: u32,
    base_dir: Option<&'b Path>,
    g: Graph,
    names: HashMap<String, TensorId>,
}

impl<'b> Importer<'b> {
    fn new(opset: u32, base_dir: Option<&'b Path>) -> Self {
        Importer {
            opset,
            base_dir,
            g: Graph::default(),
            names: HashMap::new(),
        }
    }

    fn run(mut self, gp: &GraphProto) -> Result<Graph, ImportError> {
        self.g.name = gp.name.clone();
        for init in &gp.initializer {
            let (dtype, shape, data) = tensor::convert(init, self.base_dir)?;
            let id = self.g.add_tensor(Tensor {
                name: init.name.clone(),
                dtype,
                shape,
                data: Some(data),
                quant: None,
            });
            self.names.insert(init.name.clone(), id);
        }
        for vi in &gp.input {
            if self.names.contains_key(&vi.name) {
                continue; // an initialiser listed as input: a constant
            }
            let t = self.runtime_input(vi)?;
            let id = self.g.add_tensor(t);
            self.names.insert(vi.name.clone(), id);
            self.g.inputs.push(id);
        }

        let order = self.topo_order(&gp.node)?;
        let names = unique_names(&gp.node);
        self.check_supported(&gp.node, &names)?;

        let mut used: HashSet<&str> = HashSet::new();
        for n in &gp.node {
            used.extend(n.input.iter().map(|s| s.as_str()));
        }
        used.extend(gp.output.iter().map(|o| o.name.as_str()));

        for &i in &order {
            let (Some(np), Some(name)) = (gp.node.get(i), names.get(i)) else {
                continue;
            };
            self.import_node(np, name, &used)?;
        }

        for vo in &gp.output {
            let id = *self.names.get(&vo.name).ok_or_else(|| {
                ImportError::Invalid(format!(
                    "graph output '{}' is produced by no node, initializer or input",
                    vo.name
                ))
            })?;
            self.g.outputs.push(id);
        }
        self.g.compact_tensors();
        Ok(self.g)
    }

    fn runtime_input(&mut self, vi: &onnx_protobuf::ValueInfoProto) -> Result<Tensor, ImportError> {
        let name = vi.name.clone();
        let tt = match vi.type_.as_ref().and_then(|t| t.value.as_ref()) {
            Some(TypeValue::TensorType(tt)) => tt,
            _ => {
                return Err(ImportError::DType {
                    tensor: name,
                    dtype: "non-tensor".into(),
                    what: "graph inputs must be float32 tensors".into(),
                })
            }
        };
        if tt.elem_type != tensor::FLOAT {
            return Err(ImportError::DType {
                tensor: name,
                dtype: tensor::onnx_dtype_name(tt.elem_type),
                what: "graph inputs must be float32 tensors".into(),
            });
        }
        let Some(sp) = tt.shape.as_ref() else {
            return Err(ImportError::DynamicDim {
                input: name,
                axis: 0,
                dim: "unknown rank".into(),
            });
        };
        let mut shape = Vec::new();
        for (axis, d) in sp.dim.iter().enumerate() {
            let sym = match &d.value {
                Some(DimValue::DimValue(v)) if *v >= 0 => {
                    shape.push(*v as usize);
                    continue;
                }
                Some(DimValue::DimValue(v)) => v.to_string(),
                Some(DimValue::DimParam(p)) => p.clone(),
                _ => "?".to_string(),
            };
            if axis == 0 {
                shape.push(1);
                self.g.notes.push(format!(
                    "batch dimension of input '{name}' ('{sym}') bound to 1"
                ));
            } else {
                return Err(ImportError::DynamicDim {
                    input: name,
                    axis,
                    dim: sym,
                });
            }
        }
        if shape::checked_numel(&shape).is_none() {
            return Err(ImportError::BadTensor {
                tensor: name,
                detail: format!("shape {shape:?} is too large"),
            });
        }
        Ok(Tensor {
            name,
            dtype: DType::F32,
            shape,
            data: None,
            quant: None,
        })
    }

    /// Node indices in a valid order: the model's own when it is topological, else a stable
    /// Kahn sort. Errors on cycles and on inputs nothing produces.
    fn topo_order(&self, nodes: &[NodeProto]) -> Result<Vec<usize>, ImportError> {
        let mut producer: HashMap<&str, usize> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            for o in n.output.iter().filter(|o| !o.is_empty()) {
                producer.insert(o.as_str(), i);
            }
        }
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            for inp in n.input.iter().filter(|s| !s.is_empty()) {
                if let Some(&p) = producer.get(inp.as_str()) {
                    deps[i].push(p);
                } else if !self.names.contains_key(inp) {
                    return Err(ImportError::Invalid(format!(
                        "input '{inp}' of node '{}' ({}) is produced by no node, initializer or graph input",
                        n.name, n.op_type
                    )));
                }
            }
        }
        if deps
            .iter()
            .enumerate()
            .all(|(i, d)| d.iter().all(|&p| p < i))
        {
            return Ok((0..nodes.len()).collect());
        }
        let mut done = vec![false; nodes.len()];
        let mut order = Vec::with_capacity(nodes.len());
        while order.len() < nodes.len() {
            let next = (0..nodes.len()).find(|&i| !done[i] && deps[i].iter().all(|&p| done[p]));
            match next {
                Some(i) => {
                    done[i] = true;
                    order.push(i);
                }
                None => {
                    let stuck: Vec<&str> = (0..nodes.len())
                        .filter(|&i| !done[i])
                        .filter_map(|i| nodes.get(i).map(|n| n.op_type.as_str()))
                        .take(5)
                        .collect();
                    return Err(ImportError::Invalid(format!(
                        "the graph has a cycle among {} node(s) (e.g. {})",
                        nodes.len() - order.len(),
                        stuck.join(", ")
                    )));
                }
            }
        }
        Ok(order)
    }

    fn check_supported(&self, nodes: &[NodeProto], names: &[String]) -> Result<(), ImportError> {
        let mut bad = Vec::new();
        for (n, name) in nodes.iter().zip(names) {
            let default_domain = n.domain.is_empty() || n.domain == "ai.onnx";
            let def = ops::find(&n.op_type).filter(|_| default_domain);
            if def.is_none_or(|d| self.opset < d.since) {
                bad.push(UnsupportedNode {
                    op_type: n.op_type.clone(),
                    domain: n.domain.clone(),
                    opset: self.opset as i64,
                    node: name.clone(),
                    since: def.map(|d| d.since),
                });
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Unsupported(bad))
        }
    }

    fn import_node(
        &mut self,
        np: &NodeProto,
        name: &str,
        used: &HashSet<&str>,
    ) -> Result<(), ImportError> {
        let def = ops::find(&np.op_type).ok_or_else(|| {
            ImportError::Unsupported(vec![UnsupportedNode {
                op_type: np.op_type.clone(),
                domain: np.domain.clone(),
                opset: self.opset as i64,
                node: name.to_string(),
                since: None,
            }])
        })?;
        let mut input_ids: Vec<Option<TensorId>> = np
            .input
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
            .collect::<Result<_, _>>()?;
        let built = {
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
            (def.build)(&ctx)?
        };
        if built.outputs.len() > np.output.len() {
            return Err(ImportError::Invalid(format!(
                "node '{name}' ({}) declares {} output(s) but needs {}",
                np.op_type,
                np.output.len(),
                built.outputs.len()
            )));
        }
        for spec in &built.outputs {
            if shape::checked_numel(&spec.shape).is_none() {
                return Err(ImportError::Shape {
                    node: name.to_string(),
                    op: np.op_type.clone(),
                    detail: format!("output shape {:?} is too large", spec.shape),
                });
            }
        }
        for (pos, view) in &built.views {
            let Some(Some(id)) = input_ids.get(*pos).copied() else {
                continue;
            };
            let src = self.g.tensor(id).clone();
            if src.shape == *view {
                continue;
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
            let vname = format!("{}_view_{name}", src.name);
            let vid = self.g.add_tensor(Tensor {
                name: vname,
                dtype: src.dtype,
                shape: view.clone(),
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
                    device: None,
                    kernels: Default::default(),
                });
            }
            input_ids[*pos] = Some(vid);
        }
        let mut inputs = Vec::new();
        for &pos in &built.inputs {
            if let Some(Some(id)) = input_ids.get(pos) {
                inputs.push(*id);
            }
        }
        let mut outputs = Vec::new();
        for (spec, oname) in built.outputs.into_iter().zip(&np.output) {
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
        let mut op = built.op;
        let all_inputs_const = inputs.iter().all(|&i| self.g.tensor(i).is_const());
        if op != Op::ConstOnly && all_inputs_const && !outputs.is_empty() {
            let ins: Vec<&Tensor> = inputs.iter().map(|&i| self.g.tensor(i)).collect();
            let outs: Vec<Tensor> = outputs.iter().map(|&i| self.g.tensor(i).clone()).collect();
            if let Some(datas) = crate::ir::eval::eval(&op, &ins, &outs) {
                for (&id, d) in outputs.iter().zip(datas) {
                    if let Some(t) = self.g.tensors.get_mut(id) {
                        t.data = Some(d);
                    }
                }
                op = Op::ConstOnly;
                inputs.clear();
            }
        }
        if op == Op::ConstOnly {
            if let Some(&id) = outputs.iter().find(|&&id| !self.g.tensor(id).is_const()) {
                return Err(ImportError::Invalid(format!(
                    "output '{}' of compile-time node '{name}' ({}) could not be computed",
                    self.g.tensor(id).name,
                    np.op_type
                )));
            }
        }
        self.g.nodes.push(Node {
            name: name.to_string(),
            onnx_op: np.op_type.clone(),
            op,
            inputs,
            outputs,
            device: None,
            kernels: Default::default(),
        });
        Ok(())
    }
}

/// Non-empty, unique node names: empty names become `<op>_<index>`, repeats get `_1`, `_2`...
fn unique_names(nodes: &[NodeProto]) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let base = if n.name.is_empty() {
            format!("{}_{i}", n.op_type)
        } else {
            n.name.clone()
        };
        let mut name = base.clone();
        let mut k = 1;
        while seen.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        seen.insert(name.clone());
        out.push(name);
    }
    out
}
