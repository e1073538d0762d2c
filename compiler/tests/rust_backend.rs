//! The Rust backend (`--lang rust`): fixtures run as Rust devices inside the C host
//! harness against onnxruntime, the NoNN example all-Rust and mixed C/Rust against the
//! single-device C build, snapshots of the generated crate, the crate passing
//! `cargo clippy -D warnings` and `cargo fmt --check`, and determinism.
//!
//! Cargo builds are few and cached: every generated crate depends on the repository's
//! `runtime-rs/` (`RuntimeSource::Path`) and builds into one target folder
//! (`target/rust-backend`), so the runtime and its dependencies compile once, and cargo
//! runs offline once they are fetched; the tests take turns (`cargo_lock`), and builds
//! into the folder take turns too (they share its output library; `tools::rust_build`
//! locks it), so the fixture test's two threads overlap one's cargo with the other's C.

mod common;
use common::*;
use meshnn::codegen::rust_render::RuntimeSource;
use meshnn::deploy::{Deployment, Lang};
use meshnn::driver::{self, Deployed, EmitOptions};
use meshnn::npy::Array;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, Once};

static CARGO: Mutex<()> = Mutex::new(());
static TARGET: Once = Once::new();

/// Hold the cargo lock, with `$CARGO_TARGET_DIR` set to the shared target folder and,
/// once the runtime's crates are fetched, `$CARGO_NET_OFFLINE` (set once, before any test
/// of this file spawns a process).
fn cargo_lock() -> MutexGuard<'static, ()> {
    TARGET.call_once(|| {
        let dir = repo_root().join("target/rust-backend");
        // SAFETY-free: set before any thread of this binary spawns a process (every test
        // takes this lock first).
        std::env::set_var("CARGO_TARGET_DIR", dir);
        if fetch_runtime_dependencies() {
            std::env::set_var("CARGO_NET_OFFLINE", "true");
        }
    });
    CARGO.lock().unwrap_or_else(|e| e.into_inner())
}

/// `cargo fetch` the runtime's crates (unless `$CARGO_NET_OFFLINE` is set already), so
/// cargo can run offline: every build's bridge is a new crate (no Cargo.lock), which
/// cargo would otherwise resolve against the registry again (see `run_conformance.py`).
fn fetch_runtime_dependencies() -> bool {
    if std::env::var_os("CARGO_NET_OFFLINE").is_some() {
        return false;
    }
    let manifest = repo_root().join("runtime-rs/Cargo.toml");
    let fetched = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["fetch", "--quiet", "--manifest-path"])
        .arg(manifest)
        .status()
        .is_ok_and(|s| s.success());
    if !fetched {
        eprintln!("note: cargo fetch failed, cargo stays online");
    }
    fetched
}

fn rust_options() -> EmitOptions {
    EmitOptions {
        lang: Lang::Rust,
        runtime: RuntimeSource::Path(repo_root().join("runtime-rs").display().to_string()),
    }
}

