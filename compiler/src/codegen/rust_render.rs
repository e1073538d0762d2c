//! The Rust renderer: formats a lowered [`DeviceCode`] as a `no_std` crate
//! (`DIR/<device>/Cargo.toml`, `src/lib.rs`, `src/weights.bin`) through the templates in
//! `templates/rust/`, and copies the Rust runtime (`runtime-rs/`) into
//! `DIR/meshnn-runtime/`. Only formatting happens here; every decision was made by
//! lowering. Operands become arena views by their role ([`roles`]): the spans a call
//! writes are borrowed mutably and the spans it reads shared, through
//! `meshnn_runtime::arena::split`.
//!
//! The code is printed the way rustfmt prints it (struct literals one field per line,
//! calls broken one argument per line past rustfmt's widths), so `cargo fmt --check`
//! passes on a generated crate; `compiler/tests/rust_backend.rs` checks it.

use super::blob::weight_blob;
use super::device::{ConstTable, DeviceCode, IoTensor, LinkCode, StageCode, TableValues};
use super::lower::roles::{roles, Role};
use super::lower::{Arg, Buf, Call};
use super::rust_syntax::{comment, field_names, float_lit, kernel_name, module_of, params_expr};
use super::{render, templates, view, DeviceSpec, EmitError, File};
use crate::deploy::Fallback;
use crate::ir::{DType, Graph, TensorId};
use serde::Serialize;

/// Where the generated crates find `meshnn-runtime`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RuntimeSource {
    /// The copy in `DIR/meshnn-runtime/` (a path dependency; the folder is
    /// self-contained).
    #[default]
    Bundled,
    /// A published version (`--runtime-version`): `meshnn-runtime = "<v>"`.
    Version(String),
    /// A runtime source folder (absolute path; the tests use the repository's
    /// `runtime-rs/`, so every generated crate shares one compiled runtime).
    Path(String),
}

/// Why `--runtime-path DIR` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuntimePathError {
    #[error("--runtime-path {dir}: {why}; pass the meshnn-runtime source folder (the repository's runtime-rs/)")]
    NotARuntime { dir: String, why: String },
}

impl RuntimeSource {
    /// `--runtime-path DIR`: the crates depend on the meshnn-runtime source folder `dir`
    /// (made absolute, so it works from any output folder; with one `$CARGO_TARGET_DIR`
    /// every build shares one compiled runtime). Checked: a folder whose Cargo.toml names
    /// the package `meshnn-runtime`, and a UTF-8 path that needs no escape in TOML.
    pub fn local(dir: &std::path::Path) -> Result<Self, RuntimePathError> {
        let bad = |why: String| RuntimePathError::NotARuntime {
            dir: dir.display().to_string(),
            why,
        };
        let abs = dir
            .canonicalize()
            .map_err(|e| bad(format!("cannot open it: {e}")))?;
        let text = abs
            .to_str()
            .filter(|t| !t.chars().any(|c| c.is_control() || c == '"' || c == '\\'))
            .ok_or_else(|| bad("the path has characters a Cargo.toml cannot hold".into()))?;
        let manifest = std::fs::read_to_string(abs.join("Cargo.toml"))
            .map_err(|e| bad(format!("no readable Cargo.toml in it ({e})")))?;
        if !manifest
            .lines()
            .any(|l| l.trim() == "name = \"meshnn-runtime\"")
        {
            return Err(bad(
                "its Cargo.toml is not the meshnn-runtime package".into()
            ));
        }
        Ok(RuntimeSource::Path(text.to_string()))
    }
}

/// The folder of the bundled runtime, next to the device crates.
pub const RUNTIME_DIR: &str = "meshnn-runtime";

#[derive(Serialize)]
struct IoView {
    name: String,
    field: String,
    numel: usize,
    /// Element type in the I/O struct (`f32`, or `i8` / `u8` for a quantised output).
    ty: &'static str,
    /// Statement copying it in (`begin`) or out (`poll`); empty for an empty tensor.
    copy: String,
}

