//! `meshnn simulate --loss-model patterns`: exact device-loss evaluation. Every sample
//! runs under every subset of lost devices (a *pattern*: 2^K of them, K being the devices
//! that send something; the hub is never lost), a lost device being silent for the whole
//! inference; per number lost it reports the mean and worst accuracy, and for each p the
//! expected accuracy when every device is lost independently with probability p (the
//! ResiliNet metric), all computed from meshnn's firmware code.

use super::records::Simulator;
use super::{Dataset, LossModel, SimError};
use crate::driver::Deployed;
use serde::Serialize;
use std::path::Path;

/// Most devices that can be lost: beyond, 2^K patterns take too long to run exactly.
pub const MAX_LOSABLE: usize = 12;

/// Largest records file of one simulator run (the masks run in chunks below it).
const CHUNK_BYTES: usize = 4 << 20;

/// What a pattern's score measures.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Against the data set's labels.
    Accuracy,
    /// Agreement with the loss-free top-1 class (the data set has no labels).
    Agreement,
}

/// One pattern: the devices lost, its score (see [`Metric`]) and its agreement with the
/// loss-free run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Pattern {
    pub lost: Vec<String>,
    pub score: f64,
    pub agreement: f64,
}

/// The patterns with `lost` devices lost.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ByLost {
    pub lost: usize,
    pub patterns: usize,
    pub mean_score: f64,
    pub worst_score: f64,
    /// The devices of the (first) worst pattern.
    pub worst_lost: Vec<String>,
    pub mean_agreement: f64,
}

/// The expected score when each device is lost independently with probability `p`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Expected {
    pub p: f64,
    pub score: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PatternsReport {
    pub model: String,
    pub deployment: String,
    pub samples: usize,
    pub metric: Metric,
    /// The devices that can be lost; bit k of a pattern's mask is `devices[k]`.
    pub devices: Vec<String>,
    pub hub: String,
    pub by_lost: Vec<ByLost>,
    pub expected: Vec<Expected>,
    /// Every pattern, in mask order (pattern 0 loses nothing).
    pub patterns: Vec<Pattern>,
}

/// The devices that can be lost: every device but the hub that sends a tensor.
pub fn losable(d: &Deployed) -> Vec<usize> {
    (0..d.devices.len())
        .filter(|&k| k != d.dep.hub && !d.devices[k].tx.is_empty())
        .collect()
}

/// The simulator's device bitmask of pattern `pattern` (bit j: `losable[j]` lost).
fn device_mask(losable: &[usize], pattern: usize) -> u64 {
    losable
        .iter()
        .enumerate()
        .filter(|(j, _)| pattern >> j & 1 == 1)
        .fold(0, |m, (_, &dev)| m | 1 << dev)
}

/// Run every pattern of `d`'s losable devices over `data` and reduce them; `ps` are the
/// probabilities of the expected score.
pub fn run(
    d: &Deployed,
    exe: &Path,
    data: &Dataset,
    ps: &[f64],
    build_dir: &Path,
    progress: bool,
) -> Result<PatternsReport, SimError> {
    if let Some(p) = ps.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(SimError::Loss(p.to_string()));
    }
    let losable = losable(d);
    let names: Vec<String> = losable.iter().map(|&k| d.devices[k].name.clone()).collect();
    if losable.len() > MAX_LOSABLE {
        return Err(SimError::TooManyPatterns(names.len(), names.join(", ")));
    }
    if let Some(&k) = losable.iter().find(|&&k| k >= 64) {
        return Err(SimError::DeviceIndex(d.devices[k].name.clone()));
    }
    let io = build_dir.join("sim_io_patterns");
    let sim = Simulator::new(d, exe, data, LossModel::Patterns, &io)?;
    let total = 1usize << losable.len();
    let chunk = (CHUNK_BYTES / sim.level_bytes().max(1)).max(1);
    let mut base: Vec<usize> = Vec::new();
    let mut scores = Vec::with_capacity(total);
    for start in (0..total).step_by(chunk) {
        let end = (start + chunk).min(total);
        if progress {
            eprint!(
                "\rsimulating patterns {}-{end} of {total} over {} samples...",
                start + 1,
                data.n
            );
        }
        let masks: Vec<String> = (start..end)
            .map(|i| device_mask(&losable, i).to_string())
            .collect();
        let recs = sim.run_levels(0, &masks, &io.join("patterns.bin"))?;
        for level in recs.chunks(data.n.max(1)).take(end - start) {
            let top1: Vec<usize> = level.iter().map(|r| r.top1).collect();
            if base.is_empty() {
                base = top1.clone();
            }
            scores.push(score(&top1, &base, data.labels.as_deref()));
        }
    }
    if progress {
        eprintln!();
    }
    Ok(PatternsReport {
        model: d.model_name.clone(),
        deployment: d.dep.file.clone(),
        samples: data.n,
        metric: if data.labels.is_some() {
            Metric::Accuracy
        } else {
            Metric::Agreement
        },
        hub: d.devices[d.dep.hub].name.clone(),
        by_lost: by_lost(&names, &scores),
        expected: ps
            .iter()
            .map(|&p| Expected {
                p,
                score: expected(&scores.iter().map(|s| s.0).collect::<Vec<_>>(), p),
            })
            .collect(),
        patterns: scores
            .iter()
            .enumerate()
            .map(|(i, &(score, agreement))| Pattern {
                lost: lost_names(&names, i),
                score,
                agreement,
            })
            .collect(),
        devices: names,
    })
}

