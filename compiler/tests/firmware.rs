//! `meshnn build` and `meshnn run --on qemu`: every fixture model cross-compiled for
//! every target it fits (once per core family: targets with identical compiler flags
//! share one build, budgets are checked per target), multi-device deployments run under
//! QEMU against the host build and onnxruntime, and the budget / missing-tool errors.
//!
//! Needs arm-none-eabi-gcc + newlib, riscv64-unknown-elf-gcc + picolibc, qemu-system-arm
//! and qemu-system-riscv32 (`scripts/setup.sh` installs them); without them the tests
//! that need them print why and pass.

mod common;
use common::*;
use meshnn::deploy::Deployment;
use meshnn::driver;
use meshnn::tools::firmware::{self, FirmwareError};
use std::collections::BTreeSet;
use std::process::Command;

fn model(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/models").join(name)
}

/// One device on `target` sensing every graph input and producing the outputs.
fn single(target: &str, inputs: &[String]) -> Deployment {
    let list: Vec<String> = inputs.iter().map(|n| format!("{n:?}")).collect();
    let text = format!(
        "[[device]]\nname = \"solo\"\ntarget = \"{target}\"\ninputs = [{}]\noutputs = true\n",
        list.join(", ")
    );
    Deployment::parse(&text, "deploy.toml").unwrap()
}

/// Build every fixture for the targets of one core family (same compiler and flags):
/// one cross build per model, the budget checked for every target of the family.
fn build_family(family: &[&str]) {
    if !have_cross_tools() {
        return;
    }
    let targets: Vec<_> = family
        .iter()
        .map(|t| meshnn::deploy::target::find(t).unwrap())
        .collect();
    let flags: BTreeSet<_> = targets
        .iter()
        .map(|t| (t.toolchain.cc.clone(), t.toolchain.cflags.clone()))
        .collect();
    assert_eq!(flags.len(), 1, "{family:?} must share compiler flags");
    let tmp = tempfile::tempdir().unwrap();
    for m in fixture_models() {
        let stem = m.file_stem().unwrap().to_string_lossy().to_string();
        let mut built: Option<firmware::DeviceBuild> = None;
        for t in &targets {
            let p = driver::prepare(&m, false).unwrap();
            let names: Vec<String> = p
                .graph
                .inputs
                .iter()
                .map(|&x| p.graph.tensors[x].name.clone())
                .collect();
            let d = match driver::deploy(p, single(&t.name, &names), None) {
                Ok(d) => d,
                Err(e) => {
                    // The partitioner's budget check: the model cannot fit this target.
                    let msg = e.to_string();
                    assert!(
                        msg.contains("'solo'") && msg.contains("short by"),
                        "{stem} on {}: {msg}",
                        t.name
                    );
                    eprintln!("{stem} on {}: does not fit ({msg})", t.name);
                    continue;
                }
            };
            let b = match &built {
                Some(b) => firmware::DeviceBuild {
                    target: t.name.clone(),
                    flash_budget: d.dep.devices[0].flash_budget(),
                    ram_budget: d.dep.devices[0].ram_budget(),
                    ..b.clone()
                },
                None => {
                    let dir = tmp.path().join(&stem);
                    let b = firmware::build(&d, &dir)
                        .unwrap_or_else(|e| panic!("{stem} on {}: {e}", t.name))
                        .remove(0);
                    assert!(b.lib.is_file());
                    assert!(b.elf.as_ref().is_some_and(|e| e.is_file()));
                    assert!(b.lib_sizes.rodata > 0 && b.lib_sizes.text > 0);
                    built = Some(b.clone());
                    b
                }
            };
            match b.check() {
                Ok(()) => eprintln!(
                    "{stem} on {}: flash {} B, RAM {} B",
                    t.name,
                    b.flash(),
                    b.ram()
                ),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("'solo'") && msg.contains("over by"),
                        "{stem} on {}: {msg}",
                        t.name
                    );
                }
            }
        }
    }
}

#[test]
fn fixtures_build_for_cortex_m4f_targets() {
    build_family(&["nrf52840", "nrf52832", "stm32l476", "apollo3"]);
}

#[test]
fn fixtures_build_for_cortex_m33() {
    build_family(&["nrf5340"]);
}

#[test]
fn fixtures_build_for_cortex_m0plus_soft_float() {
    build_family(&["rp2040"]);
}

#[test]
fn fixtures_build_for_rv32_soft_float() {
    build_family(&["esp32c3"]);
}