#[derive(Serialize)]
struct TableView {
    ident: String,
    offset: usize,
    count: usize,
    comment: String,
}

/// How generated code reads a constant table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TableKind {
    F32,
    I32,
    /// int8 values, how many.
    I8(usize),
}

fn table_kind(v: &TableValues) -> TableKind {
    match v {
        TableValues::F32(_) => TableKind::F32,
        TableValues::I32(_) => TableKind::I32,
        TableValues::I8(v) => TableKind::I8(v.len()),
    }
}

#[derive(Serialize)]
struct StageView {
    waits: Vec<usize>,
    comment: String,
    /// Whether its steps send (then its function takes the HAL).
    sends: bool,
    /// The body of its function, indented, one statement or block per item.
    body: Vec<String>,
}

#[derive(Serialize)]
struct RxView {
    init: String,
    comment: String,
    mean: Option<MeanView>,
}

#[derive(Serialize)]
struct MeanView {
    ident: String,
    ty: &'static str,
    count: usize,
    rows: Vec<String>,
}

/// The files of one Rust device crate (`<device>/...`).
pub fn render_device(
    g: &Graph,
    spec: &DeviceSpec,
    code: &DeviceCode,
    link: &crate::deploy::Link,
    deployment: &str,
    runtime: &RuntimeSource,
) -> Result<Vec<File>, EmitError> {
    render_files(g, spec, code, link, deployment, runtime, false)
}

/// One Rust device as a module for a build script's `OUT_DIR` (`meshnn::Build`):
/// `meshnn_<device>.rs` (an inline `pub mod meshnn_<device>` without crate-level
/// attributes, to `include!`) and `meshnn_<device>.weights.bin`, which it includes from
/// `OUT_DIR`. The code is the crate's.
pub fn render_module(
    g: &Graph,
    spec: &DeviceSpec,
    code: &DeviceCode,
    link: &crate::deploy::Link,
    deployment: &str,
) -> Result<Vec<File>, EmitError> {
    let runtime = RuntimeSource::Bundled;
    render_files(g, spec, code, link, deployment, &runtime, true)
}

