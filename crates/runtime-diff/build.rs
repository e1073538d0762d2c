//! Compiles runtime-c's kernels into a static library the differential tests call
//! through FFI, and runtime-c's link layer (authenticated frames, with c/meshnn_config.h)
//! with the test HAL of c/link_hal.c into a second one.
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime-c");
    let src = root.join("src");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed={}", root.join("include").display());
    let mut kernels: Vec<_> = std::fs::read_dir(&src)
        .expect("runtime-c/src")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with("_f32.c")
        })
        .collect();
    kernels.sort();
    cc::Build::new()
        .files(&kernels)
        .include(root.join("include"))
        .flag_if_supported("-std=c99")
        .opt_level(2)
        .compile("mnc_kernels");

    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("c");
    println!("cargo:rerun-if-changed={}", here.display());
    let link = [
        "mn_link.c",
        "mn_link_auth.c",
        "mn_link_wire.c",
        "mn_crc32.c",
        "mn_ascon.c",
    ];
    cc::Build::new()
        .files(link.iter().map(|f| src.join(f)))
        .file(here.join("link_hal.c"))
        .include(&here) // meshnn_config.h
        .include(root.join("include"))
        .flag_if_supported("-std=c99")
        .opt_level(2)
        .compile("mnc_link");
}
