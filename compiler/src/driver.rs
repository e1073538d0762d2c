//! The compile pipeline in one place: import → canonicalise → schedule + plan → emit.

use crate::codegen::{self, DeviceSpec, File};
use crate::ir::{Graph, NodeId};
use crate::plan::{memory::Plan, schedule};
use crate::{onnx, passes};
use std::path::Path;

/// Device name used when a model runs as one device (no deployment file).
pub const SINGLE_DEVICE: &str = "main";

/// Any failure of the pipeline, each with a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {error}")]
    Import {
        path: String,
        error: onnx::ImportError,
    },
    #[error(transparent)]
    Pass(#[from] passes::PassError),
    #[error(transparent)]
    Emit(#[from] codegen::EmitError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// A model ready for code generation.
pub struct Prepared {
    pub graph: Graph,
    pub order: Vec<NodeId>,
    pub plan: Plan,
    /// File name of the model, for generated comments.
    pub model_name: String,
}

/// Import and canonicalise a model, then schedule and plan it as one device.
/// `verify_each` runs the graph verifier after every pass (tests set it).
pub fn prepare(path: &Path, verify_each: bool) -> Result<Prepared, Error> {
    let mut graph = onnx::import_file(path).map_err(|error| Error::Import {
        path: path.display().to_string(),
        error,
    })?;
    passes::canonicalise(&mut graph, verify_each)?;
    let (order, plan) = schedule::order(&graph);
    let model_name = path
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model.onnx".into());
    Ok(Prepared {
        graph,
        order,
        plan,
        model_name,
    })
}

/// Generate the single-device sources (`main/`) and host harness (`host/`).
pub fn emit_single(p: &Prepared) -> Result<Vec<File>, Error> {
    let spec = DeviceSpec {
        device: SINGLE_DEVICE,
        model: &p.model_name,
        order: &p.order,
        plan: &p.plan,
        inputs: &p.graph.inputs,
        outputs: &p.graph.outputs,
    };
    Ok(codegen::emit_device(&p.graph, &spec)?)
}

/// Write generated files under `dir`, creating folders as needed.
pub fn write_files(dir: &Path, files: &[File]) -> Result<(), Error> {
    for f in files {
        let path = dir.join(&f.path);
        let werr = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(werr)?;
        }
        std::fs::write(&path, &f.contents).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}
