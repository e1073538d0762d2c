//! The end-to-end forged-frame attack of issue 17 section 7 on the host harness: an
//! attacker without the key injects, ahead of every genuine frame to the hub, a forgery of
//! the same fragment (spoofed source, sniffed sequence number) carrying chosen values
//! (`tests/common/link_attacker.c`). On a CRC-only link (`auth = "off"`) that sets the
//! hub's output; on an authenticated link (the default) the output is bit-exactly the
//! clean run's.

mod common;
use common::*;
use meshnn::codegen::File;
use meshnn::deploy::Deployment;
use meshnn::driver::{self, Deployed};
use meshnn::tools::host_build::HostBuild;

const ATTACKER_C: &str = include_str!("common/link_attacker.c");

/// nonn_k4 on its four BLE devices, with `[link] auth = auth`.
fn deployed(auth: &str) -> Deployed {
    let path = repo_root().join("tests/fixtures/deploy/nonn_k4.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "profile = \"ble\"",
        &format!("profile = \"ble\"\nauth = \"{auth}\""),
    );
    let dep = Deployment::parse(&text, "deploy.toml").unwrap();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    driver::deploy(prepare_checked(&model), dep, None).unwrap()
}

/// The hub's outputs for one fixed input, with the attacker on the link when `attack`.
fn hub_output(d: &Deployed, dir: &std::path::Path, attack: bool) -> Vec<f32> {
    let mut files = driver::emit(d).unwrap();
    for f in files.iter_mut().filter(|f| f.path == "host/link_host.c") {
        f.path = "host/link_host.c.inc".into();
    }
    files.push(File::text("host/link_attacker.c", ATTACKER_C.into()));
    let b = HostBuild::from_files(d, &files, dir, "host", "model_run", &[]).unwrap();
    let x: Vec<f32> = (0..784)
        .map(|i| ((i * 37 % 101) as f32) / 50.0 - 1.0)
        .collect();
    let io = meshnn::tools::host_build::IoFiles::write(&dir.join("io"), &[&x], 1).unwrap();
    let mut cmd = b.command(&io);
    if attack {
        cmd.env("ATTACK_HUB", d.dep.hub.to_string())
            .env("ATTACK_VALUE", "1000");
    }
    meshnn::tools::host_build::spawn(&mut cmd).unwrap();
    io.read_outputs().unwrap().remove(0)
}

fn argmax(v: &[f32]) -> usize {
    (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap()
}

#[test]
fn forged_frames_set_the_output_of_a_crc_only_link() {
    let d = deployed("off");
    let dir = tempfile::tempdir().unwrap();
    let clean = hub_output(&d, dir.path(), false);
    let attacked = hub_output(&d, dir.path(), true);
    assert_ne!(
        argmax(&attacked),
        argmax(&clean),
        "the attack changes the hub's class on auth = \"off\" (the unsafe format): {clean:?} -> {attacked:?}"
    );
}

#[test]
fn forged_frames_change_nothing_on_an_authenticated_link() {
    let d = deployed("ascon128");
    assert!(d.authenticates());
    let dir = tempfile::tempdir().unwrap();
    let clean = hub_output(&d, dir.path(), false);
    let attacked = hub_output(&d, dir.path(), true);
    assert_eq!(attacked, clean, "a forged frame reached the hub's tensors");
}
