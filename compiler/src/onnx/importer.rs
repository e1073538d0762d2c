//! The import driver: converts initialisers and graph inputs, orders and names the nodes,
//! checks every operator is supported, imports the nodes one by one and collects the
//! outputs.

use super::error::{ImportError, UnsupportedNode};
use super::files::DataDir;
use super::{ops, shape, tensor, unique_names};
use crate::ir::{DType, Graph, Tensor, TensorId};
use onnx_protobuf::tensor_shape_proto::dimension::Value as DimValue;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{GraphProto, NodeProto};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// Builds the IR graph of one ONNX graph: initialisers and inputs first, then the nodes in
/// a valid order (each translated by `Importer::import_node`), then the outputs.
pub(super) struct Importer<'b> {
    pub(super) opset: u32,
    pub(super) base_dir: Option<&'b DataDir>,
    pub(super) g: Graph,
    /// ONNX value name -> the tensor that holds it now.
    pub(super) names: HashMap<String, TensorId>,
}

impl<'b> Importer<'b> {
    pub(super) fn new(opset: u32, base_dir: Option<&'b DataDir>) -> Self {
        Importer {
            opset,
            base_dir,
            g: Graph::default(),
            names: HashMap::new(),
        }
    }

    pub(super) fn run(mut self, gp: &GraphProto) -> Result<Graph, ImportError> {
        self.g.name = gp.name.clone();
        let names = unique_names(&gp.node);
        check_single_assignment(gp, &names)?;
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
                // An input with a same-named initialiser: the initialiser is its default
                // value (ONNX IR >= 4); meshnn compiles that default in as a constant.
                self.g.notes.push(format!(
                    "graph input '{}' has an initializer: compiled as a constant (its default value), not read at run time",
                    vi.name
                ));
                continue;
            }
            let t = self.runtime_input(vi)?;
            let id = self.g.add_tensor(t);
            self.names.insert(vi.name.clone(), id);
            self.g.inputs.push(id);
        }

        let order = self.topo_order(&gp.node)?;
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
        stable_kahn(nodes, &deps)
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
}

/// ONNX graphs are in single static assignment form: every value name is defined once, by
/// a graph input, an initializer (an input may also have a same-named initializer: its
/// default value) or one node output. onnxruntime rejects a graph that breaks this; meshnn
/// would silently pick one of the definitions.
/// `names` are the nodes' unique names.
fn check_single_assignment(gp: &GraphProto, names: &[String]) -> Result<(), ImportError> {
    let dup = |what: &str, name: &str| {
        Err(ImportError::Invalid(format!(
            "{what} '{name}' is defined more than once (ONNX values are assigned once)"
        )))
    };
    let mut inits: HashSet<&str> = HashSet::new();
    for t in &gp.initializer {
        if !inits.insert(t.name.as_str()) {
            return dup("initializer", &t.name);
        }
    }
    let mut inputs: HashSet<&str> = HashSet::new();
    for vi in &gp.input {
        if !inputs.insert(vi.name.as_str()) {
            return dup("graph input", &vi.name);
        }
    }
    let mut produced: HashMap<&str, (&NodeProto, &str)> = HashMap::new();
    for (n, name) in gp.node.iter().zip(names) {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            let earlier = if inputs.contains(o.as_str()) {
                Some("a graph input".to_string())
            } else if inits.contains(o.as_str()) {
                Some("an initializer".to_string())
            } else {
                produced
                    .get(o.as_str())
                    .map(|(p, pname)| format!("node '{pname}' ({})", p.op_type))
            };
            if let Some(earlier) = earlier {
                return Err(ImportError::Invalid(format!(
                    "value '{o}' is output of node '{name}' ({}) but already defined by {earlier} (ONNX values are assigned once)",
                    n.op_type
                )));
            }
            produced.insert(o.as_str(), (n, name));
        }
    }
    Ok(())
}

/// Kahn's sort that always takes the ready node of smallest index (a heap of ready
/// nodes, so linear-logarithmic); errors on a cycle, naming a few of its nodes.
fn stable_kahn(nodes: &[NodeProto], deps: &[Vec<usize>]) -> Result<Vec<usize>, ImportError> {
    let n = nodes.len();
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &p in d {
            dependents[p].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(Reverse(j));
            }
        }
    }
    if order.len() < n {
        let stuck: Vec<&str> = (0..n)
            .filter(|&i| waiting[i] > 0)
            .filter_map(|i| nodes.get(i).map(|n| n.op_type.as_str()))
            .take(5)
            .collect();
        return Err(ImportError::Invalid(format!(
            "the graph has a cycle among {} node(s) (e.g. {})",
            n - order.len(),
            stuck.join(", ")
        )));
    }
    Ok(order)
}
