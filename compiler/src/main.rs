//! The `meshnn` command line. Each subcommand is a thin layer over the library, one
//! function per command (`cmd_<name>`); errors are printed as one or two actionable
//! lines and give a non-zero exit code. Values with a fixed set of choices (`--on`,
//! `--lang`, `--strategy`, `--loss-model`) are enums, so clap lists them in `--help` and
//! rejects anything else with the list.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use meshnn::codegen::rust_render::RuntimeSource;
use meshnn::deploy::{PatchOptions, Strategy};
use meshnn::tools::build_dir::BuildDir;
use meshnn::tools::simulate::LossModel;
use meshnn::tools::{bench, calibrate, firmware, run, simulate};
use meshnn::{driver, inspect, onnx};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "meshnn",
    version,
    about = "Compile one ONNX network into static-memory C for a mesh of wearable devices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// A model, optionally on the devices of a deployment.
#[derive(Args)]
struct ModelArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Deployment file (devices, targets, link; see README.md); without it the model is
    /// one device, `main`.
    #[arg(long)]
    deploy: Option<PathBuf>,
    /// Override the deployment's partitioning strategy.
    #[arg(long)]
    strategy: Option<Strategy>,
    /// Calibration data (.npz like `simulate --data`) for the `mean` fallback: needed when
    /// a received tensor uses it.
    #[arg(long)]
    calib: Option<PathBuf>,
    #[command(flatten)]
    patch: PatchArgs,
}

/// Patch-based execution (`[device] patch` in deploy.toml; these override every device).
#[derive(Args, Clone, Copy, Default)]
struct PatchArgs {
    /// Run the first high-resolution layers tile by tile where that lowers peak RAM
    /// (`auto`), or never (`off`, the default: no extra MACs, one call per layer).
    #[arg(long, value_enum)]
    patch: Option<PatchMode>,
    /// Extra MACs patching may add, as a fraction of the device's MACs (default 0.15).
    #[arg(long, value_parser = overhead_limit)]
    patch_max_overhead: Option<f64>,
}

/// `--patch`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PatchMode {
    Auto,
    Off,
}

fn overhead_limit(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=10.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not a MAC overhead limit: give a fraction from 0 to 10 (0.15 = 15 % more MACs)")),
    }
}

impl PatchArgs {
    /// `opts` with the flags given applied.
    fn apply(&self, mut opts: PatchOptions) -> PatchOptions {
        if let Some(m) = self.patch {
            opts.auto = m == PatchMode::Auto;
        }
        if let Some(v) = self.patch_max_overhead {
            opts.max_mac_overhead = v;
        }
        opts
    }
}

/// A model on the devices of a deployment.
#[derive(Args)]
struct DeploymentArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Deployment file (devices, targets, link); see README.md.
    #[arg(long)]
    deploy: PathBuf,
    /// Override the deployment's partitioning strategy (default: the deployment's, else
    /// modularity).
    #[arg(long)]
    strategy: Option<Strategy>,
    #[command(flatten)]
    patch: PatchArgs,
}

/// Output language of a device (`--lang`; a `[[device]]` table's `lang` overrides it).
#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    /// C99 with the meshnn runtime.
    C,
    /// A no_std Rust crate per device, on meshnn-runtime.
    Rust,
}

/// `--lang`, `--runtime-version` and `--runtime-path`.
#[derive(Args)]
struct LangArgs {
    /// Language of devices whose [[device]] table names none.
    #[arg(long, value_enum, default_value_t = Lang::C)]
    lang: Lang,
    /// Rust crates depend on meshnn-runtime of this version (crates.io) instead of the copy
    /// written next to them (DIR/meshnn-runtime).
    #[arg(long, value_name = "VERSION")]
    runtime_version: Option<String>,
    /// Rust crates depend on the meshnn-runtime source folder DIR (e.g. the repository's
    /// runtime-rs/) instead of a copy: with one $CARGO_TARGET_DIR the runtime compiles once
    /// for every build.
    #[arg(long, value_name = "DIR", conflicts_with = "runtime_version")]
    runtime_path: Option<PathBuf>,
}

