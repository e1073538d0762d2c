//! One simulator run at one loss level, read back as one [`Record`] per sample, and
//! the reduction of a level's records into a [`Level`].

use super::{Dataset, Level, LossModel, SimError};
use crate::driver::Deployed;
use crate::tools::host_build::{io_err, spawn, IoFiles};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Per-sample record from the simulator.
pub struct Record {
    pub latency: f64,
    pub bytes: f64,
    pub frames: f64,
    pub degraded: bool,
    pub top1: usize,
    pub outputs: Vec<f64>,
}

/// A built simulator with its input files.
pub struct Simulator<'a> {
    pub d: &'a Deployed,
    pub exe: &'a Path,
    /// Samples in the input files.
    pub n: usize,
    pub inputs: Vec<PathBuf>,
    pub model: LossModel,
}

impl<'a> Simulator<'a> {
    /// The simulator `exe` of `d` with `data`'s inputs written into `io`.
    pub fn new(
        d: &'a Deployed,
        exe: &'a Path,
        data: &Dataset,
        model: LossModel,
        io: &Path,
    ) -> Result<Simulator<'a>, SimError> {
        let inputs: Vec<&[f32]> = data.inputs.iter().map(|a| a.data.as_slice()).collect();
        Ok(Simulator {
            d,
            exe,
            n: data.n,
            inputs: IoFiles::write(io, &inputs, 0)?.inputs,
            model,
        })
    }

    /// Run the simulator once at one loss level, writing its records to `out_path`;
    /// one record per sample.
    pub fn run_level(
        &self,
        seed: u64,
        loss: f64,
        out_path: &Path,
    ) -> Result<Vec<Record>, SimError> {
        self.run_levels(seed, &[format!("{loss}")], out_path)
    }

    /// Run the simulator once over several `levels` (its LEVELS argument: loss
    /// probabilities, or device bitmasks for the patterns model), writing its records
    /// to `out_path`; all the records, level after level, one per sample.
    pub fn run_levels(
        &self,
        seed: u64,
        levels: &[String],
        out_path: &Path,
    ) -> Result<Vec<Record>, SimError> {
        let mut cmd = Command::new(self.exe);
        if let Some(folder) = self.exe.parent() {
            crate::tools::link_key::set_env(&mut cmd, folder);
        }
        spawn(
            cmd.arg(self.n.to_string())
                .arg(self.model.code().to_string())
                .arg(seed.to_string())
                .arg(levels.join(","))
                .arg(out_path)
                .args(&self.inputs),
        )?;
        let bytes = std::fs::read(out_path).map_err(io_err("read", out_path))?;
        let vals: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        Ok(self.records(&vals))
    }

    /// Bytes of one level's records (the simulator's output per level).
    pub fn level_bytes(&self) -> usize {
        (4 + self.out_len()) * 8 * self.n
    }

    /// Values of the hub's outputs in a record.
    fn out_len(&self) -> usize {
        let d = self.d;
        d.devices[d.dep.hub]
            .outputs
            .iter()
            .map(|&t| d.graph.tensors[t].numel())
            .sum()
    }

    /// Split the simulator's values into records: latency, bytes, frames, degraded, then
    /// the hub's outputs (the first one decides the top-1 class).
    fn records(&self, vals: &[f64]) -> Vec<Record> {
        let d = self.d;
        let outs = &d.devices[d.dep.hub].outputs;
        let out_len = self.out_len();
        let first_len = outs
            .first()
            .map(|&t| d.graph.tensors[t].numel())
            .unwrap_or(0);
        vals.chunks_exact(4 + out_len)
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
            .collect()
    }
}

/// One level's results from its records over `n` samples: accuracy against `labels`,
/// agreement with the loss-free top-1 classes `base`, means and latency percentiles.
pub fn summarise(
    recs: &[Record],
    n: usize,
    loss: f64,
    base: &[usize],
    labels: Option<&[i64]>,
) -> Level {
    let n = n as f64;
    let fraction = |count: usize| count as f64 / n;
    let mean = |f: fn(&Record) -> f64| recs.iter().map(f).sum::<f64>() / n;
    let mut lat: Vec<f64> = recs.iter().map(|r| r.latency).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    Level {
        loss,
        accuracy: labels.map(|y| {
            fraction(
                recs.iter()
                    .zip(y)
                    .filter(|(r, &y)| r.top1 as i64 == y)
                    .count(),
            )
        }),
        agreement: fraction(recs.iter().zip(base).filter(|(r, &b)| r.top1 == b).count()),
        bytes_per_inference: mean(|r| r.bytes),
        frames_per_inference: mean(|r| r.frames),
        latency_p50_us: percentile(&lat, 0.50),
        latency_p99_us: percentile(&lat, 0.99),
        degraded_fraction: fraction(recs.iter().filter(|r| r.degraded).count()),
    }
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
