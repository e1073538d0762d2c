//! Deployments (`deploy.toml`): the devices, what each senses, which is the hub, the link
//! and partitioning settings. Every validation error names the file, line and key and
//! says how to fix it.

mod parse;
pub mod target;

use crate::ir::Graph;
pub use crate::plan::patch::PatchOptions;
use std::path::Path;
use target::Target;

/// A problem in a deployment file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
pub struct DeployError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// Link parameters (after applying a built-in profile and explicit overrides).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Link {
    pub profile: Option<String>,
    pub bitrate_bps: u64,
    pub mtu_bytes: u32,
    pub latency_us: u64,
    pub deadline_us: u64,
    /// Adaptive waiting: after this many consecutive inferences in which nothing of a
    /// tensor arrived, its sender counts as down and is waited for only `probe_us`
    /// (0: always wait until the deadline).
    pub down_after: u32,
    /// The shortest probe window: how long a sender that is down is waited for, from the
    /// start of an inference, at least (the window is 5/4 of the time its tensor usually
    /// arrives; see `runtime-c/include/meshnn_link.h`).
    pub probe_us: u64,
    /// How frames are protected (`auth = "ascon128" | "off"`).
    pub auth: crate::link::Auth,
}

/// Default `down_after`: one inference with nothing received (the probe window is
/// learned from when the tensor usually arrives, so a sender that is up is still heard).
pub const DEFAULT_DOWN_AFTER: u32 = 1;
/// Default `probe_us` (the probe window's minimum): this fraction of the deadline.
pub const DEFAULT_PROBE_FRACTION: u64 = 10;

/// Built-in link profiles: (name, bitrate, MTU payload, per-frame latency, deadline).
/// `ble`: BLE 5 1M PHY with data length extension: ~800 kbit/s application goodput,
/// 244-byte ATT payload, one 7.5 ms connection interval per frame burst.
/// `hbc`: capacitive human-body communication transceivers: ~64 kbit/s, short frames.
pub const LINK_PROFILES: &[(&str, u64, u32, u64, u64)] = &[
    ("ble", 800_000, 244, 7_500, 50_000),
    ("hbc", 64_000, 64, 1_000, 100_000),
];

impl Link {
    /// The built-in profile `name` (a row of [`LINK_PROFILES`]).
    pub fn from_profile(name: &str) -> Option<Link> {
        let row = LINK_PROFILES.iter().find(|p| p.0 == name)?;
        Some(Link::from_row(row, Some(name.to_string())))
    }

    fn from_row(
        &(_, bitrate_bps, mtu_bytes, latency_us, deadline_us): &(&str, u64, u32, u64, u64),
        profile: Option<String>,
    ) -> Link {
        Link {
            profile,
            bitrate_bps,
            mtu_bytes,
            latency_us,
            deadline_us,
            down_after: DEFAULT_DOWN_AFTER,
            probe_us: deadline_us / DEFAULT_PROBE_FRACTION,
            auth: crate::link::Auth::Ascon128,
        }
    }

    /// The frame layout of this link (payload per frame, bytes on air).
    pub fn framing(&self) -> crate::link::Framing {
        crate::link::Framing {
            mtu_bytes: self.mtu_bytes as usize,
            auth: self.auth,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub name: String,
    pub target: Target,
    /// Graph inputs this device senses.
    pub inputs: Vec<String>,
    pub hub: bool,
    /// Budgets available to meshnn when smaller than the target's (the rest of the
    /// firmware needs memory too).
    pub ram_bytes: Option<u64>,
    pub flash_bytes: Option<u64>,
    /// Which kernel variants its code calls.
    pub kernels: Kernels,
    /// How its constant tensors are emitted.
    pub weights: Weights,
    /// Whether the planner may run chains patch by patch (`patch`, `patch_max_overhead`).
    pub patch: PatchOptions,
    /// The language of its code (`lang`); None: the command line's `--lang`.
    pub lang: Option<Lang>,
    line: usize,
    input_lines: Vec<usize>,
}

impl Device {
    /// RAM meshnn may use on this device.
    pub fn ram_budget(&self) -> u64 {
        self.ram_bytes.unwrap_or(self.target.ram_bytes)
    }
    /// Flash meshnn may use on this device.
    pub fn flash_budget(&self) -> u64 {
        self.flash_bytes.unwrap_or(self.target.flash_bytes)
    }
}

/// Kernel variants a device's code calls (`kernels` in a `[[device]]` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernels {
    /// The fast variants, unless their scratch memory makes the device's RAM exceed its
    /// budget; then the reference kernels (the default).
    Auto,
    /// The fast variants (blocked, vectorisable; a convolution may need a scratch buffer
    /// in the arena).
    Fast,
    /// The reference kernels: simplest code, the arena holds activations only.
    Reference,
}

impl Kernels {
    pub fn parse(s: &str) -> Option<Kernels> {
        match s {
            "auto" => Some(Kernels::Auto),
            "fast" => Some(Kernels::Fast),
            "reference" => Some(Kernels::Reference),
            _ => None,
        }
    }
}

/// How a device's constant tensors are emitted (`weights` in a `[[device]]` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    /// One little-endian binary file, `weights_<device>.bin`, placed in flash by the
    /// assembler (`weights.S`, `.incbin`): GCC and Clang toolchains (the default).
    Blob,
    /// C literals in `weights.c`, for compilers without the GNU assembler (slow to
    /// compile for large models).
    C,
}

