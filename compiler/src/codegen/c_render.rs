//! The C renderer: formats a lowered [`DeviceCode`] as the device's C files through the
//! templates in `templates/c/`, and adds the runtime files its kernels need. Only
//! formatting happens here; every decision was made by lowering.

use super::blob::weight_blob;
use super::c_syntax::{c_comment, float_rows, initialiser, operands, rows_of, shape_str};
use super::device::{ConstTable, DeviceCode, IoTensor, LinkCode, StageCode, TableValues};
use super::lower::Call;
use super::{render, templates, view, DeviceSpec, EmitError, File};
use crate::deploy::{Fallback, Weights};
use crate::ir::{DType, Graph, TensorId};
use serde::Serialize;

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
    /// The C element type in the I/O struct (`float`, `int8_t` or `uint8_t`).
    ctype: &'static str,
    /// A uint8 output: int8 in the arena, copied out with each byte's top bit flipped.
    flip: bool,
    /// The calls quantising an input at intake (in `begin`), instead of a copy.
    intake: Vec<CallView>,
}

#[derive(Serialize)]
struct WeightView {
    symbol: String,
    ctype: &'static str,
    count: usize,
    comment: String,
    /// Initialiser rows (`weights = "c"`; empty with a blob).
    rows: Vec<String>,
    /// Bytes of the values (none for an empty table).
    bytes: usize,
    /// With a blob: the table's offset and bytes up to the next table.
    offset: usize,
    span: usize,
}

#[derive(Serialize)]
struct StageView {
    waits: Vec<usize>,
    waits_names: Vec<String>,
    sends_first: Vec<usize>,
    sends_first_names: Vec<String>,
    steps: Vec<StepView>,
}

#[derive(Serialize)]
struct StepView {
    comment: String,
    calls: Vec<CallView>,
    sends: Vec<usize>,
    sends_names: Vec<String>,
}

/// One kernel call as C text.
#[derive(Serialize)]
struct CallView {
    kernel: &'static str,
    /// Parameter struct type and initialiser (empty for kernels without one).
    params_type: &'static str,
    params_init: String,
    /// What the call is for (its step's node), named beside its parameter block.
    user: String,
    /// All arguments: the parameter block's address first (once [`share_param_blocks`]
    /// has named it), then the operands.
    args: Vec<String>,
    /// Statements that prepare arguments, run just before the call.
    pre: Vec<String>,
}

/// One `static const` parameter block at file scope, and the calls that read it.
#[derive(Serialize)]
struct ParamBlockView {
    ty: &'static str,
    name: String,
    init: String,
    users: Vec<String>,
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
    /// C type of an element (`float`, or `int8_t` for an int8 tensor) and their count.
    elem_type: &'static str,
    elems: usize,
    /// An int8 tensor's zero point (its ZERO fallback); None for float32.
    zero_point: Option<i8>,
}

/// Runtime source file that defines `kernel`.
pub fn kernel_file(kernel: &str) -> String {
    format!("{kernel}.c")
}

/// Runtime files a kernel's file needs besides its own (internal helpers it calls).
pub fn kernel_deps(kernel: &str) -> &'static [&'static str] {
    match kernel {
        "mn_conv2d_fast_f32" | "mn_conv2d_dw_f32" => &["mn_conv_pad_f32", "mn_act_store_f32"],
        "mn_link" => &["mn_crc32", "mn_link_auth", "mn_ascon"],
        "mn_quantize_axis_s8" => &["mn_quantize_s8"],
        // the out-of-line exact requantisation (mn_requant_apply) of their cold cases
        "mn_binary_s8" | "mn_concat_s8" | "mn_conv2d_dw_s8" | "mn_conv2d_fast_s8"
        | "mn_conv2d_s8" | "mn_gemm_fast_s8" | "mn_gemm_s8" | "mn_global_pool_s8"
        | "mn_pool2d_fast_s8" | "mn_pool2d_s8" => &["mn_requant_s8"],
        _ => &[],
    }
}

