//! `meshnn bench`: time the generated C (or Rust: `--lang rust`) against onnxruntime on
//! this computer.
//!
//! One call compiles the model, builds the host harness with optimising flags
//! ([`BENCH_CFLAGS`]; Rust devices with `bench_rustflags`, and then the all-C build of
//! the same deployment too, timed in the same rounds, so the report gives Rust over C),
//! times `runs` inferences (median and minimum) and onnxruntime with
//! one thread on the same inputs through Python (`bench_ort.py`, with the Python call
//! overhead measured on an Identity model and subtracted), in alternating rounds so both
//! see the same machine load, counts instructions per
//! multiply-accumulate under callgrind when valgrind is installed, and reports the arena
//! against its lower bound. A missing onnxruntime or valgrind is a note, not an error.

use crate::deploy::Lang;
use crate::driver::{self, EmitOptions};
use crate::npy;
use crate::tools::host_build::{self, HostBuild, IoFiles};
use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// Flags added to [`host_build::HOST_CFLAGS`] for timing (a later `-O3` overrides `-O2`).
/// `-ffp-contract=fast` lets the compiler fuse multiply-adds, which ISO C mode
/// (`-std=c99`) otherwise forbids in GCC; the randomised fast-vs-reference test bounds
/// the rounding difference.
pub const BENCH_CFLAGS: &[&str] = &["-O3", "-march=native", "-ffp-contract=fast"];

/// RUSTFLAGS of the Rust devices' timed build: the host CPU, as the C's `-march=native`.
/// On x86-64 also `-prefer-256-bit`: on AVX-512 CPUs LLVM otherwise keeps to 256-bit
/// vectors where GCC's `-march=native` build uses 512-bit ones (no effect elsewhere).
/// With the host's `fma` feature the runtime's hot loops fuse their multiply-adds
/// (`meshnn-runtime`'s `kernels::madd`), as the C build's `-ffp-contract=fast` does.
fn bench_rustflags() -> Vec<&'static str> {
    let mut f = vec!["-C", "target-cpu=native"];
    if cfg!(target_arch = "x86_64") {
        f.extend(["-C", "target-feature=-prefer-256-bit"]);
    }
    f
}

/// valgrind (3.19) cannot decode AVX-512 nor the VEX-encoded AVX-VNNI dot products GCC
/// vectorises the int8 kernels' plain loops into, so the callgrind build leaves both out
/// on x86-64 (GCC >= 11 and Clang >= 12 know `-mno-avxvnni`).
fn callgrind_cflags() -> Vec<&'static str> {
    let mut f = BENCH_CFLAGS.to_vec();
    if cfg!(target_arch = "x86_64") {
        f.extend(["-mno-avx512f", "-mno-avxvnni"]);
    }
    f
}

/// The callgrind build's RUSTFLAGS: AVX-512 left out on x86-64, as in the C.
fn callgrind_rustflags() -> Vec<&'static str> {
    let mut f = vec!["-C", "target-cpu=native"];
    if cfg!(target_arch = "x86_64") {
        f.extend(["-C", "target-feature=-avx512f"]);
    }
    f
}

const ORT_SCRIPT: &str = include_str!("bench_ort.py");

