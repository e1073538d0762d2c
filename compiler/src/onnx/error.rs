//! Import errors: every variant prints one actionable line (what, where, what to do).

use std::path::PathBuf;

/// One node the importer cannot translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedNode {
    pub op_type: String,
    /// Domain of the node ("" for the default ONNX domain).
    pub domain: String,
    pub opset: i64,
    pub node: String,
    /// The oldest opset meshnn accepts this operator at, when it knows the operator but the
    /// model's opset is older.
    pub since: Option<u32>,
}

impl std::fmt::Display for UnsupportedNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = if self.domain.is_empty() || self.domain == "ai.onnx" {
            self.op_type.clone()
        } else {
            format!("{}::{}", self.domain, self.op_type)
        };
        match self.since {
            Some(since) if self.opset < since as i64 => write!(
                f,
                "unsupported operator {op} (opset {}) at node '{}': meshnn supports {op} from opset {since} on; convert the model with onnx.version_converter.convert_version(model, {})",
                self.opset,
                self.node,
                since.max(13)
            ),
            _ => write!(
                f,
                "unsupported operator {op} (opset {}) at node '{}'; see SUPPORTED_OPS.md for what meshnn supports",
                self.opset, self.node
            ),
        }
    }
}

/// Nodes of one operator listed by name before the rest are counted.
const NAMED_PER_OPERATOR: usize = 3;

/// One line per unsupported operator (in order of first appearance): the node itself when
/// it is the only one, else how many nodes and the first few names; then a hint when the
/// model is quantised.
fn lines(nodes: &[UnsupportedNode]) -> String {
    let mut groups: Vec<Vec<&UnsupportedNode>> = Vec::new();
    for n in nodes {
        let same = |g: &&mut Vec<&UnsupportedNode>| {
            let a = g[0];
            (&a.domain, &a.op_type, a.opset, a.since) == (&n.domain, &n.op_type, n.opset, n.since)
        };
        match groups.iter_mut().find(same) {
            Some(g) => g.push(n),
            None => groups.push(vec![n]),
        }
    }
    let mut out: Vec<String> = groups.iter().map(|g| group_line(g)).collect();
    if nodes.iter().any(|n| is_quantisation_op(&n.op_type)) {
        out.push(
            "this is a quantised (int8) model in QOperator form: meshnn compiles the QDQ form (QuantizeLinear / DequantizeLinear around float operators) and of the QOperator form only QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger: quantise with onnxruntime's quantize_static(..., quant_format=QuantFormat.QDQ), or pass the float model"
                .into(),
        );
    }
    out.join("\n")
}

fn group_line(g: &[&UnsupportedNode]) -> String {
    let first = g[0].to_string();
    if g.len() == 1 {
        return first;
    }
    let names: Vec<String> = g
        .iter()
        .take(NAMED_PER_OPERATOR)
        .map(|n| format!("'{}'", n.node))
        .collect();
    let more = match g.len().saturating_sub(NAMED_PER_OPERATOR) {
        0 => String::new(),
        k => format!(" and {k} more"),
    };
    let at = format!("at node '{}'", g[0].node);
    first.replacen(
        &at,
        &format!("at {} nodes ({}{more})", g.len(), names.join(", ")),
        1,
    )
}

/// Operators that only appear in quantised models (onnxruntime's QOperator form writes
/// the `QLinear*` and `QGemm` ones in its com.microsoft domain).
fn is_quantisation_op(op: &str) -> bool {
    op.starts_with("QLinear") || matches!(op, "DynamicQuantizeLinear" | "QGemm")
}

/// Why a model could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read model file '{}': {source}; check the path and its permissions", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("model path '{}' is {kind}, not a regular file; pass the .onnx file itself", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("model file '{}' has {bytes} bytes, more than meshnn reads (2 GiB, protobuf's limit for one model); keep the weights in an external data file next to the model (onnx.save_model(model, path, save_as_external_data=True))", path.display())]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error(
        "the model is empty (0 bytes); pass a .onnx file written by onnx.save or torch.onnx.export"
    )]
    Empty,
    #[error("not an ONNX model, or a truncated one: protobuf parsing failed ({0}); re-export the model or check the file was copied completely")]
    Parse(String),
    #[error("the ONNX model has no graph; re-export it with onnx.save(model) from a complete ModelProto")]
    MissingGraph,
    #[error("{0}")]
    Opset(String),
    /// All nodes whose operator meshnn cannot translate, one line per operator.
    #[error("{}", lines(.0))]
    Unsupported(Vec<UnsupportedNode>),
    #[error("tensor '{tensor}' has element type {dtype}, which meshnn does not support here ({what}); convert the model to float32")]
    DType {
        tensor: String,
        dtype: String,
        what: String,
    },
    #[error("input '{input}' has a dynamic dimension '{dim}' at axis {axis}; meshnn needs static shapes (only the first, batch, axis may be symbolic): fix it, e.g. with onnx.tools.update_model_dims or onnxsim --overwrite-input-shape")]
    DynamicDim {
        input: String,
        axis: usize,
        dim: String,
    },
    #[error("external data of tensor '{tensor}': {detail}; keep the data file saved with the model next to it (use import_file, or pass base_dir)")]
    ExternalData { tensor: String, detail: String },
    #[error("external data of tensor '{tensor}': location {location:?} {detail}; meshnn reads external data only from regular files inside the model's folder '{}': move the data file there and save the model with a relative location (onnx.save_model(model, path, save_as_external_data=True, location=\"weights.bin\"))", folder.display())]
    ExternalLocation {
        tensor: String,
        location: String,
        detail: String,
        folder: PathBuf,
    },
    #[error("tensor '{tensor}' is malformed: {detail}; re-export the model")]
    BadTensor { tensor: String, detail: String },
    #[error("attribute '{attr}' of node '{node}' ({op}) {detail}; fix the attribute in the model")]
    Attribute {
        node: String,
        op: String,
        attr: String,
        detail: String,
    },
    #[error("input '{input}' of node '{node}' ({op}) must be known at compile time but is computed at run time; make it an initializer or a constant expression of static shapes")]
    NotConstant {
        node: String,
        op: String,
        input: String,
    },
    #[error("shape error at node '{node}' ({op}): {detail}; check the model with onnx.checker and onnx.shape_inference")]
    Shape {
        node: String,
        op: String,
        detail: String,
    },
    #[error("node '{node}' ({op}) uses a feature meshnn does not support: {detail}; see SUPPORTED_OPS.md")]
    Feature {
        node: String,
        op: String,
        detail: String,
    },
    #[error("invalid model: {0}; check it with onnx.checker.check_model")]
    Invalid(String),
}