/// The crate's files (`module` false) or the module's (true).
fn render_files(
    g: &Graph,
    spec: &DeviceSpec,
    code: &DeviceCode,
    link: &crate::deploy::Link,
    deployment: &str,
    runtime: &RuntimeSource,
    module: bool,
) -> Result<Vec<File>, EmitError> {
    let dev = spec.device;
    let tables = table_views(dev, &code.tables);
    let idents: Vec<(String, String)> = code
        .tables
        .iter()
        .zip(&tables)
        .map(|(t, v)| (t.symbol.clone(), v.ident.clone()))
        .collect();
    let kinds: Vec<(String, TableKind)> = code
        .tables
        .iter()
        .map(|t| (t.symbol.clone(), table_kind(&t.values)))
        .collect();
    let kind_of = |sym: &str| -> TableKind {
        kinds
            .iter()
            .find(|(s, _)| s == sym)
            .map_or(TableKind::F32, |(_, k)| *k)
    };
    let table_of = |sym: &str| -> String {
        idents
            .iter()
            .find(|(s, _)| s == sym)
            .map_or_else(|| sym.to_string(), |(_, i)| i.clone())
    };
    let cx = Render {
        g,
        spec,
        code,
        table_of: &table_of,
        kind_of: &kind_of,
        copy_floats: std::cell::Cell::new(0),
    };
    let has_link = !code.rx.is_empty() || !code.tx.is_empty();
    let stages = code
        .stages
        .iter()
        .enumerate()
        .map(|(k, s)| cx.stage_view(k, s))
        .collect::<Result<Vec<_>, _>>()?;
    let rx: Vec<RxView> = code
        .rx
        .iter()
        .enumerate()
        .map(|(k, l)| rx_view(g, spec, k, l))
        .collect();
    let states: Vec<String> = (0..code.rx.len())
        .map(|k| format!("self.link.state(&LINK_TABLE, {k})"))
        .collect();
    let states_head = format!("{}let states = ", pad(12));
    let got: usize = code.rx.iter().map(|l| l.frags.div_ceil(8)).sum();
    let hold: usize = code
        .rx
        .iter()
        .filter(|l| l.fallback == Fallback::Hold)
        .map(|l| l.floats())
        .sum();
    let arrived_used = code
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .flat_map(|s| &s.calls)
        .flat_map(|c| &c.args)
        .any(|a| matches!(a, Arg::Arrived(v) if v.iter().any(|(_, r)| r.is_some())));
    let ctx = minijinja::context! {
        device => dev,
        package => format!("meshnn-{dev}"),
        device_id => spec.device_id,
        model => comment(spec.model),
        deployment => comment(deployment),
        arena_bytes => spec.plan.arena_bytes,
        arena_floats => (spec.plan.arena_bytes / 4).max(1),
        copy_floats => cx.copy_floats.get(),
        lower_bound_bytes => spec.plan.lower_bound_bytes,
        inputs => view(&cx.io_views(&code.inputs, true)?),
        outputs => view(&cx.io_views(&code.outputs, false)?),
        stages => view(&stages),
        tables => view(&tables),
        has_s8 => code.kernels.iter().any(|k| k.ends_with("_s8")),
        // `kernels` is imported when the code names it (int8 pooling names its kinds).
        uses_kernels => !code.kernels.iter().any(|k| k.ends_with("_s8"))
            || code.kernels.iter().any(|k| !k.ends_with("_s8"))
            || stages.iter().flat_map(|s| &s.body).any(|b| b.contains("kernels::")),
        has_link => has_link,
        has_rx => !code.rx.is_empty(),
        rx => view(&rx),
        rx_states => list(12, states_head.len() + 1, &states),
        arrived_used => arrived_used,
        got => got,
        hold => hold,
        mtu => link.mtu_bytes,
        auth => link.auth == crate::link::Auth::Ascon128,
        deadline_us => link.deadline_us,
        probe_us => link.probe_us,
        down_after => link.down_after,
        runtime_dep => runtime_dependency(runtime),
        module => module,
    };
    let env = templates::environment();
    let lib = render(&env, "rust/lib.rs.j2", &ctx)?;
    let (mut files, weights) = if module {
        let lib = File::text(format!("meshnn_{dev}.rs"), lib);
        (vec![lib], format!("meshnn_{dev}.weights.bin"))
    } else {
        let cargo = render(&env, "rust/Cargo.toml.j2", &ctx)?;
        let files = vec![
            File::text(format!("{dev}/Cargo.toml"), cargo),
            File::text(format!("{dev}/src/lib.rs"), lib),
        ];
        (files, format!("{dev}/src/weights.bin"))
    };
    if !code.tables.is_empty() {
        files.push(File {
            path: weights,
            contents: String::new(),
            binary: Some(weight_blob(&code.tables).0),
        });
    }
    Ok(files)
}

/// The files of the bundled runtime (`DIR/meshnn-runtime/...`), once per output folder.
pub fn runtime_files() -> Vec<File> {
    templates::RUNTIME_RS_FILES
        .iter()
        .map(|(path, text)| File::text(format!("{RUNTIME_DIR}/{path}"), text.to_string()))
        .collect()
}

/// The `meshnn-runtime` line of a device crate's `[dependencies]`.
pub fn runtime_dependency(runtime: &RuntimeSource) -> String {
    match runtime {
        RuntimeSource::Bundled => format!("{{ path = \"../{RUNTIME_DIR}\" }}"),
        RuntimeSource::Version(v) => format!("{v:?}"),
        RuntimeSource::Path(p) => format!("{{ path = {p:?} }}"),
    }
}

fn table_views(dev: &str, tables: &[ConstTable]) -> Vec<TableView> {
    let (_, slots) = weight_blob(tables);
    tables
        .iter()
        .zip(slots)
        .map(|(t, slot)| TableView {
            ident: table_ident(dev, &t.symbol),
            offset: slot.offset,
            // 4-byte words (`weights::Table`).
            count: t.values.bytes().div_ceil(4),
            comment: comment(&t.comment),
        })
        .collect()
}

