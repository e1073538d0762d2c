//! Deployment settings that used to change the answer, or do nothing, without a word
//! (issue 17, section 4): the `mean` fallback without calibration data silently became
//! `zero`; a fallback entry for a tensor that is not received, a manual placement under
//! another strategy and a deadline the link cannot meet were ignored. Now the first is an
//! error and the others are warnings; calibration data nothing uses is a warning.

mod common;
use common::repo_root;
use std::path::Path;

use common::meshnn_status as meshnn;

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// tests/fixtures/deploy/nonn_k4.toml with `extra` appended after its [link] table.
fn nonn_deploy(dir: &Path, name: &str, extra: &str) -> String {
    let base =
        std::fs::read_to_string(repo_root().join("tests/fixtures/deploy/nonn_k4.toml")).unwrap();
    let text = base.replacen(
        "profile = \"ble\"\n",
        &format!("profile = \"ble\"\n{extra}\n"),
        1,
    );
    assert_ne!(text, base);
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    path(&p)
}

fn compile(dir: &Path, deploy: &str, extra: &[&str]) -> (Option<i32>, String) {
    let model = path(&repo_root().join("tests/models/nonn_k4.onnx"));
    let out = path(&dir.join("out"));
    let mut args = vec!["compile", &model, "--deploy", deploy, "--out", &out];
    args.extend_from_slice(extra);
    meshnn(&args)
}

/// Ten random samples shaped like nonn_k4's input.
fn calib_npz(dir: &Path) -> String {
    let p = dir.join("calib.npz");
    let x = meshnn::npy::Array {
        shape: vec![10, 1, 28, 28],
        data: (0..10 * 784)
            .map(|i| ((i * 37 % 101) as f32) / 101.0)
            .collect(),
    };
    common::npz::write_npz(&p, &[("x", common::npz::f32_npy(&x))]);
    path(&p)
}

#[test]
fn mean_fallback_without_calibration_data_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let dep = nonn_deploy(dir.path(), "mean.toml", "[fallback]\ndefault = \"mean\"");
    let (code, err) = compile(dir.path(), &dep, &[]);
    assert_eq!(code, Some(1), "{err}");
    for want in ["mean.toml", "`mean` fallback", "--calib", "'chest'"] {
        assert!(err.contains(want), "want {want:?} in: {err}");
    }
    // With calibration data it compiles, and the means land in the receive stubs.
    let calib = calib_npz(dir.path());
    let (code, err) = compile(dir.path(), &dep, &["--calib", &calib]);
    assert_eq!(code, Some(0), "{err}");
    let glue = std::fs::read_to_string(dir.path().join("out/chest/link_glue.c")).unwrap();
    assert!(glue.contains("MN_FALLBACK_MEAN"), "{glue}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn calibration_data_nothing_uses_is_a_warning_and_a_missing_file_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let dep = path(&repo_root().join("tests/fixtures/deploy/nonn_k4.toml"));
    let calib = calib_npz(dir.path());
    let (code, err) = compile(dir.path(), &dep, &["--calib", &calib]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("warning: --calib") && err.contains("not used"),
        "{err}"
    );
    let missing = path(&dir.path().join("missing.npz"));
    let (code, err) = compile(dir.path(), &dep, &["--calib", &missing]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("missing.npz"), "{err}");
}

#[test]
fn settings_without_effect_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let dep = nonn_deploy(
        dir.path(),
        "quiet.toml",
        "deadline_us = 1\n[fallback]\nno_such_tensor = \"hold\"\ninput = \"hold\"\n\
         [partition]\nstrategy = \"modularity\"\n[partition.manual]\ns0_conv1 = \"wrist\"",
    );
    let (code, err) = compile(dir.path(), &dep, &[]);
    assert_eq!(code, Some(0), "{err}");
    for want in [
        "warning: ",
        "'no_such_tensor' names no tensor of the model",
        "'input' is not received over the link",
        "[partition.manual] is ignored: the strategy is 'modularity'",
        "deadline_us = 1 is shorter than",
        "degraded even on a perfect link",
    ] {
        assert!(err.contains(want), "want {want:?} in: {err}");
    }
    // The fixture as committed draws no warning.
    let plain = path(&repo_root().join("tests/fixtures/deploy/nonn_k4.toml"));
    let (code, err) = compile(dir.path(), &plain, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// Adaptive-waiting settings out of range are errors naming the key and the range; valid
/// ones reach the generated configuration.
#[test]
fn adaptive_waiting_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, key, range) in [
        ("down_after = 256", "link.down_after", "0..=255"),
        ("probe_us = 0", "link.probe_us", "1..=50000"),
        ("probe_us = 60000", "link.probe_us", "1..=50000"),
    ] {
        let deploy = nonn_deploy(dir.path(), "bad.toml", extra);
        let (code, err) = compile(dir.path(), &deploy, &[]);
        assert_eq!(code, Some(1), "{extra}: {err}");
        assert!(err.contains(key) && err.contains(range), "{extra}: {err}");
    }
    let deploy = nonn_deploy(dir.path(), "ok.toml", "down_after = 3\nprobe_us = 8000");
    let (code, err) = compile(dir.path(), &deploy, &[]);
    assert_eq!(code, Some(0), "{err}");
    let cfg = std::fs::read_to_string(dir.path().join("out/chest/meshnn_config.h")).unwrap();
    assert!(
        cfg.contains("#define MESHNN_DOWN_AFTER 3 ")
            && cfg.contains("#define MESHNN_PROBE_US 8000 "),
        "{cfg}"
    );
}

/// `calib_npz`'s samples with NaN in samples 0 and 3 and one infinity in sample 3.
fn npz_with_non_finite(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    let mut data: Vec<f32> = (0..10 * 784)
        .map(|i| ((i * 37 % 101) as f32) / 101.0)
        .collect();
    data[5] = f32::NAN;
    data[3 * 784 + 7] = f32::NAN;
    data[3 * 784 + 8] = f32::INFINITY;
    let x = meshnn::npy::Array {
        shape: vec![10, 1, 28, 28],
        data,
    };
    common::npz::write_npz(&p, &[("x", common::npz::f32_npy(&x))]);
    path(&p)
}

#[test]
fn non_finite_data_is_warned_about_and_refused_as_calibration() {
    let dir = tempfile::tempdir().unwrap();
    let data = npz_with_non_finite(dir.path(), "nan.npz");
    let model = path(&repo_root().join("tests/models/nonn_k4.onnx"));
    let dep = path(&repo_root().join("tests/fixtures/deploy/nonn_k4.toml"));
    let (code, err) = meshnn(&[
        "simulate", &model, "--deploy", &dep, "--data", &data, "--loss", "0",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let want = "nan.npz: the inputs hold 2 NaN and 1 infinite value(s) in 2 of 10 samples";
    assert_eq!(err.matches(want).count(), 1, "want {want:?} once in: {err}");
    // The mean fallback's means would be NaN: an error.
    let mean = nonn_deploy(dir.path(), "mean.toml", "[fallback]\ndefault = \"mean\"");
    let (code, err) = compile(dir.path(), &mean, &["--calib", &data]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("nan.npz") && err.contains("2 NaN"), "{err}");
}