/// A pattern's (score, agreement): accuracy against `labels` (agreement without them)
/// and agreement of its top-1 classes with the loss-free ones `base`.
fn score(top1: &[usize], base: &[usize], labels: Option<&[i64]>) -> (f64, f64) {
    let n = top1.len().max(1) as f64;
    let agreement = top1.iter().zip(base).filter(|(a, b)| a == b).count() as f64 / n;
    let score = match labels {
        Some(y) => top1.iter().zip(y).filter(|(&t, &y)| t as i64 == y).count() as f64 / n,
        None => agreement,
    };
    (score, agreement)
}

/// The names of pattern `pattern`'s lost devices.
fn lost_names(names: &[String], pattern: usize) -> Vec<String> {
    names
        .iter()
        .enumerate()
        .filter(|(j, _)| pattern >> j & 1 == 1)
        .map(|(_, n)| n.clone())
        .collect()
}

/// Mean and worst score and mean agreement per number of lost devices, from every
/// pattern's (score, agreement) in mask order.
fn by_lost(names: &[String], scores: &[(f64, f64)]) -> Vec<ByLost> {
    (0..=names.len())
        .map(|m| {
            let of_m: Vec<usize> = (0..scores.len())
                .filter(|i| i.count_ones() as usize == m)
                .collect();
            let count = of_m.len() as f64;
            let worst = of_m
                .iter()
                .copied()
                .reduce(|w, i| if scores[i].0 < scores[w].0 { i } else { w })
                .unwrap_or(0);
            ByLost {
                lost: m,
                patterns: of_m.len(),
                mean_score: of_m.iter().map(|&i| scores[i].0).sum::<f64>() / count,
                worst_score: scores[worst].0,
                worst_lost: lost_names(names, worst),
                mean_agreement: of_m.iter().map(|&i| scores[i].1).sum::<f64>() / count,
            }
        })
        .collect()
}

/// The expected score when each of the K devices is lost independently with
/// probability p: E(p) = sum over patterns S of p^|S| (1-p)^(K-|S|) score(S), `scores`
/// holding all 2^K patterns in mask order.
pub fn expected(scores: &[f64], p: f64) -> f64 {
    let k = scores.len().trailing_zeros() as i32;
    scores
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let m = i.count_ones() as i32;
            p.powi(m) * (1.0 - p).powi(k - m) * s
        })
        .sum()
}

/// The table `meshnn simulate --loss-model patterns` prints.
pub fn render_table(r: &PatternsReport) -> String {
    let name = match r.metric {
        Metric::Accuracy => "accuracy",
        Metric::Agreement => "agreement",
    };
    let what = match r.metric {
        Metric::Accuracy => "accuracy (against the labels)",
        Metric::Agreement => {
            "agreement with the loss-free top-1 (the data set has no labels, so no accuracy)"
        }
    };
    let mut s = format!(
        "{} on {}: {} samples, all {} patterns of lost devices among the {} that send ({}; the hub {} is never lost)\nscore = {what}\n\n{:>4} {:>8} {:>10} {:>10} {:>10}  {}\n",
        r.model,
        r.deployment,
        r.samples,
        r.patterns.len(),
        r.devices.len(),
        r.devices.join(", "),
        r.hub,
        "lost",
        "patterns",
        "mean",
        "worst",
        "agreement",
        "worst pattern (lost devices)"
    );
    for b in &r.by_lost {
        s += &format!(
            "{:>4} {:>8} {:>10.4} {:>10.4} {:>10.4}  {}\n",
            b.lost,
            b.patterns,
            b.mean_score,
            b.worst_score,
            b.mean_agreement,
            if b.worst_lost.is_empty() {
                "-".to_string()
            } else {
                b.worst_lost.join(", ")
            }
        );
    }
    s += &format!("\nexpected {name}, each device lost independently with probability p:\n");
    s += &format!("{:>6} {:>10}\n", "p", "expected");
    for e in &r.expected {
        s += &format!("{:>6.3} {:>10.4}\n", e.p, e.score);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_score_by_hand() {
        // K = 2, scores of {}, {a}, {b}, {a, b}: at p = 0.3,
        // 0.7*0.7*1 + 0.3*0.7*0.5 + 0.7*0.3*0.25 + 0.3*0.3*0 = 0.49 + 0.105 + 0.0525.
        let s = [1.0, 0.5, 0.25, 0.0];
        assert!((expected(&s, 0.3) - 0.6475).abs() < 1e-12);
        assert_eq!(expected(&s, 0.0), 1.0);
        assert_eq!(expected(&s, 1.0), 0.0);
        // K = 0: the loss-free score whatever p.
        assert_eq!(expected(&[0.75], 0.4), 0.75);
    }

    #[test]
    fn by_lost_groups_patterns_by_size() {
        let names = ["a".to_string(), "b".to_string()];
        let s = [(1.0, 1.0), (0.5, 0.6), (0.25, 0.4), (0.0, 0.1)];
        let b = by_lost(&names, &s);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].patterns, b[0].mean_score), (1, 1.0));
        assert_eq!((b[1].patterns, b[1].mean_score), (2, 0.375));
        assert_eq!(
            (b[1].worst_score, b[1].worst_lost.clone()),
            (0.25, vec!["b".to_string()])
        );
        assert!((b[1].mean_agreement - 0.5).abs() < 1e-12);
        assert_eq!(b[2].worst_lost, vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn device_masks_follow_the_losable_devices() {
        assert_eq!(device_mask(&[0, 2, 5], 0), 0);
        assert_eq!(device_mask(&[0, 2, 5], 0b101), 1 | 1 << 5);
        assert_eq!(device_mask(&[0, 2, 5], 0b111), 0b100101);
    }
}
