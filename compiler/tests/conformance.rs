//! ONNX backend conformance: every backend node test case (generated with the installed
//! onnx package's own tools) whose operators are all supported, plus the pytorch-converted
//! and pytorch-operator cases the package ships, runs through `meshnn run` and is compared
//! with the expected outputs by `tests/conformance/run_conformance.py`.
//!
//! Acceptance: >= 95 % of the float32 node cases of the supported operators pass, and
//! every case that runs but fails is listed with its reason in SUPPORTED_OPS.md.
//!
//! Rust: every case also runs with Rust devices (`--lang both`: `meshnn run --lang rust
//! --runtime-path runtime-rs/`, one cargo target folder for all cases, so the runtime
//! compiles once); a case that passes in C must pass in Rust at the same tolerance, unless
//! SUPPORTED_OPS.md lists it under the Rust devices with its reason.
//!
//! Folding: a sample of the same cases with every graph input baked into an initialiser
//! (`--all-constant`) must fold completely at compile time and still match.

mod common;
use common::repo_root;
use std::process::Command;
use std::sync::Mutex;

/// One harness run at a time: both tests generate the same data directory, and each run
/// already uses both cores.
static HARNESS: Mutex<()> = Mutex::new(());

/// Generates the node test data and runs `run_conformance.py` with `args`, printing its
/// verdict lines (failures and the summary) for the log: (exit success, its output, the
/// --json report).
fn run_harness(args: &[&str], report_name: &str) -> (bool, String, serde_json::Value) {
    let _one_at_a_time = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    let root = repo_root();
    let data = root.join("tests/.backend-data");
    let gen = Command::new("python3")
        .arg(root.join("tests/conformance/gen_backend_data.py"))
        .arg(&data)
        .status()
        .expect("python3 is needed for the conformance test (see tests/requirements.txt)");
    assert!(
        gen.success(),
        "generating the ONNX backend test data failed"
    );
    let report = root.join("target").join(report_name);
    let out = Command::new("python3")
        .arg(root.join("tests/conformance/run_conformance.py"))
        .args(["--meshnn", env!("CARGO_BIN_EXE_meshnn"), "--jobs", "2"])
        .args(args)
        .arg("--data")
        .arg(&data)
        .arg("--json")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout
        .lines()
        .filter(|l| !l.starts_with("UNSUPPORTED") && !l.starts_with("baked"))
    {
        println!("{line}");
    }
    let text = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let json = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    (out.status.success(), text, json)
}

/// Whether SUPPORTED_OPS.md lists `case` among the cases that run but fail (with a reason).
fn documented_failure(doc: &str, case: &str) -> bool {
    doc.contains(&format!("`{case}`"))
}

/// The heading SUPPORTED_OPS.md's list of the cases that fail only in Rust opens with.
const RUST_SECTION: &str = "Rust devices (`--lang rust`";

/// Whether SUPPORTED_OPS.md lists `case` among the cases that fail only with Rust devices.
fn documented_rust_failure(doc: &str, case: &str) -> bool {
    doc.split_once(RUST_SECTION)
        .is_some_and(|(_, rust)| documented_failure(rust, case))
}

#[test]
fn onnx_backend_conformance() {
    let args = ["--min-pass-rate", "95", "--lang", "both"];
    let (ok, text, json) = run_harness(&args, "conformance.json");
    assert!(ok, "conformance below 95 %:\n{text}");

    // Rust devices run every case C runs, and pass wherever C passes.
    let rust = &json["rust"];
    let c_run = json["passed"].as_u64().unwrap() + json["failed"].as_u64().unwrap();
    assert_eq!(
        rust["run"].as_u64(),
        Some(c_run),
        "Rust ran fewer cases than C"
    );
    let doc = std::fs::read_to_string(repo_root().join("SUPPORTED_OPS.md")).unwrap();
    let rust_only: Vec<&str> = rust["rust_only_failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .filter(|c| !documented_rust_failure(&doc, c))
        .collect();
    assert!(
        rust_only.is_empty(),
        "cases that pass in C but fail with --lang rust (fix them, or list them with the reason: run_conformance.py --lang both --update-supported-ops SUPPORTED_OPS.md): {rust_only:?}"
    );

    // Every failed case must be documented in SUPPORTED_OPS.md with its reason.
    let mut undocumented = Vec::new();
    for case in json["cases"].as_array().unwrap() {
        if case["status"] == "failed" {
            let name = case["case"].as_str().unwrap();
            if !documented_failure(&doc, name) {
                undocumented.push(name.to_string());
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "failing cases missing from SUPPORTED_OPS.md (run run_conformance.py --update-supported-ops SUPPORTED_OPS.md): {undocumented:?}"
    );
    let passed = json["passed"].as_u64().unwrap();
    assert!(
        passed >= 250,
        "suspiciously few conformance cases passed: {passed}"
    );
}

/// Operators whose constant folding is not implemented yet (`ir/eval` returns `None`):
/// a case may stay unfolded only when one of these is left in its graph. Shrink this list
/// as folding lands; empty, the test proves "every op folds".
const NOT_FOLDED_YET: &[&str] = &[];

/// Every op folds when its inputs are constant: a sample of the backend cases (up to 3 per
/// supported operator, under a minute) with EVERY graph input baked into an initialiser
/// (`run_conformance.py --all-constant`) must fold to no node at all and still produce the
/// ONNX expected outputs (the independent reference). Cases that fail in the normal run
/// too (documented in SUPPORTED_OPS.md) are not counted again.
#[test]
fn onnx_backend_all_constant_folds() {
    let args = ["--all-constant", "--per-op", "3"];
    let (ok, text, json) = run_harness(&args, "conformance-all-constant.json");
    assert!(ok, "harness failed:\n{text}");
    let doc = std::fs::read_to_string(repo_root().join("SUPPORTED_OPS.md")).unwrap();
    let mut bad = Vec::new();
    for case in json["cases"].as_array().unwrap() {
        let name = case["case"].as_str().unwrap();
        if case["status"] != "failed" || documented_failure(&doc, name) {
            continue;
        }
        let blocked = case["not_folded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|op| NOT_FOLDED_YET.contains(&op.as_str().unwrap()));
        if !blocked {
            bad.push(format!("{name}: {}", case["reason"]));
        }
    }
    assert!(
        bad.is_empty(),
        "all-constant cases that do not fold or do not match:\n{}",
        bad.join("\n")
    );
    let passed = json["passed"].as_u64().unwrap();
    assert!(passed >= 50, "suspiciously few cases folded: {passed}");
}