/// `meshnn_main_w_conv1_weight` of device `main` is `W_CONV1_WEIGHT` (symbols are lower
/// case and unique, so the upper-case names are unique too).
fn table_ident(dev: &str, symbol: &str) -> String {
    let rest = symbol
        .strip_prefix(&format!("meshnn_{dev}_"))
        .unwrap_or(symbol);
    rest.to_ascii_uppercase()
}

fn rx_view(g: &Graph, spec: &DeviceSpec, k: usize, l: &LinkCode) -> RxView {
    let mean = l.mean.as_ref().filter(|_| l.fallback == Fallback::Mean);
    let fallback = match l.fallback {
        Fallback::Hold => "Fallback::Hold".to_string(),
        Fallback::Mean if l.zero_point.is_some() && mean.is_some() => {
            format!("Fallback::MeanI8(&MEAN_{k})")
        }
        Fallback::Mean if mean.is_some() => format!("Fallback::Mean(&MEAN_{k})"),
        _ => "Fallback::Zero".to_string(),
    };
    let peer = l.peers.first().copied().unwrap_or(0);
    let int8 = l
        .zero_point
        .map_or(String::new(), |zp| format!(".int8({zp})"));
    RxView {
        init: format!(
            "Rx::new({}, {peer}, {}, {}, {fallback}){int8}",
            l.id, l.bytes, l.offset
        ),
        comment: format!(
            "'{}' from {}",
            comment(&g.tensors[l.tensor].name),
            spec.device_names.get(peer).cloned().unwrap_or_default()
        ),
        mean: mean.map(|m| mean_view(k, m)),
    }
}

/// The calibration means of received tensor `k` as a Rust array: `f32`, or `i8`
/// quantised like an int8 tensor.
fn mean_view(k: usize, m: &TableValues) -> MeanView {
    let (ty, items): (&str, Vec<String>) = match m {
        TableValues::I8(v) => ("i8", v.iter().map(|x| x.to_string()).collect()),
        TableValues::F32(v) => ("f32", v.iter().map(|&x| float_lit(x)).collect()),
        _ => ("f32", vec![]),
    };
    MeanView {
        ident: format!("MEAN_{k}"),
        ty,
        count: items.len(),
        rows: items
            .chunks(6)
            .map(|c| format!("{},", c.join(", ")))
            .collect(),
    }
}

/// What formatting a device's steps needs.
struct Render<'a> {
    g: &'a Graph,
    spec: &'a DeviceSpec<'a>,
    code: &'a DeviceCode,
    table_of: &'a dyn Fn(&str) -> String,
    kind_of: &'a dyn Fn(&str) -> TableKind,
    /// Floats of the copy buffer the in-place calls need (the most any one call uses).
    copy_floats: std::cell::Cell<usize>,
}

/// What a call's operands need before the call: the arena spans it writes and reads,
/// and the arrival flags of redundant copies.
#[derive(Default)]
struct Operands {
    outs: Vec<(usize, usize)>,
    ins: Vec<(usize, usize)>,
    flags: Vec<String>,
    /// Every arena span the call writes (known before its inputs are placed).
    written: Vec<(usize, usize)>,
    /// Inputs read from the copy buffer: the arena span and its offset in the buffer.
    copies: Vec<((usize, usize), usize)>,
}

/// The arena spans `c` writes, by its operand roles.
fn written_spans(c: &Call, roles: &[Role]) -> Vec<(usize, usize)> {
    c.args
        .iter()
        .zip(roles)
        .filter(|(_, r)| r.writes())
        .filter_map(|(a, _)| match a {
            Arg::Buf(Buf::Arena { off, len }) | Arg::Buf(Buf::ArenaI8 { off, len, .. }) => {
                Some((*off, *len))
            }
            _ => None,
        })
        .collect()
}

/// Whether two spans share a float.
fn overlap(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.0 + b.1 && b.0 < a.0 + a.1
}

/// Indentation of statements inside a stage function.
const BODY: usize = 8;

