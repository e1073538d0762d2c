//! Code emission: turns a canonical, scheduled, memory-planned graph into the source
//! files of one device, in two steps: [`device::lower_device`] lowers it to plain data
//! (kernel calls with typed parameter blocks, constant tables, stages, I/O and link
//! tensors; no target syntax), then [`c_render::render_device`] formats that data as C
//! through the templates in `templates/`. [`harness`] and [`sim`] emit the host programs
//! that run every device of a deployment.
//!
//! **Architecture Invariant:** templates receive plain serialisable views (strings and
//! numbers), never IR types. The emitter can emit any subset of a graph's nodes (the seam
//! for per-device code).

pub mod blob;
pub mod c_render;
pub mod c_syntax;
pub mod device;
pub mod harness;
pub mod lower;
pub mod names;
pub mod rust_host;
pub mod rust_render;
pub mod rust_syntax;
pub mod sim;
pub mod stages;
pub mod templates;

use crate::ir::{Graph, NodeId, TensorId};
use crate::plan::memory::Plan;
use lower::LowerError;

/// Errors while generating code.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error(transparent)]
    Lower(#[from] LowerError),
    #[error("internal error rendering template {template}: {detail}")]
    Template { template: String, detail: String },
    #[error("internal error: runtime file {0} is not embedded in this meshnn build")]
    MissingRuntime(String),
    #[error("internal error generating Rust: {0}")]
    Internal(String),
}

/// A generated file: path relative to the output directory, and its contents.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub path: String,
    /// The text of a source file (empty for a binary one).
    pub contents: String,
    /// The bytes of a binary file (a device's weight blob), written instead of `contents`.
    pub binary: Option<Vec<u8>>,
}

impl File {
    /// A text file.
    pub fn text(path: impl Into<String>, contents: String) -> File {
        File {
            path: path.into(),
            contents,
            binary: None,
        }
    }

    /// The bytes to write.
    pub fn bytes(&self) -> &[u8] {
        self.binary.as_deref().unwrap_or(self.contents.as_bytes())
    }
}

/// A cut tensor as one device sees it: its deployment-wide link id and the peer
/// device(s) (the source for a received tensor, destinations for a sent one).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkTensor {
    pub tensor: TensorId,
    pub id: u16,
    pub peers: Vec<usize>,
    /// Receive side: the fallback, and calibration means for `Fallback::Mean`.
    pub fallback: crate::deploy::Fallback,
    pub mean: Option<Vec<f32>>,
}

/// The one scale and zero point of an int8 tensor (what the link's int8 fallbacks
/// need), or None when it has none or per-axis parameters.
pub fn per_tensor_quant(t: &crate::ir::Tensor) -> Option<(f32, i8)> {
    let q = t.quant.as_ref()?;
    match (q.scales.as_slice(), q.zero_points.as_slice()) {
        ([s], [z]) => Some((*s, i8::try_from(*z).ok()?)),
        _ => None,
    }
}

/// What to emit for one device.
pub struct DeviceSpec<'a> {
    /// C identifier of the device (prefix of every exported symbol).
    pub device: &'a str,
    /// Its address on the link.
    pub device_id: usize,
    /// Names of all devices of the deployment, by id (for comments).
    pub device_names: &'a [String],
    /// Model file name, for comments.
    pub model: &'a str,
    /// Nodes to run, in order.
    pub order: &'a [NodeId],
    pub plan: &'a Plan,
    /// Graph inputs this device senses and outputs it produces.
    pub inputs: &'a [TensorId],
    pub outputs: &'a [TensorId],
    /// Tensors received and sent.
    pub rx: &'a [LinkTensor],
    pub tx: &'a [LinkTensor],
    /// How its constant tensors are emitted.
    pub weights: crate::deploy::Weights,
}

/// Generate the files of one device (`<device>/...`); the link settings size fragments.
pub fn emit_device(
    g: &Graph,
    spec: &DeviceSpec,
    link: &crate::deploy::Link,
    deployment: &str,
) -> Result<Vec<File>, EmitError> {
    let code = device::lower_device(g, spec, link)?;
    c_render::render_device(g, spec, &code, link, deployment)
}

/// A serialisable view as a template value.
fn view<T: serde::Serialize>(v: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

fn render(
    env: &minijinja::Environment,
    name: &str,
    ctx: &minijinja::Value,
) -> Result<String, EmitError> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| EmitError::Template {
            template: name.into(),
            detail: e.to_string(),
        })
}

/// `name: Op + Act [in] -> [out]`: what one step of a device computes, the text of the
/// comment every renderer writes above it.
pub(crate) fn step_summary(g: &Graph, i: NodeId) -> String {
    let node = &g.nodes[i];
    let shapes = |ts: &mut dyn Iterator<Item = &TensorId>| -> String {
        let v: Vec<String> = ts
            .map(|&t| c_syntax::shape_str(&g.tensors[t].shape))
            .collect();
        v.join(", ")
    };
    let ins = shapes(&mut node.inputs.iter().filter(|&&t| !g.tensors[t].is_const()));
    let outs = shapes(&mut node.outputs.iter());
    let fused = node
        .op
        .fused_activation()
        .name()
        .map(|a| format!(" + {a}"))
        .unwrap_or_default();
    let view = if node.op == crate::ir::Op::Reshape {
        " (a view: no code)"
    } else {
        ""
    };
    format!(
        "{}: {}{} {} -> {}{}",
        node.name, node.onnx_op, fused, ins, outs, view
    )
}