impl Weights {
    pub fn parse(s: &str) -> Option<Weights> {
        match s {
            "blob" => Some(Weights::Blob),
            "c" => Some(Weights::C),
            _ => None,
        }
    }
}

/// The language of a device's generated code (`lang` in a `[[device]]` table, `--lang`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// C99 with the C runtime (the default).
    #[default]
    C,
    /// A `no_std` Rust crate on `meshnn-runtime`.
    Rust,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "c" => Some(Lang::C),
            "rust" => Some(Lang::Rust),
            _ => None,
        }
    }
}

/// What a receive stub puts in place of elements that did not arrive by the deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// Zeros: what a model trained with failout expects.
    Zero,
    /// The last value received for the element.
    Hold,
    /// The per-element mean over calibration data (`--calib`).
    Mean,
}

impl Fallback {
    pub fn parse(s: &str) -> Option<Fallback> {
        match s {
            "zero" => Some(Fallback::Zero),
            "hold" => Some(Fallback::Hold),
            "mean" => Some(Fallback::Mean),
            _ => None,
        }
    }
}

/// Partitioning strategy (also the `--strategy` values of the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Modularity,
    Layer,
    Single,
    Manual,
}

impl Strategy {
    /// The strategy named `s` (lowercase, as on the command line).
    pub fn parse(s: &str) -> Option<Strategy> {
        clap::ValueEnum::from_str(s, false).ok()
    }

    /// Its name as deploy.toml and the command line spell it ("modularity", ...).
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub file: String,
    pub link: Link,
    pub devices: Vec<Device>,
    /// Index of the hub (the device that produces the model outputs).
    pub hub: usize,
    pub strategy: Strategy,
    /// Max MACs of a device as a multiple of the mean share: (1 + tol) * total / devices.
    /// None: no compute balance constraint.
    pub balance_tolerance: Option<f64>,
    /// Manual placement: ONNX node name -> device name.
    pub manual: Vec<(String, String)>,
    /// Fallback of received tensors, and per-tensor overrides (tensor name -> policy).
    pub fallback: Fallback,
    pub fallback_overrides: Vec<(String, Fallback)>,
}

impl Deployment {
    /// The fallback policy of the received tensor named `tensor`.
    pub fn fallback_for(&self, tensor: &str) -> Fallback {
        self.fallback_overrides
            .iter()
            .find(|(t, _)| t == tensor)
            .map(|(_, f)| *f)
            .unwrap_or(self.fallback)
    }
}

