//! `meshnn build` and `meshnn run --on qemu`: cross-compile every device of a deployment
//! with its target's toolchain (`targets/*.toml` `[toolchain]`), measure flash and RAM
//! against the device's budget, link a test firmware per device for QEMU boards
//! (`targets/boards/`, `templates/firmware/main.c.j2`) and run it under QEMU, fed with
//! the frames the host build sent it, comparing outputs and sent tensors with the host.
//!
//! One job per file: [`toolchain`] finds and runs the cross tools, [`sizes`] reads
//! `size -A` and `-fstack-usage`, [`board`] holds the QEMU boards' start-up files and
//! link flags, [`device`] builds one device (library, then test firmware), [`record`]
//! records the host build's frames, [`qemu`] runs a firmware and [`compare`] checks it
//! against the host build.

pub mod board;
pub mod compare;
pub mod device;
pub mod qemu;
pub mod record;
pub mod sizes;
pub mod toolchain;

use crate::driver::{self, Deployed};
use crate::npy::Array;
use crate::tools::host_build::HostError;
use crate::tools::link_key;
use std::path::Path;

pub use compare::{worst_rel, DeviceRun};
pub use device::{render_table, DeviceBuild};
pub use sizes::{parse_size_a, stack_estimate, Sizes};
pub use toolchain::{check_tools, libc_cflags};

/// Warning flags added to every target's own flags: generated code and runtime must
/// compile warning-free with the cross compiler.
pub const WARN_FLAGS: &[&str] = &["-Wall", "-Wextra", "-Werror", "-pedantic"];

/// QEMU wall-clock limit per device run, in seconds.
pub const QEMU_TIMEOUT_S: u32 = 60;

/// Largest relative difference accepted between a QEMU run and the host build (see
/// `compare::worst_rel`). The two differ only by rounding: the MCU's C library computes
/// expf/erff/tanhf/sqrtf to a few ulp of the host's, and a transformer layer (softmax,
/// LayerNorm) carries that to ~1.4e-5 relative; convolutional models stay below 1e-6.
pub const TOLERANCE: f64 = 1e-4;

#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    #[error("cannot run '{tool}' ({what} for target {target}): install it with `apt-get install -y --no-install-recommends {package}` (Debian)")]
    NoTool {
        tool: String,
        what: &'static str,
        target: String,
        package: String,
    },
    #[error("device '{device}': the generated C failed to compile with '{cc}' for target {target} (this is a meshnn bug; please report it):\n{stderr}")]
    Compile {
        device: String,
        target: String,
        cc: String,
        stderr: String,
    },
    #[error("device '{device}' ({target}) does not fit: {region} needs {need} bytes but the budget is {have}: over by {over} bytes; use a device with more {region}, add a device, or shrink the model")]
    Budget {
        device: String,
        target: String,
        region: &'static str,
        need: u64,
        have: u64,
        over: u64,
    },
    #[error("device '{device}' under QEMU ({machine}): {message}")]
    Qemu {
        device: String,
        machine: String,
        message: String,
    },
    #[error("device '{device}' under QEMU differs from the host build: {message}")]
    Mismatch { device: String, message: String },
    #[error("device '{device}' (target {target}) has no QEMU board (its target has no [qemu] machine meshnn knows); `meshnn run --on qemu` needs one for every device")]
    NoBoard { device: String, target: String },
    #[error(transparent)]
    Pipeline(#[from] driver::Error),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    BuildDir(#[from] crate::tools::build_dir::BuildDirError),
}

/// Result of `meshnn run --on qemu`.
pub struct QemuRun {
    /// The hub's graph outputs as computed under QEMU.
    pub outputs: Vec<Array<f32>>,
    /// The host build's outputs.
    pub host_outputs: Vec<Array<f32>>,
    pub devices: Vec<DeviceRun>,
    pub builds: Vec<DeviceBuild>,
}

/// Emit the sources of `d` into `dir` and cross-compile every device.
pub fn build(d: &Deployed, dir: &Path) -> Result<Vec<DeviceBuild>, FirmwareError> {
    let files = driver::emit(d)?;
    driver::write_files(dir, &files)?;
    build_devices(d, dir)
}

/// Cross-compile every device folder of `d` (already emitted under `dir`) into
/// `dir/firmware/<device>/`: `libmeshnn_<device>.a`, and for QEMU boards `main.c` and
/// `<device>.elf`. Returns the sizes; budgets are checked by [`check_budgets`].
pub fn build_devices(d: &Deployed, dir: &Path) -> Result<Vec<DeviceBuild>, FirmwareError> {
    (0..d.devices.len())
        .map(|id| device::build_device(d, id, dir))
        .collect()
}

/// Fail with the first device over its flash or RAM budget.
pub fn check_budgets(builds: &[DeviceBuild]) -> Result<(), FirmwareError> {
    builds.iter().try_for_each(|b| b.check())
}

/// `meshnn run --on qemu`: record the host build, cross-compile every device, run each
/// under QEMU with its sensed inputs and the frames it receives, and compare its outputs
/// and every tensor it sends with the host build (within [`TOLERANCE`]).
pub fn run_qemu(d: &Deployed, inputs: &[Array<f32>], dir: &Path) -> Result<QemuRun, FirmwareError> {
    for dev in &d.dep.devices {
        check_tools(&dev.target, true)?;
        let machine = dev.target.qemu.as_ref().map(|q| q.machine.as_str());
        if machine.and_then(board::board).is_none() {
            return Err(FirmwareError::NoBoard {
                device: dev.name.clone(),
                target: dev.target.name.clone(),
            });
        }
    }
    let (host_outputs, rec) = record::record_host(d, inputs, dir)?;
    // The key the host build sealed its frames with (the firmware needs it too).
    let key = if d.authenticates() {
        let path = link_key::key_path(&dir.join("host"));
        Some(link_key::read(&path).map_err(HostError::from)?)
    } else {
        None
    };
    let builds = build_devices(d, dir)?;
    check_budgets(&builds)?;
    let mut devices = Vec::new();
    let mut outputs = Vec::new();
    for (id, b) in builds.iter().enumerate() {
        let run_dir = qemu::run_device(d, id, b, inputs, &rec, dir, key.as_ref())?;
        let (run, outs) =
            compare::compare_device(d, id, &run_dir, &rec, &host_outputs, key.as_ref())?;
        devices.push(run);
        outputs.extend(outs);
    }
    Ok(QemuRun {
        outputs,
        host_outputs,
        devices,
        builds,
    })
}

/// `p` made absolute (as given when it cannot be resolved).
fn abs(p: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