fn run(d: &Deployed, inputs: &[Array<f32>], dir: &Path, opts: &EmitOptions) -> Vec<Array<f32>> {
    meshnn::tools::run::run_host_with(d, inputs, dir, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Every fixture as one Rust device matches onnxruntime (1e-4), split all-Rust over 2, 3
/// and 4 devices equals that device bit for bit (the link moves bytes; the kernels are
/// the same), and split over Rust and C devices equals the single-device output. The
/// split is `common::split_deployment`, the multi-device C test's (`partition.rs`); the
/// mixed split of fixture `i` is over 2 + (i + 1) % 3 devices (Rust on the even devices:
/// Rust senses, C is next, so tensors cross the language border both ways), so every
/// count runs mixed across the fixtures.
///
/// Mixed splits equal one C device bit for bit where one Rust device does; elsewhere (the
/// fixtures with expf / tanhf / sqrtf: `libm` and the C library round differently by an
/// ulp or so) within the tolerance the C tests use against onnxruntime.
///
/// Cost: six host builds per fixture (five with cargo), run by [`RUNNERS`] threads, each
/// in its own work folder (cargo replaces that folder's previous crates in the shared
/// target folder instead of keeping a copy of each). Builds into the target folder take
/// turns (`tools::rust_build` locks it), so one runner's cargo overlaps the other's C
/// compile, run and compiler passes.
#[test]
fn fixtures_in_rust_match_onnxruntime_and_split_over_devices() {
    let _lock = cargo_lock();
    let models = fixture_models();
    let jobs: Vec<(usize, Split)> = (0..models.len())
        .flat_map(|i| splits_of(i).into_iter().map(move |s| (i, s)))
        .collect();
    let outs = run_in_parallel(&jobs, |k, &(i, split)| {
        let work = repo_root().join(format!("target/rust-backend/splits/{k}"));
        run_split(&models[i], split, &work)
    });
    let (mut checked, mut exact) = (Vec::new(), Vec::new());
    for (i, model) in models.iter().enumerate() {
        let name = model.file_stem().unwrap().to_string_lossy().to_string();
        let of = |want: Split| {
            let at = jobs.iter().position(|&(j, s)| j == i && s == want).unwrap();
            &outs[at]
        };
        let ((names, rust_single), (_, c_single)) = (of(Split::RustSingle), of(Split::CSingle));
        let refs = meshnn::npy::read_npz_f32(&model.with_extension("outputs.npz")).unwrap();
        for (tname, got) in names.iter().zip(rust_single) {
            let want = &refs.iter().find(|(n, _)| n == tname).unwrap().1;
            assert_close(&format!("{name}:{tname} (rust)"), got, want, 1e-4, 1e-4);
        }
        let rust_is_c = identical(rust_single, c_single).is_none();
        if rust_is_c {
            exact.push(name.clone());
        }
        for split in splits_of(i).into_iter().skip(2) {
            let got = &of(split).1;
            let what = format!("{name} {}", split.describe());
            match split {
                Split::AllRust(_) => {
                    assert_bit_identical(&format!("{what} vs one Rust device"), got, rust_single)
                }
                _ if rust_is_c => {
                    assert_bit_identical(&format!("{what} vs one C device"), got, c_single)
                }
                _ => {
                    for (o, (g, w)) in got.iter().zip(c_single).enumerate() {
                        assert_close(&format!("{what}, output {o}"), g, w, 1e-4, 1e-4);
                    }
                }
            }
            checked.push(what);
        }
    }
    assert_eq!(checked.len(), 4 * models.len(), "{checked:?}");
    eprintln!("splits checked: {}", checked.join("; "));
    eprintln!(
        "one Rust device bit-identical to one C device: {}",
        exact.join(", ")
    );
}

/// How many threads run the fixtures' builds: two, so one's cargo (the target folder is
/// locked while it builds) overlaps the other's C compile and run.
const RUNNERS: usize = 2;

/// One host build of a fixture.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Split {
    RustSingle,
    CSingle,
    /// Over this many Rust devices.
    AllRust(usize),
    /// Over this many devices, the even ones Rust, the odd ones C.
    Mixed(usize),
}

impl Split {
    fn describe(self) -> String {
        match self {
            Split::RustSingle => "on one Rust device".into(),
            Split::CSingle => "on one C device".into(),
            Split::AllRust(n) => format!("on {n} devices, all Rust"),
            Split::Mixed(n) => format!("on {n} devices, {} of them Rust", n.div_ceil(2)),
        }
    }
}

/// The builds of fixture `i`: one Rust and one C device, all-Rust over 2, 3 and 4
/// devices, and mixed over 2 + (i + 1) % 3.
fn splits_of(i: usize) -> [Split; 6] {
    [
        Split::RustSingle,
        Split::CSingle,
        Split::AllRust(2),
        Split::AllRust(3),
        Split::AllRust(4),
        Split::Mixed(2 + (i + 1) % 3),
    ]
}

/// Deploy `model` as `split`, build it in `work` (emptied first) and run it on the
/// fixture's reference inputs; the names of the outputs and their values.
fn run_split(model: &Path, split: Split, work: &Path) -> (Vec<String>, Vec<Array<f32>>) {
    let p = prepare_checked(model);
    let (inputs, _) = reference(&p, model);
    let (d, lang) = match split {
        Split::RustSingle => (driver::deploy_single(p).unwrap(), Lang::Rust),
        Split::CSingle => (driver::deploy_single(p).unwrap(), Lang::C),
        Split::AllRust(nd) => {
            let dep = split_deployment(&p.graph, nd, &[]);
            (driver::deploy(p, dep, None).unwrap(), Lang::Rust)
        }
        Split::Mixed(nd) => {
            let even: Vec<usize> = (0..nd).step_by(2).collect();
            let dep = split_deployment(&p.graph, nd, &even);
            let d = driver::deploy(p, dep, None).unwrap();
            let n_rust = (0..nd)
                .filter(|&i| d.lang_of(i, Lang::C) == Lang::Rust)
                .count();
            assert_eq!(n_rust, even.len(), "{model:?} on {split:?}");
            (d, Lang::C)
        }
    };
    let opts = EmitOptions {
        lang,
        ..rust_options()
    };
    let names = d.graph.outputs.iter();
    let names = names.map(|&t| d.graph.tensors[t].name.clone()).collect();
    (names, fresh_run(&d, &inputs, work, &opts))
}

/// `f(runner, job)` for every job, on [`RUNNERS`] threads; the results in job order.
fn run_in_parallel<J: Sync, R: Send>(jobs: &[J], f: impl Fn(usize, &J) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for k in 0..RUNNERS {
            let (next, done, f) = (&next, &done, &f);
            s.spawn(move || loop {
                let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(job) = jobs.get(j) else { break };
                let r = f(k, job);
                done.lock().unwrap().push((j, r));
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|&(j, _)| j);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Where `got` first differs from `want` bit for bit (NaN payloads and the sign of zero
/// included), if it does.
fn identical(got: &[Array<f32>], want: &[Array<f32>]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    for (o, (g, w)) in got.iter().zip(want).enumerate() {
        if g.shape != w.shape {
            return Some(format!(
                "output {o} has shape {:?}, expected {:?}",
                g.shape, w.shape
            ));
        }
        let differs = |&i: &usize| g.data[i].to_bits() != w.data[i].to_bits();
        if let Some(i) = (0..g.data.len()).find(differs) {
            return Some(format!(
                "output {o} element {i} is {:e}, expected {:e}",
                g.data[i], w.data[i]
            ));
        }
    }
    None
}

fn assert_bit_identical(what: &str, got: &[Array<f32>], want: &[Array<f32>]) {
    if let Some(why) = identical(got, want) {
        panic!("{what}: {why}");
    }
}

/// [`run`] in `dir`, emptied first.
fn fresh_run(
    d: &Deployed,
    inputs: &[Array<f32>],
    dir: &Path,
    opts: &EmitOptions,
) -> Vec<Array<f32>> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    run(d, inputs, dir, opts)
}

fn nonn_deployment(rust_devices: &[&str], renames: &[(&str, &str)]) -> Deployment {
    let mut text =
        std::fs::read_to_string(repo_root().join("examples/nonn_wearables/deploy.toml")).unwrap();
    for (from, to) in renames {
        text = text.replace(&format!("name = \"{from}\""), &format!("name = \"{to}\""));
    }
    for dev in rust_devices {
        let line = format!("name = \"{dev}\"\n");
        assert!(text.contains(&line), "{dev} is not in the example");
        text = text.replace(&line, &format!("{line}lang = \"rust\"\n"));
    }
    Deployment::parse(&text, "deploy.toml").unwrap()
}

/// The NoNN example on four devices, all Rust, mixed (two Rust, two C over one
/// authenticated link) and all Rust with devices named `type` and `loop`, gives exactly
/// the single-device C output.
#[test]
fn nonn_example_rust_and_mixed_equal_single_device() {
    let _lock = cargo_lock();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let (inputs, refs) = reference(&prepare_checked(&model), &model);
    let dir = tempfile::tempdir().unwrap();
    let single = meshnn::tools::run::run_host(
        &driver::deploy_single(prepare_checked(&model)).unwrap(),
        &inputs,
        &dir.path().join("single"),
    )
    .unwrap();
    assert_close("single C", &single[0], &refs[0].1, 1e-4, 1e-4);
    // Devices named like Rust keywords: crate, module and symbol names stay valid.
    let keywords = [("wrist", "type"), ("chest", "loop")];
    for (name, rust, renames, lang) in [
        ("all_rust", &[][..], &[][..], Lang::Rust),
        ("mixed", &["wrist", "chest"][..], &[][..], Lang::C),
        ("keywords", &[][..], &keywords[..], Lang::Rust),
    ] {
        let dep = nonn_deployment(rust, renames);
        let d = driver::deploy(prepare_checked(&model), dep, None).unwrap();
        assert_eq!(d.devices.len(), 4);
        let opts = EmitOptions {
            lang,
            ..rust_options()
        };
        let rust_count = (0..4).filter(|&i| d.lang_of(i, lang) == Lang::Rust).count();
        assert_eq!(rust_count, if rust.is_empty() { 4 } else { 2 }, "{name}");
        let outs = run(&d, &inputs, &dir.path().join(name), &opts);
        assert_eq!(
            outs[0].data, single[0].data,
            "{name} differs from one C device"
        );
    }
}

fn emit_rust(model: &str) -> Vec<meshnn::codegen::File> {
    let p = prepare_checked(&repo_root().join("tests/models").join(model));
    let opts = EmitOptions {
        lang: Lang::Rust,
        runtime: RuntimeSource::Bundled,
    };
    driver::emit_with(&driver::deploy_single(p).unwrap(), &opts).unwrap()
}

#[test]
fn snapshots_of_the_generated_crate() {
    for model in ["mlp.onnx", "two_input.onnx", "dw_separable.onnx"] {
        let files = emit_rust(model);
        for name in ["main/src/lib.rs", "main/Cargo.toml"] {
            let f = files.iter().find(|f| f.path == name).unwrap();
            insta::assert_snapshot!(
                format!(
                    "rust__{}__{}",
                    model.trim_end_matches(".onnx"),
                    name.replace('/', "_")
                ),
                f.contents
            );
        }
    }
}

/// The crate of a linked device (the NoNN example's hub: receives three tensors, hold
/// fallback): its link table a `const`, its link state in the device.
#[test]
fn snapshot_of_a_linked_crate() {
    let mut text =
        std::fs::read_to_string(repo_root().join("examples/nonn_wearables/deploy.toml")).unwrap();
    text += "\n[fallback]\ndefault = \"hold\"\n";
    let dep = Deployment::parse(&text, "deploy.toml").unwrap();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let d = driver::deploy(prepare_checked(&model), dep, None).unwrap();
    let opts = EmitOptions {
        lang: Lang::Rust,
        runtime: RuntimeSource::Bundled,
    };
    let files = driver::emit_with(&d, &opts).unwrap();
    let f = files.iter().find(|f| f.path == "chest/src/lib.rs").unwrap();
    insta::assert_snapshot!("rust__nonn_k4_linked__chest_src_lib.rs", f.contents);
}

#[test]
fn emitting_twice_is_byte_identical() {
    for model in fixture_models() {
        let name = model.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(emit_rust(&name), emit_rust(&name), "{name}");
    }
}

/// Write the emitted files of `model` (bundled runtime: the folder is self-contained).
fn write_crate(model: &str, dir: &Path) -> PathBuf {
    driver::write_files(dir, &emit_rust(model)).unwrap();
    dir.join("main")
}

/// The generated crates pass `cargo clippy -- -D warnings` and `cargo fmt --check`
/// (one model with every kind of operand: optional, scratch, packed weights, indices).
#[test]
fn generated_crate_is_clippy_and_rustfmt_clean() {
    let _lock = cargo_lock();
    let dir = tempfile::tempdir().unwrap();
    for model in ["mlp.onnx", "dw_separable.onnx", "deepconvlstm.onnx"] {
        let krate = write_crate(model, &dir.path().join(model));
        let fmt = Command::new("cargo")
            .args(["fmt", "--check"])
            .current_dir(&krate)
            .output()
            .expect("cargo fmt");
        assert!(
            fmt.status.success(),
            "{model}: cargo fmt --check:\n{}",
            String::from_utf8_lossy(&fmt.stdout)
        );
        let clippy = Command::new("cargo")
            .args(["clippy", "--release", "--quiet", "--", "-D", "warnings"])
            .current_dir(&krate)
            .output()
            .expect("cargo clippy");
        assert!(
            clippy.status.success(),
            "{model}: cargo clippy:\n{}",
            String::from_utf8_lossy(&clippy.stderr)
        );
    }
}

/// A bad `lang` names the line of deploy.toml and the accepted values.
#[test]
fn bad_lang_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = dir.path().join("deploy.toml");
    let model = repo_root().join("tests/models/mlp.onnx");
    let (m, dp) = (model.to_str().unwrap(), deploy.to_str().unwrap());
    let out = dir.path().join("b");
    std::fs::write(&deploy, "[[device]]\nname = \"a\"\ntarget = \"nrf52840\"\ninputs = [\"input\"]\noutputs = true\nlang = \"go\"\n").unwrap();
    fails_with(
        &["compile", m, "--deploy", dp, "--out", out.to_str().unwrap()],
        &["deploy.toml:6", "unknown lang 'go'", "use c or rust"],
    );
}

/// Without cargo, `run --lang rust` stops with a message saying what to install.
#[test]
fn missing_cargo_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    meshnn::npy::write_f32(&x, &[1, 64], &[0.5f32; 64]).unwrap();
    let model = repo_root().join("tests/models/mlp.onnx");
    let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args(["run", model.to_str().unwrap(), "--lang", "rust", "--input"])
        .arg(format!("input={}", x.display()))
        .arg("--out-dir")
        .arg(dir.path().join("out"))
        .env("CARGO", dir.path().join("no-such-cargo"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot start cargo") && stderr.contains("install Rust"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `--runtime-version`: the crates depend on the published runtime and no copy is written.
#[test]
fn runtime_version_depends_on_crates_io() {
    let dir = tempfile::tempdir().unwrap();
    let model = repo_root().join("tests/models/mlp.onnx");
    let out = dir.path().join("out");
    meshnn_stdout(&[
        "compile",
        model.to_str().unwrap(),
        "--lang",
        "rust",
        "--runtime-version",
        "0.1.0",
        "--out",
        out.to_str().unwrap(),
    ]);
    let toml = std::fs::read_to_string(out.join("main/Cargo.toml")).unwrap();
    assert!(toml.contains("meshnn-runtime = \"0.1.0\""), "{toml}");
    let bridge = std::fs::read_to_string(out.join("host/rust/Cargo.toml")).unwrap();
    assert!(
        bridge.contains("meshnn-runtime = { version = \"0.1.0\" }"),
        "{bridge}"
    );
    assert!(!out.join("meshnn-runtime").exists());
    assert!(out.join("main/src/weights.bin").is_file());
}

/// A Mean over redundant copies computed on three devices (`mn_mean_arrived_f32`, its
/// arrival flags from the link's per-tensor state): Rust devices give the C devices'
/// output.
#[test]
fn redundant_mean_over_the_link_equals_c() {
    let _lock = cargo_lock();
    let text = "[link]\nprofile = \"ble\"\n[partition]\nstrategy = \"manual\"\n\
        [partition.manual]\ngemm_a = \"hub\"\ngemm_b = \"left\"\ngemm_c = \"right\"\n\
        mean = \"hub\"\nuse_b = \"hub\"\n\
        [[device]]\nname = \"left\"\ntarget = \"nrf52840\"\ninputs = [\"x\"]\n\
        [[device]]\nname = \"right\"\ntarget = \"nrf52840\"\ninputs = [\"x\"]\n\
        [[device]]\nname = \"hub\"\ntarget = \"nrf52840\"\ninputs = [\"x\"]\noutputs = true\n";
    let model = repo_root().join("tests/models/redundant_mean.onnx");
    let deployed = || {
        let dep = Deployment::parse(text, "deploy.toml").unwrap();
        driver::deploy(prepare_checked(&model), dep, None).unwrap()
    };
    let d = deployed();
    let x = &d.graph.tensors[d.graph.inputs[0]];
    let input = Array {
        shape: x.shape.clone(),
        data: (0..x.numel()).map(|i| (i as f32 * 0.37).sin()).collect(),
    };
    let dir = tempfile::tempdir().unwrap();
    let c = meshnn::tools::run::run_host(&d, std::slice::from_ref(&input), &dir.path().join("c"))
        .unwrap();
    let rust = run(
        &deployed(),
        &[input],
        &dir.path().join("rust"),
        &rust_options(),
    );
    let hub = dir.path().join("rust/hub/src/lib.rs");
    let lib = std::fs::read_to_string(hub).unwrap();
    assert!(
        lib.contains("kernels::mean_arrived_f32"),
        "no redundant Mean"
    );
    for (a, b) in c.iter().zip(&rust) {
        assert_eq!(a.data, b.data);
    }
}

/// Inputs and outputs named after Rust keywords (and differing only in case) become valid,
/// distinct struct fields; the values are hand-computed.
#[test]
fn inputs_and_outputs_named_after_rust_keywords() {
    let _lock = cargo_lock();
    let dir = tempfile::tempdir().unwrap();
    let body = "vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 4])\n\
        nodes = [helper.make_node('Add', ['type', 'fn'], ['match']),\n\
                 helper.make_node('Relu', ['TYPE'], ['self'])]\n\
        graph = helper.make_graph(nodes, 'kw', [vi('type'), vi('TYPE'), vi('fn')], [vi('match'), vi('self')])";
    let Some(model) = onnx_model(dir.path(), body) else {
        return;
    };
    let d = driver::deploy_single(prepare_checked(&model)).unwrap();
    let arr = |v: [f32; 4]| Array {
        shape: vec![1, 4],
        data: v.to_vec(),
    };
    let inputs = [
        arr([1.0, 2.0, 3.0, 4.0]),
        arr([-1.0, 5.0, -2.0, 0.5]),
        arr([10.0, 20.0, 30.0, 40.0]),
    ];
    let outs = run(&d, &inputs, &dir.path().join("b"), &rust_options());
    assert_eq!(outs[0].data, vec![11.0, 22.0, 33.0, 44.0]);
    assert_eq!(outs[1].data, vec![0.0, 5.0, 0.0, 0.5]);
}

/// A `no_std` probe crate around the device crates `devices` (folders under `out`): one
/// `static mut PROBE_<DEVICE>` each, built by `Device::new()`.
fn write_probe(dir: &Path, out: &Path, devices: &[&str]) -> PathBuf {
    let mut toml = String::from("[package]\nname = \"probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[lib]\npath = \"lib.rs\"\ncrate-type = [\"staticlib\"]\n\n[dependencies]\n");
    let mut lib = String::from("#![no_std]\n");
    for d in devices {
        toml += &format!(
            "meshnn-{d} = {{ path = {:?} }}\n",
            out.join(d).display().to_string()
        );
        lib += &format!(
            "#[no_mangle]\npub static mut PROBE_{}: meshnn_{d}::Device = meshnn_{d}::Device::new();\n",
            d.to_uppercase()
        );
    }
    toml += "\n[profile.release]\npanic = \"abort\"\n\n[workspace]\n";
    lib += "#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! {\n    loop {}\n}\n";
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), toml).unwrap();
    std::fs::write(dir.join("lib.rs"), lib).unwrap();
    dir.join("Cargo.toml")
}

/// The section letter `nm` gives symbol `name` in `lib` (`B`/`b`: .bss, `D`/`d`: .data).
fn nm_kind(lib: &Path, name: &str) -> Option<char> {
    let nm = ["arm-none-eabi-nm", "nm"]
        .into_iter()
        .find(|t| Command::new(t).arg("--version").output().is_ok())?;
    let out = Command::new(nm).arg(lib).output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() == 3 && f[2] == name).then(|| f[1].chars().next().unwrap_or('?'))
    })
}

