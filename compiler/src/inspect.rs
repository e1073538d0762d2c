//! `meshnn inspect`: what a model contains and what it costs.

use crate::driver::Prepared;
use crate::ir::{cost, DType, Graph, Node};
use serde::Serialize;

#[derive(Serialize)]
pub struct NodeReport {
    pub name: String,
    pub op: String,
    pub output_shape: Vec<usize>,
    pub macs: u64,
    pub param_bytes: u64,
    /// What the node computes in: "float32", "int8", or at the boundary of an integer
    /// island "float32->int8" / "int8->float32" (see [`node_dtype`]).
    pub dtype: &'static str,
}

#[derive(Serialize)]
pub struct TensorReport {
    pub name: String,
    pub shape: Vec<usize>,
    /// Element type at the device's boundary: float32, or int8 / uint8 for a run-time
    /// quantised output (`Graph::output_dtype`).
    pub dtype: &'static str,
}

#[derive(Serialize)]
pub struct Report {
    pub model: String,
    pub inputs: Vec<TensorReport>,
    pub outputs: Vec<TensorReport>,
    pub nodes: Vec<NodeReport>,
    pub total_macs: u64,
    pub total_param_bytes: u64,
    pub arena_bytes: usize,
    pub arena_lower_bound_bytes: usize,
    /// The lower bound without patches (layer by layer).
    pub layer_bound_bytes: usize,
    /// Chains run patch by patch (`--patch auto`).
    pub patches: Vec<PatchReport>,
    pub notes: Vec<String>,
}

/// One chain run patch by patch.
#[derive(Serialize)]
pub struct PatchReport {
    /// The chain's nodes, in order.
    pub nodes: Vec<String>,
    /// Step (row of the node table) of its first node, where every tile runs.
    pub step: usize,
    pub input: String,
    pub output: String,
    /// Tiles per axis of the output [rows, columns].
    pub grid: [usize; 2],
    /// The largest halo per axis [h, w] (input rows/columns recomputed per tile).
    pub halo: [usize; 2],
    pub workspace_bytes: usize,
    pub extra_macs: u64,
    /// Extra MACs over the model's MACs, in percent.
    pub mac_overhead_percent: f64,
}

/// Build the report for a prepared (canonicalised, planned) model. Nodes are listed in
/// schedule order, with fused activations shown as `Conv+Relu`.
pub fn report(p: &Prepared) -> Report {
    let g = &p.graph;
    let nodes: Vec<NodeReport> = p
        .order
        .iter()
        .map(|&i| {
            let n = &g.nodes[i];
            let act = n.op.fused_activation().name();
            NodeReport {
                name: n.name.clone(),
                op: act.map_or(n.onnx_op.clone(), |a| format!("{}+{a}", n.onnx_op)),
                output_shape: n
                    .outputs
                    .first()
                    .map(|&t| g.tensors[t].shape.clone())
                    .unwrap_or_default(),
                macs: cost::macs(g, n),
                param_bytes: cost::param_bytes(g, n),
                dtype: node_dtype(g, n),
            }
        })
        .collect();
    let io = |ts: &[usize]| {
        ts.iter()
            .map(|&t| TensorReport {
                name: g.tensors[t].name.clone(),
                shape: g.tensors[t].shape.clone(),
                dtype: g.output_dtype(t).name(),
            })
            .collect()
    };
    // Parameters counted once even when several nodes read the same constant.
    let mut seen = std::collections::HashSet::new();
    let total_param_bytes = g
        .nodes
        .iter()
        .flat_map(|n| n.inputs.iter())
        .filter(|&&t| g.tensors[t].is_const() && seen.insert(t))
        .map(|&t| g.tensors[t].size_bytes() as u64)
        .sum();
    let total_macs: u64 = nodes.iter().map(|n| n.macs).sum();
    Report {
        model: p.model_name.clone(),
        inputs: io(&g.inputs),
        outputs: io(&g.outputs),
        total_macs,
        layer_bound_bytes: p.plan.layer_bound_bytes,
        patches: patch_reports(p, total_macs),
        nodes,
        total_param_bytes,
        arena_bytes: p.plan.arena_bytes,
        arena_lower_bound_bytes: p.plan.lower_bound_bytes,
        notes: g.notes.clone(),
    }
}

/// The element type a node computes in, from its run-time input and output tensors.
pub fn node_dtype(g: &Graph, n: &Node) -> &'static str {
    let int8 = |ts: &[usize]| {
        ts.iter()
            .any(|&t| g.tensors[t].dtype == DType::I8 && !g.tensors[t].is_const())
    };
    match (int8(&n.inputs), int8(&n.outputs)) {
        (true, true) => "int8",
        (false, true) => "float32->int8",
        (true, false) => "int8->float32",
        (false, false) => "float32",
    }
}