impl Render<'_> {
    fn io_views(&self, ts: &[IoTensor], input: bool) -> Result<Vec<IoView>, EmitError> {
        let c_idents: Vec<String> = ts.iter().map(|io| io.ident.clone()).collect();
        ts.iter()
            .zip(field_names(&c_idents))
            .map(|(io, field)| {
                let t = &self.g.tensors[io.tensor];
                let n = t.numel();
                let copy = match (&io.buf, input) {
                    _ if n == 0 => String::new(),
                    // Quantised as it is taken in (the template indents the first line).
                    _ if !io.intake.is_empty() => {
                        let calls: Vec<String> = io
                            .intake
                            .iter()
                            .map(|c| self.call(c))
                            .collect::<Result<_, _>>()?;
                        calls.join("\n").trim_start().to_string()
                    }
                    (Buf::Arena { off, .. }, true) => format!(
                        "self.arena[{off}..{}].copy_from_slice(&inputs.{field});",
                        off + n
                    ),
                    (Buf::Arena { off, .. }, false) => format!(
                        "outputs.{field}.copy_from_slice(&self.arena[{off}..{}]);",
                        off + n
                    ),
                    // A quantised output: int8 in the arena; uint8 with the top bit flipped.
                    (Buf::ArenaI8 { off, len, .. }, false) => {
                        let ind = " ".repeat(12);
                        let q = format!(
                            "let q = meshnn_runtime::arena::i8s(&self.arena[{off}..{}], {n});\n{ind}",
                            off + len
                        );
                        if io.dtype == DType::U8 {
                            format!(
                                "{q}for (o, &v) in outputs.{field}.iter_mut().zip(q) {{\n{ind}    *o = v as u8 ^ 0x80;\n{ind}}}"
                            )
                        } else {
                            format!("{q}outputs.{field}.copy_from_slice(q);")
                        }
                    }
                    (Buf::Const(s), false) => format!(
                        "outputs.{field}.copy_from_slice(WEIGHTS.f32s({}));",
                        (self.table_of)(s)
                    ),
                    _ => String::new(),
                };
                Ok(IoView {
                    name: comment(&format!("'{}' {}", t.name, shape_str(&t.shape))),
                    field,
                    numel: n.max(1),
                    ty: match io.dtype {
                        DType::I8 => "i8",
                        DType::U8 => "u8",
                        _ => "f32",
                    },
                    copy,
                })
            })
            .collect()
    }

    fn stage_view(&self, k: usize, s: &StageCode) -> Result<StageView, EmitError> {
        let tname = |t: TensorId| comment(&self.g.tensors[t].name);
        let mut body = Vec::new();
        for &t in &s.sends_first {
            body.push(self.send(t, "input "));
        }
        for step in &s.steps {
            body.push(format!(
                "{}// {}",
                pad(BODY),
                comment(&super::step_summary(self.g, step.node))
            ));
            for c in &step.calls {
                body.push(self.call(c)?);
            }
            for &t in &step.sends {
                body.push(self.send(t, ""));
            }
        }
        let waits: Vec<String> = s
            .waits
            .iter()
            .map(|&w| tname(self.spec.rx[w].tensor))
            .collect();
        Ok(StageView {
            waits: s.waits.clone(),
            comment: if waits.is_empty() {
                format!("Stage {k}.")
            } else {
                format!("Stage {k}: needs {} from other devices.", waits.join(", "))
            },
            sends: !s.sends_first.is_empty() || s.steps.iter().any(|st| !st.sends.is_empty()),
            body,
        })
    }

    /// Send sent tensor `t` to each of its destinations.
    fn send(&self, t: usize, what: &str) -> String {
        let l = &self.code.tx[t];
        let span = format!("&self.arena[{}..{}]", l.offset, l.offset + l.floats());
        let (send, data) = match l.zero_point {
            Some(_) => (
                "let _ = self.link.send_i8",
                format!("meshnn_runtime::arena::i8s({span}, {})", l.bytes),
            ),
            None => ("let _ = self.link.send", span),
        };
        let name = comment(&self.g.tensors[l.tensor].name);
        let mut lines = vec![format!("{}// send {what}'{name}'", pad(BODY))];
        for d in &l.peers {
            let args = [
                "&LINK_TABLE".to_string(),
                "hal".to_string(),
                d.to_string(),
                l.id.to_string(),
                data.clone(),
            ];
            lines.push(call_stmt(BODY, send, &args, ";"));
        }
        lines.join("\n")
    }

    /// One kernel call as a block: its parameter constant, the arrival flags of
    /// redundant copies, the arena views, the call.
    fn call(&self, c: &Call) -> Result<String, EmitError> {
        let internal = |detail: String| EmitError::Internal(format!("{}: {detail}", c.kernel));
        let roles = roles(c.kernel).ok_or_else(|| internal("no operand roles".into()))?;
        if roles.len() != c.args.len() {
            return Err(internal(format!(
                "{} operands, the kernel takes {}",
                c.args.len(),
                roles.len()
            )));
        }
        let inner = BODY + 4;
        let mut lines = vec![format!("{}{{", pad(BODY))];
        let mut args = Vec::new();
        if let Some(p) = &c.params {
            let expr = params_expr(p.ty, &p.fields);
            let ty = expr.split(' ').next().unwrap_or_default();
            lines.push(struct_const(inner, "P", ty, &expr));
            args.push("&P".to_string());
        }
        let mut ops = Operands {
            written: written_spans(c, roles),
            ..Operands::default()
        };
        for (arg, &role) in c.args.iter().zip(roles) {
            args.extend(self.operand(arg, role, &mut ops).map_err(internal)?);
        }
        for (from, to) in &ops.copies {
            let callee = format!("self.copy[{}..{}].copy_from_slice", to, to + from.1);
            let src = format!("&self.arena[{}..{}]", from.0, from.0 + from.1);
            lines.push(call_stmt(inner, &callee, &[src], ";"));
        }
        let used = ops.copies.iter().map(|(f, to)| to + f.1).max().unwrap_or(0);
        self.copy_floats.set(self.copy_floats.get().max(used));
        if !ops.flags.is_empty() {
            let head = format!("{}let arrived = ", pad(inner));
            lines.push(format!(
                "{head}{};",
                list(inner, head.len() + 1, &ops.flags)
            ));
        }
        if !ops.outs.is_empty() || !ops.ins.is_empty() {
            let names = |p: &str, n: usize| -> String {
                let v: Vec<String> = (0..n).map(|k| format!("{p}{k}")).collect();
                format!("[{}]", v.join(", "))
            };
            let spans = |v: &[(usize, usize)]| -> Vec<String> {
                v.iter().map(|(o, l)| format!("({o}, {l})")).collect()
            };
            let head = format!(
                "let ({}, {}) = split",
                names("o", ops.outs.len()),
                names("i", ops.ins.len())
            );
            let split_args = [
                "&mut self.arena".to_string(),
                list(inner + 4, 0, &spans(&ops.outs)),
                list(inner + 4, 0, &spans(&ops.ins)),
            ];
            lines.push(call_stmt(inner, &head, &split_args, ";"));
        }
        let callee = format!("{}::{}", module_of(c.kernel), kernel_name(c.kernel));
        lines.push(call_stmt(inner, &callee, &args, ";"));
        lines.push(format!("{}}}", pad(BODY)));
        Ok(lines.join("\n"))
    }

    /// The expressions of one operand (two for redundant copies: the copies and their
    /// arrival flags); arena spans and flags are collected into `ops`.
    fn operand(&self, arg: &Arg, role: Role, ops: &mut Operands) -> Result<Vec<String>, String> {
        let wrap = |e: String| {
            if role.optional() {
                format!("Some({e})")
            } else {
                e
            }
        };
        Ok(match arg {
            Arg::Int(i) => vec![i.to_string()],
            Arg::Float(x) => vec![float_lit(*x)],
            Arg::Buf(Buf::Null) if role.optional() => vec!["None".into()],
            Arg::Buf(b) => vec![wrap(self.buf(b, role, ops)?)],
            Arg::Arrived(copies) => {
                let mut xs = Vec::new();
                for (b, rx) in copies {
                    xs.push(self.buf(b, Role::In, ops)?);
                    ops.flags.push(match rx {
                        Some(k) => format!("self.arrived({k})"),
                        None => "1".into(),
                    });
                }
                vec![format!("&[{}]", xs.join(", ")), "&arrived".into()]
            }
        })
    }

    fn buf(&self, b: &Buf, role: Role, ops: &mut Operands) -> Result<String, String> {
        match b {
            Buf::Arena { off, len } if role.writes() => {
                ops.outs.push((*off, *len));
                Ok(format!("o{}", ops.outs.len() - 1))
            }
            // C runs some calls in place (`y = y + x` of a Sum); a Rust input never
            // aliases an output, so it is read from a copy (`Device::copy`).
            Buf::Arena { off, len } if ops.written.iter().any(|&w| overlap(w, (*off, *len))) => {
                let to = ops.copies.iter().map(|(f, to)| to + f.1).max().unwrap_or(0);
                ops.copies.push(((*off, *len), to));
                Ok(format!("&self.copy[{to}..{}]", to + len))
            }
            Buf::Arena { off, len } => {
                ops.ins.push((*off, *len));
                Ok(format!("i{}", ops.ins.len() - 1))
            }
            Buf::ArenaI8 { off, len, bytes } if role.writes() => {
                ops.outs.push((*off, *len));
                Ok(format!("arena::i8s_mut(o{}, {bytes})", ops.outs.len() - 1))
            }
            Buf::ArenaI8 { off, len, .. }
                if ops.written.iter().any(|&w| overlap(w, (*off, *len))) =>
            {
                Err("an int8 input overlaps the call's output".into())
            }
            Buf::ArenaI8 { off, len, bytes } => {
                ops.ins.push((*off, *len));
                Ok(format!("arena::i8s(i{}, {bytes})", ops.ins.len() - 1))
            }
            Buf::Input { index, .. } if !role.writes() => {
                let idents: Vec<String> =
                    self.code.inputs.iter().map(|io| io.ident.clone()).collect();
                let fields = field_names(&idents);
                let field = fields.get(*index).ok_or("an input outside the inputs")?;
                Ok(format!("&inputs.{field}"))
            }
            Buf::Const(s) if !role.writes() => {
                let t = (self.table_of)(s);
                Ok(match (self.kind_of)(s) {
                    TableKind::I8(n) => format!("WEIGHTS.i8s({t}, {n})"),
                    TableKind::I32 => format!("WEIGHTS.i32s({t})"),
                    TableKind::F32 if role == Role::Indices => format!("WEIGHTS.i32s({t})"),
                    TableKind::F32 => format!("WEIGHTS.f32s({t})"),
                })
            }
            other => Err(format!("operand {other:?} cannot have role {role:?}")),
        }
    }
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// rustfmt's `fn_call_width`: arguments wider than this go one per line.
const CALL_WIDTH: usize = 60;
/// rustfmt's `struct_lit_width`.
const STRUCT_LIT_WIDTH: usize = 18;
/// rustfmt's `max_width`.
const MAX_WIDTH: usize = 100;

