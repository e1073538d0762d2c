//! `simulate` and `bench` with Rust devices (`--lang rust`, or `lang = "rust"` per
//! device): the simulator at loss 0 equals `run`; for one seed, C and Rust devices give
//! the same report under every loss model (bursts, dropout, outages, exact patterns),
//! with and without authentication, fragmented or not, all Rust or mixed: the link
//! semantics are one. `bench --lang rust` times the all-C build in the same rounds.
//!
//! Cargo builds share `target/rust-backend` with `rust_backend.rs` (the runtime compiles
//! once) and run one at a time.

mod common;
use common::*;
use meshnn::codegen::rust_render::RuntimeSource;
use meshnn::deploy::{Deployment, Lang};
use meshnn::driver::{self, Deployed, EmitOptions};
use meshnn::npy::Array;
use meshnn::tools::host_build::HostBuild;
use meshnn::tools::simulate::{self, Dataset, LossModel};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, Once};

static CARGO: Mutex<()> = Mutex::new(());
static TARGET: Once = Once::new();

/// The shared cargo target folder.
fn target_dir() -> PathBuf {
    repo_root().join("target/rust-backend")
}

/// Hold the cargo lock, with `$CARGO_TARGET_DIR` set (once, before any test of this file
/// spawns a process: every test takes this lock first).
fn cargo_lock() -> MutexGuard<'static, ()> {
    TARGET.call_once(|| std::env::set_var("CARGO_TARGET_DIR", target_dir()));
    CARGO.lock().unwrap_or_else(|e| e.into_inner())
}

/// Emit options: devices without a `lang` in `lang`, the repository's runtime.
fn options(lang: Lang) -> EmitOptions {
    EmitOptions {
        lang,
        runtime: RuntimeSource::Path(repo_root().join("runtime-rs").display().to_string()),
    }
}

/// The NoNN fixture on its four devices with `link` added to `[link]`, every received
/// tensor falling back to `fallback`, and `lang = "rust"` for the devices `rust`.
fn nonn(link: &str, fallback: &str, rust: &[&str]) -> Deployed {
    let path = repo_root().join("tests/fixtures/deploy/nonn_k4.toml");
    let mut text = std::fs::read_to_string(path).unwrap();
    text = text.replacen("[link]\n", &format!("[link]\n{link}\n"), 1);
    text += &format!("\n[fallback]\ndefault = \"{fallback}\"\n");
    for dev in rust {
        let line = format!("name = \"{dev}\"\n");
        assert!(text.contains(&line), "{dev} is not in the fixture");
        text = text.replace(&line, &format!("{line}lang = \"rust\"\n"));
    }
    let dep = Deployment::parse(&text, "nonn_k4.toml").unwrap();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    driver::deploy(prepare_checked(&model), dep, None).unwrap()
}

/// The first `n` samples of the MNIST test set, with labels.
fn mnist(d: &Deployed, n: usize) -> Dataset {
    let path = repo_root().join("tests/models/mnist_test.npz");
    let all = simulate::load_dataset(&path, d).unwrap();
    let per = all.inputs[0].data.len() / all.n;
    let mut shape = all.inputs[0].shape.clone();
    shape[0] = n;
    Dataset {
        inputs: vec![Array {
            shape,
            data: all.inputs[0].data[..n * per].to_vec(),
        }],
        labels: all.labels.map(|y| y[..n].to_vec()),
        n,
    }
}