fn patch_reports(p: &Prepared, total_macs: u64) -> Vec<PatchReport> {
    let g = &p.graph;
    p.plan
        .patches
        .iter()
        .map(|x| PatchReport {
            nodes: x.nodes.iter().map(|&i| g.nodes[i].name.clone()).collect(),
            step: x.step,
            input: g.tensors[x.input()].name.clone(),
            output: g.tensors[x.output()].name.clone(),
            grid: x.grid,
            halo: x.halo(),
            workspace_bytes: x.workspace_bytes(),
            extra_macs: x.extra_macs(),
            mac_overhead_percent: 100.0 * x.extra_macs() as f64 / total_macs.max(1) as f64,
        })
        .collect()
}

/// Human-readable table.
pub fn render_text(r: &Report) -> String {
    let mut s = format!("model {}\n", r.model);
    for t in &r.inputs {
        s += &format!("input  {} {:?}\n", t.name, t.shape);
    }
    for t in &r.outputs {
        s += &format!("output {} {:?}", t.name, t.shape);
        if t.dtype != "float32" {
            s += &format!(" {}", t.dtype);
        }
        s += "\n";
    }
    for n in &r.notes {
        s += &format!("note: {n}\n");
    }
    let w = r
        .nodes
        .iter()
        .map(|n| n.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let wo = r.nodes.iter().map(|n| n.op.len()).max().unwrap_or(2).max(2);
    // The dtype column appears for quantised models (float32 models print as before).
    let quantised = r.nodes.iter().any(|n| n.dtype != "float32");
    let dtype = |d: &str| {
        if quantised {
            format!("  {d:<13}")
        } else {
            String::new()
        }
    };
    s += &format!(
        "\n{:<w$}  {:<wo$}{}  {:<20}  {:>12}  {:>12}\n",
        "node",
        "op",
        dtype("dtype"),
        "output shape",
        "MACs",
        "param bytes"
    );
    for n in &r.nodes {
        s += &format!(
            "{:<w$}  {:<wo$}{}  {:<20}  {:>12}  {:>12}\n",
            n.name,
            n.op,
            dtype(n.dtype),
            format!("{:?}", n.output_shape),
            n.macs,
            n.param_bytes
        );
    }
    s += &format!(
        "\ntotal: {} nodes, {} MACs, {} parameter bytes\n",
        r.nodes.len(),
        r.total_macs,
        r.total_param_bytes
    );
    s += &arena_line(r.arena_bytes, r.arena_lower_bound_bytes);
    if !r.patches.is_empty() {
        s += &patch_lines(r);
    }
    s
}

/// The bounds with and without patches, and every patched chain.
fn patch_lines(r: &Report) -> String {
    let extra: u64 = r.patches.iter().map(|p| p.extra_macs).sum();
    let mut s = format!(
        "patch-based: lower bound {} bytes, layer by layer {} bytes ({:.2}x lower), {} extra MACs ({:.1} % more)\n",
        r.arena_lower_bound_bytes,
        r.layer_bound_bytes,
        r.layer_bound_bytes as f64 / r.arena_lower_bound_bytes.max(1) as f64,
        extra,
        100.0 * extra as f64 / r.total_macs.max(1) as f64
    );
    for p in &r.patches {
        s += &format!(
            "  patched at step {}: {} -> {} through {} nodes ({}), grid {}x{}, halo {}x{}, workspace {} bytes, +{} MACs ({:.1} %)\n",
            p.step,
            p.input,
            p.output,
            p.nodes.len(),
            p.nodes.join(", "),
            p.grid[0],
            p.grid[1],
            p.halo[0],
            p.halo[1],
            p.workspace_bytes,
            p.extra_macs,
            p.mac_overhead_percent
        );
    }
    s
}

/// "arena: N bytes (lower bound M bytes, ratio R)"
pub fn arena_line(arena: usize, lb: usize) -> String {
    let ratio = if lb == 0 {
        1.0
    } else {
        arena as f64 / lb as f64
    };
    format!("arena: {arena} bytes (lower bound {lb} bytes, {ratio:.3}x)\n")
}

/// The arena map of a prepared model: one line per buffer, by offset, with the steps
/// (positions in the schedule) during which it is live and what it holds.
pub fn render_memory(p: &Prepared) -> String {
    let g = &p.graph;
    let plan = &p.plan;
    let mut s = format!(
        "\narena map ({} bytes, lower bound {} bytes; steps index the node table above)\n",
        plan.arena_bytes, plan.lower_bound_bytes
    );
    s += &format!("{:>8}  {:>8}  {:>9}  holds\n", "offset", "bytes", "steps");
    let mut bufs: Vec<_> = plan.buffers.iter().collect();
    bufs.sort_by_key(|b| (b.offset, b.first));
    for b in bufs {
        let holds = match b.scratch_of {
            Some(n) if plan.patch_of(n).is_some() => {
                format!("patch workspace of the chain from {}", g.nodes[n].name)
            }
            Some(n) => format!("scratch of {}", g.nodes[n].name),
            None => b
                .tensors
                .iter()
                .map(|&t| g.tensors[t].name.as_str())
                .collect::<Vec<_>>()
                .join(" = "),
        };
        s += &format!(
            "{:>8}  {:>8}  {:>4}..{:<3}  {}\n",
            b.offset, b.size, b.first, b.last, holds
        );
    }
    s
}
