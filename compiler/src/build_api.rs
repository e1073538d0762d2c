//! `meshnn::Build`: compile one device of a model from a build script, the way
//! `prost-build` or `bindgen` generate code into `OUT_DIR`.
//!
//! ```ignore
//! // build.rs
//! fn main() {
//!     let built = meshnn::Build::new("model.onnx").deploy("deploy.toml").device("wrist").emit();
//!     if let Err(e) = built {
//!         eprintln!("error: {e}"); // the CLI's one-line message
//!         std::process::exit(1);
//!     }
//! }
//! // src/main.rs
//! include!(concat!(env!("OUT_DIR"), "/meshnn_wrist.rs"));
//! static DEVICE: Mutex<RefCell<meshnn_wrist::Device>> =
//!     Mutex::new(RefCell::new(meshnn_wrist::Device::new()));
//! ```
//! (`examples/rust-firmware/` is a whole program.)
//!
//! It runs the pipeline of `meshnn compile` for that one device and writes, for
//! [`Lang::Rust`] (the default), `meshnn_<device>.rs` (a `pub mod meshnn_<device>`) and
//! `meshnn_<device>.weights.bin`; for [`Lang::C`], the device's C files (`model.c`,
//! `model.h`, ...) for the `cc` crate, which also compiles `runtime-c/src`. It prints
//! `cargo:rerun-if-changed=` for the model, its external data files, the deployment and
//! the calibration data.
//!
//! There is no `--runtime-version` here: a module has no manifest; the crate that
//! includes it names `meshnn-runtime` (a version or a path) in its own `[dependencies]`.

use crate::deploy::{Deployment, Strategy};
pub use crate::driver::Lang;
use crate::driver::{self, Deployed};
use crate::tools::calibrate::{self, CalibError};
use std::path::{Path, PathBuf};

/// Why [`Build::emit`] failed; its Display is the one line the CLI prints.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Compile(#[from] driver::Error),
    #[error(transparent)]
    Calib(#[from] CalibError),
    #[error("{deployment}: no device '{device}'; its devices are {known}: pass one of them to Build::device")]
    UnknownDevice {
        deployment: String,
        device: String,
        known: String,
    },
    #[error("{deployment} deploys {count} devices ({known}): say which one to generate with Build::device")]
    WhichDevice {
        deployment: String,
        count: usize,
        known: String,
    },
    #[error("OUT_DIR is not set (cargo sets it for build scripts): call Build::out_dir outside a build script")]
    NoOutDir,
}

/// A build-script compilation of one device (see the module docs).
#[derive(Clone, Debug)]
pub struct Build {
    model: PathBuf,
    deploy: Option<PathBuf>,
    device: Option<String>,
    lang: Lang,
    out_dir: Option<PathBuf>,
    strategy: Option<Strategy>,
    calib: Option<PathBuf>,
    quiet: bool,
}

impl Build {
    /// Compile the ONNX model at `model` (one device, `main`, unless [`Build::deploy`]).
    pub fn new(model: impl AsRef<Path>) -> Self {
        Build {
            model: model.as_ref().to_path_buf(),
            deploy: None,
            device: None,
            lang: Lang::Rust,
            out_dir: None,
            strategy: None,
            calib: None,
            quiet: false,
        }
    }

    /// The deployment file (devices, targets, link), as `meshnn compile --deploy`.
    pub fn deploy(mut self, file: impl AsRef<Path>) -> Self {
        self.deploy = Some(file.as_ref().to_path_buf());
        self
    }

    /// The device to generate; needed when the deployment has several.
    pub fn device(mut self, name: impl Into<String>) -> Self {
        self.device = Some(name.into());
        self
    }

    /// Rust (the default) or C.
    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// Where the files go (default: `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Override the deployment's partitioning strategy (`--strategy`).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = Some(strategy);
        self
    }

    /// Calibration data for the `mean` fallback (`--calib`).
    pub fn calib(mut self, file: impl AsRef<Path>) -> Self {
        self.calib = Some(file.as_ref().to_path_buf());
        self
    }

    /// Print no `cargo:` lines (for use outside a build script).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Compile and write the files; returns their paths.
    pub fn emit(&self) -> Result<Vec<PathBuf>, BuildError> {
        if !self.quiet {
            for line in self.rerun_lines() {
                println!("{line}");
            }
        }
        let out = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let d = self.deployed()?;
        let id = self.device_index(&d)?;
        let files = driver::emit_device_alone(&d, id, self.lang)?;
        driver::write_files(&out, &files)?;
        Ok(files.iter().map(|f| out.join(&f.path)).collect())
    }

    /// The `cargo:rerun-if-changed=` lines: the model, its external data files, the
    /// deployment and the calibration data.
    pub fn rerun_lines(&self) -> Vec<String> {
        let folder = match self.model.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let external = crate::onnx::external_data_locations(&self.model)
            .into_iter()
            .map(|l| folder.join(l));
        std::iter::once(self.model.clone())
            .chain(external)
            .chain(self.deploy.clone())
            .chain(self.calib.clone())
            .map(|p| format!("cargo:rerun-if-changed={}", p.display()))
            .collect()
    }

    /// The model deployed (and calibrated) as `meshnn compile` does it.
    fn deployed(&self) -> Result<Deployed, BuildError> {
        let p = driver::prepare(&self.model, false)?;
        let dep = match &self.deploy {
            Some(file) => Deployment::load(file).map_err(driver::Error::from)?,
            None => driver::single_deployment(&p),
        };
        let strategy = self
            .strategy
            .or(self.deploy.is_none().then_some(Strategy::Single));
        let mut d = driver::deploy(p, dep, strategy)?;
        let warnings = driver::warnings(&d);
        if let Some(w) = calibrate::calibrate(&mut d, self.calib.as_deref())? {
            self.warn(&w);
        }
        for w in warnings {
            self.warn(&w);
        }
        Ok(d)
    }

    /// The index of the device to generate.
    fn device_index(&self, d: &Deployed) -> Result<usize, BuildError> {
        let names: Vec<&str> = d.devices.iter().map(|x| x.name.as_str()).collect();
        let known = names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ");
        match &self.device {
            Some(want) => {
                names
                    .iter()
                    .position(|n| n == want)
                    .ok_or_else(|| BuildError::UnknownDevice {
                        deployment: d.dep.file.clone(),
                        device: want.clone(),
                        known,
                    })
            }
            None if names.len() == 1 => Ok(0),
            None => Err(BuildError::WhichDevice {
                deployment: d.dep.file.clone(),
                count: names.len(),
                known,
            }),
        }
    }

    /// A compiler warning as cargo shows it (`cargo:warning=`), or on stderr when quiet.
    fn warn(&self, w: &str) {
        if self.quiet {
            eprintln!("warning: {w}");
        } else {
            println!("cargo:warning={w}");
        }
    }
}