/// The C files of one device (`<device>/...`).
pub fn render_device(
    g: &Graph,
    spec: &DeviceSpec,
    code: &DeviceCode,
    link: &crate::deploy::Link,
    deployment: &str,
) -> Result<Vec<File>, EmitError> {
    let has_link = !code.rx.is_empty() || !code.tx.is_empty();
    let (sources, runtime) = source_files(code, has_link, spec.weights);
    let (weights, blob) = weight_views(&code.tables, spec.weights);
    let weight_bytes: usize = weights.iter().map(|w| w.bytes).sum();
    let (mut inputs, outputs) = (io_views(g, &code.inputs), io_views(g, &code.outputs));
    let mut stages: Vec<StageView> = code.stages.iter().map(|s| stage_view(g, spec, s)).collect();
    let intake = inputs.iter_mut().flat_map(|t| t.intake.iter_mut());
    let staged = stages
        .iter_mut()
        .flat_map(|s| s.steps.iter_mut().flat_map(|st| st.calls.iter_mut()));
    let param_blocks = share_param_blocks(intake.chain(staged));
    let links = |ls: &[LinkCode]| -> Vec<LinkView> {
        ls.iter()
            .map(|l| link_view(g, spec.device_names, l))
            .collect()
    };
    let (rx, tx) = (links(&code.rx), links(&code.tx));
    let dev = spec.device;
    let ctx = minijinja::context! {
        device => dev,
        DEVICE => dev.to_ascii_uppercase(),
        device_id => spec.device_id,
        model => c_comment(spec.model),
        arena_bytes => spec.plan.arena_bytes,
        arena_floats => (spec.plan.arena_bytes / 4).max(1),
        lower_bound_bytes => spec.plan.lower_bound_bytes,
        inputs => view(&inputs),
        outputs => view(&outputs),
        stages => view(&stages),
        param_blocks => view(&param_blocks),
        weights => view(&weights),
        weight_bytes => weight_bytes,
        sources => sources,
        blob_file => (spec.weights == Weights::Blob).then(|| blob_file(dev)),
        weights_file => weights_source(spec.weights).0,
        has_link => has_link,
        has_rx => !rx.is_empty(),
        rx => view(&rx),
        tx => view(&tx),
        has_s8 => uses_s8(code),
    };
    let mut files = render_templates(dev, &ctx, has_link, spec.weights)?;
    if let Some(bytes) = blob {
        files.push(File {
            path: format!("{dev}/{}", blob_file(dev)),
            contents: String::new(),
            binary: Some(bytes),
        });
    }
    if has_link {
        files.push(File::text(
            format!("{dev}/meshnn_config.h"),
            config_header(link, deployment)?,
        ));
    }
    files.extend(runtime_files(dev, runtime)?);
    Ok(files)
}

/// `meshnn_config.h`: the link settings of a deployment for the C link layer.
pub fn config_header(link: &crate::deploy::Link, deployment: &str) -> Result<String, EmitError> {
    let cfg = minijinja::context! {
        deployment => c_comment(deployment),
        mtu_bytes => link.mtu_bytes as usize,
        deadline_us => link.deadline_us,
        down_after => link.down_after,
        probe_us => link.probe_us,
        auth => link.auth == crate::link::Auth::Ascon128,
    };
    render(&templates::environment(), "c/meshnn_config.h.j2", &cfg)
}

/// The C link layer's runtime files (headers, then sources), for a folder that has the
/// link without a device's kernels (the Rust devices' wire HAL in the host harness).
pub fn link_runtime_files() -> Vec<String> {
    let mut names: Vec<String> = vec![
        "meshnn.h".into(),
        "meshnn_link.h".into(),
        "mn_ascon.h".into(),
    ];
    names.push(kernel_file("mn_link"));
    names.extend(kernel_deps("mn_link").iter().map(|k| kernel_file(k)));
    names.push(kernel_file("mn_link_wire"));
    names
}

/// Runtime files `names`, copied into folder `dir`.
pub fn copy_runtime(dir: &str, names: Vec<String>) -> Result<Vec<File>, EmitError> {
    runtime_files(dir, names)
}

/// The weight blob of device `dev` (named after it: a harness assembles every device's
/// `weights.S` with one include path per device folder).
fn blob_file(dev: &str) -> String {
    format!("weights_{dev}.bin")
}

/// The file that defines the weights: assembler placing the blob, or C literals.
fn weights_source(weights: Weights) -> (&'static str, &'static str) {
    match weights {
        Weights::Blob => ("weights.S", "c/weights.S.j2"),
        Weights::C => ("weights.c", "c/weights.c.j2"),
    }
}

/// The sources to compile (generated, then runtime) and the runtime files to copy.
fn source_files(code: &DeviceCode, has_link: bool, weights: Weights) -> (Vec<String>, Vec<String>) {
    let mut runtime: Vec<String> = vec!["meshnn.h".into(), "mn_kernels.h".into()];
    let mut sources: Vec<String> = vec!["model.c".into(), weights_source(weights).0.into()];
    let mut kernels = code.kernels.clone();
    if has_link {
        sources.push("link_glue.c".into());
        runtime.push("meshnn_link.h".into());
        runtime.push("mn_ascon.h".into());
        kernels.insert("mn_link");
    }
    let deps: Vec<&'static str> = kernels
        .iter()
        .flat_map(|k| kernel_deps(k))
        .copied()
        .collect();
    kernels.extend(deps);
    for k in &kernels {
        let f = kernel_file(k);
        sources.push(f.clone());
        runtime.push(f);
    }
    if uses_s8(code) {
        runtime.insert(2, "mn_kernels_s8.h".into());
    }
    runtime.extend(templates::internal_headers(&runtime));
    if uses_s8(code) {
        // mn_kernels_s8_internal.h includes its sibling mn_kernels_internal.h.
        runtime.push("internal/mn_kernels_internal.h".into());
        dedup_keep_order(&mut runtime);
    }
    (sources, runtime)
}

