//! The `meshnn` command line. Each subcommand is a thin layer over the library; errors
//! are printed as one or two actionable lines and give a non-zero exit code.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use meshnn::tools::{bench, run};
use meshnn::{driver, inspect, onnx};
use std::path::PathBuf;
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

#[derive(Subcommand)]
enum Command {
    /// Operators, shapes, parameters, MACs and activation memory of a model.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also print the arena map: every buffer's offset, size, live steps and tensors.
        #[arg(long, conflicts_with = "json")]
        memory: bool,
    },
    /// Generate C sources: DIR/<device>/ for every device and DIR/host/ (a harness that
    /// links them). Without --deploy the model is one device, `main`.
    Compile {
        model: PathBuf,
        /// Deployment file (devices, targets, link); see README.md.
        #[arg(long)]
        deploy: Option<PathBuf>,
        /// Override the deployment's partitioning strategy.
        #[arg(long)]
        strategy: Option<String>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Output language (only `c` for now).
        #[arg(long, default_value = "c")]
        lang: String,
    },
    /// Compile for this computer, run one inference (every device of the deployment over
    /// a loss-free link), write every output as DIR/<name>.npy.
    Run {
        model: PathBuf,
        /// Deployment file; without it the model runs as one device.
        #[arg(long)]
        deploy: Option<PathBuf>,
        /// Override the deployment's partitioning strategy.
        #[arg(long)]
        strategy: Option<String>,
        /// A graph input: NAME=FILE.npy (float32, the input's shape). Repeat per input.
        #[arg(long = "input", value_name = "NAME=FILE")]
        inputs: Vec<String>,
        /// Where to write the outputs.
        #[arg(long)]
        out_dir: PathBuf,
        /// Keep the generated sources and binary in this directory (default: a temporary one).
        #[arg(long)]
        build_dir: Option<PathBuf>,
        /// Where to run: `host` (this computer) or `qemu` (every device cross-compiled
        /// and run under QEMU, checked against the host build).
        #[arg(long, default_value = "host")]
        on: String,
    },
    /// Generate the C and cross-compile every device with its target's toolchain: a
    /// static library per device, a test firmware ELF for targets with a QEMU board;
    /// print flash and RAM per device against its budget (non-zero exit when over).
    Build {
        model: PathBuf,
        /// Deployment file (devices, targets, link); see README.md.
        #[arg(long)]
        deploy: PathBuf,
        /// Override the deployment's partitioning strategy.
        #[arg(long)]
        strategy: Option<String>,
        /// Output directory: DIR/<device>/ sources, DIR/firmware/<device>/ builds.
        #[arg(long)]
        out: PathBuf,
    },
    /// Place a model's operators on the devices of a deployment and report the cost.
    Partition {
        model: PathBuf,
        #[arg(long)]
        deploy: PathBuf,
        /// modularity (default), layer, single or manual.
        #[arg(long)]
        strategy: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run a deployment over the simulated lossy link for every sample of a data set and
    /// report accuracy, agreement, bytes, frames, latency and degraded inferences per loss.
    Simulate {
        model: PathBuf,
        #[arg(long)]
        deploy: PathBuf,
        /// test.npz: `x` (or one array per graph input) [N, ...] float32, optional labels `y`.
        #[arg(long)]
        data: PathBuf,
        /// Loss probabilities, comma separated.
        #[arg(long, default_value = "0,0.05,0.1,0.2,0.3", value_delimiter = ',')]
        loss: Vec<f64>,
        /// bernoulli (independent frames), gilbert (bursts) or dropout (whole devices).
        #[arg(long, default_value = "bernoulli")]
        loss_model: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Calibration data (.npz like --data) for the `mean` fallback.
        #[arg(long)]
        calib: Option<PathBuf>,
        /// Override the deployment's partitioning strategy.
        #[arg(long)]
        strategy: Option<String>,
        #[arg(long)]
        json: bool,
        /// Write an SVG plot of accuracy and agreement against loss.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Keep the generated simulator here (default: a temporary directory).
        #[arg(long)]
        build_dir: Option<PathBuf>,
    },
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
    Bench {
        model: PathBuf,
        /// Deployment file: time every device of it, linked loss-free on this computer
        /// (compute and frame handling, no air time), and report each device's arena.
        #[arg(long)]
        deploy: Option<PathBuf>,
        /// Override the deployment's partitioning strategy.
        #[arg(long, requires = "deploy")]
        strategy: Option<String>,
        /// Timed inferences (after a warm-up).
        #[arg(long, default_value_t = 500)]
        runs: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The supported ONNX operators.
    Ops {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print the operator table of SUPPORTED_OPS.md.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
    },
}

fn main() -> ExitCode {
    // A panic is a meshnn bug: say so in one line, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "error: internal meshnn error ({info}); please report it with the model that caused it"
        );
    }));
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prepare a model and deploy it: on the devices of `deploy`, or as one host device.
fn deployed(
    model: &std::path::Path,
    deploy: Option<&std::path::Path>,
    strategy: Option<&str>,
) -> Result<driver::Deployed> {
    let strategy = match strategy {
        Some(s) => Some(meshnn::deploy::Strategy::parse(s).ok_or_else(|| {
            anyhow::anyhow!("--strategy {s}: use modularity, layer, single or manual")
        })?),
        None => None,
    };
    let p = driver::prepare(model, false)?;
    Ok(match deploy {
        Some(file) => driver::deploy(p, meshnn::deploy::Deployment::load(file)?, strategy)?,
        None => driver::deploy_single(p)?,
    })
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Inspect {
            model,
            json,
            memory,
        } => {
            let p = driver::prepare(&model, false)?;
            let r = inspect::report(&p);
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", inspect::render_text(&r));
            }
            if memory {
                print!("{}", inspect::render_memory(&p));
            }
        }
        Command::Compile {
            model,
            deploy,
            strategy,
            out,
            lang,
        } => {
            if lang != "c" {
                anyhow::bail!("--lang {lang}: only `c` is supported for now");
            }
            let d = deployed(&model, deploy.as_deref(), strategy.as_deref())?;
            let files = driver::emit(&d)?;
            driver::write_files(&out, &files)?;
            println!("wrote {} files to {}", files.len(), out.display());
            for dev in &d.devices {
                print!(
                    "{}: {} kernels, {}",
                    dev.name,
                    dev.kernels.label(),
                    inspect::arena_line(dev.plan.arena_bytes, dev.plan.lower_bound_bytes)
                );
            }
        }
        Command::Build {
            model,
            deploy,
            strategy,
            out,
        } => {
            let d = deployed(&model, Some(&deploy), strategy.as_deref())?;
            let builds = meshnn::tools::firmware::build(&d, &out)?;
            print!("{}", meshnn::tools::firmware::render_table(&builds));
            meshnn::tools::firmware::check_budgets(&builds)?;
        }
        Command::Partition {
            model,
            deploy,
            strategy,
            json,
        } => {
            let d = deployed(&model, Some(&deploy), strategy.as_deref())?;
            let ram: Vec<u64> = d.devices.iter().map(|x| x.ram_bytes).collect();
            let r = meshnn::partition::report::report(
                &d.graph,
                &d.dep,
                &d.partition,
                &ram,
                &d.model_name,
            );
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", meshnn::partition::report::render_text(&r));
            }
        }
        Command::Run {
            model,
            deploy,
            strategy,
            inputs,
            out_dir,
            build_dir,
            on,
        } => {
            if on != "host" && on != "qemu" {
                anyhow::bail!("--on {on}: use host or qemu");
            }
            let given = run::parse_inputs(&inputs)?;
            let p = deployed(&model, deploy.as_deref(), strategy.as_deref())?;
            let arrays = run::load_inputs(&p.graph, &given)?;
            // Fail early, before building, when the output directory is unusable.
            std::fs::create_dir_all(&out_dir)
                .with_context(|| format!("cannot create output directory {}", out_dir.display()))?;
            let tmp;
            let dir = match &build_dir {
                Some(d) => d.clone(),
                None => {
                    tmp = tempfile::Builder::new()
                        .prefix("meshnn-run-")
                        .tempdir()
                        .context("cannot create a temporary build directory")?;
                    tmp.path().to_path_buf()
                }
            };
            let outs = if on == "qemu" {
                let r = meshnn::tools::firmware::run_qemu(&p, &arrays, &dir)?;
                for d in &r.devices {
                    println!(
                        "{}: QEMU {}: {} frames in, {} out; worst relative difference from the host build {:.2e}",
                        d.device, d.machine, d.frames_in, d.frames_out, d.worst_rel
                    );
                }
                r.outputs
            } else {
                run::run_host(&p, &arrays, &dir)?
            };
            for path in run::write_outputs(&p, &outs, &out_dir)? {
                println!("wrote {}", path.display());
            }
        }
        Command::Cluster {
            adjacency,
            k,
            method,
            balanced,
            json,
        } => {
            let opts = meshnn::cluster::ClusterOptions {
                k,
                method,
                balanced,
            };
            println!(
                "{}",
                meshnn::cluster::run_cli(&adjacency, &opts, json)?.trim_end()
            );
        }
        Command::Simulate {
            model,
            deploy,
            data,
            loss,
            loss_model,
            seed,
            calib,
            strategy,
            json,
            plot,
            build_dir,
        } => {
            use meshnn::tools::simulate;
            use std::io::IsTerminal;
            let lm = simulate::LossModel::parse(&loss_model).ok_or_else(|| {
                anyhow::anyhow!("--loss-model {loss_model}: use bernoulli, gilbert or dropout")
            })?;
            let mut d = deployed(&model, Some(&deploy), strategy.as_deref())?;
            if let Some(c) = &calib {
                meshnn::tools::calibrate::apply_means(&mut d, c)?;
            }
            let dataset = simulate::load_dataset(&data, &d)?;
            let tmp;
            let dir = match &build_dir {
                Some(b) => b.clone(),
                None => {
                    tmp = tempfile::Builder::new()
                        .prefix("meshnn-sim-")
                        .tempdir()
                        .context("cannot create a temporary build directory")?;
                    tmp.path().to_path_buf()
                }
            };
            let exe = simulate::build(&d, &dir)?;
            let progress = std::io::stderr().is_terminal() && dataset.n * (loss.len() + 1) > 2000;
            let report = simulate::run(&d, &exe, &dataset, lm, seed, &loss, &dir, progress)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", simulate::render_table(&report));
            }
            if let Some(p) = plot {
                simulate::plot_svg(&report, &p)
                    .map_err(|e| anyhow::anyhow!("cannot write the plot {}: {e}", p.display()))?;
                if !json {
                    println!("plot written to {}", p.display());
                }
            }
        }
        Command::Targets => print!("{}", meshnn::deploy::target::table()),
        Command::Bench {
            model,
            deploy,
            strategy,
            runs,
            json,
        } => {
            let p = deployed(&model, deploy.as_deref(), strategy.as_deref())?;
            let r = bench::bench(&model, p, runs)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", bench::render_text(&r));
            }
        }
        Command::Ops { json, markdown } => {
            let ops = onnx::supported_ops();
            if json {
                let v: Vec<_> = ops
                    .iter()
                    .map(
                        |o| serde_json::json!({"name": o.name, "since": o.since, "notes": o.notes}),
                    )
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if markdown {
                print!("{}", meshnn::supported_ops::markdown_table());
            } else {
                for o in ops {
                    println!("{:<22} opset {:>2}+  {}", o.name, o.since, o.notes);
                }
            }
        }
    }
    Ok(())
}