/// Alternating timing rounds (meshnn, then onnxruntime) per benchmark: on a shared
/// machine a slow spell can last a whole round, and the median of 9 round medians
/// survives four such rounds.
const ROUNDS: u64 = 9;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One onnxruntime timing round: (median, min, overhead median, overhead min, version),
/// or why it could not run.
fn ort_round(
    script: &Path,
    model: &Path,
    runs: u64,
    warmup: u64,
    feeds: &[String],
) -> Result<(f64, f64, f64, f64, String), String> {
    let o = Command::new("python3")
        .arg(script)
        .arg(model)
        .arg(runs.to_string())
        .arg(warmup.to_string())
        .args(feeds)
        .output()
        .map_err(|e| format!("cannot run python3 ({e}); install Python 3 with onnxruntime"))?;
    let text = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).map_err(|_| {
        format!(
            "bench_ort.py failed: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )
    })?;
    if let Some(e) = v.get("error") {
        return Err(e.as_str().unwrap_or("unknown error").to_string());
    }
    let f = |k: &str| v.get(k).and_then(|x| x.as_f64());
    match (
        f("median_us"),
        f("min_us"),
        f("overhead_median_us"),
        f("overhead_min_us"),
    ) {
        (Some(a), Some(b), Some(c), Some(d)) => Ok((
            a,
            b,
            c,
            d,
            v.get("onnxruntime")
                .and_then(|x| x.as_str())
                .unwrap_or("?")
                .to_string(),
        )),
        _ => Err("bench_ort.py printed an unexpected report".into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Host(#[from] host_build::HostError),
    #[error(transparent)]
    Npy(#[from] npy::NpyError),
    #[error("bench: {0}")]
    Io(String),
    #[error("--runs {0}: need at least {ROUNDS} timed inferences (one per alternating timing round; the default is 500)")]
    Runs(u64),
}

/// Everything `meshnn bench` measures. Times are microseconds per inference.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub runs: u64,
    pub cc: String,
    pub cflags: String,
    /// `c`, `rust`, or `mixed` (devices in both).
    pub lang: String,
    /// RUSTFLAGS of the Rust devices' build, when some device is Rust.
    pub rustflags: Option<String>,
    pub meshnn_us: f64,
    pub meshnn_min_us: f64,
    #[serde(flatten)]
    pub c_build: CReport,
    #[serde(flatten)]
    pub onnxruntime: OrtReport,
    pub instructions_per_mac: Option<f64>,
    pub callgrind_cflags: Option<String>,
    pub macs: u64,
    #[serde(flatten)]
    pub arenas: Arenas,
    pub notes: Vec<String>,
}

/// onnxruntime's timing (Python overhead subtracted) and how meshnn compares; all
/// `None` when onnxruntime could not be timed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OrtReport {
    pub onnxruntime_us: Option<f64>,
    pub onnxruntime_min_us: Option<f64>,
    pub python_overhead_us: Option<f64>,
    pub onnxruntime_version: Option<String>,
    /// onnxruntime's median over meshnn's median.
    pub speedup_vs_onnxruntime: Option<f64>,
    /// onnxruntime's minimum over meshnn's minimum (steadier on a busy machine).
    pub speedup_min_vs_onnxruntime: Option<f64>,
}

/// The all-C build of the deployment, timed in the same rounds when some device is Rust
/// (the target: Rust within 1.25x of C); all `None` for a C build.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CReport {
    pub c_us: Option<f64>,
    pub c_min_us: Option<f64>,
    /// meshnn's median over the C build's median.
    pub over_c: Option<f64>,
    /// meshnn's minimum over the C build's minimum (steadier on a busy machine).
    pub over_c_min: Option<f64>,
}

/// Every device's arena and their sums.
#[derive(Clone, Debug, Serialize)]
pub struct Arenas {
    /// Sum over the devices.
    pub arena_bytes: usize,
    /// Sum over the devices.
    pub arena_lower_bound_bytes: usize,
    pub devices: Vec<DeviceArena>,
}

/// One device's arena against the lower bound of its schedule (scratch included).
#[derive(Clone, Debug, Serialize)]
pub struct DeviceArena {
    pub device: String,
    pub arena_bytes: usize,
    pub arena_lower_bound_bytes: usize,
}

fn io_err(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Io(format!("{what}: {e}"))
}

/// Deterministic inputs in [-1, 1) (an LCG, so runs compare like with like).
fn inputs(p: &driver::Deployed) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut seed: u32 = 0x2545_f491;
    p.graph
        .inputs
        .iter()
        .map(|&t| {
            let tensor = &p.graph.tensors[t];
            let data = (0..tensor.numel())
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0
                })
                .collect();
            (tensor.name.clone(), tensor.shape.clone(), data)
        })
        .collect()
}

/// Multiply-accumulates of one inference over every device.
fn total_macs(p: &driver::Deployed) -> u64 {
    p.devices
        .iter()
        .flat_map(|d| d.order.iter())
        .map(|&i| crate::ir::cost::macs(&p.graph, &p.graph.nodes[i]))
        .sum()
}

/// Every device's arena against its lower bound, and the sums.
fn arenas(p: &driver::Deployed) -> Arenas {
    let devices: Vec<DeviceArena> = p
        .devices
        .iter()
        .map(|d| DeviceArena {
            device: d.name.clone(),
            arena_bytes: d.plan.arena_bytes,
            arena_lower_bound_bytes: d.plan.lower_bound_bytes,
        })
        .collect();
    Arenas {
        arena_bytes: devices.iter().map(|d| d.arena_bytes).sum(),
        arena_lower_bound_bytes: devices.iter().map(|d| d.arena_lower_bound_bytes).sum(),
        devices,
    }
}

