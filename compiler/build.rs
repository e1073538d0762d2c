//! Embeds the C runtime (runtime-c/include/*.h, include/internal/*.h, src/*.c) into the
//! binary, so an installed `meshnn` needs no source tree to emit a device's runtime files.
use std::{env, fs, path::Path};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime-c");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    // (folder, name prefix): internal headers keep their folder, as device folders do.
    for (sub, prefix) in [
        ("include", ""),
        ("include/internal", "internal/"),
        ("src", ""),
    ] {
        let dir = root.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("c") | Some("h")
                )
            })
            .collect();
        files.sort();
        for p in files {
            let name = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
            let abs = fs::canonicalize(&p).unwrap();
            entries.push(format!(
                "    ({name:?}, include_str!({:?})),\n",
                abs.display().to_string()
            ));
        }
    }
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("runtime_files.rs");
    let body = format!(
        "/// (file name, contents) of every runtime file, sorted.\npub const RUNTIME_FILES: &[(&str, &str)] = &[\n{}];\n",
        entries.concat()
    );
    fs::write(out, body).unwrap();

    embed_runtime_rs();

    // targets/*.toml: the MCU targets known to `meshnn targets` and deployments.
    let tdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../targets");
    println!("cargo:rerun-if-changed={}", tdir.display());
    let mut targets: Vec<_> = fs::read_dir(&tdir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    targets.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "toml"));
    targets.sort();
    let entries: Vec<String> = targets
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let abs = fs::canonicalize(p).unwrap();
            format!(
                "    ({name:?}, include_str!({:?})),\n",
                abs.display().to_string()
            )
        })
        .collect();
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("target_files.rs");
    let body = format!(
        "/// (name, TOML) of every target in targets/, sorted by name.\npub const TARGET_FILES: &[(&str, &str)] = &[\n{}];\n",
        entries.concat()
    );
    fs::write(out, body).unwrap();
}

/// Embeds the Rust runtime (runtime-rs/Cargo.toml and every file under runtime-rs/src),
/// copied into `DIR/meshnn-runtime/` next to generated Rust device crates.
fn embed_runtime_rs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime-rs");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = vec![root.join("Cargo.toml")];
    collect_files(&root.join("src"), &mut files);
    files.sort();
    let entries: Vec<String> = files
        .iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let abs = fs::canonicalize(p).unwrap();
            format!(
                "    ({rel:?}, include_str!({:?})),\n",
                abs.display().to_string()
            )
        })
        .collect();
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("runtime_rs_files.rs");
    let body = format!(
        "/// (path under runtime-rs/, contents) of every Rust runtime file, sorted.\npub const RUNTIME_RS_FILES: &[(&str, &str)] = &[\n{}];\n",
        entries.concat()
    );
    fs::write(out, body).unwrap();
}

/// Every file under `dir`, recursively (each folder watched for changes).
fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