impl LangArgs {
    fn options(&self) -> Result<driver::EmitOptions> {
        let runtime = match (&self.runtime_version, &self.runtime_path) {
            (Some(v), _) => RuntimeSource::Version(v.clone()),
            (None, Some(dir)) => RuntimeSource::local(dir)?,
            (None, None) => RuntimeSource::Bundled,
        };
        Ok(driver::EmitOptions {
            lang: self.lang(),
            runtime,
        })
    }
    fn lang(&self) -> meshnn::deploy::Lang {
        self.lang.into()
    }
}

impl From<Lang> for meshnn::deploy::Lang {
    fn from(l: Lang) -> Self {
        match l {
            Lang::C => meshnn::deploy::Lang::C,
            Lang::Rust => meshnn::deploy::Lang::Rust,
        }
    }
}

/// Where `run` runs the model.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RunOn {
    /// This computer.
    Host,
    /// Every device cross-compiled and run under QEMU, checked against the host build.
    Qemu,
}

#[derive(Subcommand)]
enum Command {
    /// Operators, shapes, parameters, MACs and activation memory of a model.
    Inspect(InspectArgs),
    /// Generate C sources: DIR/<device>/ for every device and DIR/host/ (a harness that
    /// links them). Without --deploy the model is one device, `main`.
    Compile(CompileArgs),
    /// Compile for this computer, run one inference (every device of the deployment over
    /// a loss-free link), write every output as DIR/<name>.npy.
    Run(RunArgs),
    /// Generate every device (C, or Rust with --lang rust) and cross-compile it with its
    /// target's toolchain (cargo for Rust): a static library per device, a test firmware
    /// ELF for targets with a QEMU board;
    /// print flash and RAM per device against its budget (non-zero exit when over).
    Build(BuildArgs),
    /// Place a model's operators on the devices of a deployment and report the cost.
    Partition(PartitionArgs),
    /// Run a deployment over the simulated lossy link for every sample of a data set and
    /// report accuracy, agreement, bytes, frames, latency and degraded inferences per loss.
    Simulate(SimulateArgs),
    /// Community detection on a symmetric non-negative adjacency matrix (.npy).
    Cluster {
        /// Square float32/float64 .npy matrix.
        adjacency: PathBuf,
        /// Number of communities (default: the method's natural number).
        #[arg(short = 'k', long = "k")]
        k: Option<usize>,
        /// Community method.
        #[arg(long, value_enum, default_value_t, ignore_case = true)]
        method: meshnn::cluster::Method,
        /// Equal-size communities (split at the weighted median, KL refinement).
        #[arg(long)]
        balanced: bool,
        #[arg(long)]
        json: bool,
    },
    /// The MCU targets known to meshnn.
    Targets,
    /// Time the generated C (optimised host build) against onnxruntime (one thread),
    /// count instructions per MAC under callgrind, report the arena.
    Bench(BenchArgs),
    /// The supported ONNX operators.
    Ops(OpsArgs),
    /// Write a random link key (16 bytes from the operating system, file mode 0600) for
    /// `run`, `simulate` and `bench --key`; never overwrites a file.
    Keygen {
        /// The key file to create.
        out: PathBuf,
    },
}

/// The link key of an authenticated deployment.
#[derive(Args)]
struct KeyArgs {
    /// Link key file (`meshnn keygen FILE`) the devices share; default: a fresh random
    /// key in the build directory, for this run only.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

impl KeyArgs {
    /// Check the key file and hand it to every program this run starts
    /// (`$MESHNN_LINK_KEY`).
    fn apply(&self) -> Result<()> {
        if let Some(path) = &self.key {
            meshnn::tools::link_key::read(path)?;
            let abs = std::fs::canonicalize(path)
                .with_context(|| format!("cannot resolve {}", path.display()))?;
            std::env::set_var(meshnn::tools::link_key::KEY_ENV, abs);
        }
        Ok(())
    }
}

#[derive(Args)]
struct InspectArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also print the arena map: every buffer's offset, size, live steps and tensors,
    /// and the chains run patch by patch (with --patch auto).
    #[arg(long, conflicts_with = "json")]
    memory: bool,
    #[command(flatten)]
    patch: PatchArgs,
}

