//! ONNX backend conformance: every backend node test case (generated with the installed
//! onnx package's own tools) whose operators are all supported, plus the pytorch-converted
//! and pytorch-operator cases the package ships, runs through `meshnn run` and is compared
//! with the expected outputs by `tests/conformance/run_conformance.py`.
//!
//! Acceptance: >= 95 % of the float32 node cases of the supported operators pass, and
//! every case that runs but fails is listed with its reason in SUPPORTED_OPS.md.

mod common;
use common::repo_root;
use std::process::Command;

#[test]
fn onnx_backend_conformance() {
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

    let report = root.join("target/conformance.json");
    let out = Command::new("python3")
        .arg(root.join("tests/conformance/run_conformance.py"))
        .args([
            "--meshnn",
            env!("CARGO_BIN_EXE_meshnn"),
            "--jobs",
            "2",
            "--min-pass-rate",
            "95",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--json")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Print the harness's verdict lines (failures and the summary) for the log.
    for line in stdout
        .lines()
        .filter(|l| !l.starts_with("UNSUPPORTED") && !l.starts_with("baked"))
    {
        println!("{line}");
    }
    assert!(
        out.status.success(),
        "conformance below 95 %:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Every failed case must be documented in SUPPORTED_OPS.md with its reason.
    let doc = std::fs::read_to_string(root.join("SUPPORTED_OPS.md")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let mut undocumented = Vec::new();
    for case in json["cases"].as_array().unwrap() {
        if case["status"] == "failed" {
            let name = case["case"].as_str().unwrap();
            if !doc.contains(&format!("`{name}`")) {
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
