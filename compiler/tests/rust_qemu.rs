//! `meshnn build --lang rust` and `meshnn run --on qemu --lang rust` (issue 12, point 4):
//! the NoNN example as Rust devices on a Cortex-M4F, a Cortex-M33, a Cortex-M0+ and an
//! rv32 under QEMU against the host build and onnxruntime; a mixed C/Rust deployment
//! under QEMU against the all-C host build; sizes and the budget error of a Rust build;
//! the errors of a missing rustup target and of a failing cargo.
//!
//! Cost: the firmware bridges build in one shared target folder (`target/rust-qemu`), so
//! meshnn-runtime and its dependencies compile once per Rust target (four); then each
//! device is a few seconds of cargo and of QEMU. Needs the cross toolchains and QEMU
//! (`scripts/setup.sh`) and the four `rustup` targets; without them the tests print why
//! and pass.

mod common;
use common::*;
use meshnn::deploy::{Deployment, Lang};
use meshnn::driver::{self, Deployed, EmitOptions};
use meshnn::npy::Array;
use meshnn::tools::firmware::{self, FirmwareError, Options};
use meshnn::tools::rust_build::{self, RustBuildError};
use std::process::Command;
use std::sync::Once;

/// The Rust targets of the deployments below.
const TRIPLES: &[&str] = &[
    "thumbv7em-none-eabihf",
    "thumbv8m.main-none-eabihf",
    "thumbv6m-none-eabi",
    "riscv32imc-unknown-none-elf",
];

/// Largest relative difference of a Rust device under QEMU from the host build.
const REL: f64 = 1e-5;

static TARGET_DIR: Once = Once::new();

/// Set `$CARGO_TARGET_DIR` to the shared target folder, once, before any test of this
/// file spawns a process (every test calls this first; `call_once` makes the others wait).
fn shared_target_dir() {
    TARGET_DIR.call_once(|| {
        std::env::set_var("CARGO_TARGET_DIR", repo_root().join("target/rust-qemu"));
    });
}

/// [`shared_target_dir`], then whether the cross tools and the Rust targets are here.
fn ready() -> bool {
    shared_target_dir();
    if !have_cross_tools() {
        return false;
    }
    match TRIPLES.iter().find(|t| !rust_target_installed(t)) {
        Some(t) => {
            eprintln!("SKIPPED: Rust target {t} not installed (rustup target add {t})");
            false
        }
        None => true,
    }
}

fn model() -> std::path::PathBuf {
    repo_root().join("tests/models/nonn_k4.onnx")
}

/// nonn_k4 on four cores, with `lang = ...` lines per device (`""` for none).
fn deployment(langs: [&str; 4]) -> String {
    let devices = [
        ("wrist", "nrf52840", false),
        ("ear", "nrf5340", false),
        ("ankle", "esp32c3", false),
        ("chest", "rp2040", true),
    ];
    let mut s = String::from("[link]\nprofile = \"ble\"\n");
    for ((name, target, hub), lang) in devices.iter().zip(langs) {
        s += &format!(
            "[[device]]\nname = \"{name}\"\ntarget = \"{target}\"\ninputs = [\"input\"]\n"
        );
        if *hub {
            s += "outputs = true\n";
        }
        if !lang.is_empty() {
            s += &format!("lang = \"{lang}\"\n");
        }
    }
    s
}

fn deploy(text: &str) -> (Deployed, Vec<Array<f32>>, Named) {
    let p = prepare_checked(&model());
    let (inputs, want) = reference(&p, &model());
    let dep = Deployment::parse(text, "deploy.toml").unwrap();
    (driver::deploy(p, dep, None).unwrap(), inputs, want)
}

fn rust() -> Options {
    Options {
        emit: EmitOptions {
            lang: Lang::Rust,
            ..EmitOptions::default()
        },
        ..Options::default()
    }
}