/// The benchmark's inputs: raw float32 files for the harness in `io`, and the same
/// values as `.npy` feeds (`NAME=FILE`) for onnxruntime.
fn write_inputs(p: &driver::Deployed, io: &Path) -> Result<(IoFiles, Vec<String>), BenchError> {
    let inputs = inputs(p);
    let data: Vec<&[f32]> = inputs.iter().map(|(_, _, d)| d.as_slice()).collect();
    let files = IoFiles::write(io, &data, p.graph.outputs.len())?;
    let mut feeds = Vec::new();
    for (i, (name, shape, data)) in inputs.iter().enumerate() {
        let npy_path = io.join(format!("in{i}.npy"));
        npy::write_f32(&npy_path, shape, data)?;
        feeds.push(format!("{name}={}", npy_path.display()));
    }
    Ok((files, feeds))
}

/// onnxruntime's side of the timing: median and minimum (Python overhead subtracted),
/// the overhead's median, the version.
struct OrtTiming {
    median_us: f64,
    min_us: f64,
    overhead_us: f64,
    version: String,
}

/// meshnn's (and the C build's, when timed) and onnxruntime's timings.
struct Timing {
    median_us: f64,
    min_us: f64,
    /// The C build's median and minimum.
    c: Option<(f64, f64)>,
    ort: Option<OrtTiming>,
}

impl Timing {
    /// The C build's side of the report.
    fn c_report(&self) -> CReport {
        let Some((med, min)) = self.c else {
            return CReport::default();
        };
        CReport {
            c_us: Some(med),
            c_min_us: Some(min),
            over_c: Some(self.median_us / med),
            over_c_min: Some(self.min_us / min),
        }
    }

    /// onnxruntime's side of the report.
    fn ort_report(&self) -> OrtReport {
        let Some(o) = &self.ort else {
            return OrtReport::default();
        };
        OrtReport {
            onnxruntime_us: Some(o.median_us),
            onnxruntime_min_us: Some(o.min_us),
            python_overhead_us: Some(o.overhead_us),
            onnxruntime_version: Some(o.version.clone()),
            speedup_vs_onnxruntime: Some(o.median_us / self.median_us),
            speedup_min_vs_onnxruntime: Some(o.min_us / self.min_us),
        }
    }
}

/// meshnn (the optimised harness `build`, and `c_build` when given) and onnxruntime
/// (through Python), timed in [`ROUNDS`] alternating rounds so that all see the same
/// machine load; the median of the per-round medians and the minimum of the minima are
/// reported. A failing onnxruntime adds a note and is not timed again.
fn time_rounds(
    build: &HostBuild,
    c_build: Option<&HostBuild>,
    io: &IoFiles,
    model: &Path,
    feeds: &[String],
    runs: u64,
    notes: &mut Vec<String>,
) -> Result<Timing, BenchError> {
    let script = io.inputs[0].with_file_name("bench_ort.py");
    std::fs::write(&script, ORT_SCRIPT).map_err(|e| io_err("cannot write bench_ort.py", e))?;
    let per_round = runs.div_ceil(ROUNDS).max(1);
    let warmup = (per_round / 10).clamp(1, 100);
    let (mut ours, mut ours_min) = (Vec::new(), f64::INFINITY);
    let (mut c, mut c_min) = (Vec::new(), f64::INFINITY);
    let (mut theirs, mut theirs_min, mut overhead) = (Vec::new(), f64::INFINITY, Vec::new());
    let mut ort_version = None;
    let mut ort_ok = true;
    for _ in 0..ROUNDS {
        let t = time_round(build, io, per_round)?;
        ours.push(t[1]);
        ours_min = ours_min.min(t[2]);
        if let Some(b) = c_build {
            let t = time_round(b, io, per_round)?;
            c.push(t[1]);
            c_min = c_min.min(t[2]);
        }
        if !ort_ok {
            continue;
        }
        match ort_round(&script, model, per_round, warmup, feeds) {
            Ok((med, mn, oh, ohm, ver)) => {
                theirs.push(med - oh);
                theirs_min = theirs_min.min(mn - ohm);
                overhead.push(oh);
                ort_version = Some(ver);
            }
            Err(note) => {
                notes.push(format!("onnxruntime not timed: {note}"));
                ort_ok = false;
            }
        }
    }
    let ort = (ort_ok && !theirs.is_empty()).then(|| OrtTiming {
        median_us: median(&mut theirs),
        min_us: theirs_min,
        overhead_us: median(&mut overhead),
        version: ort_version.unwrap_or_default(),
    });
    // What is left after subtracting the Python call overhead can be noise, even negative,
    // for a tiny model or few runs: no speedup is reported from it.
    let ort = ort.filter(|o| {
        let measurable = o.median_us > 0.0 && o.min_us > 0.0;
        if !measurable {
            notes.push(format!(
                "onnxruntime not compared: its time is within the noise of its Python call overhead ({:.1} us median); use more --runs",
                o.overhead_us
            ));
        }
        measurable
    });
    Ok(Timing {
        median_us: median(&mut ours),
        min_us: ours_min,
        c: c_build.map(|_| (median(&mut c), c_min)),
        ort,
    })
}

