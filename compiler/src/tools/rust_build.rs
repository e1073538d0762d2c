//! Building the host bridge of Rust devices (`DIR/host/rust/`, see `codegen::rust_host`)
//! with cargo: a release static library the C host harness links. Its own target folder
//! under the build folder (`host/rust/target`), or `$CARGO_TARGET_DIR` when set (tests
//! share one, so the runtime and its dependencies build once).

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

/// Build the bridge crate `manifest` in release mode; returns the static library and the
/// system libraries it needs on the link line after it.
pub fn build_bridge(manifest: &Path) -> Result<Vec<String>, RustBuildError> {
    build_bridge_with(manifest, &[])
}

/// [`build_bridge`] with `rustflags` added to `$RUSTFLAGS` (`bench`: the host CPU). With
/// flags, the build gets a subfolder of the target folder named after them, so builds
/// with other flags sharing that folder do not rebuild each other.
pub fn build_bridge_with(
    manifest: &Path,
    rustflags: &[&str],
) -> Result<Vec<String>, RustBuildError> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let mut target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    let cargo = cargo();
    let mut cmd = Command::new(&cargo);
    if !rustflags.is_empty() {
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        for f in rustflags {
            flags = format!("{flags} {f}").trim().to_string();
        }
        target = target.join(flags_folder(rustflags));
        cmd.env("RUSTFLAGS", flags);
    }
    let out = cmd
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(&target)
        .output()
        .map_err(|source| RustBuildError::NoCargo {
            cargo: cargo.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(RustBuildError::Failed {
            dir: dir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let lib = target.join("release").join(LIB);
    Ok(vec![
        lib.display().to_string(),
        "-lpthread".into(),
        "-ldl".into(),
    ])
}

/// The target subfolder of a build with `rustflags`: `flags-` and their FNV-1a hash
/// (stable across runs and platforms).
fn flags_folder(rustflags: &[&str]) -> String {
    let hash = rustflags
        .join(" ")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("flags-{hash:016x}")
}
