//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod npz;

use meshnn::driver::{self, Prepared};
use meshnn::npy::{self, Array};
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// Fixture models that have onnxruntime reference data beside them, sorted.
pub fn fixture_models() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/models");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .filter(|p| p.with_extension("outputs.npz").exists())
        .collect();
    v.sort();
    assert!(
        v.len() >= 7,
        "expected the fixture models in {}",
        dir.display()
    );
    v
}

/// Prepare with the verifier after every pass, and check the memory plan.
pub fn prepare_checked(model: &Path) -> Prepared {
    let p = driver::prepare(model, true).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    meshnn::plan::memory::check(&p.plan).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    p
}

/// Load the reference inputs (graph-input order) and outputs of a fixture.
/// Named arrays (reference outputs).
pub type Named = Vec<(String, Array<f32>)>;

pub fn reference(p: &Prepared, model: &Path) -> (Vec<Array<f32>>, Named) {
    let ins = npy::read_npz_f32(&model.with_extension("inputs.npz")).unwrap();
    let outs = npy::read_npz_f32(&model.with_extension("outputs.npz")).unwrap();
    let g = &p.graph;
    let inputs = g
        .inputs
        .iter()
        .map(|&t| {
            let name = &g.tensors[t].name;
            ins.iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no reference input {name}"))
                .1
                .clone()
        })
        .collect();
    (inputs, outs)
}

/// |a - b| <= atol + rtol * |b| everywhere (NaN never passes), shapes equal.
pub fn assert_close(what: &str, got: &Array<f32>, want: &Array<f32>, atol: f32, rtol: f32) {
    assert_eq!(got.shape, want.shape, "{what}: shape");
    let bad = got
        .data
        .iter()
        .zip(&want.data)
        .position(|(a, b)| (a - b).abs().is_nan() || (a - b).abs() > atol + rtol * b.abs());
    if let Some(i) = bad {
        panic!(
            "{what}: element {i} differs: got {} want {}",
            got.data[i], want.data[i]
        );
    }
}

/// Run the `meshnn` binary with `args`; (exit code, stderr).
pub fn meshnn_status(args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run the `meshnn` binary with `args`, assert that it succeeded, return its stdout.
pub fn meshnn_stdout(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "meshnn {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
