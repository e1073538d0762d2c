//! The `meshnn` command line. Each subcommand is a thin layer over the library; errors
//! are printed as one or two actionable lines and give a non-zero exit code.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use meshnn::{bench, driver, inspect, onnx, run};
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
    },
    /// Generate C sources: DIR/main/ (the device) and DIR/host/ (a host harness).
    Compile {
        model: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Output language (only `c` for now).
        #[arg(long, default_value = "c")]
        lang: String,
    },
    /// Compile for this computer, run one inference, write every output as DIR/<name>.npy.
    Run {
        model: PathBuf,
        /// A graph input: NAME=FILE.npy (float32, the input's shape). Repeat per input.
        #[arg(long = "input", value_name = "NAME=FILE")]
        inputs: Vec<String>,
        /// Where to write the outputs.
        #[arg(long)]
        out_dir: PathBuf,
        /// Keep the generated sources and binary in this directory (default: a temporary one).
        #[arg(long)]
        build_dir: Option<PathBuf>,
    },
    /// Time the generated C (optimised host build) against onnxruntime (one thread),
    /// count instructions per MAC under callgrind, report the arena.
    Bench {
        model: PathBuf,
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

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Inspect { model, json } => {
            let p = driver::prepare(&model, false)?;
            let r = inspect::report(&p);
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                print!("{}", inspect::render_text(&r));
            }
        }
        Command::Compile { model, out, lang } => {
            if lang != "c" {
                anyhow::bail!("--lang {lang}: only `c` is supported for now");
            }
            let p = driver::prepare(&model, false)?;
            let files = driver::emit_single(&p)?;
            driver::write_files(&out, &files)?;
            println!("wrote {} files to {}", files.len(), out.display());
            print!(
                "{}",
                inspect::arena_line(p.plan.arena_bytes, p.plan.lower_bound_bytes)
            );
        }
        Command::Run {
            model,
            inputs,
            out_dir,
            build_dir,
        } => {
            let given = run::parse_inputs(&inputs)?;
            let p = driver::prepare(&model, false)?;
            let arrays = run::load_inputs(&p, &given)?;
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
            let outs = run::run_host(&p, &arrays, &dir)?;
            for path in run::write_outputs(&p, &outs, &out_dir)? {
                println!("wrote {}", path.display());
            }
        }
        Command::Bench { model, runs, json } => {
            let r = bench::bench(&model, runs)?;
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
