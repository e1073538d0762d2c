//! The host harness (`DIR/host/`): every device of a deployment linked into one program
//! over a loss-free in-memory link, reading graph inputs and writing graph outputs as raw
//! float32 files. The graph I/O views here are shared with the simulator ([`super::sim`]).

use super::names::field_idents;
use super::{render, templates, view, EmitError, File};
use crate::ir::{DType, Graph, TensorId};
use serde::Serialize;

/// One device as the harness sees it.
pub struct HarnessDevice<'a> {
    pub name: &'a str,
    /// Graph inputs it senses (in its inputs struct, in this order).
    pub inputs: &'a [TensorId],
    /// Number of stages of its schedule (bounds the polling rounds).
    pub stages: usize,
    /// Whether its folder has the link (`meshnn_link.h`): it sends or receives tensors.
    pub linked: bool,
    /// A Rust crate, linked through the host bridge (`host/rust/`, see `rust_host`).
    pub rust: bool,
}

/// A graph input a device senses: its field in the device's inputs struct and the
/// harness buffer it is copied from.
#[derive(Serialize)]
struct Sense {
    field: String,
    ident: String,
    bytes: usize,
    count: usize,
}

#[derive(Serialize)]
pub(super) struct DeviceView {
    name: String,
    senses: Vec<Sense>,
    /// Its C header, relative to the harness folder.
    header: String,
}

#[derive(Serialize)]
struct Io {
    ident: String,
    field: String,
    numel: usize,
    count: usize,
    /// A quantised (int8 / uint8) graph output: the harness writes its values as float32.
    int: bool,
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
            int: g.output_dtype(t) != DType::F32,
        })
        .collect()
}

/// A device by name with the graph inputs it senses, as the harness folder `folder`
/// (`host` or `sim`) includes it: its model.h, or a Rust device's header in the bridge.
pub(super) fn device_view(
    g: &Graph,
    name: &str,
    inputs: &[TensorId],
    rust: bool,
    folder: &str,
) -> DeviceView {
    let header = match (rust, folder) {
        (false, _) => format!("../{name}/model.h"),
        (true, "host") => format!("rust/{name}.h"),
        (true, _) => format!("../{}/{name}.h", super::rust_host::BRIDGE_DIR),
    };
    DeviceView {
        name: name.to_string(),
        senses: senses(g, inputs),
        header,
    }
}

/// The folder whose `meshnn_link.h` a harness includes: a linked C device's, else the
/// Rust devices' C link (`rust_host::LINK_DIR`); none when no device is linked.
/// `devices`: (name, linked, rust) of each device.
pub(super) fn link_dir<'a>(
    devices: impl Iterator<Item = (&'a str, bool, bool)> + Clone,
) -> Option<&'a str> {
    devices
        .clone()
        .find(|&(_, linked, rust)| linked && !rust)
        .map(|(name, _, _)| name)
        .or_else(|| {
            devices
                .into_iter()
                .any(|(_, linked, _)| linked)
                .then_some(super::rust_host::LINK_DIR)
        })
}

/// The graph inputs one device senses, as copies from the harness buffers.
fn senses(g: &Graph, inputs: &[TensorId]) -> Vec<Sense> {
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

/// Most characters of one usage string literal: C99 compilers need only accept 4095
/// (`-pedantic` warns beyond), and the literal also holds the fixed words around it.
const USAGE_CHUNK: usize = 4000;

/// The file arguments of a usage line (` a.bin b.bin` for `files`), in pieces short enough
/// for one C string literal each (one piece, hence the same code as ever, unless long).
fn usage_pieces(files: impl Iterator<Item = String>) -> Vec<String> {
    let text: String = files.map(|f| format!(" {f}")).collect();
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(USAGE_CHUNK)
        .map(|c| c.iter().collect())
        .collect()
}

/// What the harness and the simulator templates share: the model, the devices (`views`),
/// the hub's name and the graph inputs and hub outputs, and their usage lines' file
/// arguments (`usage_inputs`: the inputs; `usage_io`: the inputs, then the outputs).
pub(super) fn program_context(
    g: &Graph,
    model: &str,
    views: minijinja::Value,
    hub: Option<&str>,
    hub_outputs: &[TensorId],
) -> minijinja::Value {
    let inputs = io_views(g, &g.inputs);
    let outputs = io_views(g, hub_outputs);
    let in_files = || inputs.iter().map(|t| format!("{}.bin", t.ident));
    let out_files = outputs.iter().map(|t| format!("{}.out.bin", t.ident));
    minijinja::context! {
        usage_inputs => usage_pieces(in_files()),
        usage_io => usage_pieces(in_files().chain(out_files)),
        model => model,
        devices => views,
        hub => hub.unwrap_or("main"),
        graph_inputs => view(&inputs),
        graph_outputs => view(&outputs),
    }
}

/// Generate `host/main.c`, `host/Makefile` and, when some device uses the link,
/// `host/link_host.c` and `host/link_key.c` (the key and epoch HAL; with the link header of the first such device; devices that send
/// and receive nothing, e.g. all but the hub under `--strategy single`, run alone).
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
    let views: Vec<DeviceView> = devices
        .iter()
        .map(|d| device_view(g, d.name, d.inputs, d.rust, "host"))
        .collect();
    let link_dir = link_dir(devices.iter().map(|d| (d.name, d.linked, d.rust)));
    let mut host_sources = vec!["main.c".to_string()];
    if link_dir.is_some() {
        host_sources.push("link_host.c".into());
        host_sources.push("link_key.c".into());
    }
    let mut seen_runtime = std::collections::HashSet::new();
    // Folders whose weights.S .incbin-s a blob found through the include path.
    let mut host_includes = Vec::new();
    for (dev, files) in device_sources {
        if files.iter().any(|f| f.ends_with(".S")) {
            host_includes.push(format!("-I../{dev}"));
        }
        for f in files {
            let is_runtime = templates::runtime_file(f).is_some();
            if !is_runtime || seen_runtime.insert(f.clone()) {
                host_sources.push(format!("../{dev}/{f}"));
            }
        }
    }
    let max_rounds: usize = devices.iter().map(|d| d.stages + 1).sum::<usize>() + 2;
    let hub_name = devices.get(hub).map(|d| d.name);
    let ctx = minijinja::context! {
        max_rounds => max_rounds,
        link_dir => link_dir,
        queue_frames => queue_frames.max(4),
        host_sources => host_sources,
        host_includes => host_includes,
        ..program_context(g, model, view(&views), hub_name, hub_outputs),
    };
    let env = templates::environment();
    let mut files = vec![
        File::text("host/main.c", render(&env, "host/main.c.j2", &ctx)?),
        File::text("host/Makefile", render(&env, "host/Makefile.j2", &ctx)?),
    ];
    if link_dir.is_some() {
        files.push(File::text(
            "host/link_host.c",
            render(&env, "host/link_host.c.j2", &ctx)?,
        ));
        files.push(File::text(
            "host/link_key.c",
            render(&env, "host/link_key.c.j2", &ctx)?,
        ));
    }
    Ok(files)
}