/// A linked device's `Device::new()` is all zeros: the link's constant table (ids,
/// sources, sizes, offsets, fallbacks, settings) is a `const` in flash and its state
/// starts zeroed, so a `static` device lands in `.bss`, not in `.data` (a flash copy plus
/// RAM). The NoNN example's hub (receives three tensors, hold fallback) and a sender,
/// built for thumbv7em-none-eabihf; skipped with a message without that target.
#[test]
fn linked_static_devices_land_in_bss() {
    const TARGET: &str = "thumbv7em-none-eabihf";
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output();
    let installed = sysroot.is_ok_and(|o| {
        let root = String::from_utf8_lossy(&o.stdout).trim().to_string();
        Path::new(&root).join("lib/rustlib").join(TARGET).is_dir()
    });
    if !installed {
        eprintln!(
            "skipped: the Rust target {TARGET} is not installed (rustup target add {TARGET})"
        );
        return;
    }
    let _lock = cargo_lock();
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        std::fs::read_to_string(repo_root().join("examples/nonn_wearables/deploy.toml")).unwrap();
    text += "\n[fallback]\ndefault = \"hold\"\n";
    let dep = Deployment::parse(&text, "deploy.toml").unwrap();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let d = driver::deploy(prepare_checked(&model), dep, None).unwrap();
    assert!(d.devices[d.dep.hub].rx.len() >= 2 && d.devices[0].linked());
    let out = dir.path().join("out");
    driver::write_files(&out, &driver::emit_with(&d, &rust_options()).unwrap()).unwrap();
    let manifest = write_probe(&dir.path().join("probe"), &out, &["wrist", "chest"]);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            TARGET,
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let target = std::env::var("CARGO_TARGET_DIR").unwrap();
    let lib = Path::new(&target).join(TARGET).join("release/libprobe.a");
    for sym in ["PROBE_WRIST", "PROBE_CHEST"] {
        match nm_kind(&lib, sym) {
            Some(k) => assert!(k == 'B' || k == 'b', "{sym} is in section '{k}', not .bss"),
            None => eprintln!("skipped {sym}: no nm reads {}", lib.display()),
        }
    }
}

