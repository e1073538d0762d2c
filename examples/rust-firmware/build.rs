//! Compiles device 'wrist' of the NoNN model into OUT_DIR with `meshnn::Build`, and
//! hands cortex-m-rt the memory map (memory.x).

use std::path::PathBuf;

fn main() {
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let model = here.join("../../tests/models/nonn_k4.onnx");
    let built = meshnn::Build::new(model)
        .deploy(here.join("deploy.toml"))
        .device("wrist")
        .lang(meshnn::Lang::Rust)
        .emit();
    if let Err(e) = built {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    // cortex-m-rt's link.x includes memory.x from the linker search path.
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    if let Err(e) = std::fs::copy(here.join("memory.x"), out.join("memory.x")) {
        eprintln!("error: cannot copy memory.x to {}: {e}", out.display());
        std::process::exit(1);
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
}