impl Deployment {
    /// Read and validate a deployment file (model-independent checks).
    pub fn load(path: &Path) -> Result<Deployment, DeployError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DeployError {
            file: file.clone(),
            line: 0,
            key: "file".into(),
            message: format!("cannot read the deployment file: {e}"),
        })?;
        Self::parse(&text, &file)
    }

    /// A one-device deployment on the host (what runs without --deploy).
    pub fn single_host(inputs: Vec<String>) -> Deployment {
        let target = target::find("host").unwrap_or_else(|| Target {
            name: "host".into(),
            description: String::new(),
            core: "host".into(),
            clock_hz: 3_000_000_000,
            ram_bytes: u64::MAX / 4,
            flash_bytes: u64::MAX / 4,
            fpu: "double".into(),
            macs_per_cycle: 4.0,
            toolchain: crate::deploy::target::Toolchain {
                cc: "cc".into(),
                rust_target: None,
                debian_package: None,
                cflags: vec![],
                ldflags: vec![],
            },
            qemu: None,
        });
        Deployment {
            file: "(single device)".into(),
            link: Link::from_row(&LINK_PROFILES[0], None),
            devices: vec![Device {
                name: "main".into(),
                target,
                inputs,
                hub: true,
                ram_bytes: None,
                flash_bytes: None,
                kernels: Kernels::Auto,
                weights: Weights::Blob,
                lang: None,
                patch: PatchOptions::default(),
                line: 0,
                input_lines: vec![],
            }],
            hub: 0,
            strategy: Strategy::Single,
            balance_tolerance: None,
            manual: vec![],
            fallback: Fallback::Zero,
            fallback_overrides: vec![],
        }
    }

    /// Model-dependent checks: every sensed input exists, every graph input is sensed.
    pub fn check_model(&self, g: &Graph) -> Result<(), DeployError> {
        let names = g.input_names();
        for d in &self.devices {
            for (i, inp) in d.inputs.iter().enumerate() {
                if !names.contains(&inp.as_str()) {
                    return Err(DeployError {
                        file: self.file.clone(),
                        line: d.input_lines.get(i).copied().unwrap_or(d.line),
                        key: "device.inputs".into(),
                        message: format!("device '{}' senses '{inp}', which is not a graph input of the model; its inputs are: {}", d.name, g.input_names_text()),
                    });
                }
            }
        }
        for n in names {
            if !self.devices.iter().any(|d| d.inputs.iter().any(|i| i == n)) {
                return Err(DeployError {
                    file: self.file.clone(),
                    line: self.devices[self.hub].line,
                    key: "device.inputs".into(),
                    message: format!("graph input '{n}' is sensed by no device; add it to the `inputs` of the device(s) that sense it"),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Deployment, DeployError> {
        Deployment::parse(s, "deploy.toml")
    }

    const OK: &str = r#"
[link]
profile = "ble"
mtu_bytes = 128

[[device]]
name = "wrist"
target = "nrf52840"
inputs = ["x"]

[[device]]
name = "chest"
target = "stm32l476"
inputs = ["x"]
outputs = true
"#;

    #[test]
    fn profile_then_overrides() {
        let d = parse(OK).unwrap();
        assert_eq!(d.link.bitrate_bps, 800_000);
        assert_eq!(d.link.mtu_bytes, 128);
        assert_eq!(d.hub, 1);
        assert_eq!(d.devices[0].target.name, "nrf52840");
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = parse(&OK.replace("stm32l476", "stm32xyz")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (13, "device.target"));
        assert!(e.to_string().contains("unknown target 'stm32xyz'"), "{e}");
        let e = parse(&OK.replace("outputs = true", "")).unwrap_err();
        assert!(
            e.to_string().contains("no device has outputs = true"),
            "{e}"
        );
        let e = parse(&OK.replace(
            "inputs = [\"x\"]\n\n",
            "inputs = [\"x\"]\noutputs = true\n\n",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("two hubs"), "{e}");
        let e = parse(&OK.replace("\"chest\"", "\"wrist\"")).unwrap_err();
        assert!(
            e.to_string().contains("duplicate device name 'wrist'"),
            "{e}"
        );
        assert_eq!(e.line, 12);
        let e = parse(&OK.replace("profile = \"ble\"", "profile = \"wifi\"")).unwrap_err();
        assert!(e.to_string().contains("unknown link profile 'wifi'"), "{e}");
        let e = parse("[[device]\nname=").unwrap_err();
        assert_eq!(e.key, "toml");
        let e = parse(&OK.replace("mtu_bytes", "mtu")).unwrap_err();
        assert!(e.to_string().contains("mtu"), "{e}");
    }

    #[test]
    fn links_authenticate_unless_told_not_to() {
        use crate::link::Auth;
        assert_eq!(parse(OK).unwrap().link.auth, Auth::Ascon128);
        let off = OK.replace("mtu_bytes = 128", "mtu_bytes = 128\nauth = \"off\"");
        assert_eq!(parse(&off).unwrap().link.auth, Auth::Off);
        let e =
            parse(&OK.replace("mtu_bytes = 128", "mtu_bytes = 128\nauth = \"aes\"")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (5, "link.auth"));
        assert!(
            e.to_string().contains("unknown link authentication 'aes'"),
            "{e}"
        );
        // 36 bytes leave no payload once the 36 bytes of header and tag are counted.
        let e = parse(&OK.replace("mtu_bytes = 128", "mtu_bytes = 36")).unwrap_err();
        assert!(e.to_string().contains("outside 40..=65535"), "{e}");
        let off36 = OK.replace("mtu_bytes = 128", "mtu_bytes = 36\nauth = \"off\"");
        assert_eq!(parse(&off36).unwrap().link.mtu_bytes, 36);
    }
}
