//! The link simulator (`DIR/sim/sim.c`): every device of a deployment over a simulated
//! lossy link (Gilbert–Elliott bursts, bitrate, latency, deadline), timed by each
//! target's compute speed.

use super::harness::{device_view, link_dir, program_context, DeviceView};
use super::{render, templates, view, EmitError, File};
use crate::ir::{Graph, TensorId};
use serde::Serialize;

/// One device as the link simulator sees it.
pub struct SimDevice<'a> {
    pub name: &'a str,
    pub inputs: &'a [TensorId],
    /// MACs of each stage of its schedule.
    pub stage_macs: Vec<u64>,
    /// Microseconds per MAC on its target.
    pub us_per_mac: f64,
    /// Whether it receives tensors (then it has `meshnn_<name>_link_wake_us`).
    pub receives: bool,
    /// Whether it sends or receives tensors.
    pub linked: bool,
    /// A Rust crate, linked through the host bridge (`host/rust/`, see `rust_host`), its
    /// link HAL the simulator's.
    pub rust: bool,
}

#[derive(Serialize)]
struct SimDeviceView {
    #[serde(flatten)]
    device: DeviceView,
    stage_macs: Vec<String>,
    receives: bool,
}

/// Link settings of the simulator.
pub struct SimLink {
    pub bitrate_bps: u64,
    pub latency_us: u64,
    pub deadline_us: u64,
    /// Mean burst length (frames) of the Gilbert–Elliott model.
    pub burst_frames: u32,
    /// Mean down time (inferences) of the outage model.
    pub outage_down: u32,
    /// Frames in flight at most (sizes the event queue).
    pub max_flight: usize,
}

/// Generate `sim/sim.c` (every device over the simulated lossy link) and `sim/link_key.c`
/// (the key and epoch HAL). Some device must be linked (it includes that device's
/// `meshnn_link.h`, or the Rust devices' C link).
pub fn emit_sim(
    g: &Graph,
    model: &str,
    devices: &[SimDevice],
    hub: usize,
    hub_outputs: &[TensorId],
    link: &SimLink,
) -> Result<Vec<File>, EmitError> {
    let views: Vec<SimDeviceView> = devices
        .iter()
        .map(|d| SimDeviceView {
            device: device_view(g, d.name, d.inputs, d.rust, "sim"),
            stage_macs: d.stage_macs.iter().map(|m| format!("{m}.0")).collect(),
            receives: d.receives,
        })
        .collect();
    let hub_name = devices.get(hub).map(|d| d.name);
    let ctx = minijinja::context! {
        hub_index => hub,
        us_per_mac => devices.iter().map(|d| format!("{:e}", d.us_per_mac)).collect::<Vec<_>>(),
        bitrate_bps => link.bitrate_bps,
        latency_us => link.latency_us,
        deadline_us => link.deadline_us,
        burst_frames => link.burst_frames,
        outage_down => link.outage_down,
        max_flight => link.max_flight.max(16),
        link_dir => link_dir(devices.iter().map(|d| (d.name, d.linked, d.rust))),
        ..program_context(g, model, view(&views), hub_name, hub_outputs),
    };
    let env = templates::environment();
    Ok(vec![
        File::text("sim/sim.c", render(&env, "sim/sim.c.j2", &ctx)?),
        File::text("sim/link_key.c", render(&env, "host/link_key.c.j2", &ctx)?),
    ])
}
