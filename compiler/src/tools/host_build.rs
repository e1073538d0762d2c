//! The host harness driver, shared by every command that runs generated C on this
//! computer (`run`, `run --on qemu`'s recording, `bench`, `simulate`, the calibration):
//! emit → write → build with the host C compiler → run on raw float32 files → read the
//! outputs. [`HostBuild`] owns those steps; [`IoFiles`] the raw files of one run.

use crate::codegen::File;
use crate::driver::{self, Deployed};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Pipeline(#[from] driver::Error),
    #[error(transparent)]
    BuildDir(#[from] super::build_dir::BuildDirError),
    #[error(transparent)]
    Key(#[from] super::link_key::KeyError),
    #[error(transparent)]
    Rust(#[from] super::rust_build::RustBuildError),
}

/// The error for a failed file-system step `what` ("write", "read", ...) on `path`.
pub fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> HostError {
    let path = path.display().to_string();
    move |source| HostError::Io { what, path, source }
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

/// Generated sources written under `dir`, and the harness compiled from them:
/// `dir/<folder>/` (the harness: `host` or `sim`) with every device folder of `devices`.
pub struct HostBuild {
    dir: PathBuf,
    folder: &'static str,
    devices: Vec<String>,
    exe: PathBuf,
    /// The Rust devices' bridge crate, if any.
    bridge: Option<PathBuf>,
    /// The Rust devices' bridge library and what it needs, on the link line.
    rust_libs: Vec<String>,
}

impl HostBuild {
    /// Emit `d` with its host harness into `dir` and build `dir/host/model_run` with
    /// `flags` added to [`HOST_CFLAGS`].
    pub fn emit(d: &Deployed, dir: &Path, flags: &[&str]) -> Result<HostBuild, HostError> {
        HostBuild::emit_with(d, dir, flags, &driver::EmitOptions::default())
    }

    /// [`HostBuild::emit`] with the devices' language (`--lang`) and runtime source.
    pub fn emit_with(
        d: &Deployed,
        dir: &Path,
        flags: &[&str],
        opts: &driver::EmitOptions,
    ) -> Result<HostBuild, HostError> {
        HostBuild::emit_rust_flags(d, dir, flags, &[], opts)
    }

    /// [`HostBuild::emit_with`], the Rust devices built with `rustflags` added
    /// (`bench`: `-C target-cpu=native`, as the C is built with `-march=native`).
    pub fn emit_rust_flags(
        d: &Deployed,
        dir: &Path,
        flags: &[&str],
        rustflags: &[&str],
        opts: &driver::EmitOptions,
    ) -> Result<HostBuild, HostError> {
        let files = driver::emit_with(d, opts)?;
        HostBuild::from_files_with(d, &files, dir, "host", "model_run", flags, rustflags)
    }

    /// Write `files` (sources of `d`) into `dir` and build the harness `dir/<folder>/`
    /// into `dir/<folder>/<exe>`.
    pub fn from_files(
        d: &Deployed,
        files: &[File],
        dir: &Path,
        folder: &'static str,
        exe: &str,
        flags: &[&str],
    ) -> Result<HostBuild, HostError> {
        HostBuild::from_files_with(d, files, dir, folder, exe, flags, &[])
    }

    /// [`HostBuild::from_files`], the Rust devices built with `rustflags` added.
    pub fn from_files_with(
        d: &Deployed,
        files: &[File],
        dir: &Path,
        folder: &'static str,
        exe: &str,
        flags: &[&str],
        rustflags: &[&str],
    ) -> Result<HostBuild, HostError> {
        driver::write_files(dir, files)?;
        if d.authenticates() {
            super::link_key::prepare(&dir.join(folder))?;
        }
        let mut b = HostBuild {
            dir: dir.to_path_buf(),
            folder,
            devices: d.devices.iter().map(|x| x.name.clone()).collect(),
            exe: PathBuf::new(),
            bridge: None,
            rust_libs: Vec::new(),
        };
        // The Rust devices' bridge lives in the host harness's folder; the simulator
        // links it too.
        if let Some(manifest) = super::rust_build::bridge_manifest(&dir.join("host")) {
            b.rust_libs = super::rust_build::build_bridge_with(&manifest, rustflags)?;
            b.bridge = Some(manifest);
            // The C link layer of linked Rust devices: compiled like a device's (its
            // runtime files once).
            if dir.join(crate::codegen::rust_host::LINK_DIR).is_dir() {
                b.devices
                    .push(crate::codegen::rust_host::LINK_DIR.to_string());
            }
        }
        b.exe = b.compile(exe, flags)?;
        Ok(b)
    }

    /// The harness program.
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// Whether some device is a Rust crate (linked through the bridge).
    pub fn has_rust(&self) -> bool {
        self.bridge.is_some()
    }

    /// [`HostBuild::compile`] with the Rust devices rebuilt with `rustflags` added
    /// (`bench`'s callgrind build leaves out what valgrind cannot decode).
    pub fn compile_rust_flags(
        &mut self,
        exe: &str,
        flags: &[&str],
        rustflags: &[&str],
    ) -> Result<PathBuf, HostError> {
        if let Some(manifest) = &self.bridge {
            self.rust_libs = super::rust_build::build_bridge_with(manifest, rustflags)?;
        }
        self.compile(exe, flags)
    }

    /// Compile the same sources again into `dir/<folder>/<exe>` with other `flags`
    /// (`bench` builds one binary for timing, one for callgrind).
    pub fn compile(&self, exe: &str, flags: &[&str]) -> Result<PathBuf, HostError> {
        let exe = self.dir.join(self.folder).join(exe);
        let cc = cc();
        // $CC may carry flags ("gcc -m32"): split on whitespace.
        let mut parts = cc.split_whitespace();
        let prog = parts.next().unwrap_or("cc");
        let out = Command::new(prog)
            .args(parts)
            .args(HOST_CFLAGS)
            .args(flags)
            .args(self.blob_includes())
            .args(self.sources())
            .args(&self.rust_libs)
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

    /// The harness's sources, then every device's; runtime files (`mn_*.c`), identical
    /// in every device folder, once.
    fn sources(&self) -> Vec<PathBuf> {
        let mut sources = sources_in(&self.dir.join(self.folder));
        let mut runtime_seen = std::collections::HashSet::new();
        for dev in &self.devices {
            for f in sources_in(&self.dir.join(dev)) {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if !name.starts_with("mn_") || runtime_seen.insert(name) {
                    sources.push(f);
                }
            }
        }
        sources
    }

    /// `-I<device folder>` for every device: its `weights.S` finds its blob there.
    fn blob_includes(&self) -> Vec<String> {
        self.devices
            .iter()
            .map(|dev| format!("-I{}", self.dir.join(dev).display()))
            .collect()
    }

    /// The harness's command line for one run on `io`: input files, then output files.
    pub fn command(&self, io: &IoFiles) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(&io.inputs).args(&io.outputs);
        self.set_link_key(&mut cmd);
        cmd
    }

    /// Give `cmd` (this build's harness, or a tool running it) the link key of the build.
    pub fn set_link_key(&self, cmd: &mut Command) {
        super::link_key::set_env(cmd, &self.dir.join(self.folder));
    }

    /// One inference on `io`'s files.
    pub fn run(&self, io: &IoFiles) -> Result<(), HostError> {
        spawn(&mut self.command(io)).map(drop)
    }

    /// `repeat` timed inferences on `io` (after one untimed): the harness's
    /// `[mean, median, min]` microseconds per inference, `None` when it printed none.
    pub fn run_timed(&self, io: &IoFiles, repeat: u64) -> Result<Option<[f64; 3]>, HostError> {
        let out = spawn(self.command(io).arg(repeat.to_string()))?;
        let v: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        Ok((v.len() == 3).then(|| [v[0], v[1], v[2]]))
    }

    /// Write `inputs` into `dir/io/`, run one inference, read the `n_outputs` outputs.
    pub fn infer(&self, inputs: &[&[f32]], n_outputs: usize) -> Result<Vec<Vec<f32>>, HostError> {
        let io = IoFiles::write(&self.dir.join("io"), inputs, n_outputs)?;
        self.run(&io)?;
        io.read_outputs()
    }
}

/// The raw little-endian float32 files of one harness run: `in<k>.bin` (written) and
/// `out<k>.bin` (the harness writes them) in one folder.
pub struct IoFiles {
    pub inputs: Vec<PathBuf>,
    pub outputs: Vec<PathBuf>,
}

impl IoFiles {
    /// Make `io` an empty folder of meshnn's (`build_dir::fresh_dir`: no stale outputs, and
    /// a later run may empty it again) and write `inputs` into it; name `n_outputs` output
    /// files.
    pub fn write(io: &Path, inputs: &[&[f32]], n_outputs: usize) -> Result<IoFiles, HostError> {
        super::build_dir::fresh_dir(io)?;
        let mut paths = Vec::new();
        for (k, data) in inputs.iter().enumerate() {
            let path = io.join(format!("in{k}.bin"));
            write_f32s(&path, data)?;
            paths.push(path);
        }
        Ok(IoFiles {
            inputs: paths,
            outputs: (0..n_outputs)
                .map(|k| io.join(format!("out{k}.bin")))
                .collect(),
        })
    }

    /// The outputs the harness wrote.
    pub fn read_outputs(&self) -> Result<Vec<Vec<f32>>, HostError> {
        self.outputs.iter().map(|p| read_f32s(p)).collect()
    }
}

/// Write `data` as raw little-endian float32.
pub fn write_f32s(path: &Path, data: &[f32]) -> Result<(), HostError> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(io_err("write", path))
}

/// Read a raw little-endian float32 file.
pub fn read_f32s(path: &Path) -> Result<Vec<f32>, HostError> {
    let bytes = std::fs::read(path).map_err(io_err("read", path))?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Run a generated program to completion; a failed start or a non-zero exit is an error
/// carrying its stderr.
pub fn spawn(cmd: &mut Command) -> Result<Output, HostError> {
    let out = cmd.output().map_err(|source| HostError::Start {
        exe: cmd.get_program().to_string_lossy().into_owned(),
        source,
    })?;
    if !out.status.success() {
        return Err(HostError::Run {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out)
}

/// The sources directly in `d` (`.c`, and `.S`: the weight blob's `weights.S`), sorted
/// (none when it cannot be read).
pub fn sources_in(d: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "c" || x == "S"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