fn run_on_qemu(model_name: &str, deploy: &str) {
    run_model_on_qemu(&model(model_name), deploy);
}

/// Run `m` (with its .inputs.npz / .outputs.npz beside it) on the devices of `deploy`
/// under QEMU: like the host build and onnxruntime.
fn run_model_on_qemu(m: &std::path::Path, deploy: &str) {
    if !have_cross_tools() {
        return;
    }
    let p = prepare_checked(m);
    let (inputs, want) = reference(&p, m);
    let dep = Deployment::parse(deploy, "deploy.toml").unwrap();
    let d = driver::deploy(p, dep, None).unwrap();
    assert!(d.devices.len() > 1);
    let tmp = tempfile::tempdir().unwrap();
    let r = firmware::run_qemu(&d, &inputs, tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.devices.len(), d.devices.len());
    assert!(
        r.devices.iter().map(|x| x.frames_out).sum::<usize>() > 0,
        "no frames crossed the link"
    );
    for x in &r.devices {
        assert!(x.worst_rel <= firmware::TOLERANCE, "{x:?}");
        eprintln!(
            "{}: {} in, {} out, worst {:e}",
            x.device, x.frames_in, x.frames_out, x.worst_rel
        );
    }
    assert_eq!(r.outputs.len(), d.graph.outputs.len());
    for (k, &t) in d.graph.outputs.iter().enumerate() {
        let name = &d.graph.tensors[t].name;
        let reference = &want.iter().find(|(n, _)| n == name).unwrap().1;
        assert_close(name, &r.outputs[k], reference, 1e-4, 1e-3);
        assert_close(name, &r.outputs[k], &r.host_outputs[k], 1e-6, 1e-5);
    }
}

#[test]
fn nonn_k4_on_m4f_m33_rv32_and_m0plus_runs_under_qemu_like_the_host() {
    run_on_qemu(
        "nonn_k4.onnx",
        r#"
[link]
profile = "ble"
[[device]]
name = "wrist"
target = "nrf52840"
inputs = ["input"]
[[device]]
name = "ear"
target = "nrf5340"
inputs = ["input"]
[[device]]
name = "ankle"
target = "esp32c3"
inputs = ["input"]
[[device]]
name = "chest"
target = "rp2040"
inputs = ["input"]
outputs = true
"#,
    );
}

#[test]
fn two_input_with_an_rv32_hub_runs_under_qemu_like_the_host() {
    run_on_qemu(
        "two_input.onnx",
        r#"
[link]
profile = "hbc"
[partition]
strategy = "layer"
[[device]]
name = "wrist"
target = "nrf52840"
inputs = ["imu_wrist"]
[[device]]
name = "chest"
target = "esp32c3"
inputs = ["imu_chest"]
outputs = true
"#,
    );
}

/// The operator-coverage fixtures exported from PyTorch (LayerNorm + GELU MLPs, the
/// transformer encoder layer, DeepConvLSTM/GRU, the 3-D CNN), each split layer-wise over a
/// sensor and a hub, once with a Cortex-M4F sensor and an rv32 (soft-float) hub and once
/// the other way round (the sensor runs most of each model), under QEMU like the host and
/// onnxruntime.
#[test]
fn pytorch_operator_fixtures_run_under_qemu_on_m4f_and_rv32() {
    for name in [
        "mlp_ln_gelu_op13",
        "mlp_ln_gelu_op18",
        "transformer_op14",
        "transformer_op18",
        "deepconvlstm",
        "deepconvgru",
        "conv3d",
    ] {
        let file = format!("{name}.onnx");
        let p = driver::prepare(&model(&file), false).unwrap();
        let input = p.graph.tensors[p.graph.inputs[0]].name.clone();
        for (sensor, hub) in [("nrf52840", "esp32c3"), ("esp32c3", "nrf52840")] {
            eprintln!("{name}: sensor {sensor}, hub {hub}");
            run_on_qemu(
                &file,
                &format!(
                    "[link]\nprofile = \"ble\"\n[partition]\nstrategy = \"layer\"\n\
                     [[device]]\nname = \"wrist\"\ntarget = \"{sensor}\"\ninputs = [{input:?}]\n\
                     [[device]]\nname = \"chest\"\ntarget = \"{hub}\"\noutputs = true\n"
                ),
            );
        }
    }
}

