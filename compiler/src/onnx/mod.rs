//! ONNX front end: ModelProto -> IR [`Graph`].
//!
//! **API Boundary:** nothing outside this module sees protobuf types. This file checks the
//! model and its opset; `importer` converts initialisers and inputs, orders and names the
//! nodes, and `import_node` asks the operator table (`ops`) to translate each node; after
//! every node it folds constants with [`crate::ir::eval::eval`] so that shape plumbing
//! (Shape -> Gather -> Concat -> Reshape) resolves at import time.

mod ctx;
mod error;
mod files;
mod import_node;
mod importer;
pub mod ops;
pub mod shape;
mod tensor;

pub use error::{ImportError, UnsupportedNode};
pub use files::MAX_MODEL_BYTES;

use crate::ir::Graph;
use importer::Importer;
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

/// The external data files a model file names (`location`s of its initializers and
/// Constant tensors, relative to its folder), sorted and without repeats; empty when the
/// file cannot be read or parsed (import reports that).
pub fn external_data_locations(path: &Path) -> Vec<String> {
    let Ok(bytes) = files::read_model(path) else {
        return Vec::new();
    };
    let Ok(model) = ModelProto::parse_from_bytes(&bytes) else {
        return Vec::new();
    };
    let Some(graph) = model.graph.as_ref() else {
        return Vec::new();
    };
    let attr_tensors = graph
        .node
        .iter()
        .flat_map(|n| &n.attribute)
        .filter_map(|a| a.t.as_ref());
    let mut v: Vec<String> = graph
        .initializer
        .iter()
        .chain(attr_tensors)
        .flat_map(|t| &t.external_data)
        .filter(|kv| kv.key == "location")
        .map(|kv| kv.value.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Imports a model file (a regular file of at most [`MAX_MODEL_BYTES`]); external data
/// files are resolved relative to its directory and must lie inside it.
pub fn import_file(path: &Path) -> Result<Graph, ImportError> {
    let bytes = files::read_model(path)?;
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    import_bytes(&bytes, Some(&base))
}

/// Imports a serialised ModelProto. `base_dir` resolves external data, which must be regular
/// files inside it (None: no external data allowed).
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
    let data_dir = base_dir.map(files::DataDir::new);
    Importer::new(opset, data_dir.as_ref()).run(graph)
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

/// Non-empty, unique node names: empty names become `<op>_<index>`, repeats get `_1`, `_2`...
fn unique_names(nodes: &[NodeProto]) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let base = if n.name.is_empty() {
            format!("{}_{i}", n.op_type)
        } else {
            n.name.clone()
        };
        // Suffixes already tried for this base stay taken (`seen` only grows): resume
        // after them, so many nodes sharing one name cost linear time.
        let k = next_suffix.entry(base.clone()).or_insert(1usize);
        let mut name = base.clone();
        while seen.contains(&name) {
            name = format!("{base}_{k}");
            *k += 1;
        }
        seen.insert(name.clone());
        out.push(name);
    }
    out
}