/// `meshnn run --lang rust` of a one-node model `op` (`y = op(x)`, x of shape [1, 4]) in
/// `dir` with the cargo target folder `target`; the output.
fn run_one_node(op: &str, dir: &Path, target: &Path, x: [f32; 4]) -> Vec<f32> {
    let body = format!(
        "vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 4])\n\
         graph = helper.make_graph([helper.make_node('{op}', ['x'], ['y'])], 'g', [vi('x')], [vi('y')])"
    );
    std::fs::create_dir_all(dir).unwrap();
    let model = onnx_model(dir, &body).expect("python3 with onnx");
    let input = dir.join("x.npy");
    meshnn::npy::write_f32(&input, &[1, 4], &x).unwrap();
    let runtime = repo_root().join("runtime-rs");
    let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args([
            "run",
            model.to_str().unwrap(),
            "--lang",
            "rust",
            "--runtime-path",
        ])
        .arg(&runtime)
        .arg("--input")
        .arg(format!("x={}", input.display()))
        .arg("--out-dir")
        .arg(dir.join("out"))
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{op}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    meshnn::npy::read_f32(&dir.join("out/y.npy")).unwrap().data
}

/// Runs sharing one cargo target folder, in parallel, each link their own devices, and
/// leave no per-run copy of the ~20 MB bridge library behind (before, every run left one
/// in `release/deps`, some 15 GB for the conformance run). The lock and the private copy of
/// the library close a window in which a run could link the library another run had
/// just built; this test runs through it but does not reliably hit it. Values
/// hand-computed.
#[test]
fn parallel_runs_sharing_a_target_folder_link_their_own_devices() {
    let _lock = cargo_lock();
    let dir = tempfile::tempdir().unwrap();
    let target = repo_root().join("target/rust-backend");
    let x = [-2.0f32, -0.5, 0.25, 3.0];
    std::thread::scope(|s| {
        for (op, want) in [
            ("Relu", [0.0f32, 0.0, 0.25, 3.0]),
            ("Neg", [2.0f32, 0.5, -0.25, -3.0]),
        ] {
            let (dir, target) = (dir.path(), &target);
            s.spawn(move || {
                for round in 0..4 {
                    let got = run_one_node(op, &dir.join(format!("{op}{round}")), target, x);
                    assert_eq!(got, want, "{op}, round {round}");
                }
            });
        }
    });
    let hashed: Vec<_> = std::fs::read_dir(target.join("release/deps"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("libmeshnn_host-") && n.ends_with(".a"))
        .collect();
    assert!(hashed.is_empty(), "bridge libraries left: {hashed:?}");
}

/// `--runtime-path` writes a path dependency on that folder (no copy); a folder that is
/// not meshnn-runtime, or a missing one, is a clear error, and it excludes
/// `--runtime-version`.
#[test]
fn runtime_path_is_a_path_dependency_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let model = repo_root().join("tests/models/mlp.onnx");
    let (m, out) = (model.to_str().unwrap(), dir.path().join("out"));
    let runtime = repo_root().join("runtime-rs");
    let compile = |path: &str| {
        vec![
            "compile".to_string(),
            m.to_string(),
            "--lang".into(),
            "rust".into(),
            "--runtime-path".into(),
            path.to_string(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let args = compile(runtime.to_str().unwrap());
    meshnn_stdout(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let toml = std::fs::read_to_string(out.join("main/Cargo.toml")).unwrap();
    let want = format!(
        "meshnn-runtime = {{ path = {:?} }}",
        runtime.display().to_string()
    );
    assert!(toml.contains(&want), "{toml}");
    assert!(!out.join("meshnn-runtime").exists());
    let compiler = repo_root().join("compiler");
    let missing = dir.path().join("nowhere");
    for (path, needle) in [
        (compiler.to_str().unwrap(), "not the meshnn-runtime package"),
        (missing.to_str().unwrap(), "cannot open it"),
    ] {
        let args = compile(path);
        fails_with(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &["--runtime-path", needle, "runtime-rs"],
        );
    }
    let (code, stderr) = meshnn_status(&[
        "compile",
        m,
        "--lang",
        "rust",
        "--runtime-path",
        runtime.to_str().unwrap(),
        "--runtime-version",
        "0.1.0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