/// Patch-based execution per device after partitioning: the image layers of
/// `common/patch_case.py`'s small CNN need 147 KB of RAM layer by layer, more than an
/// nRF52832 has; with `patch = "auto"` they fit it, and the deployment runs under QEMU
/// like the host build and onnxruntime.
#[test]
fn a_sensor_that_fits_an_nrf52832_only_patched_runs_under_qemu() {
    let tmp = tempfile::tempdir().unwrap();
    let script = repo_root().join("compiler/tests/common/patch_case.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = tmp.path().join("patch_nrf.onnx");
    let deploy = |patch: &str| {
        format!(
            "[link]\nprofile = \"ble\"\ndeadline_us = 1000000\n[partition]\nstrategy = \"manual\"\n\
             [partition.manual]\nconv0 = \"band\"\npool0 = \"band\"\nconv1 = \"band\"\n\
             gap = \"hub\"\nflatten = \"hub\"\nfc = \"hub\"\n\
             [[device]]\nname = \"band\"\ntarget = \"nrf52832\"\ninputs = [\"x\"]\npatch = \"{patch}\"\n\
             [[device]]\nname = \"hub\"\ntarget = \"nrf52840\"\noutputs = true\n"
        )
    };
    let plain = Deployment::parse(&deploy("off"), "deploy.toml").unwrap();
    let err = driver::deploy(prepare_checked(&m), plain, None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("'band'") && err.contains("RAM"), "{err}");
    let patched = Deployment::parse(&deploy("auto"), "deploy.toml").unwrap();
    let d = driver::deploy(prepare_checked(&m), patched, None).unwrap();
    let band = &d.devices[0];
    assert!(!band.plan.patches.is_empty() && band.ram_bytes <= 65_536);
    assert!(
        band.plan.layer_bound_bytes > 65_536,
        "{}",
        band.plan.layer_bound_bytes
    );
    run_model_on_qemu(&m, &deploy("auto"));
}

#[test]
fn cnn32_on_nrf52832_fails_with_the_budget_error() {
    let exe = env!("CARGO_BIN_EXE_meshnn");
    let tmp = tempfile::tempdir().unwrap();
    let dep = tmp.path().join("deploy.toml");
    std::fs::write(
        &dep,
        "[[device]]\nname = \"band\"\ntarget = \"nrf52832\"\ninputs = [\"input\"]\noutputs = true\n",
    )
    .unwrap();
    let out = Command::new(exe)
        .arg("build")
        .arg(model("cnn32.onnx"))
        .arg("--deploy")
        .arg(&dep)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("'band'")
            && (err.contains("flash") || err.contains("RAM"))
            && err.contains("short by"),
        "{err}"
    );
    let bytes: String = err
        .split("short by ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    assert!(bytes.parse::<u64>().unwrap() > 0, "{err}");
}

#[test]
fn a_build_over_budget_names_device_region_and_overflow() {
    if !have_cross_tools() {
        return;
    }
    let m = model("mlp.onnx");
    let p = driver::prepare(&m, false).unwrap();
    let d = driver::deploy(p, single("nrf52840", &["input".into()]), None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut b = firmware::build(&d, tmp.path()).unwrap().remove(0);
    assert!(b.check().is_ok());
    let table = firmware::render_table(std::slice::from_ref(&b));
    assert!(
        table.contains("solo") && table.contains("nrf52840"),
        "{table}"
    );
    b.flash_budget = b.flash() - 10;
    let e = b.check().unwrap_err();
    assert!(matches!(e, FirmwareError::Budget { over: 10, .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("'solo'") && msg.contains("flash") && msg.contains("over by 10 bytes"),
        "{msg}"
    );
    b.flash_budget = u64::MAX;
    b.ram_budget = b.ram() - 1;
    let msg = b.check().unwrap_err().to_string();
    assert!(
        msg.contains("RAM") && msg.contains("over by 1 bytes"),
        "{msg}"
    );
}

#[test]
fn a_missing_cross_compiler_names_the_debian_package() {
    let exe = env!("CARGO_BIN_EXE_meshnn");
    let tmp = tempfile::tempdir().unwrap();
    let dep = tmp.path().join("deploy.toml");
    std::fs::write(
        &dep,
        "[[device]]\nname = \"ring\"\ntarget = \"esp32c3\"\ninputs = [\"input\"]\noutputs = true\n",
    )
    .unwrap();
    let out = Command::new(exe)
        .env("PATH", tmp.path())
        .arg("build")
        .arg(model("mlp.onnx"))
        .arg("--deploy")
        .arg(&dep)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("riscv64-unknown-elf-gcc")
            && err.contains("apt-get install")
            && err.contains("picolibc-riscv64-unknown-elf"),
        "{err}"
    );
}
