//! C emission: turns a canonical, scheduled, memory-planned graph into the source files
//! of one device, by rendering the templates in `templates/` over plain data.
//!
//! **Architecture Invariant:** templates receive plain serialisable views (strings and
//! numbers), never IR types. The emitter can emit any subset of a graph's nodes (the seam
//! for per-device code).

pub mod c_syntax;
pub mod fast;
pub mod host;
pub mod lower;
pub mod stages;
pub mod templates;

use crate::ir::{Data, Graph, NodeId, TensorId};
use crate::plan::memory::Plan;
use c_syntax::{float_lit, ident};
use lower::{lower_node, Call, LowerError, Storage};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Errors while generating code.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error(transparent)]
    Lower(#[from] LowerError),
    #[error("internal error rendering template {template}: {detail}")]
    Template { template: String, detail: String },
    #[error("internal error: runtime file {0} is not embedded in this meshnn build")]
    MissingRuntime(String),
}

/// A generated file: path relative to the output directory, and its contents.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub path: String,
    pub contents: String,
}

#[derive(Serialize)]
struct IoView {
    name: String,
    ident: String,
    /// Array length in the I/O struct (at least 1: C has no empty arrays).
    numel: usize,
    /// Elements actually carried (0 for an empty tensor).
    count: usize,
    bytes: usize,
    shape: String,
    ptr: String,
}

#[derive(Serialize)]
struct WeightView {
    symbol: String,
    ctype: &'static str,
    count: usize,
    comment: String,
    rows: Vec<String>,
}

/// Where tensors live for one device: arena offsets for runtime tensors, symbols for
/// constants (created on first use, in schedule order, so output is deterministic).
struct DeviceStorage<'a> {
    g: &'a Graph,
    /// Device name and the tensors it receives (in link_glue.c order).
    device: &'a str,
    rx: Vec<TensorId>,
    plan: &'a Plan,
    prefix: String,
    symbols: HashMap<TensorId, String>,
    taken: HashSet<String>,
    weights: Vec<WeightView>,
    weight_bytes: usize,
}

impl DeviceStorage<'_> {
    fn unique(&mut self, base: String) -> String {
        let mut s = base.clone();
        let mut k = 1;
        while self.taken.contains(&s) {
            k += 1;
            s = format!("{base}_{k}");
        }
        self.taken.insert(s.clone());
        s
    }
    fn const_symbol(&mut self, t: TensorId) -> String {
        if let Some(s) = self.symbols.get(&t) {
            return s.clone();
        }
        let tensor = &self.g.tensors[t];
        let sym = self.unique(format!("{}_w_{}", self.prefix, ident(&tensor.name)));
        let values = tensor.data.as_ref().map(Data::to_f32).unwrap_or_default();
        let count = values.len().max(1);
        let rows = rows_of(values.iter().map(|&v| float_lit(v)).collect());
        self.weight_bytes += values.len() * 4;
        self.weights.push(WeightView {
            symbol: sym.clone(),
            ctype: "float",
            count,
            comment: format!("'{}' {:?}", c_comment(&tensor.name), tensor.shape),
            rows,
        });
        self.symbols.insert(t, sym.clone());
        sym
    }
}

impl Storage for DeviceStorage<'_> {
    fn ptr(&self, t: TensorId) -> String {
        match (
            self.symbols.get(&t),
            self.plan.offsets.get(t).copied().flatten(),
        ) {
            (Some(s), _) => s.clone(),
            (None, Some(off)) => format!("arena + {}", off / 4),
            // Constants are registered before lowering (see `emit_device`).
            (None, None) => format!("/* unplaced tensor {t} */ NULL"),
        }
    }
    fn arrived(&self, t: TensorId) -> Option<String> {
        let k = self.rx.iter().position(|&r| r == t)?;
        Some(format!(
            "meshnn_{}_link_state({k}) == MESHNN_RX_COMPLETE",
            self.device
        ))
    }
    fn scratch(&self, node: &crate::ir::Node) -> String {
        let id = self.g.nodes.iter().position(|n| std::ptr::eq(n, node));
        match id.and_then(|i| self.plan.scratch_offset(i)) {
            Some(off) => format!("arena + {}", off / 4),
            None => "/* unplanned scratch */ NULL".into(),
        }
    }
    fn float_table(&mut self, hint: &str, values: Vec<f32>) -> String {
        let sym = self.unique(format!("{}_w_{}", self.prefix, ident(hint)));
        self.weight_bytes += values.len() * 4;
        self.weights.push(WeightView {
            symbol: sym.clone(),
            ctype: "float",
            count: values.len().max(1),
            comment: c_comment(hint),
            rows: rows_of(values.iter().map(|&v| float_lit(v)).collect()),
        });
        sym
    }
    fn int_table(&mut self, hint: &str, values: Vec<i32>) -> String {
        let sym = self.unique(format!("{}_i_{}", self.prefix, ident(hint)));
        self.weight_bytes += values.len() * 4;
        self.weights.push(WeightView {
            symbol: sym.clone(),
            ctype: "int32_t",
            count: values.len().max(1),
            comment: format!("indices of {}", c_comment(hint)),
            rows: rows_of(values.iter().map(|v| v.to_string()).collect()),
        });
        sym
    }
}

