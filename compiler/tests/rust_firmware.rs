//! examples/rust-firmware (a `meshnn::Build` build script, the NoNN model's code in a
//! `no_std` Cortex-M4F program) builds for thumbv7em-none-eabihf; under QEMU's
//! mps2-an386, where installed, it prints onnxruntime's probabilities for its input.
//! Its own target folder (target/rust-firmware) keeps the build cached between runs.

mod common;

use common::{repo_root, rust_target_installed};
use std::process::Command;

const TARGET: &str = "thumbv7em-none-eabihf";

/// onnxruntime 1.32's output for tests/models/nonn_k4.onnx on the example's input
/// (pixel i = ((i * 7919) % 256) / 255), from:
/// `python3 -c "import numpy as np, onnxruntime as ort; x = np.array([((i*7919)%256)/255
/// for i in range(784)], np.float32).reshape(1,1,28,28); print(ort.InferenceSession(
/// 'tests/models/nonn_k4.onnx').run(None, {'input': x})[0])"`.
const ORT_PROBS: [f32; 10] = [
    0.148_179_31,
    0.039_258_85,
    0.123_954_49,
    0.133_770_51,
    0.073_587_33,
    0.064_633_66,
    0.127_596_45,
    0.030_192_32,
    0.139_480_13,
    0.119_346_89,
];

#[test]
fn rust_firmware_example_builds_and_runs() {
    if !rust_target_installed(TARGET) {
        eprintln!("skipping: the {TARGET} target is not installed (scripts/setup.sh installs it: rustup target add {TARGET})");
        return;
    }
    let root = repo_root();
    let example = root.join("examples/rust-firmware");
    let target_dir = root.join("target/rust-firmware");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--target", TARGET])
        .current_dir(&example)
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo build of examples/rust-firmware failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = target_dir.join(TARGET).join("release/meshnn-rust-firmware");
    assert!(elf.is_file(), "no {}", elf.display());

    let qemu = Command::new("qemu-system-arm")
        .args(["-machine", "mps2-an386", "-nographic", "-monitor", "none"])
        .args([
            "-serial",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
        ])
        .arg("-kernel")
        .arg(&elf)
        .output();
    let Ok(run) = qemu else {
        eprintln!("skipping the QEMU run: qemu-system-arm is not installed");
        return;
    };
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "QEMU run failed: {stdout}");
    let probs: Vec<f32> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("probs["))
        .map(|l| {
            l.split(" = ")
                .nth(1)
                .expect("value")
                .parse()
                .expect("float")
        })
        .collect();
    assert_eq!(probs.len(), ORT_PROBS.len(), "{stdout}");
    for (k, (got, want)) in probs.iter().zip(ORT_PROBS).enumerate() {
        assert!(
            (got - want).abs() <= 1e-5 * want.abs() + 1e-7,
            "probs[{k}]: {got} on the device, {want} from onnxruntime"
        );
    }
    assert!(stdout.contains("top class: 0\n"), "{stdout}");
}