/// `callee(args)` + `end` at `indent`, on one line when rustfmt keeps it there, else one
/// argument per line with a trailing comma.
fn call_stmt(indent: usize, callee: &str, args: &[String], end: &str) -> String {
    let joined = args.join(", ");
    let one = format!("{}{callee}({joined}){end}", pad(indent));
    let fits = joined.len() <= CALL_WIDTH && !joined.contains('\n');
    if fits && one.len() <= MAX_WIDTH {
        return one;
    }
    // `let x = f(..)` too long: rustfmt moves a right-hand side that then fits on one
    // line to the next line.
    if let Some((lhs, rhs)) = callee.split_once(" = ") {
        let next = format!("{}{rhs}({joined}){end}", pad(indent + 4));
        if fits && next.len() <= MAX_WIDTH {
            return format!("{}{lhs} =\n{next}", pad(indent));
        }
    }
    let mut s = format!("{}{callee}(\n", pad(indent));
    for a in args {
        s.push_str(&format!("{}{a},\n", pad(indent + 4)));
    }
    s.push_str(&format!("{}){end}", pad(indent)));
    s
}

/// `[a, b]` on one line when rustfmt keeps it there (`array_width`: 60, and the line of
/// `used` characters before it within `max_width`), else one item per line, the items at
/// `indent + 4` and the `]` at `indent`.
fn list(indent: usize, used: usize, items: &[String]) -> String {
    let joined = items.join(", ");
    if joined.len() <= CALL_WIDTH && used + joined.len() + 3 <= MAX_WIDTH {
        return format!("[{joined}]");
    }
    let mut s = "[\n".to_string();
    for it in items {
        s.push_str(&format!("{}{it},\n", pad(indent + 4)));
    }
    s.push_str(&format!("{}]", pad(indent)));
    s
}

