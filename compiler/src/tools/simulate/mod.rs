//! `meshnn simulate`: run a deployment over the simulated lossy link for every sample of a
//! data set at several loss levels, and report accuracy, agreement with the loss-free
//! run, bytes and frames on air, latency and degraded inferences.
//!
//! The simulator itself is generated C (`templates/sim/sim.c.j2`) that drives the very
//! device code the firmware runs; this module builds it ([`build`]), runs it
//! ([`records`]: one record per sample) and reduces the records ([`run`]);
//! [`report`] prints them. [`patterns`] is the exact device-loss evaluation (every
//! subset of lost devices).

pub mod patterns;
pub mod records;
pub mod report;

pub use crate::codegen::sim::SimLink;
use crate::codegen::sim::{emit_sim, SimDevice};
use crate::codegen::stages;
use crate::deploy::Lang;
use crate::driver::{self, Deployed, EmitOptions};
use crate::tools::host_build::{HostBuild, HostError};
use records::{Record, Simulator};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use crate::tools::dataset::{load_dataset, DataError, Dataset};
pub use report::{plot_svg, render_table};

/// How frames get lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LossModel {
    /// Independent frames.
    Bernoulli,
    /// Bursts (Gilbert–Elliott).
    Gilbert,
    /// Whole devices, each silent for an inference with probability p.
    Dropout,
    /// Every subset of lost devices, exactly: 2^K runs of the data set, K (at most 12)
    /// being the devices that send something (never the hub); reports mean and worst
    /// accuracy per number lost and the expected accuracy at each --loss p.
    Patterns,
    /// Whole devices down for stretches (battery, out of range): each is down a long-run
    /// fraction p of the inferences, for a mean of 20 inferences at a time.
    Outage,
}

impl LossModel {
    /// The simulator's code for the model (sim.c.j2).
    fn code(self) -> u8 {
        match self {
            LossModel::Bernoulli => 0,
            LossModel::Gilbert => 1,
            LossModel::Dropout => 2,
            LossModel::Patterns => 3,
            LossModel::Outage => 4,
        }
    }
}

/// Mean burst length of the Gilbert–Elliott model, in frames.
pub const GILBERT_BURST_FRAMES: u32 = 4;
/// Mean down time of the outage model, in inferences.
pub const OUTAGE_MEAN_DOWN: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("simulate needs a deployment with at least two devices ({0} has one); the link is what it simulates")]
    SingleDevice(String),
    #[error("{0}: the partition sends no tensor over the link (every device runs alone, e.g. under --strategy single): there is no link to simulate; use another strategy")]
    NoLink(String),
    #[error("--loss {0}: each loss level must be a probability between 0 and 1")]
    Loss(String),
    #[error("{0} devices can be lost ({1}): --loss-model patterns runs all 2^K subsets and takes at most K = 12; use --loss-model dropout (sampled) instead")]
    TooManyPatterns(usize, String),
    #[error("device {0} is beyond the 64th device of the deployment: --loss-model patterns cannot address it; list the devices that send first")]
    DeviceIndex(String),
    #[error("--loss-model patterns has no loss levels: run it with simulate::patterns::run")]
    PatternsHaveNoLevels,
    #[error(transparent)]
    Host(#[from] HostError),
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

/// Every device as the simulator sees it: its MACs per stage and its target's speed;
/// `lang` is the language of devices whose `[[device]]` table names none.
fn sim_devices(d: &Deployed, lang: Lang) -> Vec<SimDevice<'_>> {
    let g = &d.graph;
    d.devices
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
            SimDevice {
                name: &dev.name,
                inputs: &dev.inputs,
                stage_macs,
                us_per_mac: d.dep.devices[k].target.us_per_mac(),
                receives: !dev.rx.is_empty(),
                linked: dev.linked(),
                rust: d.lang_of(k, lang) == Lang::Rust,
            }
        })
        .collect()
}

/// The link as the simulator sees it. Its in-flight queue holds twice the frames of a
/// loss-free inference (each device sends each cut tensor once per inference, and the
/// queue is emptied at every inference), so a valid deployment never fills it.
pub fn sim_link(d: &Deployed) -> SimLink {
    SimLink {
        bitrate_bps: d.dep.link.bitrate_bps,
        latency_us: d.dep.link.latency_us,
        deadline_us: d.dep.link.deadline_us,
        burst_frames: GILBERT_BURST_FRAMES,
        outage_down: OUTAGE_MEAN_DOWN,
        max_flight: 2 * d.frames_per_inference() as usize + 16,
    }
}

/// Build the simulator for `d` in `build_dir`.
pub fn build(d: &Deployed, build_dir: &Path) -> Result<PathBuf, SimError> {
    build_with_link(d, build_dir, &sim_link(d))
}

/// Build the simulator for `d` over `link` (tests: a queue too small).
pub fn build_with_link(
    d: &Deployed,
    build_dir: &Path,
    link: &SimLink,
) -> Result<PathBuf, SimError> {
    build_with(d, build_dir, link, &EmitOptions::default())
}

/// Build the simulator for `d` over `link`, its devices written as `opts` says (Rust
/// devices run through the host bridge, on the simulator's link HAL).
pub fn build_with(
    d: &Deployed,
    build_dir: &Path,
    link: &SimLink,
    opts: &EmitOptions,
) -> Result<PathBuf, SimError> {
    if d.devices.len() < 2 {
        return Err(SimError::SingleDevice(d.dep.file.clone()));
    }
    if !d.devices.iter().any(|x| x.linked()) {
        return Err(SimError::NoLink(d.dep.file.clone()));
    }
    let mut files = driver::emit_with(d, opts).map_err(HostError::from)?;
    let sim = emit_sim(
        &d.graph,
        &d.model_name,
        &sim_devices(d, opts.lang),
        d.dep.hub,
        &d.devices[d.dep.hub].outputs,
        link,
    )
    .map_err(|e| HostError::from(driver::Error::from(e)))?;
    files.extend(sim);
    let b = HostBuild::from_files(d, &files, build_dir, "sim", "sim_run", &["-O2"])?;
    Ok(b.exe().to_path_buf())
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
    if let Some(l) = levels.iter().find(|l| !(0.0..=1.0).contains(*l)) {
        return Err(SimError::Loss(l.to_string()));
    }
    if model == LossModel::Patterns {
        return Err(SimError::PatternsHaveNoLevels);
    }
    let io = build_dir.join("sim_io");
    let sim = Simulator::new(d, exe, data, model, &io)?;
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
        per_level.push(sim.run_level(level_seed, loss, &io.join(format!("out{li}.bin")))?);
    }
    if progress {
        eprintln!();
    }
    let base: Vec<usize> = per_level[0].iter().map(|r| r.top1).collect();
    Ok(Report {
        model: d.model_name.clone(),
        deployment: d.dep.file.clone(),
        loss_model: model,
        seed,
        samples: data.n,
        levels: per_level[1..]
            .iter()
            .zip(levels)
            .map(|(recs, &loss)| {
                records::summarise(recs, data.n, loss, &base, data.labels.as_deref())
            })
            .collect(),
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
    let sim = Simulator::new(d, exe, data, model, &io)?;
    Ok(sim
        .run_level(seed, loss, &io.join("out.bin"))?
        .into_iter()
        .map(|r| r.outputs)
        .collect())
}
