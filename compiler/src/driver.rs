//! The compile pipeline in one place: import → canonicalise → partition → schedule +
//! plan per device → emit.

use crate::codegen::rust_host::BridgeDevice;
use crate::codegen::rust_render::RuntimeSource;
use crate::codegen::{self, harness::HarnessDevice, DeviceSpec, File, LinkTensor};
pub use crate::deploy::Lang;
use crate::deploy::{DeployError, Deployment, Kernels, Strategy};
use crate::ir::{DType, Graph, KernelSet, NodeId, TensorId};
use crate::partition::{self, Partition, PartitionError};
use crate::plan::{memory::Plan, schedule};
use crate::{onnx, passes};
use std::path::{Path, PathBuf};

/// Device name used when a model runs as one device (no deployment file).
pub const SINGLE_DEVICE: &str = "main";

/// Any failure of the pipeline, each with a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {error}")]
    Import {
        path: String,
        error: Box<onnx::ImportError>,
    },
    #[error(transparent)]
    Pass(#[from] passes::PassError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Partition(#[from] PartitionError),
    #[error(transparent)]
    Emit(#[from] codegen::EmitError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("device '{device}' ({target}) has kernels = \"fast\" and needs {need} bytes of RAM with their scratch buffers, but its budget is {have}; the reference kernels need {reference} bytes: set kernels = \"auto\" (or \"reference\") for this device, or raise its ram_bytes")]
    FastKernelsDoNotFit {
        device: String,
        target: String,
        need: u64,
        have: u64,
        reference: u64,
    },
    #[error("device '{device}' needs an arena of {bytes} bytes; generated code addresses its arena with 32-bit ints (at most 2147483647 bytes): spread the model over more devices or make its tensors smaller")]
    ArenaTooLarge { device: String, bytes: usize },
    #[error("the partition cuts {0} tensors; the link addresses at most 65535")]
    TooManyCuts(usize),
    #[error("tensor '{0}' is int8 and this partition sends it over the link, but it has no single scale and zero point (per-axis or missing quantisation parameters), which the link's int8 fallbacks need: place its producer and readers on one device ([partition.manual], or strategy = \"single\")")]
    Int8Cut(String),
    #[error("the devices' schedules wait on each other in a cycle ({0}); this is a meshnn bug: please report it with the model and deployment")]
    Stalled(String),
    #[error("tensor '{tensor}' ({bytes} bytes) crosses the link in {frags} fragments at mtu_bytes = {mtu}, but a frame numbers at most 65535: raise [link] mtu_bytes to at least {min_mtu}, or place its producer and consumers on one device")]
    TooManyFragments {
        tensor: String,
        bytes: u64,
        mtu: usize,
        frags: u64,
        min_mtu: u64,
    },
}

/// A canonicalised model, scheduled and planned as one device (for `inspect`).
pub struct Prepared {
    pub graph: Graph,
    pub order: Vec<NodeId>,
    pub plan: Plan,
    /// File name of the model, for generated comments.
    pub model_name: String,
}

/// Import and canonicalise a model, then schedule and plan it as one device.
/// `verify_each` runs the graph verifier after every pass (tests set it).
pub fn prepare(path: &Path, verify_each: bool) -> Result<Prepared, Error> {
    let graph = onnx::import_file(path).map_err(|error| Error::Import {
        path: path.display().to_string(),
        error: Box::new(error),
    })?;
    let model_name = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model.onnx".into());
    prepare_graph(graph, model_name, verify_each)
}

/// [`prepare`] for a serialised model held in memory (no external data: it has no folder);
/// `model_name` names it in errors and generated comments.
pub fn prepare_bytes(bytes: &[u8], model_name: &str, verify_each: bool) -> Result<Prepared, Error> {
    let graph = onnx::import_bytes(bytes, None).map_err(|error| Error::Import {
        path: model_name.to_string(),
        error: Box::new(error),
    })?;
    prepare_graph(graph, model_name.to_string(), verify_each)
}

/// Canonicalise an imported graph, then schedule and plan it as one device.
fn prepare_graph(
    mut graph: Graph,
    model_name: String,
    verify_each: bool,
) -> Result<Prepared, Error> {
    passes::canonicalise(&mut graph, verify_each)?;
    let (all, sensed): (Vec<NodeId>, Vec<TensorId>) =
        ((0..graph.nodes.len()).collect(), graph.inputs.clone());
    crate::plan::intake::mark(&mut graph, &all, &sensed);
    let (order, plan) = schedule::order(&graph);
    Ok(Prepared {
        graph,
        order,
        plan,
        model_name,
    })
}

/// One device of a deployed model: its nodes in schedule order, memory plan and links.
pub struct DevicePlan {
    pub name: String,
    pub order: Vec<NodeId>,
    pub plan: Plan,
    /// Graph inputs it senses and uses (or forwards), in graph-input order.
    pub inputs: Vec<TensorId>,
    /// Graph outputs it produces (the hub's are all of them).
    pub outputs: Vec<TensorId>,
    pub rx: Vec<LinkTensor>,
    pub tx: Vec<LinkTensor>,
    /// RAM: arena plus link frame buffers.
    pub ram_bytes: u64,
    /// The kernel variants its code calls (see `deploy::Kernels`).
    pub kernels: KernelSet,
}

impl DevicePlan {
    /// Whether it sends or receives tensors (its folder then has the link code).
    pub fn linked(&self) -> bool {
        !self.rx.is_empty() || !self.tx.is_empty()
    }
}

/// A model partitioned over a deployment, every device planned.
pub struct Deployed {
    pub graph: Graph,
    pub dep: Deployment,
    pub partition: Partition,
    pub devices: Vec<DevicePlan>,
    pub model_name: String,
}

impl Deployed {
    /// Whether devices exchange authenticated frames (several devices, `auth` on): the
    /// programs that run them need a key.
    pub fn authenticates(&self) -> bool {
        self.dep.devices.len() > 1 && self.dep.link.auth == crate::link::Auth::Ascon128
    }

    /// Link frames one loss-free inference sends: every cut tensor fragmented to the
    /// link's frame payload, once per receiving device.
    pub fn frames_per_inference(&self) -> u64 {
        let cut = self.partition.cut.iter().map(|c| (c.bytes, c.to.len()));
        self.dep.link.framing().frames_per_inference(cut)
    }
}

/// What in a deployment has no effect or cannot work, though the model compiles: a
/// fallback entry for a tensor that is not received, a manual placement under another
/// strategy, a deadline shorter than the link needs to deliver a device's tensors.
pub fn warnings(d: &Deployed) -> Vec<String> {
    let (g, dep) = (&d.graph, &d.dep);
    let mut w = Vec::new();
    for (name, _) in &dep.fallback_overrides {
        let received = d
            .devices
            .iter()
            .flat_map(|x| &x.rx)
            .any(|l| &g.tensors[l.tensor].name == name);
        if !received {
            let why = if g.tensors.iter().any(|t| &t.name == name) {
                "is not received over the link in this partition"
            } else {
                "names no tensor of the model (after canonicalisation; see `meshnn partition`)"
            };
            w.push(format!(
                "{}: [fallback] '{name}' {why}; the entry has no effect",
                dep.file
            ));
        }
    }
    if !dep.manual.is_empty() && d.partition.strategy != Strategy::Manual {
        w.push(format!(
            "{}: [partition.manual] is ignored: the strategy is '{}'; set strategy = \"manual\" (or --strategy manual) to use it",
            dep.file,
            d.partition.strategy.name()
        ));
    }
    for dev in d.devices.iter().filter(|x| !x.rx.is_empty()) {
        let bytes: u64 = dev
            .rx
            .iter()
            .map(|l| {
                let payload = g.tensors[l.tensor].size_bytes() as u64;
                dep.link.framing().wire_bytes(payload)
            })
            .sum();
        let need_us = bytes * 8 * 1_000_000 / dep.link.bitrate_bps.max(1) + dep.link.latency_us;
        if need_us > dep.link.deadline_us {
            w.push(format!(
                "{}: deadline_us = {} is shorter than the {need_us} us device '{}' needs to receive its {bytes} bytes over the link (at {} bit/s, {} us latency): its inferences will be degraded even on a perfect link",
                dep.file, dep.link.deadline_us, dev.name, dep.link.bitrate_bps, dep.link.latency_us
            ));
        }
    }
    w
}

/// Partition a prepared model over `dep` (with `strategy`, else the deployment's) and
/// plan every device. Fails when a device's planned RAM exceeds its target's.
pub fn deploy(p: Prepared, dep: Deployment, strategy: Option<Strategy>) -> Result<Deployed, Error> {
    dep.check_model(&p.graph)?;
    let mut g = p.graph;
    if dep.devices.len() > 1 {
        crate::passes::replicate_input_quantise::run(&mut g);
    }
    let part = partition::partition(&g, &dep, strategy.unwrap_or(dep.strategy))?;
    // Each node runs with the kernels its device asks for (`auto` starts with the fast
    // ones and falls back below when their scratch memory does not fit).
    for (i, node) in g.nodes.iter_mut().enumerate() {
        node.kernels = match dep.devices[part.assign[i]].kernels {
            Kernels::Reference => KernelSet::Reference,
            Kernels::Fast | Kernels::Auto => KernelSet::Fast,
        };
    }
    if part.cut.len() > u16::MAX as usize {
        return Err(Error::TooManyCuts(part.cut.len()));
    }
    // An int8 cut tensor crosses the link as int8 (one byte per element); its ZERO and
    // MEAN fallbacks need its one scale and zero point.
    if let Some(c) = part.cut.iter().find(|c| {
        let t = &g.tensors[c.tensor];
        t.dtype == DType::I8 && codegen::per_tensor_quant(t).is_none()
    }) {
        return Err(Error::Int8Cut(g.tensors[c.tensor].name.clone()));
    }
    check_fragments(&g, &dep, &part)?;
    let link_ram = if dep.devices.len() > 1 {
        2 * dep.link.mtu_bytes as u64 + dep.link.framing().scratch_bytes()
    } else {
        0
    };
    let mut devices = (0..dep.devices.len())
        .map(|d| plan_device(&mut g, &dep, &part, d, link_ram, false))
        .collect::<Result<Vec<_>, _>>()?;
    if stalls(&g, &devices).is_some() {
        // The per-device orders wait on each other in a cycle; the model's own order,
        // restricted to each device, cannot (it is one topological order of the graph).
        devices = (0..dep.devices.len())
            .map(|d| plan_device(&mut g, &dep, &part, d, link_ram, true))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(s) = stalls(&g, &devices) {
            return Err(Error::Stalled(describe_stalls(&g, &devices, &s)));
        }
    }
    Ok(Deployed {
        graph: g,
        dep,
        partition: part,
        devices,
        model_name: p.model_name,
    })
}

/// Where the devices' node orders would wait on each other forever, if they do.
fn stalls(g: &Graph, devices: &[DevicePlan]) -> Option<Vec<crate::plan::progress::Stall>> {
    let orders: Vec<&[NodeId]> = devices.iter().map(|d| d.order.as_slice()).collect();
    crate::plan::progress::stalled(g, &orders)
}

/// "device 'a' waits at node 'x', device 'b' waits at node 'y'".
fn describe_stalls(
    g: &Graph,
    devices: &[DevicePlan],
    s: &[crate::plan::progress::Stall],
) -> String {
    s.iter()
        .map(|x| {
            format!(
                "device '{}' waits at node '{}'",
                devices[x.device].name, g.nodes[x.node].name
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every cut tensor fits the 16-bit fragment numbering of the frame header.
fn check_fragments(g: &Graph, dep: &Deployment, part: &Partition) -> Result<(), Error> {
    let framing = dep.link.framing();
    let mtu = framing.mtu_bytes;
    for c in &part.cut {
        let frags = framing.fragments(c.bytes);
        if frags > crate::link::MAX_FRAGMENTS {
            return Err(Error::TooManyFragments {
                tensor: g.tensors[c.tensor].name.clone(),
                bytes: c.bytes,
                mtu,
                frags,
                min_mtu: crate::link::Framing::min_mtu_for(framing.auth, c.bytes),
            });
        }
    }
    Ok(())
}

/// Schedule and plan device `d`: its nodes, links, sensed inputs and delivered outputs,
/// with the kernels that fit its RAM (`link_ram`: the link's frame buffers).
fn plan_device(
    g: &mut Graph,
    dep: &Deployment,
    part: &Partition,
    d: usize,
    link_ram: u64,
    model_order: bool,
) -> Result<DevicePlan, Error> {
    let nodes: Vec<NodeId> = (0..g.nodes.len())
        .filter(|&i| part.assign[i] == d)
        .collect();
    let rx = device_links(g, dep, part, |c| c.to.contains(&d), |c| vec![c.from]);
    let tx = device_links(g, dep, part, |c| c.from == d, |c| c.to.clone());
    let (inputs, outputs) = device_io(g, dep, d, &nodes, &tx);
    crate::plan::intake::mark(g, &nodes, &inputs);
    let mut present = inputs.clone();
    present.extend(rx.iter().map(|l| l.tensor));
    let sched = Scheduling {
        nodes: &nodes,
        present: &present,
        outputs: &outputs,
        rx: &rx,
        link_ram,
        model_order,
        patch: dep.devices[d].patch,
    };
    let (order, plan, ram_bytes, kernels) = fit_kernels(g, &dep.devices[d], &sched)?;
    Ok(DevicePlan {
        name: dep.devices[d].name.clone(),
        order,
        plan,
        inputs,
        outputs,
        rx,
        tx,
        ram_bytes,
        kernels,
    })
}

/// The cut tensors `keep` selects, as link tensors whose peers are `peers`.
fn device_links(
    g: &Graph,
    dep: &Deployment,
    part: &Partition,
    keep: impl Fn(&partition::CutTensor) -> bool,
    peers: impl Fn(&partition::CutTensor) -> Vec<usize>,
) -> Vec<LinkTensor> {
    part.cut
        .iter()
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(k, c)| LinkTensor {
            tensor: c.tensor,
            id: k as u16,
            peers: peers(c),
            fallback: dep.fallback_for(&g.tensors[c.tensor].name),
            mean: None,
        })
        .collect()
}

/// The graph inputs device `d` senses and uses (or forwards), and the graph outputs it
/// delivers (all of them on the hub).
fn device_io(
    g: &Graph,
    dep: &Deployment,
    d: usize,
    nodes: &[NodeId],
    tx: &[LinkTensor],
) -> (Vec<TensorId>, Vec<TensorId>) {
    let used = |t: TensorId| {
        nodes.iter().any(|&i| g.nodes[i].inputs.contains(&t))
            || tx.iter().any(|l| l.tensor == t)
            || (d == dep.hub && g.outputs.contains(&t))
    };
    let senses = &dep.devices[d].inputs;
    let inputs = g
        .inputs
        .iter()
        .copied()
        .filter(|&t| senses.iter().any(|n| *n == g.tensors[t].name) && used(t))
        .collect();
    let outputs = if d == dep.hub {
        g.outputs.clone()
    } else {
        Vec::new()
    };
    (inputs, outputs)
}

/// What scheduling one device needs (see [`schedule_device`]).
struct Scheduling<'a> {
    nodes: &'a [NodeId],
    present: &'a [TensorId],
    outputs: &'a [TensorId],
    rx: &'a [LinkTensor],
    link_ram: u64,
    /// Keep the model's node order (a fallback that can never wait in a cycle).
    model_order: bool,
    /// Whether chains may run patch by patch (the device's `patch` setting).
    patch: crate::plan::patch::PatchOptions,
}

impl Scheduling<'_> {
    /// Order and plan on `g`, and the RAM that needs.
    fn run(&self, g: &Graph) -> (Vec<NodeId>, Plan, u64) {
        let (order, plan) = if self.model_order {
            let order = self.nodes.to_vec();
            let plan = crate::plan::memory::plan(g, &order, self.present, self.outputs);
            (order, plan)
        } else {
            schedule_device(g, self.nodes, self.present, self.outputs, self.rx)
        };
        let plan = match self.patch.auto {
            true => {
                let p = crate::plan::memory::plan_patched(
                    g,
                    &order,
                    self.present,
                    self.outputs,
                    &self.patch,
                );
                if p.arena_bytes < plan.arena_bytes {
                    p
                } else {
                    plan
                }
            }
            false => plan,
        };
        let ram = plan.arena_bytes as u64 + self.link_ram;
        (order, plan, ram)
    }
}

/// Schedule a device with the kernels it asks for; `auto` falls back to the reference
/// kernels (no scratch) when the fast ones do not fit its RAM. Fails, naming the fix,
/// when nothing fits.
fn fit_kernels(
    g: &mut Graph,
    device: &crate::deploy::Device,
    s: &Scheduling,
) -> Result<(Vec<NodeId>, Plan, u64, KernelSet), Error> {
    let (mut order, mut plan, mut ram_bytes) = s.run(g);
    let mut kernels = KernelSet::Fast;
    if device.kernels == Kernels::Reference {
        kernels = KernelSet::Reference;
    } else if ram_bytes > device.ram_budget() && device.kernels == Kernels::Auto {
        // The fast kernels' scratch does not fit: the reference kernels need none.
        use_reference_kernels(g, s.nodes);
        kernels = KernelSet::Reference;
        (order, plan, ram_bytes) = s.run(g);
    }
    if ram_bytes > device.ram_budget() && device.kernels == Kernels::Fast {
        let mut reference = g.clone();
        use_reference_kernels(&mut reference, s.nodes);
        let (_, _, need_ref) = s.run(&reference);
        if need_ref <= device.ram_budget() {
            return Err(Error::FastKernelsDoNotFit {
                device: device.name.clone(),
                target: device.target.name.clone(),
                need: ram_bytes,
                have: device.ram_budget(),
                reference: need_ref,
            });
        }
    }
    if plan.arena_bytes > i32::MAX as usize {
        return Err(Error::ArenaTooLarge {
            device: device.name.clone(),
            bytes: plan.arena_bytes,
        });
    }
    if ram_bytes > device.ram_budget() {
        return Err(PartitionError::Infeasible {
            device: device.name.clone(),
            target: device.target.name.clone(),
            resource: "RAM",
            need: ram_bytes,
            have: device.ram_budget(),
            short: ram_bytes - device.ram_budget(),
        }
        .into());
    }
    Ok((order, plan, ram_bytes, kernels))
}

fn use_reference_kernels(g: &mut Graph, nodes: &[NodeId]) {
    for &i in nodes {
        g.nodes[i].kernels = KernelSet::Reference;
    }
}

/// Order one device's `nodes` for low memory, then let work that needs nothing from
/// other devices run first, so a device computes while its peers' tensors are on the way
/// (stable: dependencies keep their order); plan the arena for that order.
fn schedule_device(
    g: &Graph,
    nodes: &[NodeId],
    present: &[TensorId],
    outputs: &[TensorId],
    rx: &[LinkTensor],
) -> (Vec<NodeId>, Plan) {
    let (order, _) = schedule::order_subset(g, nodes, present, outputs);
    let order = order_by_remote_needs(g, order, rx);
    let plan = crate::plan::memory::plan(g, &order, present, outputs);
    (order, plan)
}

/// Stable-sort `order` by how many received tensors each node transitively needs.
fn order_by_remote_needs(g: &Graph, order: Vec<NodeId>, rx: &[LinkTensor]) -> Vec<NodeId> {
    if rx.is_empty() {
        return order;
    }
    let producers = g.producers();
    let mut needs: Vec<Vec<bool>> = vec![vec![false; rx.len()]; g.nodes.len()];
    for &i in &order {
        let mut set = vec![false; rx.len()];
        for &t in &g.nodes[i].inputs {
            if let Some(k) = rx.iter().position(|l| l.tensor == t) {
                set[k] = true;
            }
            if let Some(p) = producers[t] {
                for (k, v) in needs[p].iter().enumerate() {
                    set[k] |= *v;
                }
            }
        }
        needs[i] = set;
    }
    let mut keyed: Vec<(usize, usize, NodeId)> = order
        .iter()
        .enumerate()
        .map(|(pos, &i)| (needs[i].iter().filter(|&&b| b).count(), pos, i))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, i)| i).collect()
}