/// `const NAME: Ty = Ty { a: 1, .. };` with one field per line (rustfmt's layout of any
/// struct literal wider than its `struct_lit_width`, 18 characters).
fn struct_const(indent: usize, name: &str, ty: &str, expr: &str) -> String {
    format!(
        "{}const {name}: {ty} = {};",
        pad(indent),
        vertical_struct(indent, expr)
    )
}

/// A struct expression `Ty { a: 1, b: Ty2 { .. } }` laid out one field per line.
fn vertical_struct(indent: usize, expr: &str) -> String {
    let Some(open) = expr.find(" { ") else {
        return expr.to_string();
    };
    let (ty, inner) = (&expr[..open], &expr[open + 3..expr.len() - 2]);
    if inner.len() <= STRUCT_LIT_WIDTH && !inner.contains('{') {
        return expr.to_string(); // rustfmt keeps a short literal on one line
    }
    let mut s = format!("{ty} {{\n");
    for field in split_fields(inner) {
        let (name, value) = field.split_once(": ").unwrap_or((field, ""));
        let value = if value.contains(" { ") {
            vertical_struct(indent + 4, value)
        } else {
            value.to_string()
        };
        s.push_str(&format!("{}{name}: {value},\n", pad(indent + 4)));
    }
    s.push_str(&format!("{}}}", pad(indent)));
    s
}

