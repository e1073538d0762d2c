//! `meshnn::Build`, the build-script API: the module and weights it writes into OUT_DIR
//! (the same code and weights as `meshnn compile --lang rust`), C files for the `cc`
//! crate, the `cargo:rerun-if-changed` lines, and its errors (the CLI's messages).

mod common;

use common::{meshnn_status, repo_root};
use meshnn::driver::{self, EmitOptions};
use meshnn::{Build, BuildError, Lang};
use std::path::PathBuf;
use std::process::Command;

fn nonn() -> PathBuf {
    repo_root().join("tests/models/nonn_k4.onnx")
}

/// The example firmware's deployment: one device, 'wrist'.
fn one_device() -> PathBuf {
    repo_root().join("examples/rust-firmware/deploy.toml")
}

fn four_devices() -> PathBuf {
    repo_root().join("examples/nonn_wearables/deploy.toml")
}

/// The files `meshnn compile` writes for `deploy`, by path.
fn compiled(deploy: &std::path::Path, lang: Lang) -> Vec<(String, Vec<u8>)> {
    let p = driver::prepare(&nonn(), false).expect("prepare");
    let dep = meshnn::deploy::Deployment::load(deploy).expect("deployment");
    let d = driver::deploy(p, dep, None).expect("deploy");
    let opts = EmitOptions {
        lang,
        ..EmitOptions::default()
    };
    let files = driver::emit_with(&d, &opts).expect("emit");
    files
        .iter()
        .map(|f| (f.path.clone(), f.bytes().to_vec()))
        .collect()
}

fn file_of(files: &[(String, Vec<u8>)], path: &str) -> Vec<u8> {
    files
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .1
        .clone()
}

#[test]
fn rust_module_and_weights_in_out_dir() {
    let out = tempfile::tempdir().expect("tempdir");
    let written = Build::new(nonn())
        .deploy(one_device())
        .device("wrist")
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect("emit");
    let module = out.path().join("meshnn_wrist.rs");
    let weights = out.path().join("meshnn_wrist.weights.bin");
    assert_eq!(written, vec![module.clone(), weights.clone()]);
    let text = std::fs::read_to_string(&module).expect("module");
    // A module to include!: an inline `pub mod`, no crate-level attribute, the weights
    // from OUT_DIR.
    assert!(text.contains("\npub mod meshnn_wrist {\n"), "{text}");
    assert!(!text.contains("#![no_std]"), "{text}");
    assert!(
        text.contains(r#"include_bytes!(concat!(env!("OUT_DIR"), "/meshnn_wrist.weights.bin"))"#),
        "{text}"
    );
    // The same code and weights as the crate `meshnn compile --lang rust` writes.
    let crate_files = compiled(&one_device(), Lang::Rust);
    let lib = String::from_utf8(file_of(&crate_files, "wrist/src/lib.rs")).expect("utf-8");
    let body = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.starts_with("//") && !l.starts_with("#![no_std]"))
            .filter(|l| !l.contains("include_bytes!") && !l.starts_with("pub mod meshnn_"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&text), format!("{}\n}}", body(&lib)));
    assert_eq!(
        std::fs::read(&weights).expect("weights"),
        file_of(&crate_files, "wrist/src/weights.bin")
    );
    // Deterministic: a second run writes the same bytes.
    let again = tempfile::tempdir().expect("tempdir");
    Build::new(nonn())
        .deploy(one_device())
        .out_dir(again.path())
        .quiet()
        .emit()
        .expect("emit again (the only device is the default)");
    let reread = std::fs::read_to_string(again.path().join("meshnn_wrist.rs")).expect("module");
    assert_eq!(reread, text);
}

#[test]
fn without_a_deployment_the_device_is_main() {
    let out = tempfile::tempdir().expect("tempdir");
    Build::new(nonn())
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect("emit");
    assert!(out.path().join("meshnn_main.rs").is_file());
    assert!(out.path().join("meshnn_main.weights.bin").is_file());
}

#[test]
fn c_files_without_the_device_folder() {
    let out = tempfile::tempdir().expect("tempdir");
    let written = Build::new(nonn())
        .deploy(four_devices())
        .device("chest")
        .lang(Lang::C)
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect("emit");
    let cli = compiled(&four_devices(), Lang::C);
    let chest: Vec<&(String, Vec<u8>)> = cli
        .iter()
        .filter(|(p, _)| p.starts_with("chest/"))
        .collect();
    assert!(!chest.is_empty());
    assert_eq!(written.len(), chest.len());
    for (path, bytes) in chest {
        let name = path.strip_prefix("chest/").expect("prefix");
        let got = std::fs::read(out.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(got == *bytes, "{name} differs from meshnn compile's");
    }
    assert!(out.path().join("model.c").is_file());
}

#[test]
fn rerun_if_changed_names_model_external_data_deployment_and_calibration() {
    let b = Build::new(nonn()).deploy(one_device()).calib("calib.npz");
    assert_eq!(
        b.rerun_lines(),
        vec![
            format!("cargo:rerun-if-changed={}", nonn().display()),
            format!("cargo:rerun-if-changed={}", one_device().display()),
            "cargo:rerun-if-changed=calib.npz".to_string(),
        ]
    );
    // A model whose weights are in an external data file.
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("ext.onnx");
    let script = "import sys, numpy as np, onnx\nfrom onnx import helper, numpy_helper, TensorProto as TP\n\
        w = numpy_helper.from_array(np.arange(64, dtype=np.float32), 'w')\n\
        g = helper.make_graph([helper.make_node('Add', ['x', 'w'], ['y'])], 'g',\n\
            [helper.make_tensor_value_info('x', TP.FLOAT, [64])],\n\
            [helper.make_tensor_value_info('y', TP.FLOAT, [64])], [w])\n\
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])\n\
        onnx.save_model(m, sys.argv[1], save_as_external_data=True, location='ext.data', size_threshold=0)\n";
    let made = Command::new("python3")
        .args(["-c", script, model.to_str().expect("utf-8")])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipping the external-data part: python3 with onnx is needed");
        return;
    }
    assert!(dir.path().join("ext.data").is_file());
    let lines = Build::new(&model).rerun_lines();
    assert_eq!(
        lines,
        vec![
            format!("cargo:rerun-if-changed={}", model.display()),
            format!(
                "cargo:rerun-if-changed={}",
                dir.path().join("ext.data").display()
            ),
        ]
    );
    let out = tempfile::tempdir().expect("tempdir");
    Build::new(&model)
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect("a model with external data compiles");
}

