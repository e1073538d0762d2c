//! Building the host bridge of Rust devices (`DIR/host/rust/`, see `codegen::rust_host`)
//! with cargo: a release static library the C host harness links. Its own target folder
//! under the build folder (`host/rust/target`), or `$CARGO_TARGET_DIR` when set (tests
//! share one, so the runtime and its dependencies build once; builds into one folder
//! take turns, see [`build_bridge`]).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The library cargo builds from the bridge crate (`meshnn-host`).
const LIB: &str = "libmeshnn_host.a";

#[derive(Debug, thiserror::Error)]
pub enum RustBuildError {
    #[error("cannot start cargo ('{cargo}') to build the Rust devices: {source}; install Rust (https://rustup.rs) or set $CARGO, or use --lang c")]
    NoCargo {
        cargo: String,
        source: std::io::Error,
    },
    #[error("cargo failed to build the Rust devices in {dir} (a meshnn bug unless your Rust toolchain is older than 1.75 or offline without the crates cached):\n{stderr}")]
    Failed { dir: String, stderr: String },
    #[error("cannot {what} while building the Rust devices: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// cargo: `$CARGO`, else `cargo`.
fn cargo() -> String {
    std::env::var("CARGO")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "cargo".into())
}

/// The bridge crate of the harness folder `harness`, if the output has Rust devices.
pub fn bridge_manifest(harness: &Path) -> Option<PathBuf> {
    let m = harness.join("rust").join("Cargo.toml");
    m.is_file().then_some(m)
}

/// Build the bridge crate `manifest` in release mode; returns the static library (copied
/// into the bridge's folder) and the system libraries it needs on the link line after it.
/// The build and the copy hold an exclusive lock on `<target>/meshnn-host.lock`: builds
/// sharing one target folder (`$CARGO_TARGET_DIR`, `meshnn run`s in parallel) write the
/// same library path, and one would otherwise link another's.
pub fn build_bridge(manifest: &Path) -> Result<Vec<String>, RustBuildError> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    let _lock = lock_target(&target)?;
    cargo_build(manifest, &target)?;
    let lib = dir.join(LIB);
    let built = target.join("release").join(LIB);
    std::fs::copy(&built, &lib).map_err(|source| RustBuildError::Io {
        what: format!("copy {} to {}", built.display(), lib.display()),
        source,
    })?;
    remove_hashed_copies(&target.join("release").join("deps"));
    Ok(vec![
        lib.display().to_string(),
        "-lpthread".into(),
        "-ldl".into(),
    ])
}

/// Remove the bridge libraries cargo keeps in `deps` under hashed names
/// (`libmeshnn_host-<hash>.a`, about 20 MB each: the Rust standard library is inside).
/// Every build folder's bridge is a new package to cargo (a path dependency is known by
/// its path), so a target folder shared by many `meshnn run`s would otherwise keep one
/// per run. Best effort: a library left behind costs disk only.
fn remove_hashed_copies(deps: &Path) {
    let Ok(entries) = std::fs::read_dir(deps) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("libmeshnn_host-") && name.ends_with(".a") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The exclusive lock of the target folder `target` (created if absent); released when
/// the file is dropped.
fn lock_target(target: &Path) -> Result<std::fs::File, RustBuildError> {
    let path = target.join("meshnn-host.lock");
    let io = |source| RustBuildError::Io {
        what: format!("lock {}", path.display()),
        source,
    };
    std::fs::create_dir_all(target).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

/// `cargo build --release` of `manifest` into `target`.
fn cargo_build(manifest: &Path, target: &Path) -> Result<(), RustBuildError> {
    let cargo = cargo();
    let out = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target)
        .output()
        .map_err(|source| RustBuildError::NoCargo {
            cargo: cargo.clone(),
            source,
        })?;
    if !out.status.success() {
        let dir = manifest.parent().unwrap_or(Path::new("."));
        return Err(RustBuildError::Failed {
            dir: dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}
