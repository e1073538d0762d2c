//! Deployments (`deploy.toml`): the devices, what each senses, which is the hub, the link
//! and partitioning settings. Every validation error names the file, line and key and
//! says how to fix it.

pub mod target;

use crate::ir::Graph;
use serde::Deserialize;
use std::path::Path;
use target::Target;
use toml::Spanned;

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
}

/// Built-in link profiles: (name, bitrate, MTU payload, per-frame latency, deadline).
/// `ble`: BLE 5 1M PHY with data length extension: ~800 kbit/s application goodput,
/// 244-byte ATT payload, one 7.5 ms connection interval per frame burst.
/// `hbc`: capacitive human-body communication transceivers: ~64 kbit/s, short frames.
pub const LINK_PROFILES: &[(&str, u64, u32, u64, u64)] = &[
    ("ble", 800_000, 244, 7_500, 50_000),
    ("hbc", 64_000, 64, 1_000, 100_000),
];

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

// ---- raw file format --------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    link: Option<Spanned<RawLink>>,
    #[serde(default)]
    partition: Option<Spanned<RawPartition>>,
    #[serde(default)]
    device: Vec<Spanned<RawDevice>>,
    #[serde(default)]
    fallback: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    profile: Option<Spanned<String>>,
    bitrate_bps: Option<u64>,
    mtu_bytes: Option<u32>,
    latency_us: Option<u64>,
    deadline_us: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartition {
    strategy: Option<Spanned<String>>,
    balance_tolerance: Option<Spanned<toml::Value>>,
    #[serde(default)]
    manual: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Spanned<String>,
    target: Spanned<String>,
    #[serde(default)]
    inputs: Vec<Spanned<String>>,
    #[serde(default)]
    outputs: Option<Spanned<bool>>,
    #[serde(default)]
    ram_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    flash_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    kernels: Option<Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
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

    /// Parse and validate deployment text; `file` is used in messages.
    pub fn parse(text: &str, file: &str) -> Result<Deployment, DeployError> {
        let err = |offset: usize, key: &str, message: String| DeployError {
            file: file.into(),
            line: line_of(text, offset),
            key: key.into(),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let msg = e.message().trim().to_string();
            err(
                offset,
                "toml",
                format!("{msg} (see the deploy.toml format in README.md)"),
            )
        })?;

        // link: profile first, explicit keys override it
        let mut link = Link {
            profile: None,
            bitrate_bps: 250_000,
            mtu_bytes: 64,
            latency_us: 2_000,
            deadline_us: 20_000,
        };
        if let Some(l) = &raw.link {
            let l = l.get_ref();
            if let Some(p) = &l.profile {
                let Some(&(_, b, m, lat, d)) =
                    LINK_PROFILES.iter().find(|(n, ..)| n == p.get_ref())
                else {
                    let known: Vec<&str> = LINK_PROFILES.iter().map(|p| p.0).collect();
                    return Err(err(
                        p.span().start,
                        "link.profile",
                        format!(
                            "unknown link profile '{}'; use one of: {}",
                            p.get_ref(),
                            known.join(", ")
                        ),
                    ));
                };
                link = Link {
                    profile: Some(p.get_ref().clone()),
                    bitrate_bps: b,
                    mtu_bytes: m,
                    latency_us: lat,
                    deadline_us: d,
                };
            }
            if let Some(v) = l.bitrate_bps {
                link.bitrate_bps = v;
            }
            if let Some(v) = l.mtu_bytes {
                link.mtu_bytes = v;
            }
            if let Some(v) = l.latency_us {
                link.latency_us = v;
            }
            if let Some(v) = l.deadline_us {
                link.deadline_us = v;
            }
        }
        let link_off = raw.link.as_ref().map(|l| l.span().start).unwrap_or(0);
        if link.bitrate_bps == 0 {
            return Err(err(link_off, "link.bitrate_bps", "must be positive".into()));
        }
        if link.mtu_bytes < 32 || link.mtu_bytes > 65_535 {
            return Err(err(
                link_off,
                "link.mtu_bytes",
                format!(
                    "{} is outside 32..=65535 (frames carry a 20-byte header)",
                    link.mtu_bytes
                ),
            ));
        }

        // devices
        if raw.device.is_empty() {
            return Err(err(0, "device", "no [[device]] tables; add at least one device with name, target and outputs = true for the hub".into()));
        }
        let mut devices: Vec<Device> = Vec::new();
        for d in &raw.device {
            let line = line_of(text, d.span().start);
            let d = d.get_ref();
            let name = d.name.get_ref();
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid || name == "host" {
                return Err(err(d.name.span().start, "device.name", format!("'{name}' is not usable as a device name: use lower-case letters, digits and '_', starting with a letter (it prefixes the device's C symbols; 'host' is reserved)")));
            }
            if devices.iter().any(|x| &x.name == name) {
                return Err(err(
                    d.name.span().start,
                    "device.name",
                    format!("duplicate device name '{name}'; every device needs its own name"),
                ));
            }
            let Some(target) = target::find(d.target.get_ref()) else {
                return Err(err(d.target.span().start, "device.target", format!("unknown target '{}' for device '{name}'; known targets: {} (see `meshnn targets`)", d.target.get_ref(), target::names().join(", "))));
            };
            let mut inputs = Vec::new();
            let mut input_lines = Vec::new();
            for i in &d.inputs {
                if inputs.contains(i.get_ref()) {
                    return Err(err(
                        i.span().start,
                        "device.inputs",
                        format!("input '{}' listed twice for device '{name}'", i.get_ref()),
                    ));
                }
                inputs.push(i.get_ref().clone());
                input_lines.push(line_of(text, i.span().start));
            }
            for (key, v, cap) in [
                ("device.ram_bytes", &d.ram_bytes, target.ram_bytes),
                ("device.flash_bytes", &d.flash_bytes, target.flash_bytes),
            ] {
                if let Some(v) = v {
                    if *v.get_ref() > cap {
                        return Err(err(v.span().start, key, format!("{} exceeds the {} target's {cap} bytes; give the budget meshnn may use, at most the target's", v.get_ref(), target.name)));
                    }
                }
            }
            let kernels = match &d.kernels {
                None => Kernels::Auto,
                Some(k) => Kernels::parse(k.get_ref()).ok_or_else(|| {
                    err(
                        k.span().start,
                        "device.kernels",
                        format!(
                            "unknown kernels '{}' for device '{name}'; use auto (fast unless their scratch memory exceeds the RAM budget), fast or reference",
                            k.get_ref()
                        ),
                    )
                })?,
            };
            devices.push(Device {
                name: name.clone(),
                target,
                kernels,
                inputs,
                hub: d.outputs.as_ref().is_some_and(|o| *o.get_ref()),
                ram_bytes: d.ram_bytes.as_ref().map(|v| *v.get_ref()),
                flash_bytes: d.flash_bytes.as_ref().map(|v| *v.get_ref()),
                line,
                input_lines,
            });
        }
        let hubs: Vec<usize> = (0..devices.len()).filter(|&i| devices[i].hub).collect();
        let hub = match hubs.as_slice() {
            [h] => *h,
            [] => {
                return Err(err(raw.device[0].span().start, "device.outputs", "no device has outputs = true; mark the device that produces the model outputs (the hub)".into()))
            }
            [_, second, ..] => {
                return Err(err(raw.device[*second].span().start, "device.outputs", format!("two hubs: '{}' and '{}' both have outputs = true; exactly one device produces the model outputs", devices[hubs[0]].name, devices[*second].name)))
            }
        };

        // partition settings
        let mut strategy = Strategy::Modularity;
        let mut balance_tolerance = Some(0.5);
        let mut manual = Vec::new();
        if let Some(p) = &raw.partition {
            let p = p.get_ref();
            if let Some(s) = &p.strategy {
                strategy = Strategy::parse(s.get_ref()).ok_or_else(|| {
                    err(
                        s.span().start,
                        "partition.strategy",
                        format!(
                            "unknown strategy '{}'; use modularity, layer, single or manual",
                            s.get_ref()
                        ),
                    )
                })?;
            }
            if let Some(b) = &p.balance_tolerance {
                balance_tolerance = match b.get_ref() {
                    toml::Value::Float(f) if *f >= 0.0 => Some(*f),
                    toml::Value::Integer(i) if *i >= 0 => Some(*i as f64),
                    toml::Value::String(s) if s == "none" => None,
                    _ => return Err(err(b.span().start, "partition.balance_tolerance", "must be a non-negative number (e.g. 0.5: no device above 1.5x the mean MACs) or \"none\"".into())),
                };
            }
            if let Some(m) = &p.manual {
                for (node, dev) in m.get_ref() {
                    let Some(dev) = dev.as_str() else {
                        return Err(err(
                            m.span().start,
                            "partition.manual",
                            format!("node '{node}' must map to a device name (a string)"),
                        ));
                    };
                    if !devices.iter().any(|d| d.name == dev) {
                        return Err(err(
                            m.span().start,
                            "partition.manual",
                            format!("node '{node}' is mapped to unknown device '{dev}'"),
                        ));
                    }
                    manual.push((node.clone(), dev.to_string()));
                }
            }
        }
        // fallback policies: `default = "zero"` plus tensor name -> policy
        let mut fallback = Fallback::Zero;
        let mut fallback_overrides = Vec::new();
        if let Some(t) = &raw.fallback {
            for (key, v) in t.get_ref() {
                let Some(policy) = v.as_str().and_then(Fallback::parse) else {
                    return Err(err(
                        t.span().start,
                        &format!("fallback.{key}"),
                        "must be \"zero\", \"hold\" or \"mean\"".into(),
                    ));
                };
                if key == "default" {
                    fallback = policy;
                } else {
                    fallback_overrides.push((key.clone(), policy));
                }
            }
        }
        Ok(Deployment {
            file: file.into(),
            link,
            devices,
            hub,
            strategy,
            balance_tolerance,
            manual,
            fallback,
            fallback_overrides,
        })
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
                debian_package: None,
                cflags: vec![],
                ldflags: vec![],
            },
            qemu: None,
        });
        let (_, b, m, lat, d) = LINK_PROFILES[0];
        Deployment {
            file: "(single device)".into(),
            link: Link {
                profile: None,
                bitrate_bps: b,
                mtu_bytes: m,
                latency_us: lat,
                deadline_us: d,
            },
            devices: vec![Device {
                name: "main".into(),
                target,
                inputs,
                hub: true,
                ram_bytes: None,
                flash_bytes: None,
                kernels: Kernels::Auto,
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
        let names: Vec<&str> = g
            .inputs
            .iter()
            .map(|&t| g.tensors[t].name.as_str())
            .collect();
        for d in &self.devices {
            for (i, inp) in d.inputs.iter().enumerate() {
                if !names.contains(&inp.as_str()) {
                    return Err(DeployError {
                        file: self.file.clone(),
                        line: d.input_lines.get(i).copied().unwrap_or(d.line),
                        key: "device.inputs".into(),
                        message: format!("device '{}' senses '{inp}', which is not a graph input of the model; its inputs are: {}", d.name, names.join(", ")),
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
}
