//! The user's files and concurrent runs are safe (issue 17, part 5): meshnn empties only
//! folders it created (marked with `.meshnn-build`), refuses a non-empty folder it did not
//! create, and holds a lock on a build folder for the whole command, so a second command
//! on the same folder fails at once with a clear error instead of mixing outputs.

mod common;
use common::{meshnn_status, repo_root};
use meshnn::npy;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mlp() -> String {
    repo_root()
        .join("tests/models/mlp.onnx")
        .display()
        .to_string()
}

/// An input of mlp.onnx ([1, 64]) filled with `v`, written to `dir/x<v>.npy`.
fn input(dir: &Path, v: f32) -> PathBuf {
    let p = dir.join(format!("x{v}.npy"));
    npy::write_f32(&p, &[1, 64], &[v; 64]).unwrap();
    p
}

/// The arguments of `meshnn run mlp.onnx` on `x` into `out`, built in `build`.
fn run_args<'a>(x: &'a Path, out: &'a Path, build: &'a Path, model: &'a str) -> Vec<String> {
    vec![
        "run".into(),
        model.into(),
        "--input".into(),
        format!("input={}", path(x)),
        "--out-dir".into(),
        path(out).into(),
        "--build-dir".into(),
        path(build).into(),
    ]
}

fn status(args: &[String]) -> (Option<i32>, String) {
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    meshnn_status(&a)
}

fn log_probs(out: &Path) -> Vec<f32> {
    npy::read_f32(&out.join("log_probs.npy")).unwrap().data
}

#[test]
fn a_folder_meshnn_did_not_create_is_refused_and_left_alone() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let x = input(d, 0.5);
    let user = d.join("mine");
    std::fs::create_dir_all(user.join("io")).unwrap();
    std::fs::write(user.join("notes.txt"), "my notes").unwrap();
    std::fs::write(user.join("io/keep.txt"), "keep").unwrap();
    let (code, stderr) = status(&run_args(&x, &d.join("out"), &user, &mlp()));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("not created by meshnn") && stderr.contains("mine"),
        "{stderr}"
    );
    assert!(stderr.lines().count() <= 2, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(user.join("notes.txt")).unwrap(),
        "my notes"
    );
    assert_eq!(
        std::fs::read_to_string(user.join("io/keep.txt")).unwrap(),
        "keep"
    );
    let names: Vec<_> = std::fs::read_dir(&user).unwrap().collect();
    assert_eq!(names.len(), 2, "meshnn wrote into the user's folder");

    // A new folder is meshnn's (marked), and can be used again and again.
    let ours = d.join("build");
    for _ in 0..2 {
        let (code, stderr) = status(&run_args(&x, &d.join("out"), &ours, &mlp()));
        assert_eq!(code, Some(0), "{stderr}");
    }
    assert!(ours.join(".meshnn-build").is_file());
}

#[test]
fn a_build_folder_in_use_is_refused_with_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let x = input(d, 0.5);
    let build = d.join("build");
    let args = run_args(&x, &d.join("out"), &build, &mlp());
    assert_eq!(status(&args).0, Some(0));
    // Another command holds the folder: this process takes its lock, as meshnn does.
    let lock = std::fs::File::options()
        .write(true)
        .open(build.join(".meshnn-lock"))
        .unwrap();
    lock.lock().unwrap();
    let (code, stderr) = status(&args);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("in use by another meshnn command") && stderr.contains("build"),
        "{stderr}"
    );
    lock.unlock().unwrap();
    assert_eq!(status(&args).0, Some(0));
}

/// Two runs on one build folder at once, with different inputs: each either succeeds with
/// its own outputs (those of a run alone) or fails with the lock error; never a spurious
/// failure, never the other run's outputs.
#[test]
fn two_concurrent_runs_get_their_own_outputs_or_the_lock_error() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let model = mlp();
    let xs = [input(d, 0.25), input(d, -1.5)];
    let alone: Vec<Vec<f32>> = xs
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let out = d.join(format!("alone{k}"));
            let args = run_args(x, &out, &d.join(format!("b{k}")), &model);
            assert_eq!(status(&args).0, Some(0));
            log_probs(&out)
        })
        .collect();
    assert_ne!(alone[0], alone[1]);
    let shared = d.join("shared");
    for round in 0..3 {
        let children: Vec<_> = xs
            .iter()
            .enumerate()
            .map(|(k, x)| {
                let out = d.join(format!("r{round}_{k}"));
                let child = Command::new(env!("CARGO_BIN_EXE_meshnn"))
                    .args(run_args(x, &out, &shared, &model))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (out, child)
            })
            .collect();
        let mut succeeded = 0;
        for (k, (out, child)) in children.into_iter().enumerate() {
            let o = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                assert_eq!(log_probs(&out), alone[k], "round {round}, run {k}");
                succeeded += 1;
            } else {
                assert_eq!(o.status.code(), Some(1), "{stderr}");
                assert!(
                    stderr.contains("in use by another meshnn command"),
                    "round {round}, run {k}: {stderr}"
                );
            }
        }
        assert!(succeeded >= 1, "round {round}: both runs failed");
    }
}

/// `compile` into a folder an earlier `compile` wrote: the earlier model's generated
/// sources that the new one does not use (a kernel file, the other form of the weights)
/// are removed, since builds compile every source of a device folder; the user's own
/// files there stay.
#[test]
fn recompiling_into_a_folder_removes_stale_generated_sources_only() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let model = |m: &str| {
        repo_root()
            .join(format!("tests/models/int8/{m}.onnx"))
            .display()
            .to_string()
    };
    let compile = |m: &str, extra: &[&str]| {
        let mut args = vec!["compile".to_string(), model(m), "--out".into()];
        args.push(path(&out).into());
        args.extend(extra.iter().map(|s| s.to_string()));
        let (code, err) = status(&args);
        assert_eq!(code, Some(0), "compile {m}: {err}");
    };
    let deploy = t.path().join("c_weights.toml");
    let toml = r#"[[device]]
name = "main"
target = "host"
inputs = ["input"]
outputs = true
weights = "c"
"#;
    std::fs::write(&deploy, toml).unwrap();
    compile("dw_separable_qdq", &["--deploy", path(&deploy)]);
    let dev = out.join("main");
    assert!(dev.join("mn_conv2d_dw_s8.c").exists());
    assert!(dev.join("weights.c").exists());
    std::fs::write(dev.join("notes.txt"), "mine").unwrap();
    std::fs::write(dev.join("my_board.c"), "int my_board;\n").unwrap();
    std::fs::write(
        out.join("weights.c"),
        "/* the user's, beside the device folders */\n",
    )
    .unwrap();
    compile("nonn_k4_qdq", &[]);
    assert!(
        out.join("weights.c").exists(),
        "a file outside the C folders was removed"
    );
    assert!(
        !dev.join("mn_conv2d_dw_s8.c").exists(),
        "the depthwise kernel nonn_k4 does not use was left behind"
    );
    assert!(
        !dev.join("weights.c").exists(),
        "weights.c beside weights.S"
    );
    assert!(dev.join("weights.S").exists() && dev.join("mn_conv2d_fast_s8.c").exists());
    assert_eq!(
        std::fs::read_to_string(dev.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(
        dev.join("my_board.c").exists(),
        "a user's source was removed"
    );
}
