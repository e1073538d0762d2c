//! The host harness (`DIR/host/`): every device of a deployment linked into one program
//! over a loss-free in-memory link, reading graph inputs and writing graph outputs as raw
//! float32 files. The graph I/O views here are shared with the simulator ([`super::sim`]).

use super::names::field_idents;
use super::{render, templates, view, EmitError, File};
use crate::ir::{Graph, TensorId};
use serde::Serialize;

/// One device as the harness sees it.
pub struct HarnessDevice<'a> {
    pub name: &'a str,
    /// Graph inputs it senses (in its inputs struct, in this order).
    pub inputs: &'a [TensorId],
    /// Number of stages of its schedule (bounds the polling rounds).
    pub stages: usize,
}

/// A graph input a device senses: its field in the device's inputs struct and the
/// harness buffer it is copied from.
#[derive(Serialize)]
pub(super) struct Sense {
    field: String,
    ident: String,
    bytes: usize,
    count: usize,
}

#[derive(Serialize)]
struct DeviceView {
    name: String,
    senses: Vec<Sense>,
}

#[derive(Serialize)]
struct Io {
    ident: String,
    field: String,
    numel: usize,
    count: usize,
}

/// Unique C identifiers for a list of tensors, as the device structs name them.
fn idents(g: &Graph, ts: &[TensorId]) -> Vec<String> {
    field_idents(ts.iter().map(|&t| g.tensors[t].name.as_str()))
}

/// The harness's view of tensors `ts` (graph inputs or outputs).
fn io_views(g: &Graph, ts: &[TensorId]) -> Vec<Io> {
    ts.iter()
        .zip(idents(g, ts))
        .map(|(&t, id)| Io {
            field: id.clone(),
            ident: id,
            numel: g.tensors[t].numel().max(1),
            count: g.tensors[t].numel(),
        })
        .collect()
}

/// The graph inputs one device senses, as copies from the harness buffers.
pub(super) fn senses(g: &Graph, inputs: &[TensorId]) -> Vec<Sense> {
    let g_ids = idents(g, &g.inputs);
    inputs
        .iter()
        .zip(idents(g, inputs))
        .map(|(&t, field)| {
            let gi = g.inputs.iter().position(|&x| x == t).unwrap_or(0);
            Sense {
                field,
                ident: g_ids[gi].clone(),
                bytes: g.tensors[t].size_bytes(),
                count: g.tensors[t].numel(),
            }
        })
        .collect()
}

/// The graph inputs and the hub's outputs, as the harness and the simulator read and
/// write them (template views).
pub(super) fn graph_io(g: &Graph, hub_outputs: &[TensorId]) -> [minijinja::Value; 2] {
    [
        view(&io_views(g, &g.inputs)),
        view(&io_views(g, hub_outputs)),
    ]
}

/// Generate `host/main.c`, `host/Makefile` and, with several devices, `host/link_host.c`.
/// `device_sources` lists, per device folder, the C files to compile (runtime files are
/// shared: each is compiled once). `queue_frames` sizes the in-memory link.
pub fn emit_harness(
    g: &Graph,
    model: &str,
    devices: &[HarnessDevice],
    hub: usize,
    hub_outputs: &[TensorId],
    device_sources: &[(String, Vec<String>)],
    queue_frames: usize,
) -> Result<Vec<File>, EmitError> {
    let [graph_inputs, graph_outputs] = graph_io(g, hub_outputs);
    let views: Vec<DeviceView> = devices
        .iter()
        .map(|d| DeviceView {
            name: d.name.to_string(),
            senses: senses(g, d.inputs),
        })
        .collect();
    let mut host_sources = vec!["main.c".to_string()];
    if devices.len() > 1 {
        host_sources.push("link_host.c".into());
    }
    let mut seen_runtime = std::collections::HashSet::new();
    for (dev, files) in device_sources {
        for f in files {
            let is_runtime = templates::runtime_file(f).is_some();
            if !is_runtime || seen_runtime.insert(f.clone()) {
                host_sources.push(format!("../{dev}/{f}"));
            }
        }
    }
    let max_rounds: usize = devices.iter().map(|d| d.stages + 1).sum::<usize>() + 2;
    let ctx = minijinja::context! {
        model => model,
        devices => view(&views),
        hub => devices.get(hub).map(|d| d.name).unwrap_or("main"),
        graph_inputs => graph_inputs,
        graph_outputs => graph_outputs,
        max_rounds => max_rounds,
        queue_frames => queue_frames.max(4),
        host_sources => host_sources,
    };
    let env = templates::environment();
    let mut files = vec![
        File {
            path: "host/main.c".into(),
            contents: render(&env, "host/main.c.j2", &ctx)?,
        },
        File {
            path: "host/Makefile".into(),
            contents: render(&env, "host/Makefile.j2", &ctx)?,
        },
    ];
    if devices.len() > 1 {
        files.push(File {
            path: "host/link_host.c".into(),
            contents: render(&env, "host/link_host.c.j2", &ctx)?,
        });
    }
    Ok(files)
}