fn rows_of(items: Vec<String>) -> Vec<String> {
    if items.is_empty() {
        return vec!["0".into()];
    }
    let n = items.len();
    items
        .chunks(8)
        .enumerate()
        .map(|(i, c)| {
            let last = (i + 1) * 8 >= n;
            format!("{}{}", c.join(", "), if last { "" } else { "," })
        })
        .collect()
}

/// Text safe inside a C block comment.
fn c_comment(s: &str) -> String {
    s.replace("*/", "* /")
        .replace("/*", "/ *")
        .replace(['\n', '\r'], " ")
}

fn shape_str(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join("x"))
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
}

#[derive(Serialize)]
struct StageView {
    waits: Vec<usize>,
    waits_names: Vec<String>,
    sends_first: Vec<usize>,
    sends_first_names: Vec<String>,
    steps: Vec<DeviceStep>,
}

#[derive(Serialize)]
struct DeviceStep {
    comment: String,
    calls: Vec<Call>,
    sends: Vec<usize>,
    sends_names: Vec<String>,
}

#[derive(Serialize)]
struct LinkView {
    id: u16,
    name: String,
    bytes: usize,
    frags: usize,
    offset: usize,
    peer: usize,
    peer_name: String,
    peers: Vec<usize>,
    peer_names: Vec<String>,
    fallback: &'static str,
    mean_rows: Vec<String>,
}