/// Whether the device calls int8 kernels (then `mn_kernels_s8.h` and its internal
/// headers go along, and model.c and weights.h include it).
fn uses_s8(code: &DeviceCode) -> bool {
    code.kernels.iter().any(|k| k.ends_with("_s8"))
}

/// Drops repeated names, keeping the first.
fn dedup_keep_order(names: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
}

/// model.h, model.c, weights.h, weights.S or weights.c, Makefile, CMakeLists.txt (and
/// link_glue.c).
fn render_templates(
    dev: &str,
    ctx: &minijinja::Value,
    has_link: bool,
    weights: Weights,
) -> Result<Vec<File>, EmitError> {
    let env = templates::environment();
    let mut names = vec![
        ("model.h", "c/model.h.j2"),
        ("model.c", "c/model.c.j2"),
        ("weights.h", "c/weights.h.j2"),
        weights_source(weights),
        ("Makefile", "c/Makefile.j2"),
        ("CMakeLists.txt", "c/CMakeLists.txt.j2"),
    ];
    if has_link {
        names.push(("link_glue.c", "c/link_glue.c.j2"));
    }
    names
        .into_iter()
        .map(|(file, template)| {
            Ok(File::text(
                format!("{dev}/{file}"),
                render(&env, template, ctx)?,
            ))
        })
        .collect()
}

/// The runtime files (headers and kernel sources), copied into the device folder.
fn runtime_files(dev: &str, names: Vec<String>) -> Result<Vec<File>, EmitError> {
    names
        .into_iter()
        .map(|f| {
            let contents =
                templates::runtime_file(&f).ok_or_else(|| EmitError::MissingRuntime(f.clone()))?;
            Ok(File::text(format!("{dev}/{f}"), contents.to_string()))
        })
        .collect()
}

/// The views of a device's constant tables, and with `Weights::Blob` their bytes (the
/// initialiser rows of `Weights::C` are not formatted then).
fn weight_views(tables: &[ConstTable], weights: Weights) -> (Vec<WeightView>, Option<Vec<u8>>) {
    match weights {
        Weights::C => (tables.iter().map(|t| weight_view(t, true)).collect(), None),
        Weights::Blob => {
            let (bytes, slots) = weight_blob(tables);
            let views = tables
                .iter()
                .zip(slots)
                .map(|(t, slot)| WeightView {
                    offset: slot.offset,
                    span: slot.span,
                    ..weight_view(t, false)
                })
                .collect();
            (views, Some(bytes))
        }
    }
}

fn weight_view(t: &ConstTable, with_rows: bool) -> WeightView {
    let (ctype, n, rows) = match &t.values {
        TableValues::F32(v) => (
            "float",
            v.len(),
            if with_rows { float_rows(v) } else { vec![] },
        ),
        TableValues::I32(v) => ("int32_t", v.len(), int_rows(v, with_rows)),
        TableValues::I8(v) => ("int8_t", v.len(), int_rows(v, with_rows)),
    };
    WeightView {
        symbol: t.symbol.clone(),
        ctype,
        count: n.max(1),
        comment: c_comment(&t.comment),
        rows,
        bytes: t.values.bytes(),
        offset: 0,
        span: 0,
    }
}

/// Initialiser rows of integers (none without `with_rows`).
fn int_rows<T: ToString>(v: &[T], with_rows: bool) -> Vec<String> {
    let items = if with_rows {
        v.iter().map(|x| x.to_string()).collect()
    } else {
        vec![]
    };
    rows_of(items)
}

fn io_views(g: &Graph, ts: &[IoTensor]) -> Vec<IoView> {
    // Intake calls read the caller's input and no received tensor.
    let no_rx = |_: usize| String::from("0");
    ts.iter()
        .map(|io| {
            let tensor = &g.tensors[io.tensor];
            IoView {
                name: c_comment(&tensor.name),
                ident: io.ident.clone(),
                numel: tensor.numel().max(1),
                count: tensor.numel(),
                bytes: tensor.numel() * io.dtype.size_bytes(),
                shape: shape_str(&tensor.shape),
                ptr: super::c_syntax::pointer(&io.buf),
                ctype: match io.dtype {
                    DType::I8 => "int8_t",
                    DType::U8 => "uint8_t",
                    _ => "float",
                },
                flip: io.dtype == DType::U8,
                intake: io
                    .intake
                    .iter()
                    .map(|c| call_view(c, &no_rx, format!("input '{}'", c_comment(&tensor.name))))
                    .collect(),
            }
        })
        .collect()
}

