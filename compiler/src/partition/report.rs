//! `meshnn partition` report: per device operators, MACs, flash and RAM against the
//! target's budget and estimated compute time; the cut tensors; bytes per inference;
//! modularity Q. Text for people, JSON for tools.

use super::Partition;
use crate::deploy::Deployment;
use crate::ir::Graph;
use serde::Serialize;

#[derive(Serialize)]
pub struct DeviceReport {
    pub name: String,
    pub target: String,
    pub hub: bool,
    pub nodes: Vec<String>,
    pub macs: u64,
    pub flash_bytes: u64,
    pub flash_budget_bytes: u64,
    pub ram_bytes: u64,
    pub ram_budget_bytes: u64,
    pub compute_us: f64,
}

#[derive(Serialize)]
pub struct CutReport {
    pub tensor: String,
    pub from: String,
    pub to: Vec<String>,
    pub bytes: u64,
    /// Element type on the link: "float32", or "int8" (one byte per element).
    pub dtype: &'static str,
}

#[derive(Serialize)]
pub struct Report {
    pub model: String,
    pub deployment: String,
    pub strategy: crate::deploy::Strategy,
    pub devices: Vec<DeviceReport>,
    pub cut: Vec<CutReport>,
    pub bytes_per_inference: u64,
    pub modularity: f64,
}

/// Build the report. `ram` gives each device's RAM (arena + link buffers) from its real
/// memory plan; flash is the partitioner's estimate (weights + code).
pub fn report(g: &Graph, dep: &Deployment, part: &Partition, ram: &[u64], model: &str) -> Report {
    let devices = dep
        .devices
        .iter()
        .enumerate()
        .map(|(d, dev)| DeviceReport {
            name: dev.name.clone(),
            target: dev.target.name.clone(),
            hub: d == dep.hub,
            nodes: (0..g.nodes.len())
                .filter(|&i| part.assign[i] == d)
                .map(|i| g.nodes[i].name.clone())
                .collect(),
            macs: part.loads[d].macs,
            flash_bytes: part.loads[d].flash,
            flash_budget_bytes: dev.flash_budget(),
            ram_bytes: ram.get(d).copied().unwrap_or(part.loads[d].ram),
            ram_budget_bytes: dev.ram_budget(),
            compute_us: (dev.target.compute_us(part.loads[d].macs) * 10.0).round() / 10.0,
        })
        .collect();
    let cut = part
        .cut
        .iter()
        .map(|c| CutReport {
            tensor: g.tensors[c.tensor].name.clone(),
            from: dep.devices[c.from].name.clone(),
            to: c.to.iter().map(|&d| dep.devices[d].name.clone()).collect(),
            bytes: c.bytes,
            dtype: g.tensors[c.tensor].dtype.name(),
        })
        .collect();
    Report {
        model: model.into(),
        deployment: dep.file.clone(),
        strategy: part.strategy,
        devices,
        cut,
        bytes_per_inference: part.bytes_per_inference,
        modularity: (part.modularity * 1e4).round() / 1e4,
    }
}

fn pct(used: u64, budget: u64) -> String {
    if budget == 0 {
        "-".into()
    } else {
        format!("{:.0}%", 100.0 * used as f64 / budget as f64)
    }
}

/// Human-readable form.
pub fn render_text(r: &Report) -> String {
    let mut s = format!(
        "model {} on {} (strategy {:?})\n\n",
        r.model, r.deployment, r.strategy
    );
    s += &format!(
        "{:<12} {:<10} {:>5} {:>12} {:>11} {:>6} {:>11} {:>6} {:>12}\n",
        "device", "target", "ops", "MACs", "flash B", "", "RAM B", "", "compute us"
    );
    for d in &r.devices {
        s += &format!(
            "{:<12} {:<10} {:>5} {:>12} {:>11} {:>6} {:>11} {:>6} {:>12.1}{}\n",
            d.name,
            d.target,
            d.nodes.len(),
            d.macs,
            d.flash_bytes,
            pct(d.flash_bytes, d.flash_budget_bytes),
            d.ram_bytes,
            pct(d.ram_bytes, d.ram_budget_bytes),
            d.compute_us,
            if d.hub { "  (hub)" } else { "" }
        );
    }
    for d in &r.devices {
        s += &format!(
            "\n{}: {}",
            d.name,
            if d.nodes.is_empty() {
                "(no operators)".into()
            } else {
                d.nodes.join(", ")
            }
        );
    }
    s += "\n\ncut tensors:\n";
    if r.cut.is_empty() {
        s += "  (none)\n";
    }
    for c in &r.cut {
        s += &format!(
            "  {:<24} {:>8} bytes{}  {} -> {}\n",
            c.tensor,
            c.bytes,
            match c.dtype {
                "float32" => String::new(),
                other => format!(" ({other})"),
            },
            c.from,
            c.to.join(", ")
        );
    }
    s += &format!(
        "\nbytes per inference: {}\nmodularity Q: {:.4}\n",
        r.bytes_per_inference, r.modularity
    );
    s
}