/// Generate the files of one device (`<device>/...`); the link settings size fragments.
pub fn emit_device(
    g: &Graph,
    spec: &DeviceSpec,
    link: &crate::deploy::Link,
    deployment: &str,
) -> Result<Vec<File>, EmitError> {
    let (mtu_bytes, deadline_us) = (link.mtu_bytes as usize, link.deadline_us);
    let prefix = format!("meshnn_{}", spec.device);
    let mut st = DeviceStorage {
        g,
        device: spec.device,
        rx: spec.rx.iter().map(|l| l.tensor).collect(),
        plan: spec.plan,
        prefix,
        symbols: HashMap::new(),
        taken: HashSet::new(),
        weights: Vec::new(),
        weight_bytes: 0,
    };
    // Constants get symbols in schedule order.
    for &i in spec.order {
        // Weights that a kernel takes repacked (see `fast`) are emitted only packed: a fast
        // convolution's weights, a fast Gemm's B and C.
        let node = &g.nodes[i];
        let packed = |k: usize| match k {
            1 => fast::uses_packed_conv_weights(g, node) || fast::use_fast_gemm(g, node),
            2 => fast::use_fast_gemm(g, node),
            _ => false,
        };
        for (k, &t) in node.inputs.iter().enumerate() {
            if g.tensors[t].is_const() && !packed(k) {
                st.const_symbol(t);
            }
        }
    }
    for &t in spec.outputs {
        if g.tensors[t].is_const() {
            st.const_symbol(t);
        }
    }
    let tname = |t: TensorId| c_comment(&g.tensors[t].name);
    // Stages: a new stage starts before the first node that reads a received tensor.
    let tx_index = |t: TensorId| spec.tx.iter().position(|r| r.tensor == t);
    let mut kernels: BTreeSet<&'static str> = BTreeSet::new();
    let mut stages: Vec<StageView> = Vec::new();
    let mut current = StageView {
        waits: vec![],
        waits_names: vec![],
        sends_first: vec![],
        sends_first_names: vec![],
        steps: vec![],
    };
    // Sensed inputs that other devices need are sent first.
    for &t in spec.inputs {
        if let Some(k) = tx_index(t) {
            current.sends_first.push(k);
            current.sends_first_names.push(tname(t));
        }
    }
    let rx_tensors: Vec<TensorId> = spec.rx.iter().map(|l| l.tensor).collect();
    for (si, stage) in stages::split(g, spec.order, &rx_tensors)
        .into_iter()
        .enumerate()
    {
        if si > 0 {
            stages.push(std::mem::replace(
                &mut current,
                StageView {
                    waits: vec![],
                    waits_names: vec![],
                    sends_first: vec![],
                    sends_first_names: vec![],
                    steps: vec![],
                },
            ));
        }
        for k in stage.waits {
            current.waits.push(k);
            current.waits_names.push(tname(spec.rx[k].tensor));
        }
        for i in stage.nodes {
            let node = &g.nodes[i];
            let calls = lower_node(g, node, &mut st)?;
            for c in &calls {
                kernels.insert(c.kernel);
            }
            let sends: Vec<usize> = node.outputs.iter().filter_map(|&t| tx_index(t)).collect();
            let sends_names = sends.iter().map(|&k| tname(spec.tx[k].tensor)).collect();
            current.steps.push(DeviceStep {
                comment: step_comment(g, i),
                calls,
                sends,
                sends_names,
            });
        }
    }
    stages.push(current);
    let io = |ts: &[TensorId], st: &DeviceStorage| -> Vec<IoView> {
        let mut seen = HashSet::new();
        ts.iter()
            .map(|&t| {
                let tensor = &g.tensors[t];
                let mut id = ident(&tensor.name);
                while !seen.insert(id.clone()) {
                    id.push('_');
                }
                IoView {
                    name: c_comment(&tensor.name),
                    ident: id,
                    numel: tensor.numel().max(1),
                    count: tensor.numel(),
                    bytes: tensor.numel() * 4,
                    shape: shape_str(&tensor.shape),
                    ptr: st.ptr(t),
                }
            })
            .collect()
    };
    let inputs = io(spec.inputs, &st);
    let outputs = io(spec.outputs, &st);
    let payload = frame_payload(mtu_bytes);
    let link_view = |l: &LinkTensor| -> LinkView {
        let bytes = g.tensors[l.tensor].size_bytes();
        LinkView {
            id: l.id,
            name: tname(l.tensor),
            bytes,
            frags: bytes.div_ceil(payload).max(1),
            offset: spec
                .plan
                .offsets
                .get(l.tensor)
                .copied()
                .flatten()
                .unwrap_or(0)
                / 4,
            peer: l.peers.first().copied().unwrap_or(0),
            peer_name: l
                .peers
                .first()
                .and_then(|&p| spec.device_names.get(p))
                .cloned()
                .unwrap_or_default(),
            peers: l.peers.clone(),
            peer_names: l
                .peers
                .iter()
                .filter_map(|&p| spec.device_names.get(p).cloned())
                .collect(),
            fallback: match (l.fallback, &l.mean) {
                (crate::deploy::Fallback::Hold, _) => "MN_FALLBACK_HOLD",
                (crate::deploy::Fallback::Mean, Some(_)) => "MN_FALLBACK_MEAN",
                _ => "MN_FALLBACK_ZERO",
            },
            mean_rows: l
                .mean
                .as_ref()
                .map(|m| rows_of(m.iter().map(|&v| float_lit(v)).collect()))
                .unwrap_or_default(),
        }
    };
    let rx: Vec<LinkView> = spec.rx.iter().map(link_view).collect();
    let tx: Vec<LinkView> = spec.tx.iter().map(link_view).collect();
    let has_link = !rx.is_empty() || !tx.is_empty();

    let mut files_used: Vec<String> = vec!["meshnn.h".into(), "mn_kernels.h".into()];
    let mut sources: Vec<String> = vec!["model.c".into(), "weights.c".into()];
    if has_link {
        sources.push("link_glue.c".into());
        files_used.push("meshnn_link.h".into());
        kernels.insert("mn_link");
    }
    let deps: Vec<&'static str> = kernels
        .iter()
        .flat_map(|k| lower::kernel_deps(k))
        .copied()
        .collect();
    kernels.extend(deps);
    for k in &kernels {
        let f = lower::kernel_file(k);
        sources.push(f.clone());
        files_used.push(f);
    }
    files_used.extend(templates::internal_headers(&files_used));
    let dev = spec.device;
    let ctx = minijinja::context! {
        device => dev,
        DEVICE => dev.to_ascii_uppercase(),
        device_id => spec.device_id,
        model => c_comment(spec.model),
        arena_bytes => spec.plan.arena_bytes,
        arena_floats => (spec.plan.arena_bytes / 4).max(1),
        lower_bound_bytes => spec.plan.lower_bound_bytes,
        inputs => minijinja::Value::from(minijinja::value::Serde(&inputs)),
        outputs => minijinja::Value::from(minijinja::value::Serde(&outputs)),
        stages => minijinja::Value::from(minijinja::value::Serde(&stages)),
        weights => minijinja::Value::from(minijinja::value::Serde(&st.weights)),
        weight_bytes => st.weight_bytes,
        sources => sources,
        has_link => has_link,
        has_rx => !rx.is_empty(),
        rx => minijinja::Value::from(minijinja::value::Serde(&rx)),
        tx => minijinja::Value::from(minijinja::value::Serde(&tx)),
    };
    let env = templates::environment();
    let mut files = vec![
        File {
            path: format!("{dev}/model.h"),
            contents: render(&env, "c/model.h.j2", &ctx)?,
        },
        File {
            path: format!("{dev}/model.c"),
            contents: render(&env, "c/model.c.j2", &ctx)?,
        },
        File {
            path: format!("{dev}/weights.h"),
            contents: render(&env, "c/weights.h.j2", &ctx)?,
        },
        File {
            path: format!("{dev}/weights.c"),
            contents: render(&env, "c/weights.c.j2", &ctx)?,
        },
        File {
            path: format!("{dev}/Makefile"),
            contents: render(&env, "c/Makefile.j2", &ctx)?,
        },
        File {
            path: format!("{dev}/CMakeLists.txt"),
            contents: render(&env, "c/CMakeLists.txt.j2", &ctx)?,
        },
    ];
    if has_link {
        files.push(File {
            path: format!("{dev}/link_glue.c"),
            contents: render(&env, "c/link_glue.c.j2", &ctx)?,
        });
        let cfg = minijinja::context! { deployment => c_comment(deployment), mtu_bytes => mtu_bytes, deadline_us => deadline_us };
        files.push(File {
            path: format!("{dev}/meshnn_config.h"),
            contents: render(&env, "c/meshnn_config.h.j2", &cfg)?,
        });
    }
    for f in files_used {
        let contents =
            templates::runtime_file(&f).ok_or_else(|| EmitError::MissingRuntime(f.clone()))?;
        files.push(File {
            path: format!("{dev}/{f}"),
            contents: contents.to_string(),
        });
    }
    Ok(files)
}