#[derive(Args)]
struct CompileArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    lang: LangArgs,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A graph input: NAME=FILE.npy (float32, the input's shape). Repeat per input.
    #[arg(long = "input", value_name = "NAME=FILE")]
    inputs: Vec<String>,
    /// Where to write the outputs.
    #[arg(long)]
    out_dir: PathBuf,
    /// Keep the generated sources and binary in this directory (default: a temporary one).
    #[arg(long)]
    build_dir: Option<PathBuf>,
    /// Where to run.
    #[arg(long, value_enum, default_value_t = RunOn::Host)]
    on: RunOn,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    lang: LangArgs,
    /// cargo's opt-level of Rust devices' firmware (`--on qemu`).
    #[arg(long, value_name = "LEVEL", default_value = firmware::DEFAULT_RUST_OPT_LEVEL, value_parser = rust_opt_level)]
    rust_opt_level: &'static str,
}

/// `--rust-opt-level`: one of cargo's opt-levels.
fn rust_opt_level(s: &str) -> Result<&'static str, String> {
    firmware::RUST_OPT_LEVELS
        .iter()
        .find(|&&l| l == s)
        .copied()
        .ok_or_else(|| {
            format!(
                "'{s}' is not a cargo opt-level: give one of {}",
                firmware::RUST_OPT_LEVELS.join(", ")
            )
        })
}

#[derive(Args)]
struct BuildArgs {
    #[command(flatten)]
    lang: LangArgs,
    /// cargo's opt-level of Rust devices' firmware.
    #[arg(long, value_name = "LEVEL", default_value = firmware::DEFAULT_RUST_OPT_LEVEL, value_parser = rust_opt_level)]
    rust_opt_level: &'static str,
    #[command(flatten)]
    model: DeploymentArgs,
    /// Calibration data (.npz like `simulate --data`) for the `mean` fallback: needed when
    /// a received tensor uses it.
    #[arg(long)]
    calib: Option<PathBuf>,
    /// Output directory: DIR/<device>/ sources, DIR/firmware/<device>/ builds.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct PartitionArgs {
    #[command(flatten)]
    model: DeploymentArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SimulateArgs {
    #[command(flatten)]
    lang: LangArgs,
    #[command(flatten)]
    model: DeploymentArgs,
    /// test.npz: `x` (or one array per graph input) [N, ...] float32, optional labels `y`.
    #[arg(long)]
    data: PathBuf,
    /// Loss probabilities, comma separated (patterns: the p of the expected accuracy).
    #[arg(long, default_value = "0,0.05,0.1,0.2,0.3", value_delimiter = ',')]
    loss: Vec<f64>,
    /// How frames get lost.
    #[arg(long, value_enum, default_value_t = LossModel::Bernoulli)]
    loss_model: LossModel,
    /// Outage model: mean length of an outage, in inferences (at least 1); the mean up
    /// time follows from the loss level p (the fraction of inferences a device is down).
    #[arg(long, default_value_t = simulate::OUTAGE_MEAN_DOWN, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    outage_down: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Calibration data (.npz like --data) for the `mean` fallback.
    #[arg(long)]
    calib: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    /// Write an SVG plot of accuracy and agreement against loss.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Keep the generated simulator here (default: a temporary directory).
    #[arg(long)]
    build_dir: Option<PathBuf>,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Args)]
struct BenchArgs {
    // With Rust devices the all-C build is timed in the same rounds too (Rust over C).
    #[command(flatten)]
    lang: LangArgs,
    model: PathBuf,
    /// Deployment file: time every device of it, linked loss-free on this computer
    /// (compute and frame handling, no air time), and report each device's arena.
    #[arg(long)]
    deploy: Option<PathBuf>,
    /// Override the deployment's partitioning strategy.
    #[arg(long, requires = "deploy")]
    strategy: Option<Strategy>,
    /// Calibration data (.npz like `simulate --data`) for the `mean` fallback: needed when
    /// a received tensor uses it.
    #[arg(long, requires = "deploy")]
    calib: Option<PathBuf>,
    #[command(flatten)]
    patch: PatchArgs,
    /// Timed inferences (after a warm-up), at least 9: split over 9 alternating rounds of
    /// meshnn and onnxruntime.
    #[arg(long, default_value_t = 500)]
    runs: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Args)]
