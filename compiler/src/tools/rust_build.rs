//! Building Rust devices with cargo: the host bridge (`DIR/host/rust/`, see
//! `codegen::rust_host`), a release static library the C host harness links, and the
//! firmware bridges (`DIR/firmware/<device>/rust/`), a `no_std` static library per device
//! cross-compiled for its target's Rust triple. Each in its own target folder next to
//! its manifest (`target/`), or `$CARGO_TARGET_DIR` when set (tests share one, so the
//! runtime and its dependencies build once; builds into one folder take turns under a
//! lock and copy their library out, see [`TARGET_LOCK`]).

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
    #[error("cargo failed to build the Rust devices in {dir} (a meshnn bug unless your Rust toolchain is older than 1.85 or offline without the crates cached):\n{stderr}")]
    Failed { dir: String, stderr: String },
    #[error("cannot use {path} while building the Rust devices: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the Rust target {triple} is not installed (device '{device}'): run `rustup target add {triple}` (scripts/setup.sh adds every target's), or use --lang c")]
    NoTarget { triple: String, device: String },
}

/// cargo's words when the standard library of a `--target` is missing.
const NO_TARGET_SIGNS: &[&str] = &["target may not be installed", "can't find crate for `core`"];

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

/// The target folder of the crate `manifest`: `$CARGO_TARGET_DIR`, else `target/` beside it.
fn target_dir(manifest: &Path) -> PathBuf {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"))
}

/// The target folder of a build of `manifest` with `rustflags` added to `$RUSTFLAGS`:
/// [`target_dir`], or with flags a subfolder of it named after them, so builds with other
/// flags sharing that folder do not rebuild each other.
fn flagged_target_dir(manifest: &Path, rustflags: &[&str]) -> PathBuf {
    let target = target_dir(manifest);
    if rustflags.is_empty() {
        target
    } else {
        target.join(flags_folder(rustflags))
    }
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

/// Run `cargo build --release` for `manifest` with `extra` arguments and environment, and
/// `rustflags` added to `$RUSTFLAGS` (in the target folder [`flagged_target_dir`]).
fn cargo_build(
    manifest: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
    rustflags: &[&str],
) -> Result<std::process::Output, RustBuildError> {
    let cargo = cargo();
    let mut cmd = Command::new(&cargo);
    if !rustflags.is_empty() {
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        for f in rustflags {
            flags = format!("{flags} {f}").trim().to_string();
        }
        cmd.env("RUSTFLAGS", flags);
    }
    cmd.args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(flagged_target_dir(manifest, rustflags))
        .args(extra)
        .envs(env.iter().copied());
    cmd.output()
        .map_err(|source| RustBuildError::NoCargo { cargo, source })
}

/// cargo's failure on `manifest` as an error.
fn failed(manifest: &Path, out: &std::process::Output) -> RustBuildError {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    RustBuildError::Failed {
        dir: dir.display().to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

/// Build the bridge crate `manifest` in release mode; returns the static library (copied
/// beside the manifest) and the system libraries it needs on the link line after it.
pub fn build_bridge(manifest: &Path) -> Result<Vec<String>, RustBuildError> {
    build_bridge_with(manifest, &[])
}

/// [`build_bridge`] with `rustflags` added to `$RUSTFLAGS` (`bench`: the host CPU).
pub fn build_bridge_with(
    manifest: &Path,
    rustflags: &[&str],
) -> Result<Vec<String>, RustBuildError> {
    let target = flagged_target_dir(manifest, rustflags);
    let _lock = lock_target(&target)?;
    let out = cargo_build(manifest, &[], &[], rustflags)?;
    if !out.status.success() {
        return Err(failed(manifest, &out));
    }
    let lib = manifest.parent().unwrap_or(Path::new(".")).join(LIB);
    copy_lib(&target.join("release").join(LIB), &lib)?;
    remove_hashed_copies(&target.join("release").join("deps"), "libmeshnn_host-");
    Ok(vec![
        lib.display().to_string(),
        "-lpthread".into(),
        "-ldl".into(),
    ])
}

/// The lock file in a target folder: held from a bridge's build to the copy of its
/// library, since commands sharing `$CARGO_TARGET_DIR` build packages of the same name
/// (`meshnn-host`, `meshnn-fw-<device>`), each overwriting the other's library.
const TARGET_LOCK: &str = "meshnn-bridge.lock";

/// Lock the target folder `target` (created if missing) until the returned file drops.
fn lock_target(target: &Path) -> Result<std::fs::File, RustBuildError> {
    std::fs::create_dir_all(target).map_err(io_error(target))?;
    let path = target.join(TARGET_LOCK);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    lock.lock().map_err(io_error(&path))?;
    Ok(lock)
}

/// Copy the library cargo built, `built`, to `to`.
fn copy_lib(built: &Path, to: &Path) -> Result<(), RustBuildError> {
    std::fs::copy(built, to).map_err(io_error(built))?;
    Ok(())
}

/// Remove the bridge libraries cargo keeps in `deps` under hashed names (`<prefix><hash>.a`;
/// a host bridge is about 20 MB: the Rust standard library is inside). Every build
/// folder's bridge is a new package to cargo (a path dependency is known by its path), so
/// a target folder shared by many runs would otherwise keep one per run. Best effort: a
/// library left behind costs disk only.
fn remove_hashed_copies(deps: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(deps) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(".a") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// An I/O failure on `path` as an error.
fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> RustBuildError {
    let path = path.display().to_string();
    move |source| RustBuildError::Io { path, source }
}

/// Cross-compile the firmware bridge `manifest` of `device` (package `meshnn-fw-<device>`)
/// for the Rust target `triple` in release mode at `opt_level` (cargo's `opt-level`: "s",
/// "z", "0" to "3") and copy its static library to `lib`, the target folder locked
/// meanwhile (see [`TARGET_LOCK`]).
pub fn build_firmware_bridge(
    manifest: &Path,
    device: &str,
    triple: &str,
    opt_level: &str,
    lib: &Path,
) -> Result<(), RustBuildError> {
    let target = target_dir(manifest);
    let _lock = lock_target(&target)?;
    let out = cargo_build(
        manifest,
        &["--target", triple],
        &[("CARGO_PROFILE_RELEASE_OPT_LEVEL", opt_level)],
        &[],
    )?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if NO_TARGET_SIGNS.iter().any(|s| stderr.contains(s)) {
            return Err(RustBuildError::NoTarget {
                triple: triple.into(),
                device: device.into(),
            });
        }
        return Err(failed(manifest, &out));
    }
    let name = format!("libmeshnn_fw_{}.a", device.replace('-', "_"));
    let release = target.join(triple).join("release");
    copy_lib(&release.join(&name), lib)?;
    let stem = name.trim_end_matches(".a");
    remove_hashed_copies(&release.join("deps"), &format!("{stem}-"));
    Ok(())
}