/// Bytes of a link frame header (meshnn_link.h).
pub const LINK_HEADER_BYTES: usize = 20;

/// Payload bytes per frame at `mtu_bytes` (whole floats; MESHNN_FRAME_PAYLOAD).
pub fn frame_payload(mtu_bytes: usize) -> usize {
    (mtu_bytes.saturating_sub(LINK_HEADER_BYTES) / 4 * 4).max(4)
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

fn step_comment(g: &Graph, i: NodeId) -> String {
    let node = &g.nodes[i];
    let ins: Vec<String> = node
        .inputs
        .iter()
        .filter(|&&t| !g.tensors[t].is_const())
        .map(|&t| shape_str(&g.tensors[t].shape))
        .collect();
    let outs: Vec<String> = node
        .outputs
        .iter()
        .map(|&t| shape_str(&g.tensors[t].shape))
        .collect();
    let fused = match &node.op {
        crate::ir::Op::Conv { act, .. }
        | crate::ir::Op::Gemm { act, .. }
        | crate::ir::Op::Binary { act, .. } => match act {
            crate::ir::Activation::None => String::new(),
            crate::ir::Activation::Relu => " + Relu".into(),
            crate::ir::Activation::LeakyRelu { .. } => " + LeakyRelu".into(),
            crate::ir::Activation::Clip { .. } => " + Clip".into(),
        },
        _ => String::new(),
    };
    let view = if node.op == crate::ir::Op::Reshape {
        " (a view: no code)"
    } else {
        ""
    };
    c_comment(&format!(
        "{}: {}{} {} -> {}{}",
        node.name,
        node.onnx_op,
        fused,
        ins.join(", "),
        outs.join(", "),
        view
    ))
}