/// The top-level `a: 1, b: [1, 2], c: T { .. }` fields of a struct expression.
fn split_fields(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        out.push(s[start..].trim());
    }
    out
}

/// `[1x3x32]`.
fn shape_str(shape: &[usize]) -> String {
    super::c_syntax::shape_str(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_calls_break_like_rustfmt() {
        let args: Vec<String> = vec!["&P".into(), "i0".into(), "o0".into()];
        assert_eq!(
            call_stmt(12, "kernels::relu", &args, ";"),
            "            kernels::relu(&P, i0, o0);"
        );
        let long: Vec<String> = (0..6).map(|k| format!("WEIGHTS.f32s(TABLE_{k})")).collect();
        let s = call_stmt(4, "f", &long, ";");
        assert!(
            s.starts_with("    f(\n        WEIGHTS.f32s(TABLE_0),\n"),
            "{s}"
        );
        assert!(s.ends_with(",\n    );"), "{s}");
    }

    #[test]
    fn struct_constants_are_vertical() {
        let s = struct_const(
            0,
            "P",
            "kernels::A",
            "kernels::A { n: 1, k: [1, 2], act: kernels::Act { kind: kernels::ACT_NONE } }",
        );
        assert_eq!(
            s,
            "const P: kernels::A = kernels::A {\n    n: 1,\n    k: [1, 2],\n    act: kernels::Act {\n        kind: kernels::ACT_NONE,\n    },\n};"
        );
        assert_eq!(
            table_ident("main", "meshnn_main_w_conv1_weight"),
            "W_CONV1_WEIGHT"
        );
        assert_eq!(table_ident("wrist_l", "meshnn_wrist_l_i_idx"), "I_IDX");
    }
}