/// A prepared model as the one-device deployment `main` on the host.
pub fn deploy_single(p: Prepared) -> Result<Deployed, Error> {
    let dep = single_deployment(&p);
    deploy(p, dep, Some(Strategy::Single))
}

/// The one-device deployment `main` on the host that senses every input of `p`.
pub fn single_deployment(p: &Prepared) -> Deployment {
    let names = p
        .graph
        .inputs
        .iter()
        .map(|&t| p.graph.tensors[t].name.clone())
        .collect();
    Deployment::single_host(names)
}

/// Plan a prepared model again with patches allowed by `opts` (for `inspect --patch`),
/// keeping the plan without them when it is no larger.
pub fn replan_patched(p: &mut Prepared, opts: &crate::plan::patch::PatchOptions) {
    let g = &p.graph;
    let plan = crate::plan::memory::plan_patched(g, &p.order, &g.inputs, &g.outputs, opts);
    if plan.arena_bytes < p.plan.arena_bytes {
        p.plan = plan;
    }
}

/// How [`emit_with`] writes devices: the language of a device whose `[[device]]` table
/// names none, and where Rust crates find `meshnn-runtime`.
#[derive(Clone, Debug, Default)]
pub struct EmitOptions {
    pub lang: Lang,
    pub runtime: RuntimeSource,
}

