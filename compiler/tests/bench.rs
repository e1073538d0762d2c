//! `meshnn bench`: the JSON report of a deployment, and what it says when onnxruntime
//! and valgrind are missing. Timings are not asserted (this is not a timed test): the
//! acceptance figures are measured by hand and recorded in BENCHMARKS.md.

mod common;
use common::*;
use std::process::Command;

fn meshnn(args: &[&str], path: Option<&std::path::Path>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meshnn"));
    cmd.args(args);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn has(tool: &str, check: &[&str]) -> bool {
    Command::new(tool)
        .args(check)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bench_of_a_deployment_reports_every_device() {
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let deploy = repo_root().join("tests/fixtures/deploy/nonn_k4.toml");
    let (code, out, err) = meshnn(
        &[
            "bench",
            &model.display().to_string(),
            "--deploy",
            &deploy.display().to_string(),
            "--runs",
            "20",
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("{k} missing: {out}"))
    };
    assert!(num("meshnn_us") > 0.0);
    // Every node of the model is timed: the MACs equal inspect's total.
    let (_, inspect, _) = meshnn(&["inspect", &model.display().to_string(), "--json"], None);
    let inspect: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(r["macs"], inspect["total_macs"]);
    let devices = r["devices"].as_array().unwrap();
    let names: Vec<&str> = devices
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["wrist", "ankle", "ear", "chest"]);
    let sum = |k: &str| devices.iter().map(|d| d[k].as_f64().unwrap()).sum::<f64>();
    assert_eq!(num("arena_bytes"), sum("arena_bytes"));
    assert_eq!(
        num("arena_lower_bound_bytes"),
        sum("arena_lower_bound_bytes")
    );
    for d in devices {
        let (a, lb) = (
            d["arena_bytes"].as_f64().unwrap(),
            d["arena_lower_bound_bytes"].as_f64().unwrap(),
        );
        assert!(lb <= a && a <= 1.05 * lb, "{d}");
    }
    let ort = Command::new("python3")
        .args(["-c", "import onnxruntime"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ort {
        let speedup = num("speedup_vs_onnxruntime");
        assert!((speedup - num("onnxruntime_us") / num("meshnn_us")).abs() < 1e-9);
        let at_min = num("speedup_min_vs_onnxruntime");
        assert!((at_min - num("onnxruntime_min_us") / num("meshnn_min_us")).abs() < 1e-9);
    } else {
        eprintln!("onnxruntime not installed: speedup not checked");
    }
    if has("valgrind", &["--version"]) {
        let ipm = num("instructions_per_mac");
        assert!(ipm > 0.0 && ipm < 100.0, "{ipm}");
    } else {
        eprintln!("valgrind not installed: instructions per MAC not checked");
    }
}

#[test]
fn bench_without_onnxruntime_and_valgrind_says_so_and_reports_the_rest() {
    // A PATH holding only the C toolchain: no python3, no valgrind.
    let dir = tempfile::tempdir().unwrap();
    for tool in ["cc", "gcc", "as", "ld"] {
        let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
        else {
            continue;
        };
        let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !found.is_empty() {
            std::os::unix::fs::symlink(&found, dir.path().join(tool)).unwrap();
        }
    }
    let model = repo_root().join("tests/models/mlp.onnx");
    let (code, out, err) = meshnn(
        &["bench", &model.display().to_string(), "--runs", "9"],
        Some(dir.path()),
    );
    assert_eq!(code, 0, "{err}");
    for needle in [
        "onnxruntime not timed",
        "python3",
        "valgrind not found",
        "install valgrind",
        "meshnn ",
        "arena ",
    ] {
        assert!(out.contains(needle), "expected {needle:?} in:\n{out}");
    }
}