/// One round of `runs` timed inferences of `build`: `[mean, median, min]` microseconds.
fn time_round(build: &HostBuild, io: &IoFiles, runs: u64) -> Result<[f64; 3], BenchError> {
    build
        .run_timed(io, runs)?
        .ok_or_else(|| BenchError::Io("the harness printed no timing".into()))
}

/// Instructions per MAC under callgrind, `Ir with 2 timed runs - Ir with 1` (3 and 2
/// inferences: instruction counts do not vary from run to run, so one inference's
/// difference is exact and a large model's callgrind pass stays short), with the flags
/// of that build; `None` with a note when valgrind is missing or fails.
fn instructions_per_mac(
    build: &mut HostBuild,
    io: &IoFiles,
    macs: u64,
    notes: &mut Vec<String>,
) -> Result<Option<(f64, String)>, BenchError> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        notes.push(
            "valgrind not found: instructions per MAC not measured (install valgrind)".into(),
        );
        return Ok(None);
    }
    let flags = callgrind_cflags();
    let exe = build.compile_rust_flags("model_run", &flags, &callgrind_rustflags())?;
    let mut flags = flags.join(" ");
    if build.has_rust() {
        flags += &format!("; RUSTFLAGS {}", callgrind_rustflags().join(" "));
    }
    let build = &*build;
    let ir = |repeat: u64| -> Option<f64> {
        let out = exe.with_file_name(format!("callgrind.{repeat}.out"));
        let mut cmd = Command::new("valgrind");
        build.set_link_key(&mut cmd);
        let st = cmd
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&exe)
            .args(&io.inputs)
            .args(&io.outputs)
            .arg(repeat.to_string())
            .output()
            .ok()?;
        if !st.status.success() {
            return None;
        }
        callgrind_total(&std::fs::read_to_string(out).ok()?)
    };
    match (ir(1), ir(2)) {
        (Some(a), Some(b)) if macs > 0 => Ok(Some(((b - a) / macs as f64, flags))),
        _ => {
            notes.push("callgrind run failed: instructions per MAC not measured".into());
            Ok(None)
        }
    }
}

/// Benchmark the compiled deployment `p` of `model` (from `driver::deploy` or
/// `driver::deploy_single`) with `runs` timed inferences (each of meshnn and
/// onnxruntime). With several devices, one inference is every device's work run on this
/// computer, linked by the loss-free in-memory link of the host harness: compute and
/// frame handling, no air time (`meshnn simulate` models the link).
pub fn bench(model: &Path, p: driver::Deployed, runs: u64) -> Result<BenchReport, BenchError> {
    bench_with(model, p, runs, &EmitOptions::default())
}

/// The language of the devices of `p` under `opts`: `c`, `rust` or `mixed`.
fn lang_label(p: &driver::Deployed, opts: &EmitOptions) -> &'static str {
    let rust = (0..p.devices.len())
        .filter(|&i| p.lang_of(i, opts.lang) == Lang::Rust)
        .count();
    match rust {
        0 => "c",
        n if n == p.devices.len() => "rust",
        _ => "mixed",
    }
}

