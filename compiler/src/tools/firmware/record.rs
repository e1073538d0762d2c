//! Recording the host build: the host harness built with a frame recorder
//! (`templates/host/record.c`) runs one inference and leaves every frame each device
//! received and sent, the reference a QEMU run is fed with and compared against.

use super::{abs, FirmwareError};
use crate::codegen::File;
use crate::driver::{self, Deployed, EmitOptions};
use crate::npy::Array;
use crate::tools::build_dir::fresh_dir;
use crate::tools::host_build::{spawn, HostBuild, IoFiles};
use std::path::{Path, PathBuf};

const RECORD_C: &str = include_str!("../../../../templates/host/record.c");

/// The in-memory link, renamed so that `record.c` can include and wrap it.
const LINK_HOST_C: &str = "host/link_host.c";
const LINK_HOST_INC: &str = "host/link_host.c.inc";

/// `d`'s sources (in the languages of `opts`) with the recorder wrapped around the
/// in-memory link (several devices).
fn recording_sources(d: &Deployed, opts: &EmitOptions) -> Result<Vec<File>, FirmwareError> {
    let mut files = driver::emit_with(d, opts)?;
    let mut linked = false;
    for f in files.iter_mut() {
        if f.path == LINK_HOST_C {
            f.path = LINK_HOST_INC.into();
            linked = true;
        }
    }
    if linked {
        files.push(File::text("host/record.c", RECORD_C.into()));
    }
    Ok(files)
}

/// Build the host harness with the frame recorder and run one inference; returns the
/// outputs and the folder of recorded frames (`rx_<id>.bin`, `tx_<id>.bin`).
pub fn record_host(
    d: &Deployed,
    inputs: &[Array<f32>],
    dir: &Path,
    opts: &EmitOptions,
) -> Result<(Vec<Array<f32>>, PathBuf), FirmwareError> {
    let files = recording_sources(d, opts)?;
    // A plain host build of the same folder may have left the unwrapped link behind.
    let _ = std::fs::remove_file(dir.join(LINK_HOST_C));
    let build = HostBuild::from_files(d, &files, dir, "host", "model_run", &[])?;
    let io = dir.join("io");
    let rec = dir.join("record");
    fresh_dir(&io)?;
    fresh_dir(&rec)?;
    let rec = abs(&rec);
    let data: Vec<&[f32]> = inputs.iter().map(|a| a.data.as_slice()).collect();
    let io = IoFiles::write(&io, &data, d.graph.outputs.len())?;
    spawn(build.command(&io).env("MESHNN_RECORD_DIR", &rec))?;
    let arrays = io
        .read_outputs()?
        .into_iter()
        .zip(&d.graph.outputs)
        .map(|(data, &t)| Array {
            shape: d.graph.tensors[t].shape.clone(),
            data,
        })
        .collect();
    Ok((arrays, rec))
}
