//! `meshnn simulate`: run a deployment over the simulated lossy link for every sample of a
//! data set at several loss levels, and report accuracy, agreement with the loss-free
//! run, bytes and frames on air, latency and degraded inferences.
//!
//! The simulator itself is generated C (`templates/sim/sim.c.j2`) that drives the very
//! device code the firmware runs; this module prepares its inputs, runs it and reduces
//! its per-sample records.

use crate::codegen::sim::{emit_sim, SimDevice, SimLink};
use crate::codegen::stages;
use crate::driver::{self, Deployed};
use crate::npy::{self, Array};
use crate::tools::host_build;
use serde::Serialize;
use std::path::Path;

/// How frames get lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LossModel {
    Bernoulli,
    Gilbert,
    Dropout,
}

impl LossModel {
    pub fn parse(s: &str) -> Option<LossModel> {
        match s {
            "bernoulli" => Some(LossModel::Bernoulli),
            "gilbert" => Some(LossModel::Gilbert),
            "dropout" => Some(LossModel::Dropout),
            _ => None,
        }
    }
    fn code(self) -> u8 {
        match self {
            LossModel::Bernoulli => 0,
            LossModel::Gilbert => 1,
            LossModel::Dropout => 2,
        }
    }
}

/// Mean burst length of the Gilbert–Elliott model, in frames.
pub const GILBERT_BURST_FRAMES: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{path}: {detail}")]
    Data { path: String, detail: String },
    #[error("simulate needs a deployment with at least two devices ({0} has one); the link is what it simulates")]
    SingleDevice(String),
    #[error("--loss {0}: each loss level must be a probability between 0 and 1")]
    Loss(String),
    #[error(transparent)]
    Npy(#[from] npy::NpyError),
    #[error(transparent)]
    Pipeline(#[from] driver::Error),
    #[error(transparent)]
    Host(#[from] host_build::HostError),
    #[error("cannot use {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A data set: one array per graph input (`[N, ...]`, graph-input order), labels if any.
pub struct Dataset {
    pub inputs: Vec<Array<f32>>,
    pub labels: Option<Vec<i64>>,
    pub n: usize,
}

/// Read `test.npz`: `x` for a one-input model or one array per graph input, each
/// `[N, *input_shape[1:]]`; optional integer labels `y` of length N.
pub fn load_dataset(path: &Path, d: &Deployed) -> Result<Dataset, SimError> {
    let p = path.display().to_string();
    let derr = |detail: String| SimError::Data {
        path: p.clone(),
        detail,
    };
    let arrays = npy::read_npz_f32_lenient(path)?;
    let g = &d.graph;
    let mut inputs = Vec::new();
    let mut n = None;
    for (k, &t) in g.inputs.iter().enumerate() {
        let name = &g.tensors[t].name;
        let found = arrays.iter().find(|(a, _)| a == name).or_else(|| {
            (g.inputs.len() == 1 && k == 0)
                .then(|| arrays.iter().find(|(a, _)| a == "x"))
                .flatten()
        });
        let Some((_, a)) = found else {
            let have: Vec<&str> = arrays.iter().map(|(a, _)| a.as_str()).collect();
            return Err(derr(format!(
                "no array for graph input '{name}' (have: {}); store it as '{name}'{}",
                have.join(", "),
                if g.inputs.len() == 1 { " or 'x'" } else { "" }
            )));
        };
        let shape = &g.tensors[t].shape;
        if a.shape.len() != shape.len() || a.shape[1..] != shape[1..] || a.shape.is_empty() {
            return Err(derr(format!(
                "array for '{name}' has shape {:?}; expected [N, {}]",
                a.shape,
                shape[1..]
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if shape.first() != Some(&1) {
            return Err(derr(format!(
                "graph input '{name}' has batch dimension {}; simulate needs models with batch 1",
                shape[0]
            )));
        }
        if *n.get_or_insert(a.shape[0]) != a.shape[0] {
            return Err(derr("inputs hold different numbers of samples".into()));
        }
        inputs.push(a.clone());
    }
    let n = n.unwrap_or(0);
    if n == 0 {
        return Err(derr("the data set holds no samples".into()));
    }
    let labels = npy::read_npz_labels(path, "y")?;
    if let Some(y) = &labels {
        if y.len() != n {
            return Err(derr(format!(
                "'y' holds {} labels for {n} samples",
                y.len()
            )));
        }
    }
    Ok(Dataset { inputs, labels, n })
}

/// Results at one loss level.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Level {
    pub loss: f64,
    pub accuracy: Option<f64>,
    pub agreement: f64,
    pub bytes_per_inference: f64,
    pub frames_per_inference: f64,
    pub latency_p50_us: f64,
    pub latency_p99_us: f64,
    pub degraded_fraction: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub model: String,
    pub deployment: String,
    pub loss_model: LossModel,
    pub seed: u64,
    pub samples: usize,
    pub levels: Vec<Level>,
}

/// Per-sample record from the simulator.
struct Record {
    latency: f64,
    bytes: f64,
    frames: f64,
    degraded: bool,
    top1: usize,
    outputs: Vec<f64>,
}

/// Build the simulator for `d` in `build_dir`.
pub fn build(d: &Deployed, build_dir: &Path) -> Result<std::path::PathBuf, SimError> {
    if d.devices.len() < 2 {
        return Err(SimError::SingleDevice(d.dep.file.clone()));
    }
    let mut files = driver::emit(d)?;
    let g = &d.graph;
    let devices: Vec<SimDevice> = d
        .devices
        .iter()
        .enumerate()
        .map(|(k, dev)| {
            let rx: Vec<usize> = dev.rx.iter().map(|l| l.tensor).collect();
            let stage_macs = stages::split(g, &dev.order, &rx)
                .iter()
                .map(|s| {
                    s.nodes
                        .iter()
                        .map(|&i| crate::ir::cost::macs(g, &g.nodes[i]))
                        .sum()
                })
                .collect();
            let t = &d.dep.devices[k].target;
            SimDevice {
                name: &dev.name,
                inputs: &dev.inputs,
                stage_macs,
                us_per_mac: 1e6 / (t.macs_per_cycle * t.clock_hz as f64),
            }
        })
        .collect();
    let frames = d.frames_per_inference();
    let link_dir = d
        .devices
        .iter()
        .find(|x| !x.rx.is_empty() || !x.tx.is_empty())
        .map(|x| x.name.clone())
        .unwrap_or_default();
    let link = SimLink {
        bitrate_bps: d.dep.link.bitrate_bps,
        latency_us: d.dep.link.latency_us,
        deadline_us: d.dep.link.deadline_us,
        burst_frames: GILBERT_BURST_FRAMES,
        max_flight: 2 * frames as usize + 16,
    };
    files.extend(
        emit_sim(
            g,
            &d.model_name,
            &devices,
            d.dep.hub,
            &d.devices[d.dep.hub].outputs,
            &link,
            &link_dir,
        )
        .map_err(driver::Error::from)?,
    );
    driver::write_files(build_dir, &files)?;
    let names: Vec<String> = d.devices.iter().map(|x| x.name.clone()).collect();
    Ok(host_build::build_harness(
        build_dir,
        "sim",
        "sim_run",
        &names,
        &["-O2"],
    )?)
}

/// Write the data set's inputs as raw float32 files for the simulator.
fn write_inputs(data: &Dataset, io: &Path) -> Result<Vec<std::path::PathBuf>, SimError> {
    let ioerr = |path: &Path, source| SimError::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(io).map_err(|e| ioerr(io, e))?;
    let mut paths = Vec::new();
    for (k, a) in data.inputs.iter().enumerate() {
        let path = io.join(format!("in{k}.bin"));
        let bytes: Vec<u8> = a.data.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes).map_err(|e| ioerr(&path, e))?;
        paths.push(path);
    }
    Ok(paths)
}

/// Run the simulator once at one loss level; one record per sample.
#[allow(clippy::too_many_arguments)]
fn run_level(
    d: &Deployed,
    exe: &Path,
    n: usize,
    inputs: &[std::path::PathBuf],
    model: LossModel,
    seed: u64,
    loss: f64,
    out_path: &Path,
) -> Result<Vec<Record>, SimError> {
    let ioerr = |path: &Path, source| SimError::Io {
        path: path.display().to_string(),
        source,
    };
    let st = std::process::Command::new(exe)
        .arg(n.to_string())
        .arg(model.code().to_string())
        .arg(seed.to_string())
        .arg(format!("{loss}"))
        .arg(out_path)
        .args(inputs)
        .output()
        .map_err(|e| ioerr(exe, e))?;
    if !st.status.success() {
        return Err(host_build::HostError::Run {
            status: st.status.to_string(),
            stderr: String::from_utf8_lossy(&st.stderr).trim().to_string(),
        }
        .into());
    }
    let outs = &d.devices[d.dep.hub].outputs;
    let out_len: usize = outs.iter().map(|&t| d.graph.tensors[t].numel()).sum();
    let first_len = outs
        .first()
        .map(|&t| d.graph.tensors[t].numel())
        .unwrap_or(0);
    let bytes = std::fs::read(out_path).map_err(|e| ioerr(out_path, e))?;
    let vals: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    Ok(vals
        .chunks_exact(4 + out_len)
        .map(|r| {
            let outputs = r[4..].to_vec();
            Record {
                latency: r[0],
                bytes: r[1],
                frames: r[2],
                degraded: r[3] != 0.0,
                top1: argmax(&outputs[..first_len]),
                outputs,
            }
        })
        .collect())
}

/// Run the simulator at `levels` (loss 0 runs first, as the reference for agreement).
/// Each level has its own random stream derived from `seed` and the level's position.
#[allow(clippy::too_many_arguments)]
pub fn run(
    d: &Deployed,
    exe: &Path,
    data: &Dataset,
    model: LossModel,
    seed: u64,
    levels: &[f64],
    build_dir: &Path,
    progress: bool,
) -> Result<Report, SimError> {
    for &l in levels {
        if !(0.0..=1.0).contains(&l) {
            return Err(SimError::Loss(l.to_string()));
        }
    }
    let io = build_dir.join("sim_io");
    let inputs = write_inputs(data, &io)?;
    let mut all = vec![0.0];
    all.extend_from_slice(levels);
    let mut per_level: Vec<Vec<Record>> = Vec::new();
    for (li, &loss) in all.iter().enumerate() {
        if progress {
            eprint!(
                "\rsimulating loss {loss} ({}/{}) over {} samples...",
                li + 1,
                all.len(),
                data.n
            );
        }
        let level_seed = seed.wrapping_mul(1_000_003).wrapping_add(li as u64);
        per_level.push(run_level(
            d,
            exe,
            data.n,
            &inputs,
            model,
            level_seed,
            loss,
            &io.join(format!("out{li}.bin")),
        )?);
    }
    if progress {
        eprintln!();
    }
    let base: Vec<usize> = per_level[0].iter().map(|r| r.top1).collect();
    let n = data.n as f64;
    let levels_out = per_level[1..]
        .iter()
        .zip(levels)
        .map(|(recs, &loss)| {
            let mut lat: Vec<f64> = recs.iter().map(|r| r.latency).collect();
            lat.sort_by(|a, b| a.total_cmp(b));
            Level {
                loss,
                accuracy: data.labels.as_ref().map(|y| {
                    recs.iter()
                        .zip(y)
                        .filter(|(r, &y)| r.top1 as i64 == y)
                        .count() as f64
                        / n
                }),
                agreement: recs.iter().zip(&base).filter(|(r, &b)| r.top1 == b).count() as f64 / n,
                bytes_per_inference: recs.iter().map(|r| r.bytes).sum::<f64>() / n,
                frames_per_inference: recs.iter().map(|r| r.frames).sum::<f64>() / n,
                latency_p50_us: percentile(&lat, 0.50),
                latency_p99_us: percentile(&lat, 0.99),
                degraded_fraction: recs.iter().filter(|r| r.degraded).count() as f64 / n,
            }
        })
        .collect();
    Ok(Report {
        model: d.model_name.clone(),
        deployment: d.dep.file.clone(),
        loss_model: model,
        seed,
        samples: data.n,
        levels: levels_out,
    })
}

/// The hub's outputs for every sample at one loss level (tests: loss 0 must equal
/// `meshnn run`; fallbacks at total loss).
pub fn outputs_at(
    d: &Deployed,
    exe: &Path,
    data: &Dataset,
    model: LossModel,
    seed: u64,
    loss: f64,
    build_dir: &Path,
) -> Result<Vec<Vec<f64>>, SimError> {
    let io = build_dir.join("sim_io_outputs");
    let inputs = write_inputs(data, &io)?;
    Ok(run_level(
        d,
        exe,
        data.n,
        &inputs,
        model,
        seed,
        loss,
        &io.join("out.bin"),
    )?
    .into_iter()
    .map(|r| r.outputs)
    .collect())
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The table `meshnn simulate` prints.
pub fn render_table(r: &Report) -> String {
    let mut s = format!(
        "{} on {}: {} samples, {:?} loss, seed {}\n\n{:>6} {:>9} {:>10} {:>12} {:>8} {:>12} {:>12} {:>9}\n",
        r.model, r.deployment, r.samples, r.loss_model, r.seed, "loss", "accuracy", "agreement", "bytes/inf", "frames", "p50 us", "p99 us", "degraded"
    );
    for l in &r.levels {
        s += &format!(
            "{:>6.3} {:>9} {:>10.3} {:>12.1} {:>8.2} {:>12.0} {:>12.0} {:>9.3}\n",
            l.loss,
            l.accuracy
                .map(|a| format!("{a:.3}"))
                .unwrap_or_else(|| "-".into()),
            l.agreement,
            l.bytes_per_inference,
            l.frames_per_inference,
            l.latency_p50_us,
            l.latency_p99_us,
            l.degraded_fraction
        );
    }
    s
}

/// An SVG plot of accuracy (when labels exist) and agreement against loss.
pub fn plot_svg(r: &Report, path: &Path) -> Result<(), String> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max_loss = r
        .levels
        .iter()
        .map(|l| l.loss)
        .fold(0.0f64, f64::max)
        .max(0.01);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{} — {:?} loss", r.model, r.loss_model),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..max_loss, 0.0..1.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("loss probability")
        .y_desc("fraction")
        .draw()
        .map_err(|e| e.to_string())?;
    let agree: Vec<(f64, f64)> = r.levels.iter().map(|l| (l.loss, l.agreement)).collect();
    chart
        .draw_series(LineSeries::new(agree.clone(), &BLUE))
        .map_err(|e| e.to_string())?
        .label("agreement with loss-free run")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE));
    chart
        .draw_series(agree.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
        .map_err(|e| e.to_string())?;
    if r.levels.iter().all(|l| l.accuracy.is_some()) {
        let acc: Vec<(f64, f64)> = r
            .levels
            .iter()
            .map(|l| (l.loss, l.accuracy.unwrap_or(0.0)))
            .collect();
        chart
            .draw_series(LineSeries::new(acc.clone(), &RED))
            .map_err(|e| e.to_string())?
            .label("accuracy")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        chart
            .draw_series(acc.iter().map(|&p| Circle::new(p, 3, RED.filled())))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