impl Deployed {
    /// The language of device `id`: its `lang`, else `default`.
    pub fn lang_of(&self, id: usize, default: Lang) -> Lang {
        self.dep.devices[id].lang.unwrap_or(default)
    }
}

/// Generate every device folder and the host harness, in C unless a device says `lang =
/// "rust"`.
pub fn emit(d: &Deployed) -> Result<Vec<File>, Error> {
    emit_with(d, &EmitOptions::default())
}

/// Generate every device folder (C files, or a Rust crate) and the host harness (with the
/// bridge of the Rust devices and the bundled Rust runtime when there are any).
pub fn emit_with(d: &Deployed, opts: &EmitOptions) -> Result<Vec<File>, Error> {
    let g = &d.graph;
    let names: Vec<String> = d.devices.iter().map(|x| x.name.clone()).collect();
    let mut files = Vec::new();
    let mut sources = Vec::new();
    let mut bridge = Vec::new();
    let mut headers = Vec::new();
    for (id, dev) in d.devices.iter().enumerate() {
        let spec = device_spec(d, id, &names);
        if d.lang_of(id, opts.lang) == Lang::Rust {
            let code = codegen::device::lower_device(g, &spec, &d.dep.link)
                .map_err(codegen::EmitError::from)?;
            files.extend(codegen::rust_render::render_device(
                g,
                &spec,
                &code,
                &d.dep.link,
                &d.dep.file,
                &opts.runtime,
            )?);
            headers.push(c_header(g, &spec, &code, d)?);
            bridge.push(BridgeDevice {
                name: dev.name.clone(),
                package: format!("meshnn-{}", dev.name),
                linked: dev.linked(),
            });
            sources.push((dev.name.clone(), Vec::new()));
            continue;
        }
        let dev_files = codegen::emit_device(g, &spec, &d.dep.link, &d.dep.file)?;
        let prefix = format!("{}/", dev.name);
        let srcs: Vec<String> = dev_files
            .iter()
            .filter_map(|f| f.path.strip_prefix(&prefix))
            .filter(|p| p.ends_with(".c") || p.ends_with(".S"))
            .map(String::from)
            .collect();
        sources.push((dev.name.clone(), srcs));
        files.extend(dev_files);
    }
    if !bridge.is_empty() {
        if opts.runtime == RuntimeSource::Bundled {
            files.extend(codegen::rust_render::runtime_files());
        }
        files.extend(codegen::rust_host::emit_bridge(
            &d.model_name,
            &bridge,
            headers,
            &opts.runtime,
            &d.dep.link,
            &d.dep.file,
        )?);
    }
    let harness: Vec<HarnessDevice> = d
        .devices
        .iter()
        .enumerate()
        .map(|(id, dev)| HarnessDevice {
            name: &dev.name,
            inputs: &dev.inputs,
            stages: dev.rx.len() + 1,
            linked: dev.linked(),
            rust: d.lang_of(id, opts.lang) == Lang::Rust,
        })
        .collect();
    let frames = d.frames_per_inference();
    files.extend(codegen::harness::emit_harness(
        g,
        &d.model_name,
        &harness,
        d.dep.hub,
        &d.devices[d.dep.hub].outputs,
        &sources,
        frames as usize + 4,
    )?);
    Ok(files)
}

