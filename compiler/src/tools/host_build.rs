//! Build generated sources with the host C compiler and run the harness.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot start the C compiler '{cc}': {source} (install gcc or clang, or set $CC)")]
    NoCompiler { cc: String, source: std::io::Error },
    #[error("the generated C failed to compile with '{cc}' (this is a meshnn bug; please report it):\n{stderr}")]
    Compile { cc: String, stderr: String },
    #[error("cannot run {exe}: {source}")]
    Start { exe: String, source: std::io::Error },
    #[error("the generated program failed ({status}): {stderr}")]
    Run { status: String, stderr: String },
}

/// Flags the host build uses; the generated code must compile warning-free with them.
pub const HOST_CFLAGS: &[&str] = &[
    "-std=c99",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
];

/// The C compiler: `$CC`, else `cc`.
pub fn cc() -> String {
    std::env::var("CC")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "cc".into())
}

/// Compile the harness in `dir/host/` with the sources of every device folder of `dir`
/// (`devices`) into `dir/host/model_run`. Runtime files (`mn_*.c`), identical in every
/// device folder, are compiled once.
pub fn build(dir: &Path, devices: &[String], extra_flags: &[&str]) -> Result<PathBuf, HostError> {
    build_harness(dir, "host", "model_run", devices, extra_flags)
}

/// Compile the harness folder `dir/<harness>/` with every device's sources into
/// `dir/<harness>/<exe>`.
pub fn build_harness(
    dir: &Path,
    harness: &str,
    exe: &str,
    devices: &[String],
    extra_flags: &[&str],
) -> Result<PathBuf, HostError> {
    let mut sources = c_files(&dir.join(harness));
    let mut runtime_seen = std::collections::HashSet::new();
    for dev in devices {
        for f in c_files(&dir.join(dev)) {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if !name.starts_with("mn_") || runtime_seen.insert(name) {
                sources.push(f);
            }
        }
    }
    let exe = dir.join(harness).join(exe);
    let cc = cc();
    // $CC may carry flags ("gcc -m32"): split on whitespace.
    let mut parts = cc.split_whitespace();
    let prog = parts.next().unwrap_or("cc");
    let out = Command::new(prog)
        .args(parts)
        .args(HOST_CFLAGS)
        .args(extra_flags)
        .args(&sources)
        .arg("-o")
        .arg(&exe)
        .arg("-lm")
        .output()
        .map_err(|source| HostError::NoCompiler {
            cc: cc.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(HostError::Compile {
            cc,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(exe)
}

/// Run the harness on raw float32 input files, writing raw outputs. With `repeat`, the
/// harness times that many extra inferences and the mean microseconds are returned
/// (see [`run_timed`] for the median and minimum too).
pub fn run(
    exe: &Path,
    inputs: &[PathBuf],
    outputs: &[PathBuf],
    repeat: Option<u64>,
) -> Result<Option<f64>, HostError> {
    Ok(run_timed(exe, inputs, outputs, repeat)?.map(|t| t[0]))
}

/// As [`run`], returning the harness's `[mean, median, min]` microseconds per inference.
pub fn run_timed(
    exe: &Path,
    inputs: &[PathBuf],
    outputs: &[PathBuf],
    repeat: Option<u64>,
) -> Result<Option<[f64; 3]>, HostError> {
    let mut cmd = Command::new(exe);
    cmd.args(inputs).args(outputs);
    if let Some(r) = repeat {
        cmd.arg(r.to_string());
    }
    let out = cmd.output().map_err(|source| HostError::Start {
        exe: exe.display().to_string(),
        source,
    })?;
    if !out.status.success() {
        return Err(HostError::Run {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let v: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    Ok((v.len() == 3).then(|| [v[0], v[1], v[2]]))
}

/// The `.c` files directly in `d`, sorted (none when it cannot be read).
pub fn c_files(d: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "c"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