/// The simulator of `d` with devices in `lang`, built in `dir`.
fn sim(d: &Deployed, dir: &Path, lang: Lang) -> PathBuf {
    simulate::build_with(d, dir, &simulate::sim_link(d), &options(lang))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `simulate --lang rust` at loss 0 gives, sample for sample, exactly the outputs of
/// `run` with Rust devices, and those of `run` in C within 1e-6 relative.
#[test]
fn rust_simulator_at_loss_zero_equals_run() {
    let _lock = cargo_lock();
    let d = nonn("", "zero", &[]);
    let dir = tempfile::tempdir().unwrap();
    let data = mnist(&d, 5);
    let exe = sim(&d, &dir.path().join("sim"), Lang::Rust);
    let simulated = simulate::outputs_at(
        &d,
        &exe,
        &data,
        LossModel::Bernoulli,
        1,
        0.0,
        &dir.path().join("sim"),
    )
    .unwrap();
    let rust_run =
        HostBuild::emit_with(&d, &dir.path().join("run_rust"), &[], &options(Lang::Rust)).unwrap();
    let c_run = HostBuild::emit(&d, &dir.path().join("run_c"), &[]).unwrap();
    let per = data.inputs[0].data.len() / data.n;
    for (s, sim_out) in simulated.iter().enumerate() {
        let x = &data.inputs[0].data[s * per..(s + 1) * per];
        let rust = rust_run.infer(&[x], 1).unwrap();
        let c = c_run.infer(&[x], 1).unwrap();
        let got: Vec<f32> = sim_out.iter().map(|&v| v as f32).collect();
        assert_eq!(
            got, rust[0],
            "sample {s}: simulator (Rust) differs from run (Rust)"
        );
        // Rust's and C's libm round exp differently in the last bit.
        let close = |a: &[f32]| Array {
            shape: vec![a.len()],
            data: a.to_vec(),
        };
        assert_close(
            &format!("sample {s}"),
            &close(&rust[0]),
            &close(&c[0]),
            0.0,
            1e-6,
        );
    }
}

/// The loss models and levels compared (each level draws its own frames).
const MODELS: [(LossModel, f64); 4] = [
    (LossModel::Bernoulli, 0.15),
    (LossModel::Gilbert, 0.2),
    (LossModel::Dropout, 0.3),
    (LossModel::Outage, 0.2),
];

/// Every loss model's report (JSON) and the exact patterns report of one simulator.
fn reports(d: &Deployed, exe: &Path, data: &Dataset, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (model, loss) in MODELS {
        let r = simulate::run(d, exe, data, model, 7, &[0.0, loss], dir, false).unwrap();
        out.push(serde_json::to_string(&r).unwrap());
    }
    let p = simulate::patterns::run(d, exe, data, &[0.1, 0.5], dir, false).unwrap();
    out.push(serde_json::to_string(&p).unwrap());
    out
}

/// The same seed gives the same JSON with C and with Rust devices, for every loss model,
/// authenticated and fragmented (64-byte frames: 28 bytes of payload) with the hold
/// fallback, CRC-only with the zero fallback, and mixed C/Rust. The losses are real: some
/// inference is degraded and the agreement drops below 1.
#[test]
fn same_seed_same_report_for_c_and_rust_devices() {
    let _lock = cargo_lock();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str, &[&str], Lang); 3] = [
        ("auth_fragmented", "mtu_bytes = 64", "hold", &[], Lang::Rust),
        ("crc_only", "auth = \"off\"", "zero", &[], Lang::Rust),
        (
            "mixed",
            "mtu_bytes = 64",
            "hold",
            &["wrist", "chest"],
            Lang::C,
        ),
    ];
    for (name, link, fallback, rust, lang) in cases {
        let d = nonn(link, fallback, rust);
        let rust_count = (0..4).filter(|&i| d.lang_of(i, lang) == Lang::Rust).count();
        assert_eq!(rust_count, if rust.is_empty() { 4 } else { 2 }, "{name}");
        let data = mnist(&d, 40);
        let base = dir.path().join(name);
        let c_exe = sim(&d, &base.join("c"), Lang::C);
        let rust_exe = sim(&d, &base.join("rust"), lang);
        let c = reports(&d, &c_exe, &data, &base.join("c"));
        let r = reports(&d, &rust_exe, &data, &base.join("rust"));
        for (k, (c, r)) in c.iter().zip(&r).enumerate() {
            assert_eq!(
                c, r,
                "{name}: report {k} differs between C and Rust devices"
            );
        }
        let dropout: serde_json::Value = serde_json::from_str(&c[2]).unwrap();
        let lossy = &dropout["levels"][1];
        assert!(
            lossy["degraded_fraction"].as_f64().unwrap() > 0.0,
            "{name}: {lossy}"
        );
        assert!(
            lossy["agreement"].as_f64().unwrap() < 1.0,
            "{name}: {lossy}"
        );
    }
}

fn meshnn(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The CLI: `simulate --lang rust --json` prints what `--lang c` prints.
#[test]
fn simulate_cli_with_lang_rust_prints_the_c_report() {
    let _lock = cargo_lock();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.npz");
    let d = nonn("", "zero", &[]);
    let x = mnist(&d, 30);
    npz::write_npz(&data, &[("x", npz::f32_npy(&x.inputs[0]))]);
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let deploy = repo_root().join("examples/nonn_wearables/deploy.toml");
    let json = |lang: &str| {
        let build = dir.path().join(format!("build_{lang}"));
        let (code, out, err) = meshnn(&[
            "simulate",
            model.to_str().unwrap(),
            "--deploy",
            deploy.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--lang",
            lang,
            "--loss-model",
            "gilbert",
            "--loss",
            "0.1,0.3",
            "--json",
            "--build-dir",
            build.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{lang}: {err}");
        out
    };
    let c = json("c");
    assert!(c.contains("\"loss_model\": \"gilbert\""), "{c}");
    assert_eq!(c, json("rust"));
}

/// `bench --lang rust` reports the Rust build's time, the all-C build's time from the
/// same rounds and their ratio; `--lang c` has no C comparison.
#[test]
fn bench_with_lang_rust_reports_the_c_build_next_to_it() {
    let _lock = cargo_lock();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let deploy = repo_root().join("tests/fixtures/deploy/nonn_k4.toml");
    let bench = |lang: &str| -> serde_json::Value {
        let (code, out, err) = meshnn(&[
            "bench",
            model.to_str().unwrap(),
            "--deploy",
            deploy.to_str().unwrap(),
            "--lang",
            lang,
            "--runs",
            "9",
            "--json",
        ]);
        assert_eq!(code, 0, "{lang}: {err}");
        serde_json::from_str(&out).unwrap()
    };
    let r = bench("rust");
    let num = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {r}"));
    assert_eq!(r["lang"], "rust");
    let rustflags = r["rustflags"].as_str().unwrap();
    assert!(rustflags.starts_with("-C target-cpu=native"), "{rustflags}");
    assert!(num("meshnn_us") > 0.0 && num("c_us") > 0.0);
    assert!((num("over_c") - num("meshnn_us") / num("c_us")).abs() < 1e-9);
    assert!((num("over_c_min") - num("meshnn_min_us") / num("c_min_us")).abs() < 1e-9);
    let notes = r["notes"].to_string();
    if !notes.contains("valgrind not found") {
        assert!(num("instructions_per_mac") > 0.0, "{r}");
        let flags = r["callgrind_cflags"].as_str().unwrap();
        assert!(flags.contains("target-feature=-avx512f") || !cfg!(target_arch = "x86_64"));
    }
    let c = bench("c");
    assert_eq!(c["lang"], "c");
    assert!(c["c_us"].is_null() && c["over_c"].is_null() && c["rustflags"].is_null());
}