/// What code generation needs of device `id` (`names`: every device's name).
fn device_spec<'a>(d: &'a Deployed, id: usize, names: &'a [String]) -> DeviceSpec<'a> {
    let dev = &d.devices[id];
    DeviceSpec {
        device: &dev.name,
        device_id: id,
        device_names: names,
        model: &d.model_name,
        order: &dev.order,
        plan: &dev.plan,
        inputs: &dev.inputs,
        outputs: &dev.outputs,
        rx: &dev.rx,
        tx: &dev.tx,
        weights: d.dep.devices[id].weights,
    }
}

/// The files of device `id` alone, for a build script's `OUT_DIR` (`meshnn::Build`): in
/// Rust the module `meshnn_<device>.rs` and its weights
/// ([`codegen::rust_render::render_module`]); in C its folder's files without the folder.
pub fn emit_device_alone(d: &Deployed, id: usize, lang: Lang) -> Result<Vec<File>, Error> {
    let names: Vec<String> = d.devices.iter().map(|x| x.name.clone()).collect();
    let spec = device_spec(d, id, &names);
    let g = &d.graph;
    if lang == Lang::Rust {
        let code = codegen::device::lower_device(g, &spec, &d.dep.link)
            .map_err(codegen::EmitError::from)?;
        let files = codegen::rust_render::render_module(g, &spec, &code, &d.dep.link, &d.dep.file)?;
        return Ok(files);
    }
    let prefix = format!("{}/", d.devices[id].name);
    let files = codegen::emit_device(g, &spec, &d.dep.link, &d.dep.file)?;
    Ok(files
        .into_iter()
        .map(|mut f| {
            if let Some(rest) = f.path.strip_prefix(&prefix) {
                f.path = rest.to_string();
            }
            f
        })
        .collect())
}

