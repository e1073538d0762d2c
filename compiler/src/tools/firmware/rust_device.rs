//! One Rust device's cross build: its firmware bridge (`DIR/firmware/<device>/rust/`,
//! `codegen::rust_host::emit_firmware_bridge`: a `no_std` static library exporting the
//! device's C API) built with cargo for the target's Rust triple, sized from a partial
//! link of what the exported functions reach, then on a QEMU board linked into the same
//! test firmware as a C device (`templates/firmware/main.c.j2`, the header C would have as
//! its model.h) with the C link layer's wire HAL (`mn_link_wire.c`) for `CHal`.

use super::device::{DeviceBuild, Job};
use super::sizes::stack_from_disassembly;
use super::toolchain::{binutil, check_tools};
use super::{abs, FirmwareError, Options};
use crate::codegen::rust_host::{self, BridgeDevice, BRIDGE_DIR, LINK_DIR};
use crate::driver::{self, Deployed};
use crate::tools::build_dir::fresh_dir;
use crate::tools::host_build::{io_err, HostError};
use crate::tools::rust_build;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `meshnn build` prints under the table when some device is Rust.
pub const TABLE_NOTE: &str = "Rust devices: flash and RAM of what the exported C API reaches \
(the device crate, meshnn-runtime, core; partial link with --gc-sections, the test HAL not \
counted); stack = the 5 largest frames in its disassembly\n";

/// Build Rust device `id` of `d` (its crate emitted under `dir`, with the host bridge's
/// headers) into `dir/firmware/<device>/`.
pub fn build_rust_device(
    d: &Deployed,
    id: usize,
    dir: &Path,
    opts: &Options,
) -> Result<DeviceBuild, FirmwareError> {
    let dev = &d.devices[id];
    let device = &d.dep.devices[id];
    let t = &device.target;
    let triple = t
        .toolchain
        .rust_target
        .as_deref()
        .ok_or_else(|| FirmwareError::NoRustTarget {
            device: dev.name.clone(),
            target: t.name.clone(),
        })?;
    check_tools(t, false)?;
    let bridge = BridgeDevice {
        name: dev.name.clone(),
        package: format!("meshnn-{}", dev.name),
        linked: dev.linked(),
    };
    let files = rust_host::emit_firmware_bridge(&d.model_name, &bridge, &opts.emit.runtime, triple)
        .map_err(driver::Error::from)?;
    driver::write_files(dir, &files)?;
    let fw = dir.join("firmware").join(&dev.name);
    let include = fw.join("include");
    fresh_dir(&include)?;
    let host_rust = abs(&dir.join(BRIDGE_DIR));
    let mut job = Job {
        device: &dev.name,
        t,
        includes: vec![abs(&include), host_rust.clone()],
        fw: abs(&fw),
    };
    // main.c includes "model.h": the header a C device would have.
    copy(
        &host_rust.join(format!("{}.h", dev.name)),
        &job.fw.join("include/model.h"),
    )?;
    let manifest = abs(&dir.join(rust_host::firmware_bridge_dir(&dev.name))).join("Cargo.toml");
    let lib = job.fw.join(format!("libmeshnn_{}.a", dev.name));
    rust_build::build_firmware_bridge(&manifest, &dev.name, triple, opts.rust_opt_level, &lib)
        .map_err(HostError::from)?;
    let reached = partial_link(&job, &lib, &bridge)?;
    let lib_sizes = job.sizes(&reached)?;
    let stack_bytes = stack_from_disassembly(&disassemble(&job, &reached)?);
    let mut libs = vec![lib.clone()];
    if bridge.linked {
        let link_src = abs(&dir.join(LINK_DIR));
        job.includes.push(link_src.clone());
        let (link_lib, _) = job.compile_library(&link_src, "obj_link", "libmeshnn_link.a")?;
        libs.push(link_lib);
    }
    let (elf, elf_sizes) = job.test_firmware(d, id, &libs)?;
    Ok(DeviceBuild {
        device: dev.name.clone(),
        lang: "rust",
        kernels: dev.kernels.label(),
        target: t.name.clone(),
        lib,
        elf,
        qemu_machine: t.qemu.as_ref().map(|q| q.machine.clone()),
        lib_sizes,
        elf_sizes,
        stack_bytes,
        flash_budget: device.flash_budget(),
        ram_budget: device.ram_budget(),
    })
}

/// Copy `from` to `to`.
fn copy(from: &Path, to: &Path) -> Result<(), FirmwareError> {
    std::fs::copy(from, to).map_err(io_err("copy", from))?;
    Ok(())
}

/// The C functions the firmware bridge of `b` exports.
fn exported(b: &BridgeDevice) -> Vec<String> {
    let mut names: Vec<String> = ["init", "begin", "poll", "stage", "step"]
        .iter()
        .map(|f| format!("meshnn_{}_{f}", b.name))
        .collect();
    if b.linked {
        names.push(format!("meshnn_{}_link_wake_us", b.name));
    }
    names
}

/// `fw/<device>_reached.o`: the static library `lib` linked partially from the exported
/// functions with `--gc-sections`, so it holds what a firmware gets of it (a static
/// library carries all of `core` and `compiler_builtins`).
fn partial_link(job: &Job, lib: &Path, b: &BridgeDevice) -> Result<PathBuf, FirmwareError> {
    let out = job.fw.join(format!("{}_reached.o", job.device));
    let mut cmd = Command::new(&job.t.toolchain.cc);
    cmd.current_dir(&job.fw)
        .args(&job.t.toolchain.cflags)
        .args(["-r", "-nostdlib", "-Wl,--gc-sections"]);
    for f in exported(b) {
        cmd.arg(format!("-Wl,--undefined={f}"));
    }
    cmd.arg("-o").arg(&out).arg(lib);
    job.run(&mut cmd)?;
    Ok(out)
}

/// `objdump -d` of `obj`.
fn disassemble(job: &Job, obj: &Path) -> Result<String, FirmwareError> {
    let objdump = binutil(&job.t.toolchain.cc, "objdump");
    let out = job.run(Command::new(objdump).arg("-d").arg(obj))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
