//! Bad input: each case gives one specific error message and a non-zero exit, never a
//! panic or a backtrace.

mod common;
use common::repo_root;
use std::path::Path;
use std::process::Command;

/// Run meshnn with `args`; assert failure and that stderr contains every `needles` item.
fn fails_with(args: &[&str], needles: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "{args:?} should fail; stderr: {stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: exit code; stderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked")
            && !stderr.contains("internal meshnn error")
            && !stderr.contains("RUST_BACKTRACE"),
        "{args:?}: {stderr}"
    );
    for n in needles {
        assert!(
            stderr.contains(n),
            "{args:?}: stderr should mention {n:?}; got: {stderr}"
        );
    }
    assert!(
        stderr.lines().count() <= 4,
        "{args:?}: error should be short; got: {stderr}"
    );
    stderr
}

fn tmp_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn fixture(path: &str) -> String {
    repo_root().join(path).display().to_string()
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    let m = tmp_file(d.path(), "empty.onnx", b"");
    fails_with(&["inspect", &m], &["empty.onnx", "empty"]);
}

#[test]
fn truncated_model() {
    let d = tempfile::tempdir().unwrap();
    let full = std::fs::read(repo_root().join("tests/models/mlp.onnx")).unwrap();
    let m = tmp_file(d.path(), "trunc.onnx", &full[..full.len() / 2]);
    fails_with(&["inspect", &m], &["trunc.onnx"]);
}

#[test]
fn random_bytes() {
    let d = tempfile::tempdir().unwrap();
    let mut x: u32 = 12345;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            (x >> 24) as u8
        })
        .collect();
    let m = tmp_file(d.path(), "random.onnx", &bytes);
    fails_with(
        &[
            "compile",
            &m,
            "--out",
            &d.path().join("o").display().to_string(),
        ],
        &["random.onnx"],
    );
}

#[test]
fn missing_file() {
    fails_with(
        &["inspect", "/nonexistent/model.onnx"],
        &["/nonexistent/model.onnx"],
    );
}

#[test]
fn unsupported_operators_are_all_listed() {
    let m = fixture("tests/fixtures/errors/unsupported_op.onnx");
    fails_with(
        &["inspect", &m],
        &[
            "Resize",
            "up_1",
            "Shrink",
            "shrink_1",
            "opset 13",
            "SUPPORTED_OPS.md",
        ],
    );
}

#[test]
fn dynamic_non_batch_dimension() {
    let m = fixture("tests/fixtures/errors/dynamic_dim.onnx");
    fails_with(&["inspect", &m], &["'x'", "T"]);
}

#[test]
fn batch_dimension_is_bound_and_noted() {
    let m = fixture("tests/fixtures/errors/batch_only.onnx");
    let stdout = common::meshnn_stdout(&["inspect", &m]);
    assert!(
        stdout.contains("batch") && stdout.contains("bound to 1"),
        "{stdout}"
    );
}

fn write_npy(dir: &Path, name: &str, shape: &[usize]) -> String {
    let p = dir.join(name);
    let n: usize = shape.iter().product();
    meshnn::npy::write_f32(&p, shape, &vec![0.5; n]).unwrap();
    p.display().to_string()
}

/// `meshnn run tests/models/mlp.onnx --input INPUT --out-dir OUT` fails, naming `want`.
fn run_mlp_fails_with(input: &str, out: &str, want: &[&str]) {
    fails_with(
        &[
            "run",
            &fixture("tests/models/mlp.onnx"),
            "--input",
            input,
            "--out-dir",
            out,
        ],
        want,
    );
}

/// `meshnn run` of mlp.onnx with `NAME=x.npy` (0.5 everywhere, shaped `shape`) fails, naming `want`.
fn run_mlp_with_npy_fails_with(name: &str, shape: &[usize], want: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let x = write_npy(d.path(), "x.npy", shape);
    let out = d.path().join("out").display().to_string();
    run_mlp_fails_with(&format!("{name}={x}"), &out, want);
}

#[test]
fn unknown_input_name() {
    run_mlp_with_npy_fails_with("nosuch", &[1, 64], &["nosuch", "input"]);
}

#[test]
fn npy_of_the_wrong_shape() {
    run_mlp_with_npy_fails_with("input", &[1, 63], &["[1, 63]", "[1, 64]"]);
}

