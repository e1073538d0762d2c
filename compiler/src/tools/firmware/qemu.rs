//! Running one device's test firmware under QEMU with semihosting: its run folder holds
//! the sensed inputs (`fw_in.bin`) and the frames it receives (`fw_rx.bin`, recorded from
//! the host build), and on authenticated links the key and an epoch (`fw_link.bin`); the
//! firmware writes `fw_out.bin` and `fw_tx.bin` there.

use super::device::DeviceBuild;
use super::{abs, FirmwareError, QEMU_TIMEOUT_S};
use crate::deploy::target::Qemu;
use crate::driver::Deployed;
use crate::link::LinkKey;
use crate::npy::Array;
use crate::tools::build_dir::fresh_dir;
use crate::tools::host_build::{io_err, write_f32s, HostError};
use crate::tools::link_key;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prepare device `id`'s run folder `dir/firmware/<device>/run/` and run its firmware
/// `b` there under QEMU (with `key` on authenticated links); returns the run folder.
pub fn run_device(
    d: &Deployed,
    id: usize,
    b: &DeviceBuild,
    inputs: &[Array<f32>],
    rec: &Path,
    dir: &Path,
    key: Option<&LinkKey>,
) -> Result<PathBuf, FirmwareError> {
    let dev = &d.devices[id];
    let q = d.dep.devices[id]
        .target
        .qemu
        .as_ref()
        .expect("run_qemu checks every device has a board");
    let run_dir = dir.join("firmware").join(&dev.name).join("run");
    fresh_dir(&run_dir)?;
    let mut sensed = Vec::new();
    for &x in &dev.inputs {
        let k = d.graph.inputs.iter().position(|&g| g == x).unwrap_or(0);
        sensed.extend_from_slice(&inputs[k].data);
    }
    write_f32s(&run_dir.join("fw_in.bin"), &sensed)?;
    let rx_bytes = std::fs::read(rec.join(format!("rx_{id}.bin"))).unwrap_or_default();
    let rx_path = run_dir.join("fw_rx.bin");
    std::fs::write(&rx_path, &rx_bytes).map_err(io_err("write", &rx_path))?;
    if let Some(key) = key {
        write_link_secrets(&run_dir, key)?;
    }
    let elf = abs(b.elf.as_ref().expect("QEMU boards get an ELF"));
    run_elf(q, &elf, &run_dir).map_err(|message| FirmwareError::Qemu {
        device: dev.name.clone(),
        machine: q.machine.clone(),
        message,
    })?;
    Ok(run_dir)
}

/// `run_dir/fw_link.bin`: the link key (the frames the firmware receives were sealed
/// with it) and a random epoch for the frames it sends.
fn write_link_secrets(run_dir: &Path, key: &LinkKey) -> Result<(), FirmwareError> {
    let mut bytes = key.to_vec();
    bytes.extend_from_slice(
        &link_key::random_epoch()
            .map_err(HostError::from)?
            .to_le_bytes(),
    );
    let path = run_dir.join("fw_link.bin");
    std::fs::write(&path, bytes).map_err(io_err("write", &path))?;
    Ok(())
}

/// Run `elf` on QEMU machine `q` inside `run_dir`, within [`QEMU_TIMEOUT_S`]; a failure
/// is described in one message.
fn run_elf(q: &Qemu, elf: &Path, run_dir: &Path) -> Result<(), String> {
    let mut cmd = Command::new("timeout");
    cmd.current_dir(run_dir)
        .arg(QEMU_TIMEOUT_S.to_string())
        .arg(&q.system)
        .args(["-M", &q.machine]);
    if q.machine == "virt" {
        cmd.args(["-bios", "none"]);
    }
    cmd.args([
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "none",
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
    ])
    .arg(elf);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start timeout/{}: {e}", q.system))?;
    if out.status.success() {
        return Ok(());
    }
    let why = if out.status.code() == Some(124) {
        format!("no exit within {QEMU_TIMEOUT_S} s")
    } else {
        format!("exit status {}", out.status)
    };
    Err(format!(
        "{why}: {}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}