/// [`bench`] with the devices written as `opts` says. When some device is Rust, the
/// deployment is also built all in C and timed in the same rounds (`c_us`, `over_c`).
pub fn bench_with(
    model: &Path,
    mut p: driver::Deployed,
    runs: u64,
    opts: &EmitOptions,
) -> Result<BenchReport, BenchError> {
    if runs < ROUNDS {
        return Err(BenchError::Runs(runs));
    }
    let lang = lang_label(&p, opts);
    let macs = total_macs(&p);
    let tmp = tempfile::Builder::new()
        .prefix("meshnn-bench-")
        .tempdir()
        .map_err(|e| io_err("cannot create a temporary directory", e))?;
    let arenas = arenas(&p);
    let mut build =
        HostBuild::emit_rust_flags(&p, tmp.path(), BENCH_CFLAGS, &bench_rustflags(), opts)?;
    let c_build = if lang == "c" {
        None
    } else {
        for dev in p.dep.devices.iter_mut() {
            dev.lang = Some(Lang::C);
        }
        Some(HostBuild::emit(&p, &tmp.path().join("c"), BENCH_CFLAGS)?)
    };
    let (io, feeds) = write_inputs(&p, &tmp.path().join("io"))?;
    let mut notes = Vec::new();
    let timing = time_rounds(
        &build,
        c_build.as_ref(),
        &io,
        model,
        &feeds,
        runs,
        &mut notes,
    )?;
    let callgrind = instructions_per_mac(&mut build, &io, macs, &mut notes)?;
    Ok(BenchReport {
        model: model.display().to_string(),
        runs,
        cc: host_build::cc(),
        cflags: host_build::HOST_CFLAGS
            .iter()
            .chain(BENCH_CFLAGS)
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        lang: lang.to_string(),
        rustflags: (lang != "c").then(|| bench_rustflags().join(" ")),
        meshnn_us: timing.median_us,
        meshnn_min_us: timing.min_us,
        c_build: timing.c_report(),
        onnxruntime: timing.ort_report(),
        instructions_per_mac: callgrind.as_ref().map(|c| c.0),
        callgrind_cflags: callgrind.map(|c| c.1),
        macs,
        arenas,
        notes,
    })
}

/// Total instructions (`summary:` or `totals:` line) of a callgrind output file.
fn callgrind_total(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The report as text.
pub fn render_text(r: &BenchReport) -> String {
    let opt = |v: Option<f64>, unit: &str| match v {
        Some(x) => format!("{x:.1}{unit}"),
        None => "n/a".into(),
    };
    let mut s = String::new();
    s += &format!("model      {}\n", r.model);
    s += &format!("build      {} {}\n", r.cc, r.cflags);
    if let Some(f) = &r.rustflags {
        s += &format!("rust       cargo --release, RUSTFLAGS {f}\n");
    }
    s += &format!(
        "meshnn     {:.1} us median, {:.1} us min over {} runs ({})\n",
        r.meshnn_us, r.meshnn_min_us, r.runs, r.lang
    );
    if let (Some(med), Some(min), Some(x), Some(xm)) = (
        r.c_build.c_us,
        r.c_build.c_min_us,
        r.c_build.over_c,
        r.c_build.over_c_min,
    ) {
        s += &format!(
            "C build    {med:.1} us median, {min:.1} us min (same rounds); {} / C {x:.2}x (medians), {xm:.2}x (minima)\n",
            r.lang
        );
    }
    s += &format!(
        "onnxruntime {} median, {} min (1 thread{}; Python overhead {} subtracted)\n",
        opt(r.onnxruntime.onnxruntime_us, " us"),
        opt(r.onnxruntime.onnxruntime_min_us, " us"),
        r.onnxruntime
            .onnxruntime_version
            .as_ref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default(),
        opt(r.onnxruntime.python_overhead_us, " us"),
    );
    s += &format!(
        "speedup    {}\n",
        match (
            r.onnxruntime.speedup_vs_onnxruntime,
            r.onnxruntime.speedup_min_vs_onnxruntime
        ) {
            (Some(med), Some(min)) => {
                format!("{med:.2}x vs onnxruntime (medians), {min:.2}x (minima)")
            }
            _ => "n/a".into(),
        }
    );
    s += &format!(
        "instr/MAC  {}{}\n",
        r.instructions_per_mac
            .map(|x| format!("{x:.3}"))
            .unwrap_or_else(|| "n/a".into()),
        r.callgrind_cflags
            .as_ref()
            .map(|f| format!(" (callgrind, built with {f})"))
            .unwrap_or_default()
    );
    s += &format!("MACs       {}\n", r.macs);
    let ratio = |a: usize, lb: usize| a as f64 / lb.max(1) as f64;
    s += &format!(
        "arena      {} bytes (lower bound {} bytes, {:.3}x){}\n",
        r.arenas.arena_bytes,
        r.arenas.arena_lower_bound_bytes,
        ratio(r.arenas.arena_bytes, r.arenas.arena_lower_bound_bytes),
        if r.arenas.devices.len() > 1 {
            " over all devices"
        } else {
            ""
        }
    );
    if r.arenas.devices.len() > 1 {
        for d in &r.arenas.devices {
            s += &format!(
                "  {:<9} {}",
                d.device,
                crate::inspect::arena_line(d.arena_bytes, d.arena_lower_bound_bytes)
            );
        }
    }
    for n in &r.notes {
        s += &format!("note: {n}\n");
    }
    s
}