#[test]
fn unknown_or_missing_device_is_a_clear_error() {
    let out = tempfile::tempdir().expect("tempdir");
    let e = Build::new(nonn())
        .deploy(four_devices())
        .device("elbow")
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect_err("no such device");
    assert!(matches!(e, BuildError::UnknownDevice { .. }), "{e:?}");
    let msg = e.to_string();
    for want in [
        "no device 'elbow'",
        "'wrist', 'ankle', 'ear', 'chest'",
        "Build::device",
    ] {
        assert!(msg.contains(want), "want {want:?} in: {msg}");
    }
    let e = Build::new(nonn())
        .deploy(four_devices())
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect_err("several devices, none named");
    assert!(
        e.to_string().contains("deploys 4 devices") && e.to_string().contains("Build::device"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(out.path()).expect("dir").count(), 0);
}

/// The CLI's line for the same failure (`error: ` stripped).
fn cli_error(args: &[&str]) -> String {
    let (code, stderr) = meshnn_status(args);
    assert_eq!(code, Some(1), "{stderr}");
    stderr
        .trim_end()
        .strip_prefix("error: ")
        .expect("error line")
        .to_string()
}

#[test]
fn missing_model_or_deployment_says_what_the_cli_says() {
    let out = tempfile::tempdir().expect("tempdir");
    let missing = out.path().join("missing.onnx");
    let e = Build::new(&missing)
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect_err("missing model");
    let dir = out.path().to_str().expect("utf-8");
    let cli = cli_error(&["compile", missing.to_str().expect("utf-8"), "--out", dir]);
    assert_eq!(e.to_string(), cli);
    assert!(cli.contains("missing.onnx"), "{cli}");

    let bad = out.path().join("bad.toml");
    std::fs::write(&bad, "[[device]]\nname = 3\n").expect("write");
    let e = Build::new(nonn())
        .deploy(&bad)
        .out_dir(out.path())
        .quiet()
        .emit()
        .expect_err("bad deployment");
    let model = nonn();
    let cli = cli_error(&[
        "compile",
        model.to_str().expect("utf-8"),
        "--deploy",
        bad.to_str().expect("utf-8"),
        "--out",
        dir,
    ]);
    assert_eq!(e.to_string(), cli);
}

#[test]
fn without_out_dir_outside_a_build_script_is_a_clear_error() {
    if std::env::var_os("OUT_DIR").is_some() {
        eprintln!("skipping: OUT_DIR is set in this test's environment");
        return;
    }
    let e = Build::new(nonn()).quiet().emit().expect_err("no OUT_DIR");
    assert!(matches!(e, BuildError::NoOutDir), "{e:?}");
    assert!(e.to_string().contains("Build::out_dir"), "{e}");
}

/// A linked device's module (link state, HAL-generic API) compiles inside a host crate
/// that includes it from `OUT_DIR` as a build script would.
#[test]
fn linked_device_module_compiles_in_a_crate() {
    let root = repo_root();
    let krate = tempfile::tempdir().expect("tempdir");
    let out = krate.path().join("out");
    Build::new(nonn())
        .deploy(four_devices())
        .device("wrist")
        .out_dir(&out)
        .quiet()
        .emit()
        .expect("emit");
    let manifest = format!(
        "[package]\nname = \"includes-wrist\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
         [workspace]\n\n[dependencies]\nmeshnn-runtime = {{ path = {:?} }}\n",
        root.join("runtime-rs").display().to_string()
    );
    std::fs::write(krate.path().join("Cargo.toml"), manifest).expect("manifest");
    std::fs::create_dir_all(krate.path().join("src")).expect("src");
    let lib = "#![no_std]\n#![forbid(unsafe_code)]\n\
               include!(concat!(env!(\"OUT_DIR\"), \"/meshnn_wrist.rs\"));\n\
               pub use meshnn_wrist::{Device, Inputs, Outputs, DEVICE_ID};\n";
    std::fs::write(krate.path().join("src/lib.rs"), lib).expect("lib.rs");
    let built = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet"])
        .current_dir(krate.path())
        .env("OUT_DIR", &out)
        .env("CARGO_TARGET_DIR", root.join("target/rust-firmware"))
        .output()
        .expect("cargo runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
}
