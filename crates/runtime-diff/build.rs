//! Compiles runtime-c's kernels into a static library the differential tests call
//! through FFI (the link layer is added by its own tests' needs).
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
            name.ends_with("_f32.c") || name.ends_with("_s8.c")
        })
        .collect();
    kernels.sort();
    cc::Build::new()
        .files(&kernels)
        .include(root.join("include"))
        .flag_if_supported("-std=c99")
        .opt_level(2)
        .compile("mnc_kernels");
}