fn stage_view(g: &Graph, spec: &DeviceSpec, s: &StageCode) -> StageView {
    let tname = |t: TensorId| c_comment(&g.tensors[t].name);
    let rx_names = |ks: &[usize]| ks.iter().map(|&k| tname(spec.rx[k].tensor)).collect();
    let tx_names =
        |ks: &[usize]| -> Vec<String> { ks.iter().map(|&k| tname(spec.tx[k].tensor)).collect() };
    let arrived = |k: usize| {
        format!(
            "meshnn_{}_link_state({k}) == MESHNN_RX_COMPLETE",
            spec.device
        )
    };
    let steps = s
        .steps
        .iter()
        .map(|step| StepView {
            comment: c_comment(&super::step_summary(g, step.node)),
            calls: step
                .calls
                .iter()
                .map(|c| call_view(c, &arrived, c_comment(&g.nodes[step.node].name)))
                .collect(),
            sends: step.sends.clone(),
            sends_names: tx_names(&step.sends),
        })
        .collect();
    StageView {
        waits: s.waits.clone(),
        waits_names: rx_names(&s.waits),
        sends_first: s.sends_first.clone(),
        sends_first_names: tx_names(&s.sends_first),
        steps,
    }
}

fn call_view(c: &Call, arrived: &impl Fn(usize) -> String, user: String) -> CallView {
    let (args, pre) = operands(&c.args, arrived);
    CallView {
        kernel: c.kernel,
        params_type: c.params.as_ref().map_or("", |p| p.ty),
        params_init: c
            .params
            .as_ref()
            .map_or(String::new(), |p| initialiser(&p.fields)),
        user,
        args,
        pre,
    }
}

/// Names the parameter blocks of `calls` (`params_0`, `params_1`, ... in order of first
/// use) and puts each block's address first in its calls' arguments. Identical blocks
/// are one block: the K students of a NoNN model repeat every layer's geometry K times,
/// and C keeps distinct `static const` objects apart in flash.
fn share_param_blocks<'a>(calls: impl Iterator<Item = &'a mut CallView>) -> Vec<ParamBlockView> {
    let mut blocks: Vec<ParamBlockView> = Vec::new();
    let mut index: std::collections::HashMap<(&'static str, String), usize> =
        std::collections::HashMap::new();
    for c in calls.filter(|c| !c.params_type.is_empty()) {
        let key = (c.params_type, c.params_init.clone());
        let k = *index.entry(key).or_insert_with(|| {
            blocks.push(ParamBlockView {
                ty: c.params_type,
                name: format!("params_{}", blocks.len()),
                init: c.params_init.clone(),
                users: Vec::new(),
            });
            blocks.len() - 1
        });
        let users = &mut blocks[k].users;
        if users.last() != Some(&c.user) {
            users.push(c.user.clone());
        }
        c.args.insert(0, format!("&{}", blocks[k].name));
    }
    for b in &mut blocks {
        if b.users.len() > MAX_USERS_NAMED {
            let more = b.users.len() - MAX_USERS_NAMED + 1;
            b.users.truncate(MAX_USERS_NAMED - 1);
            b.users.push(format!("and {more} more"));
        }
    }
    blocks
}

/// How many users a shared parameter block's comment names at most.
const MAX_USERS_NAMED: usize = 6;

fn link_view(g: &Graph, device_names: &[String], l: &LinkCode) -> LinkView {
    let name_of = |p: &usize| device_names.get(*p).cloned();
    LinkView {
        id: l.id,
        name: c_comment(&g.tensors[l.tensor].name),
        bytes: l.bytes,
        frags: l.frags,
        offset: l.offset,
        peer: l.peers.first().copied().unwrap_or(0),
        peer_name: l.peers.first().and_then(name_of).unwrap_or_default(),
        peers: l.peers.clone(),
        peer_names: l.peers.iter().filter_map(name_of).collect(),
        fallback: match l.fallback {
            Fallback::Hold => "MN_FALLBACK_HOLD",
            Fallback::Mean => "MN_FALLBACK_MEAN",
            Fallback::Zero => "MN_FALLBACK_ZERO",
        },
        mean_rows: match &l.mean {
            Some(TableValues::F32(m)) => float_rows(m),
            Some(TableValues::I8(m)) => int_rows(m, true),
            _ => vec![],
        },
        elem_type: if l.zero_point.is_some() {
            "int8_t"
        } else {
            "float"
        },
        elems: l.elems(),
        zero_point: l.zero_point,
    }
}