struct OpsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Print the operator table of SUPPORTED_OPS.md.
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
}

fn main() -> ExitCode {
    // A panic is a meshnn bug: say so in one line, without a backtrace. Except a closed
    // stdout (`meshnn inspect m.onnx | head`): the reader left, nothing to report; exit
    // quietly with a shell's status for a process its pipe's SIGPIPE ended, 128 + 13.
    std::panic::set_hook(Box::new(|info| {
        if stdout_closed(info) {
            std::process::exit(141);
        }
        eprintln!(
            "error: internal meshnn error ({info}); please report it with the model that caused it"
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// Whether a panic is std's "failed printing to stdout" on a broken pipe (println! on a
/// stdout whose reader has gone: Rust ignores SIGPIPE, so the write fails with EPIPE).
fn stdout_closed(info: &std::panic::PanicHookInfo) -> bool {
    let p = info.payload();
    let msg = p
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| p.downcast_ref::<&str>().copied())
        .unwrap_or("");
    msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe")
}

/// The error and each underlying cause that its message does not already include, on one
/// line (error types that print their `source` themselves must not print it twice).
fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}

/// A command-line usage error (unknown option, missing argument, invalid value): two lines,
/// the error (with clap's tip, if any) and the command's usage, and exit code 2 — the
/// convention that lets scripts tell a mistyped command from a failed one. `--help` and
/// `--version` print as usual and exit 0; `meshnn` alone prints the help and exits 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let text = e.render().to_string();
    let mut message = String::new();
    let mut usage = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage:") {
            usage = Some(u.trim().to_string());
        } else if !line.starts_with("For more information") {
            let line = line.strip_prefix("error:").unwrap_or(line).trim();
            if !message.is_empty() {
                message.push_str(if message.ends_with(':') { " " } else { "; " });
            }
            message.push_str(line);
        }
    }
    eprintln!("error: {message}");
    let help = format!("'{} --help'", command_words());
    match usage {
        Some(u) => eprintln!("usage: {u} (see {help})"),
        None => eprintln!("see {help}"),
    }
    ExitCode::from(2)
}

/// `meshnn` and the subcommand named on the command line, if any ("meshnn run").
fn command_words() -> String {
    use clap::CommandFactory;
    let sub = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .filter(|a| Cli::command().find_subcommand(a).is_some());
    match sub {
        Some(sub) => format!("meshnn {sub}"),
        None => "meshnn".to_string(),
    }
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Inspect(a) => cmd_inspect(a),
        Command::Compile(a) => cmd_compile(a),
        Command::Run(a) => cmd_run(a),
        Command::Build(a) => cmd_build(a),
        Command::Partition(a) => cmd_partition(a),
        Command::Simulate(a) => cmd_simulate(a),
        Command::Cluster {
            adjacency,
            k,
            method,
            balanced,
            json,
        } => cmd_cluster(adjacency, k, method, balanced, json),
        Command::Targets => {
            print!("{}", meshnn::deploy::target::table());
            Ok(())
        }
        Command::Bench(a) => cmd_bench(a),
        Command::Ops(a) => cmd_ops(a),
        Command::Keygen { out } => {
            meshnn::tools::link_key::keygen(&out)?;
            println!("wrote a new link key to {}", out.display());
            Ok(())
        }
    }
}

/// Prepare a model and deploy it: on the devices of `deploy`, or as one host device.
fn deployed(
    model: &Path,
    deploy: Option<&Path>,
    strategy: Option<Strategy>,
    patch: &PatchArgs,
) -> Result<driver::Deployed> {
    let p = driver::prepare(model, false)?;
    let mut dep = match deploy {
        Some(file) => meshnn::deploy::Deployment::load(file)?,
        None => driver::single_deployment(&p),
    };
    for dev in &mut dep.devices {
        dev.patch = patch.apply(dev.patch);
    }
    let strategy = strategy.or((deploy.is_none()).then_some(Strategy::Single));
    let d = driver::deploy(p, dep, strategy)?;
    for w in driver::warnings(&d) {
        eprintln!("warning: {w}");
    }
    Ok(d)
}

