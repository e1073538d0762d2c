//! `meshnn build` and `meshnn run --on qemu`: cross-compile every device of a deployment
//! with its target's toolchain (`targets/*.toml` `[toolchain]`), measure flash and RAM
//! against the device's budget, link a test firmware per device for QEMU boards
//! (`targets/boards/`, `templates/firmware/main.c.j2`) and run it under QEMU, fed with
//! the frames the host build sent it, comparing outputs and sent tensors with the host.
//!
//! One job per file: [`toolchain`] finds and runs the cross tools, [`sizes`] reads
//! `size -A` and `-fstack-usage`, [`board`] holds the QEMU boards' start-up files and
//! link flags, [`device`] builds one device (library, then test firmware),
//! [`rust_device`] a Rust device (its `no_std` firmware bridge with cargo, then the same
//! test firmware), [`record`] records the host build's frames, [`qemu`] runs a firmware
//! and [`compare`] checks it against the host build.

pub mod board;
pub mod compare;
pub mod device;
pub mod qemu;
pub mod record;
pub mod rust_device;
pub mod sizes;
pub mod toolchain;

use crate::deploy::Lang;
use crate::driver::{self, Deployed, EmitOptions};
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

/// cargo's opt-level of Rust firmware unless `--rust-opt-level` says otherwise (see
/// BENCHMARKS.md, "Rust firmware").
pub const DEFAULT_RUST_OPT_LEVEL: &str = "s";

/// The opt-levels `--rust-opt-level` accepts (cargo's).
pub const RUST_OPT_LEVELS: &[&str] = &["0", "1", "2", "3", "s", "z"];

/// How [`build_with`] and [`run_qemu_with`] emit and build devices.
#[derive(Clone, Debug)]
pub struct Options {
    /// The language of devices whose `[[device]]` names none, and the runtime source.
    pub emit: EmitOptions,
    /// cargo's `opt-level` for Rust devices (one of [`RUST_OPT_LEVELS`]).
    pub rust_opt_level: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            emit: EmitOptions::default(),
            rust_opt_level: DEFAULT_RUST_OPT_LEVEL,
        }
    }
}

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
    #[error("device '{device}' is Rust but its target {target} names no Rust target triple (rust_target in its [toolchain]): use an MCU target, or lang = \"c\"")]
    NoRustTarget { device: String, target: String },
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
    build_with(d, dir, &Options::default())
}

/// [`build`] with the devices' language (`--lang`) and Rust opt-level.
pub fn build_with(
    d: &Deployed,
    dir: &Path,
    opts: &Options,
) -> Result<Vec<DeviceBuild>, FirmwareError> {
    let files = driver::emit_with(d, &opts.emit)?;
    driver::write_files(dir, &files)?;
    build_devices(d, dir, opts)
}

/// Cross-compile every device folder of `d` (already emitted under `dir`) into
/// `dir/firmware/<device>/`: `libmeshnn_<device>.a`, and for QEMU boards `main.c` and
/// `<device>.elf`. Returns the sizes; budgets are checked by [`check_budgets`].
pub fn build_devices(
    d: &Deployed,
    dir: &Path,
    opts: &Options,
) -> Result<Vec<DeviceBuild>, FirmwareError> {
    (0..d.devices.len())
        .map(|id| match d.lang_of(id, opts.emit.lang) {
            Lang::C => device::build_device(d, id, dir),
            Lang::Rust => rust_device::build_rust_device(d, id, dir, opts),
        })
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
    run_qemu_with(d, inputs, dir, &Options::default())
}

/// [`run_qemu`] with the devices' language (`--lang`: the host build runs the same
/// languages) and Rust opt-level.
pub fn run_qemu_with(
    d: &Deployed,
    inputs: &[Array<f32>],
    dir: &Path,
    opts: &Options,
) -> Result<QemuRun, FirmwareError> {
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
    let (host_outputs, rec) = record::record_host(d, inputs, dir, &opts.emit)?;
    // The key the host build sealed its frames with (the firmware needs it too).
    let key = if d.authenticates() {
        let path = link_key::key_path(&dir.join("host"));
        Some(link_key::read(&path).map_err(HostError::from)?)
    } else {
        None
    };
    let builds = build_devices(d, dir, opts)?;
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