/// Run `d` under QEMU with `opts`: every device within [`REL`] of the host build and
/// sending frames; the outputs like onnxruntime's `want`. Returns the QEMU outputs.
fn run_checked(
    d: &Deployed,
    inputs: &[Array<f32>],
    want: &Named,
    opts: &Options,
) -> Vec<Array<f32>> {
    let tmp = tempfile::tempdir().unwrap();
    let r = firmware::run_qemu_with(d, inputs, tmp.path(), opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.devices.len(), 4);
    for x in &r.devices {
        eprintln!(
            "{}: {} in, {} out, worst {:e}",
            x.device, x.frames_in, x.frames_out, x.worst_rel
        );
        assert!(x.worst_rel <= REL, "{x:?}");
    }
    assert_eq!(r.devices.iter().map(|x| x.frames_out).sum::<usize>(), 3);
    let name = &d.graph.tensors[d.graph.outputs[0]].name;
    let reference = &want.iter().find(|(n, _)| n == name).unwrap().1;
    assert_close(name, &r.outputs[0], reference, 1e-4, 1e-3);
    assert_close(name, &r.outputs[0], &r.host_outputs[0], 1e-6, 1e-5);
    r.outputs
}

#[test]
fn nonn_k4_in_rust_on_m4f_m33_m0plus_and_rv32_runs_under_qemu_like_the_host() {
    if !ready() {
        return;
    }
    let (d, inputs, want) = deploy(&deployment(["", "", "", ""]));
    run_checked(&d, &inputs, &want, &rust());
}

/// Rust and C devices alternate (the hub is Rust): under QEMU the outputs equal the
/// all-C deployment's on the host.
#[test]
fn mixed_c_and_rust_nonn_k4_under_qemu_gives_the_c_outputs() {
    if !ready() {
        return;
    }
    let (d, inputs, want) = deploy(&deployment(["c", "rust", "c", "rust"]));
    assert_eq!(d.lang_of(0, Lang::C), Lang::C);
    assert_eq!(d.lang_of(3, Lang::C), Lang::Rust);
    let got = run_checked(&d, &inputs, &want, &Options::default());
    let (all_c, _, _) = deploy(&deployment(["c", "c", "c", "c"]));
    let tmp = tempfile::tempdir().unwrap();
    let host_c = meshnn::tools::run::run_host(&all_c, &inputs, tmp.path()).unwrap();
    assert_close("mixed vs C", &got[0], &host_c[0], 1e-6, 1e-5);
}

