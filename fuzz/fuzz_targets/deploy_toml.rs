//! Text → `deploy.toml` parsing, then the model-dependent checks, partitioning, per-device
//! planning, the warnings and C emission against one fixed model
//! (`tests/models/two_input.onnx`, two inputs, as in `tests/fixtures/deploy/*.toml`).
//! A bad deployment must be an error; a panic is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshnn::deploy::Deployment;
use meshnn::driver;

static MODEL: &[u8] = include_bytes!("../../tests/models/two_input.onnx");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dep) = Deployment::parse(text, "fuzz.toml") else {
        return;
    };
    let prepared = driver::prepare_bytes(MODEL, "two_input.onnx", false)
        .expect("the fixed model tests/models/two_input.onnx compiles");
    let Ok(deployed) = driver::deploy(prepared, dep, None) else {
        return;
    };
    let _ = driver::warnings(&deployed);
    let _ = driver::emit(&deployed);
});
