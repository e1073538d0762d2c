//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod npz;

use meshnn::deploy::Deployment;
use meshnn::driver::{self, Prepared};
use meshnn::ir::Graph;
use meshnn::npy::{self, Array};
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// Exit code 1, one or two lines, no panic, every `needles` item in the error.
pub fn fails_with(args: &[&str], needles: &[&str]) {
    let (code, stderr) = meshnn_status(args);
    assert_eq!(code, Some(1), "meshnn {}: {stderr}", args.join(" "));
    assert!(!stderr.contains("meshnn bug") && !stderr.contains("panicked"));
    assert!(stderr.lines().count() <= 2, "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "want {n:?} in: {stderr}");
    }
}

/// An opset-13 model from `body` (Python with `helper`, `TP`, `np`, `numpy_helper` in
/// scope, setting `graph`); None (test skipped) without python3 and onnx.
pub fn onnx_model(dir: &Path, body: &str) -> Option<PathBuf> {
    let model = dir.join("model.onnx");
    let script = format!(
        "import sys, numpy as np\nfrom onnx import helper, numpy_helper, TensorProto as TP, save\n{body}\n\
         save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)]), sys.argv[1])\n"
    );
    let have_onnx = Command::new("python3")
        .args(["-c", "import onnx"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_onnx {
        eprintln!("skipping: python3 with the onnx package is needed to build the model");
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", &script, model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "model script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(model)
}

/// Whether the cross toolchains and QEMU of `tests/firmware.rs` and `tests/rust_qemu.rs`
/// are installed (`scripts/setup.sh`); prints why the test is skipped otherwise.
pub fn have_cross_tools() -> bool {
    let need = [
        "arm-none-eabi-gcc",
        "riscv64-unknown-elf-gcc",
        "qemu-system-arm",
        "qemu-system-riscv32",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = need
        .iter()
        .copied()
        .filter(|p| !std::env::split_paths(&path).any(|d| d.join(p).is_file()))
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "SKIPPED: cross toolchain / QEMU not installed ({}); run scripts/setup.sh",
        missing.join(", ")
    );
    false
}

/// Whether rustc has the standard library of `target` (rustup target add).
pub fn rust_target_installed(target: &str) -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    PathBuf::from(sysroot)
        .join("lib/rustlib")
        .join(target)
        .is_dir()
}

/// The split the multi-device tests cut every fixture with: `nd` host devices `d0`…,
/// only the first senses the graph inputs and the last is the hub (it holds the outputs),
/// so tensors must travel whichever way the model is cut; 64-byte frames, so they are
/// fragmented. The devices listed in `rust` get `lang = "rust"`.
pub fn split_deployment(g: &Graph, nd: usize, rust: &[usize]) -> Deployment {
    let senses: Vec<String> = g
        .input_names()
        .iter()
        .map(|name| format!("{name:?}"))
        .collect();
    let mut text = String::from("[link]\nmtu_bytes = 64\n");
    for d in 0..nd {
        text += &format!("[[device]]\nname = \"d{d}\"\ntarget = \"host\"\n");
        if d == 0 {
            text += &format!("inputs = [{}]\n", senses.join(", "));
        } else {
            text += "inputs = []\n";
        }
        if d == nd - 1 {
            text += "outputs = true\n";
        }
        if rust.contains(&d) {
            text += "lang = \"rust\"\n";
        }
    }
    Deployment::parse(&text, "split.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}