/// The C header (model.h) of a Rust device, for the host bridge: the one C would emit.
fn c_header(
    g: &Graph,
    spec: &DeviceSpec,
    code: &codegen::device::DeviceCode,
    d: &Deployed,
) -> Result<String, Error> {
    let files = codegen::c_render::render_device(g, spec, code, &d.dep.link, &d.dep.file)?;
    let path = format!("{}/model.h", spec.device);
    Ok(files
        .into_iter()
        .find(|f| f.path == path)
        .map(|f| f.contents)
        .unwrap_or_default())
}

/// Write generated files under `dir`, creating folders as needed. Generated sources an
/// earlier run left in a device or harness folder written now (runtime files of kernels
/// the model no longer uses, the other form of the weights) are removed first: the builds
/// compile every source of such a folder, so they would be compiled in.
pub fn write_files(dir: &Path, files: &[File]) -> Result<(), Error> {
    remove_stale_sources(dir, files)?;
    for f in files {
        let path = dir.join(&f.path);
        let werr = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(werr)?;
        }
        std::fs::write(&path, f.bytes()).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Whether a file name is one meshnn generates as C source: runtime files (`mn_*.c`,
/// `mn_*.h`), either form of the weights, the link glue.
fn is_generated_source(name: &str) -> bool {
    (name.starts_with("mn_") && (name.ends_with(".c") || name.ends_with(".h")))
        || matches!(name, "weights.c" | "weights.S" | "link_glue.c")
}

/// Removes, from every C folder `files` writes (a device's or the harness's: the ones it
/// writes a Makefile into, never another folder of the user's), the generated sources
/// (`is_generated_source`) that `files` does not hold.
fn remove_stale_sources(dir: &Path, files: &[File]) -> Result<(), Error> {
    let written: std::collections::BTreeSet<PathBuf> =
        files.iter().map(|f| dir.join(&f.path)).collect();
    let folders: std::collections::BTreeSet<PathBuf> = written
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "Makefile"))
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue; // not there yet
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_file() && is_generated_source(name) && !written.contains(&path) {
                std::fs::remove_file(&path).map_err(|source| Error::Write {
                    path: path.display().to_string(),
                    source,
                })?;
            }
        }
    }
    Ok(())
}