#[test]
fn npy_of_the_wrong_dtype() {
    let d = tempfile::tempdir().unwrap();
    // A float64 .npy written by hand: header + 64 doubles.
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 64), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(std::iter::repeat_n(0u8, 64 * 8));
    let x = tmp_file(d.path(), "x64.npy", &bytes);
    let out = d.path().join("out").display().to_string();
    run_mlp_fails_with(&format!("input={x}"), &out, &["float64", "float32"]);
}

#[test]
fn output_directory_that_cannot_be_written() {
    let d = tempfile::tempdir().unwrap();
    let x = write_npy(d.path(), "x.npy", &[1, 64]);
    // A directory cannot be created below a regular file (even as root).
    let blocker = tmp_file(d.path(), "file", b"x");
    let out = format!("{blocker}/out");
    run_mlp_fails_with(&format!("input={x}"), &out, &["output directory", &out]);
}

#[test]
fn missing_input() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out").display().to_string();
    fails_with(
        &[
            "run",
            &fixture("tests/models/two_input.onnx"),
            "--out-dir",
            &out,
        ],
        &["imu_wrist", "--input"],
    );
}

/// An OS error is named once, however many error layers carry it (it was printed twice:
/// "No such file or directory (os error 2): No such file or directory (os error 2)").
#[test]
fn os_errors_are_printed_once() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing.npy").display().to_string();
    let npz = d.path().join("missing.npz").display().to_string();
    for (args, what) in [
        (
            vec![
                "run",
                &fixture("tests/models/mlp.onnx"),
                "--input",
                &format!("input={missing}"),
                "--out-dir",
                &d.path().join("out").display().to_string(),
            ],
            "missing.npy",
        ),
        (
            vec![
                "simulate",
                &fixture("tests/models/nonn_k4.onnx"),
                "--deploy",
                &fixture("tests/fixtures/deploy/nonn_k4.toml"),
                "--data",
                &npz,
            ],
            "missing.npz",
        ),
        (
            vec![
                "compile",
                &fixture("tests/models/mlp.onnx"),
                "--out",
                "/proc/meshnn-cannot-write-here",
            ],
            "/proc/meshnn-cannot-write-here",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
        let err = fails_with(&args, &[what]);
        assert_eq!(
            err.matches("(os error").count(),
            1,
            "{args:?}: the OS error once: {err}"
        );
    }
}

/// Command-line usage errors (unknown option or subcommand, missing argument, invalid value)
/// exit with 2 and two lines: the error, then the usage or where to get help (README).
#[test]
fn usage_errors_exit_2_with_two_lines() {
    let mlp = fixture("tests/models/mlp.onnx");
    for (args, first, second) in [
        (
            vec!["inspect", "--bogus", &mlp],
            "unexpected argument '--bogus'",
            "usage: meshnn inspect",
        ),
        (
            vec!["run", &mlp, "--input", "input=x.npy"],
            "--out-dir",
            "usage: meshnn run",
        ),
        (
            vec!["bench", &mlp, "--runs", "many"],
            "invalid value 'many' for '--runs",
            "'meshnn bench --help'",
        ),
        (
            vec!["bogus"],
            "unrecognized subcommand 'bogus'",
            "usage: meshnn",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(first),
            "{args:?}: {err}"
        );
        assert!(lines[1].contains(second), "{args:?}: {err}");
    }
}

/// `bench --runs` below one run per timing round is refused instead of printing
/// meaningless (negative) times.
#[test]
fn bench_refuses_too_few_runs() {
    for runs in ["0", "1", "8"] {
        fails_with(
            &["bench", &fixture("tests/models/mlp.onnx"), "--runs", runs],
            &[&format!("--runs {runs}"), "at least 9"],
        );
    }
}

#[test]
fn closed_stdout_exits_quietly() {
    // `meshnn ops | head -0`, deterministically: the pipe's read end is closed before
    // meshnn writes, so its first write fails with EPIPE. Not an internal error: no
    // message, the status a shell gives a process its pipe's SIGPIPE ended (141).
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .arg("ops")
        .stdout(writer)
        .output()
        .expect("meshnn runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "stderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
}