/// `d` with the `mean` fallback's calibration means from `calib` (an error when a receive
/// stub needs them and none is given; a warning when they are not used).
fn calibrated(mut d: driver::Deployed, calib: Option<&Path>) -> Result<driver::Deployed> {
    if let Some(w) = calibrate::calibrate(&mut d, calib)? {
        eprintln!("warning: {w}");
    }
    Ok(d)
}

impl ModelArgs {
    fn deployed(&self) -> Result<driver::Deployed> {
        deployed(
            &self.model,
            self.deploy.as_deref(),
            self.strategy,
            &self.patch,
        )
    }
}

impl DeploymentArgs {
    fn deployed(&self) -> Result<driver::Deployed> {
        deployed(
            &self.model,
            Some(&self.deploy),
            self.strategy,
            &PatchArgs::default(),
        )
    }
}

/// `dir` when given, else a new temporary directory named `prefix…` (kept alive by
/// `tmp`), claimed for this command (marked as meshnn's and locked; see
/// `tools::build_dir`).
fn build_dir(
    dir: Option<PathBuf>,
    prefix: &str,
    tmp: &mut Option<tempfile::TempDir>,
) -> Result<BuildDir> {
    if let Some(d) = dir {
        return Ok(BuildDir::claim(&d)?);
    }
    let t = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("cannot create a temporary build directory")?;
    Ok(BuildDir::claim(tmp.insert(t).path())?)
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn cmd_inspect(a: InspectArgs) -> Result<()> {
    let mut p = driver::prepare(&a.model, false)?;
    let opts = a.patch.apply(PatchOptions::default());
    if opts.auto {
        driver::replan_patched(&mut p, &opts);
    }
    let r = inspect::report(&p);
    if a.json {
        print_json(&r)?;
    } else {
        print!("{}", inspect::render_text(&r));
    }
    if a.memory {
        print!("{}", inspect::render_memory(&p));
    }
    Ok(())
}

fn cmd_compile(a: CompileArgs) -> Result<()> {
    let d = calibrated(a.model.deployed()?, a.model.calib.as_deref())?;
    let files = driver::emit_with(&d, &a.lang.options()?)?;
    driver::write_files(&a.out, &files)?;
    println!("wrote {} files to {}", files.len(), a.out.display());
    for dev in &d.devices {
        print!(
            "{}: {} kernels, {}",
            dev.name,
            dev.kernels.label(),
            inspect::arena_line(dev.plan.arena_bytes, dev.plan.lower_bound_bytes)
        );
    }
    Ok(())
}

fn cmd_build(a: BuildArgs) -> Result<()> {
    let d = calibrated(a.model.deployed()?, a.calib.as_deref())?;
    let out = BuildDir::claim(&a.out)?;
    let opts = firmware::Options {
        emit: a.lang.options()?,
        rust_opt_level: a.rust_opt_level,
    };
    let builds = firmware::build_with(&d, out.path(), &opts)?;
    print!("{}", firmware::render_table(&builds));
    firmware::check_budgets(&builds)?;
    Ok(())
}

fn cmd_partition(a: PartitionArgs) -> Result<()> {
    let d = a.model.deployed()?;
    let ram: Vec<u64> = d.devices.iter().map(|x| x.ram_bytes).collect();
    let r = meshnn::partition::report::report(&d.graph, &d.dep, &d.partition, &ram, &d.model_name);
    if a.json {
        print_json(&r)?;
    } else {
        print!("{}", meshnn::partition::report::render_text(&r));
    }
    Ok(())
}

fn cmd_run(a: RunArgs) -> Result<()> {
    a.key.apply()?;
    let p = calibrated(a.model.deployed()?, a.model.calib.as_deref())?;
    let given = run::parse_inputs(&a.inputs, &p.graph)?;
    let arrays = run::load_inputs(&p.graph, &given)?;
    // Fail early, before building, when the output directory is unusable.
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("cannot create output directory {}", a.out_dir.display()))?;
    let mut tmp = None;
    let dir = build_dir(a.build_dir, "meshnn-run-", &mut tmp)?;
    let outs = match a.on {
        RunOn::Host => run::run_host_with(&p, &arrays, dir.path(), &a.lang.options()?)?,
        RunOn::Qemu => {
            let opts = firmware::Options {
                emit: a.lang.options()?,
                rust_opt_level: a.rust_opt_level,
            };
            let r = firmware::run_qemu_with(&p, &arrays, dir.path(), &opts)?;
            for d in &r.devices {
                println!(
                    "{}: QEMU {}: {} frames in, {} out; worst relative difference from the host build {:.2e}",
                    d.device, d.machine, d.frames_in, d.frames_out, d.worst_rel
                );
            }
            r.outputs
        }
    };
    for path in run::write_outputs(&p, &outs, &a.out_dir)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn cmd_cluster(
    adjacency: PathBuf,
    k: Option<usize>,
    method: meshnn::cluster::Method,
    balanced: bool,
    json: bool,
) -> Result<()> {
    let opts = meshnn::cluster::ClusterOptions {
        k,
        method,
        balanced,
    };
    println!(
        "{}",
        meshnn::cluster::run_cli(&adjacency, &opts, json)?.trim_end()
    );
    Ok(())
}

fn cmd_simulate(a: SimulateArgs) -> Result<()> {
    use std::io::IsTerminal;
    a.key.apply()?;
    let d = calibrated(a.model.deployed()?, a.calib.as_deref())?;
    let dataset = simulate::load_dataset(&a.data, &d)?;
    if let Some(w) = dataset.non_finite_warning(&a.data) {
        eprintln!("warning: {w}");
    }
    let mut tmp = None;
    let dir = build_dir(a.build_dir, "meshnn-sim-", &mut tmp)?;
    if a.loss_model == LossModel::Patterns && a.plot.is_some() {
        anyhow::bail!("--plot is not available with --loss-model patterns (it prints a table per number of lost devices)");
    }
    let link = simulate::SimLink {
        outage_down: a.outage_down,
        ..simulate::sim_link(&d)
    };
    let exe = simulate::build_with(&d, dir.path(), &link, &a.lang.options()?)?;
    if a.loss_model == LossModel::Patterns {
        let progress = std::io::stderr().is_terminal();
        let report = simulate::patterns::run(&d, &exe, &dataset, &a.loss, dir.path(), progress)?;
        if a.json {
            print_json(&report)?;
        } else {
            print!("{}", simulate::patterns::render_table(&report));
        }
        return Ok(());
    }
    let progress = std::io::stderr().is_terminal() && dataset.n * (a.loss.len() + 1) > 2000;
    let report = simulate::run(
        &d,
        &exe,
        &dataset,
        a.loss_model,
        a.seed,
        &a.loss,
        dir.path(),
        progress,
    )?;
    if a.json {
        print_json(&report)?;
    } else {
        print!("{}", simulate::render_table(&report));
    }
    if let Some(p) = a.plot {
        simulate::plot_svg(&report, &p)
            .map_err(|e| anyhow::anyhow!("cannot write the plot {}: {e}", p.display()))?;
        if !a.json {
            println!("plot written to {}", p.display());
        }
    }
    Ok(())
}

fn cmd_bench(a: BenchArgs) -> Result<()> {
    a.key.apply()?;
    let p = calibrated(
        deployed(&a.model, a.deploy.as_deref(), a.strategy, &a.patch)?,
        a.calib.as_deref(),
    )?;
    let r = bench::bench_with(&a.model, p, a.runs, &a.lang.options()?)?;
    if a.json {
        print_json(&r)?;
    } else {
        print!("{}", bench::render_text(&r));
    }
    Ok(())
}

fn cmd_ops(a: OpsArgs) -> Result<()> {
    let ops = onnx::supported_ops();
    if a.json {
        let v: Vec<_> = ops
            .iter()
            .map(|o| serde_json::json!({"name": o.name, "since": o.since, "notes": o.notes}))
            .collect();
        print_json(&v)?;
    } else if a.markdown {
        print!("{}", meshnn::supported_ops::markdown_table());
    } else {
        for o in ops {
            println!("{:<22} opset {:>2}+  {}", o.name, o.since, o.notes);
        }
    }
    Ok(())
}
