//! Bytes → the `.npy` reader (float32 inputs), the `.npz` reader (every array as float32
//! and as integers, within the 256 MiB budget) and the data-set loader of `simulate
//! --data` / `--calib` against one fixed model (`tests/models/two_input.onnx`).
//! A bad file must be an error; a panic or an allocation beyond the limits is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshnn::driver::{self, Deployed};
use meshnn::npy::{self, Npz};
use meshnn::tools::dataset;
use std::sync::OnceLock;

static MODEL: &[u8] = include_bytes!("../../tests/models/two_input.onnx");

fn deployed() -> &'static Deployed {
    static D: OnceLock<Deployed> = OnceLock::new();
    D.get_or_init(|| {
        let p = driver::prepare_bytes(MODEL, "two_input.onnx", false)
            .expect("the fixed model tests/models/two_input.onnx compiles");
        driver::deploy_single(p).expect("the fixed model deploys on one device")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = npy::parse_f32(data, "fuzz.npy");
    let Ok(mut z) = Npz::from_bytes(data, "fuzz.npz") else {
        return;
    };
    for name in z.names() {
        let _ = z.f32(&name);
        let _ = z.ints(&name);
    }
    if let Ok(mut z) = Npz::from_bytes(data, "fuzz.npz") {
        let _ = dataset::dataset_from(&mut z, deployed());
    }
});