/// One Rust device on an nRF52840: the library holds the weights (the crate's
/// weights.bin), code and a stack estimate; the table says rust; with a RAM budget one
/// byte short of what the build measured (above the planner's estimate: arena and link
/// buffers, no stack), `meshnn build --lang rust` fails with the budget error.
#[test]
fn a_rust_build_reports_its_sizes_and_fails_over_budget() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let text = "[[device]]\nname = \"solo\"\ntarget = \"nrf52840\"\ninputs = [\"input\"]\noutputs = true\n";
    let (d, _, _) = deploy(text);
    let b = firmware::build_with(&d, &tmp.path().join("a"), &rust())
        .unwrap()
        .remove(0);
    assert_eq!(b.lang, "rust");
    let weights = std::fs::metadata(tmp.path().join("a/solo/src/weights.bin"))
        .unwrap()
        .len();
    assert!(
        b.lib_sizes.rodata >= weights,
        "{:?} vs {weights} B of weights",
        b.lib_sizes
    );
    assert!(b.lib_sizes.text > 1000 && b.stack_bytes > 256, "{b:?}");
    assert!(b.elf.as_ref().is_some_and(|e| e.is_file()));
    assert!(b.check().is_ok());
    assert!(firmware::render_table(std::slice::from_ref(&b)).contains("solo       nrf52840   rust"));
    assert!(
        b.ram() > d.devices[0].ram_bytes,
        "{} vs {}",
        b.ram(),
        d.devices[0].ram_bytes
    );

    let dep = tmp.path().join("deploy.toml");
    std::fs::write(&dep, format!("{text}ram_bytes = {}\n", b.ram() - 1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .arg("build")
        .arg(model())
        .args(["--deploy", dep.to_str().unwrap(), "--lang", "rust", "--out"])
        .arg(tmp.path().join("b"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("'solo'") && err.contains("RAM") && err.contains("over by 1 bytes"),
        "{err}"
    );
}

/// A crate for `rust_build::build_firmware_bridge` (package `meshnn-fw-probe`) with
/// `lib.rs` as its source.
fn probe_crate(dir: &std::path::Path, lib_rs: &str) -> std::path::PathBuf {
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"meshnn-fw-probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [lib]\npath = \"lib.rs\"\ncrate-type = [\"staticlib\"]\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("lib.rs"), lib_rs).unwrap();
    dir.join("Cargo.toml")
}

const NO_STD_LIB: &str =
    "#![no_std]\n#[panic_handler]\nfn panic(_: &core::panic::PanicInfo) -> ! {\n    loop {}\n}\n";

#[test]
fn a_missing_rustup_target_says_rustup_target_add() {
    if !ready() {
        return;
    }
    // An Arm target meshnn does not use, so normally not installed.
    let triple = "thumbv7m-none-eabi";
    if rust_target_installed(triple) {
        eprintln!("SKIPPED: {triple} is installed here, so it cannot be missing");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let manifest = probe_crate(tmp.path(), NO_STD_LIB);
    let lib = tmp.path().join("lib.a");
    let e = rust_build::build_firmware_bridge(&manifest, "probe", triple, "s", &lib).unwrap_err();
    assert!(matches!(e, RustBuildError::NoTarget { .. }), "{e}");
    let msg = FirmwareError::from(meshnn::tools::host_build::HostError::from(e)).to_string();
    assert!(
        msg.contains("rustup target add thumbv7m-none-eabi") && msg.contains("'probe'"),
        "{msg}"
    );
}

#[test]
fn a_failing_cargo_build_is_a_clear_error() {
    if !ready() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let manifest = probe_crate(
        tmp.path(),
        &format!("{NO_STD_LIB}pub fn broken() -> u32 {{ \"no\" }}\n"),
    );
    let lib = tmp.path().join("lib.a");
    let e =
        rust_build::build_firmware_bridge(&manifest, "probe", TRIPLES[0], "s", &lib).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, RustBuildError::Failed { .. }), "{msg}");
    assert!(
        msg.contains("cargo failed") && msg.contains("mismatched types"),
        "{msg}"
    );
    assert!(!lib.exists());
    // A good crate's library is copied where asked.
    let good = tempfile::tempdir().unwrap();
    let manifest = probe_crate(good.path(), NO_STD_LIB);
    rust_build::build_firmware_bridge(&manifest, "probe", TRIPLES[0], "s", &lib).unwrap();
    assert!(lib.is_file(), "{}", lib.display());
}

/// A Rust device on the host target has no cross build: a clear error, exit 1.
#[test]
fn a_rust_device_on_the_host_target_is_refused_by_build() {
    shared_target_dir();
    let tmp = tempfile::tempdir().unwrap();
    let dep = tmp.path().join("deploy.toml");
    std::fs::write(
        &dep,
        "[[device]]\nname = \"pc\"\ntarget = \"host\"\ninputs = [\"input\"]\noutputs = true\nlang = \"rust\"\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    fails_with(
        &[
            "build",
            model().to_str().unwrap(),
            "--deploy",
            dep.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &["'pc'", "host", "no Rust target triple"],
    );
}

/// The firmware bridge is printed the way rustfmt prints it, for short and long device
/// names (a signature on one line only when it fits), linked or not.
#[test]
fn firmware_bridges_are_rustfmt_clean() {
    shared_target_dir();
    use meshnn::codegen::rust_host::{emit_firmware_bridge, BridgeDevice};
    use meshnn::codegen::rust_render::RuntimeSource;
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "hub",
        "chest",
        "wrist_band",
        "a_rather_long_device_name_xyzzy",
    ] {
        for linked in [false, true] {
            let d = BridgeDevice {
                name: name.into(),
                package: format!("meshnn-{name}"),
                linked,
            };
            let files = emit_firmware_bridge("m", &d, &RuntimeSource::Bundled, TRIPLES[0]).unwrap();
            let lib = files.iter().find(|f| f.path.ends_with("lib.rs")).unwrap();
            let path = tmp.path().join(format!("{name}_{linked}.rs"));
            std::fs::write(&path, &lib.contents).unwrap();
            let out = Command::new("rustfmt")
                .args(["--check", "--edition", "2021"])
                .arg(&path)
                .output()
                .expect("rustfmt runs");
            assert!(
                out.status.success(),
                "{name} (linked {linked}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}
