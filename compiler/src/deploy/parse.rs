//! Reading `deploy.toml`: the raw file format (serde, with spans) and one function per
//! section ([link], [[device]], [partition], [fallback]) that validates it. Every error
//! names the file, the line and the key, and says how to fix it.

use super::{
    target, DeployError, Deployment, Device, Fallback, Kernels, Lang, Link, Strategy, Weights,
    DEFAULT_DOWN_AFTER, DEFAULT_PROBE_FRACTION, LINK_PROFILES,
};
use crate::link::{Auth, Framing};
use crate::plan::patch::PatchOptions;
use serde::Deserialize;
use toml::Spanned;

/// Most devices of a deployment: a link frame names its source and destination in a byte.
pub const MAX_DEVICES: usize = 255;

/// Largest `deadline_us`: below half the wrap-around of the devices' 32-bit microsecond
/// clock, so the time since an inference began is always read right.
pub const MAX_DEADLINE_US: u64 = (1 << 31) - 1;

/// Folders meshnn writes next to the device folders (harness, simulator, run files,
/// recordings, firmware builds): no device may be named like them.
/// Longest device name: it prefixes every exported C symbol of the device
/// (`meshnn_<name>_poll`) and names its folder, so it stays short enough for any linker
/// and file system.
pub const MAX_DEVICE_NAME_LEN: usize = 32;

pub const RESERVED_DEVICE_NAMES: &[&str] = &[
    "host",
    "sim",
    "io",
    "record",
    "firmware",
    "sim_io",
    "sim_io_outputs",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    link: Option<Spanned<RawLink>>,
    partition: Option<Spanned<RawPartition>>,
    #[serde(default)]
    device: Vec<Spanned<RawDevice>>,
    fallback: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    profile: Option<Spanned<String>>,
    bitrate_bps: Option<u64>,
    mtu_bytes: Option<u32>,
    latency_us: Option<u64>,
    deadline_us: Option<Spanned<u64>>,
    down_after: Option<Spanned<u32>>,
    probe_us: Option<Spanned<u64>>,
    auth: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartition {
    strategy: Option<Spanned<String>>,
    balance_tolerance: Option<Spanned<toml::Value>>,
    manual: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Spanned<String>,
    target: Spanned<String>,
    #[serde(default)]
    inputs: Vec<Spanned<String>>,
    outputs: Option<Spanned<bool>>,
    ram_bytes: Option<Spanned<u64>>,
    flash_bytes: Option<Spanned<u64>>,
    kernels: Option<Spanned<String>>,
    weights: Option<Spanned<String>>,
    lang: Option<Spanned<String>>,
    patch: Option<Spanned<String>>,
    patch_max_overhead: Option<Spanned<f64>>,
}

/// The [partition] section, validated.
struct PartitionSettings {
    strategy: Strategy,
    balance_tolerance: Option<f64>,
    manual: Vec<(String, String)>,
}

/// The text being parsed and its file name, for error messages.
struct Source<'a> {
    text: &'a str,
    file: &'a str,
}

impl Source<'_> {
    /// 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    fn err(&self, offset: usize, key: &str, message: String) -> DeployError {
        DeployError {
            file: self.file.into(),
            line: self.line(offset),
            key: key.into(),
            message,
        }
    }
}

impl Deployment {
    /// Parse and validate deployment text; `file` is used in messages.
    pub fn parse(text: &str, file: &str) -> Result<Deployment, DeployError> {
        let src = Source { text, file };
        let raw = parse_toml(&src)?;
        let link = parse_link(&src, raw.link.as_ref())?;
        let devices = parse_devices(&src, &raw.device)?;
        let hub = find_hub(&src, &raw.device, &devices)?;
        let partition = parse_partition(&src, raw.partition.as_ref(), &devices)?;
        let (fallback, fallback_overrides) = parse_fallback(&src, raw.fallback.as_ref())?;
        Ok(Deployment {
            file: file.into(),
            link,
            devices,
            hub,
            strategy: partition.strategy,
            balance_tolerance: partition.balance_tolerance,
            manual: partition.manual,
            fallback,
            fallback_overrides,
        })
    }
}

fn parse_toml(src: &Source) -> Result<RawFile, DeployError> {
    toml::from_str(src.text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let msg = e.message().trim().to_string();
        src.err(
            offset,
            "toml",
            format!("{msg} (see the deploy.toml format in README.md)"),
        )
    })
}

/// [link]: the profile first, explicit keys override it.
fn parse_link(src: &Source, raw: Option<&Spanned<RawLink>>) -> Result<Link, DeployError> {
    let mut link = Link {
        profile: None,
        bitrate_bps: 250_000,
        mtu_bytes: 64,
        latency_us: 2_000,
        deadline_us: 20_000,
        down_after: DEFAULT_DOWN_AFTER,
        probe_us: 0,
        auth: Auth::Ascon128,
    };
    if let Some(l) = raw {
        let l = l.get_ref();
        if let Some(p) = &l.profile {
            link = link_profile(src, p)?;
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
        if let Some(v) = &l.deadline_us {
            link.deadline_us = *v.get_ref();
        }
        if let Some(a) = &l.auth {
            link.auth = keyword(src, a, "link.auth", Auth::from_name, |name| {
                format!("unknown link authentication '{name}'; use \"ascon128\" (the default: encrypted, authenticated frames) or \"off\" (CRC only, unsafe: see the README's security model)")
            })?;
        }
    }
    let link_off = raw.map(|l| l.span().start).unwrap_or(0);
    if !(1..=MAX_DEADLINE_US).contains(&link.deadline_us) {
        let at = raw
            .and_then(|l| l.get_ref().deadline_us.as_ref())
            .map_or(link_off, |v| v.span().start);
        return Err(src.err(at, "link.deadline_us", format!("{} is outside 1..={MAX_DEADLINE_US} (microseconds; devices count them on a 32-bit clock, so a deadline must stay below half its wrap-around)", link.deadline_us)));
    }
    parse_adaptive_waiting(src, raw, &mut link)?;
    if link.bitrate_bps == 0 {
        return Err(src.err(link_off, "link.bitrate_bps", "must be positive".into()));
    }
    let min_mtu = Framing::min_mtu(link.auth).max(32) as u32;
    if link.mtu_bytes < min_mtu || link.mtu_bytes > 65_535 {
        return Err(src.err(
            link_off,
            "link.mtu_bytes",
            format!(
                "{} is outside {min_mtu}..=65535 (frames carry {} bytes of header{} and at least one float)",
                link.mtu_bytes,
                link.auth.overhead(),
                if link.auth == Auth::Off { "" } else { " and authentication tag" },
            ),
        ));
    }
    Ok(link)
}

/// `down_after` and `probe_us` (after the deadline is known: the probe window defaults to
/// a fraction of it and must not exceed it).
fn parse_adaptive_waiting(
    src: &Source,
    raw: Option<&Spanned<RawLink>>,
    link: &mut Link,
) -> Result<(), DeployError> {
    let l = raw.map(|l| l.get_ref());
    if let Some(v) = l.and_then(|l| l.down_after.as_ref()) {
        if *v.get_ref() > 255 {
            let msg = format!(
                "{} is outside 0..=255 (inferences; 0 turns adaptive waiting off)",
                v.get_ref()
            );
            return Err(src.err(v.span().start, "link.down_after", msg));
        }
        link.down_after = *v.get_ref();
    }
    link.probe_us = link.deadline_us / DEFAULT_PROBE_FRACTION;
    if let Some(v) = l.and_then(|l| l.probe_us.as_ref()) {
        if !(1..=link.deadline_us).contains(v.get_ref()) {
            let msg = format!(
                "{} is outside 1..={} (microseconds; the probe window is at most the deadline)",
                v.get_ref(),
                link.deadline_us
            );
            return Err(src.err(v.span().start, "link.probe_us", msg));
        }
        link.probe_us = *v.get_ref();
    }
    link.probe_us = link.probe_us.max(1);
    Ok(())
}

/// The built-in link profile named by `profile`.
fn link_profile(src: &Source, profile: &Spanned<String>) -> Result<Link, DeployError> {
    keyword(src, profile, "link.profile", Link::from_profile, |name| {
        let known: Vec<&str> = LINK_PROFILES.iter().map(|p| p.0).collect();
        format!(
            "unknown link profile '{name}'; use one of: {}",
            known.join(", ")
        )
    })
}

/// The [[device]] tables, in file order.
fn parse_devices(src: &Source, raw: &[Spanned<RawDevice>]) -> Result<Vec<Device>, DeployError> {
    if raw.is_empty() {
        return Err(src.err(0, "device", "no [[device]] tables; add at least one device with name, target and outputs = true for the hub".into()));
    }
    if raw.len() > MAX_DEVICES {
        return Err(src.err(raw[MAX_DEVICES].span().start, "device", format!("{} [[device]] tables; a deployment has at most {MAX_DEVICES} devices (link frames address a device in one byte)", raw.len())));
    }
    let mut devices: Vec<Device> = Vec::new();
    for d in raw {
        let device = parse_device(src, d, &devices)?;
        devices.push(device);
    }
    Ok(devices)
}

/// One [[device]] table; `earlier` are the devices before it (names must differ).
fn parse_device(
    src: &Source,
    raw: &Spanned<RawDevice>,
    earlier: &[Device],
) -> Result<Device, DeployError> {
    let line = src.line(raw.span().start);
    let d = raw.get_ref();
    let name = d.name.get_ref();
    check_device_name(src, &d.name, earlier)?;
    let Some(target) = target::find(d.target.get_ref()) else {
        return Err(src.err(
            d.target.span().start,
            "device.target",
            format!(
                "unknown target '{}' for device '{name}'; known targets: {} (see `meshnn targets`)",
                d.target.get_ref(),
                target::names().join(", ")
            ),
        ));
    };
    let (inputs, input_lines) = parse_device_inputs(src, &d.inputs, name)?;
    for (key, v, cap) in [
        ("device.ram_bytes", &d.ram_bytes, target.ram_bytes),
        ("device.flash_bytes", &d.flash_bytes, target.flash_bytes),
    ] {
        if let Some(v) = v {
            if *v.get_ref() > cap {
                return Err(src.err(v.span().start, key, format!("{} exceeds the {} target's {cap} bytes; give the budget meshnn may use, at most the target's", v.get_ref(), target.name)));
            }
        }
    }
    let kernels = match &d.kernels {
        None => Kernels::Auto,
        Some(k) => parse_kernels(src, k, name)?,
    };
    let weights = match &d.weights {
        None => Weights::Blob,
        Some(w) => keyword(src, w, "device.weights", Weights::parse, |w| {
            format!("unknown weights '{w}' for device '{name}'; use blob (a binary file placed by the assembler, the default) or c (C literals, for compilers without the GNU assembler)")
        })?,
    };
    let lang = match &d.lang {
        None => None,
        Some(l) => Some(keyword(src, l, "device.lang", Lang::parse, |l| {
            format!("unknown lang '{l}' for device '{name}'; use c or rust (default: the command line's --lang)")
        })?),
    };
    let patch = parse_patch(src, d, name)?;
    Ok(Device {
        name: name.clone(),
        target,
        kernels,
        weights,
        lang,
        patch,
        inputs,
        hub: d.outputs.as_ref().is_some_and(|o| *o.get_ref()),
        ram_bytes: d.ram_bytes.as_ref().map(|v| *v.get_ref()),
        flash_bytes: d.flash_bytes.as_ref().map(|v| *v.get_ref()),
        line,
        input_lines,
    })
}

/// A device name prefixes C symbols and names its folder: a lower-case identifier, not
/// one of meshnn's own folders ([`RESERVED_DEVICE_NAMES`]), not repeated.
fn check_device_name(
    src: &Source,
    name: &Spanned<String>,
    earlier: &[Device],
) -> Result<(), DeployError> {
    let at = name.span().start;
    let name = name.get_ref();
    if name.chars().count() > MAX_DEVICE_NAME_LEN {
        let start: String = name.chars().take(24).collect();
        return Err(src.err(
            at,
            "device.name",
            format!(
                "device name '{start}...' is {} characters long: at most {MAX_DEVICE_NAME_LEN} (it prefixes the device's C symbols and names its folder); choose a shorter name",
                name.chars().count()
            ),
        ));
    }
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid || RESERVED_DEVICE_NAMES.contains(&name.as_str()) {
        return Err(src.err(at, "device.name", format!("'{name}' is not usable as a device name: use lower-case letters, digits and '_', starting with a letter (it prefixes the device's C symbols and names its folder; meshnn's own folders are reserved: {})", RESERVED_DEVICE_NAMES.join(", "))));
    }
    if earlier.iter().any(|x| &x.name == name) {
        return Err(src.err(
            at,
            "device.name",
            format!("duplicate device name '{name}'; every device needs its own name"),
        ));
    }
    Ok(())
}

/// A device's `inputs` (each at most once) and the line of each.
fn parse_device_inputs(
    src: &Source,
    raw: &[Spanned<String>],
    device: &str,
) -> Result<(Vec<String>, Vec<usize>), DeployError> {
    let mut inputs = Vec::new();
    let mut input_lines = Vec::new();
    for i in raw {
        if inputs.contains(i.get_ref()) {
            return Err(src.err(
                i.span().start,
                "device.inputs",
                format!("input '{}' listed twice for device '{device}'", i.get_ref()),
            ));
        }
        inputs.push(i.get_ref().clone());
        input_lines.push(src.line(i.span().start));
    }
    Ok((inputs, input_lines))
}

fn parse_kernels(src: &Source, k: &Spanned<String>, device: &str) -> Result<Kernels, DeployError> {
    keyword(src, k, "device.kernels", Kernels::parse, |k| {
        format!("unknown kernels '{k}' for device '{device}'; use auto (fast unless their scratch memory exceeds the RAM budget), fast or reference")
    })
}

/// A device's `patch` ("auto" or "off", default off) and `patch_max_overhead` (extra MACs
/// allowed, a fraction in [0, 10], default 0.15).
fn parse_patch(src: &Source, d: &RawDevice, device: &str) -> Result<PatchOptions, DeployError> {
    let mut opts = PatchOptions::default();
    if let Some(p) = &d.patch {
        opts.auto = keyword(src, p, "device.patch", parse_patch_mode, |p| {
            format!("unknown patch '{p}' for device '{device}'; use auto (run the first high-resolution layers tile by tile when that lowers peak RAM) or off")
        })?;
    }
    if let Some(m) = &d.patch_max_overhead {
        let v = *m.get_ref();
        if !(0.0..=10.0).contains(&v) {
            return Err(src.err(m.span().start, "device.patch_max_overhead", format!("{v} is not a MAC overhead limit for device '{device}': give the extra MACs patching may add as a fraction of the device's MACs, from 0 to 10 (0.15 = 15 %)")));
        }
        opts.max_mac_overhead = v;
    }
    Ok(opts)
}

/// "auto" → true, "off" → false.
pub fn parse_patch_mode(s: &str) -> Option<bool> {
    match s {
        "auto" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

/// The keyword `s` as read by `parse`; an unknown one is an error at `s` for `key`, saying
/// `unknown(s)`.
fn keyword<T>(
    src: &Source,
    s: &Spanned<String>,
    key: &str,
    parse: impl FnOnce(&str) -> Option<T>,
    unknown: impl FnOnce(&str) -> String,
) -> Result<T, DeployError> {
    parse(s.get_ref()).ok_or_else(|| src.err(s.span().start, key, unknown(s.get_ref())))
}

/// The one device with `outputs = true`.
fn find_hub(
    src: &Source,
    raw: &[Spanned<RawDevice>],
    devices: &[Device],
) -> Result<usize, DeployError> {
    let hubs: Vec<usize> = (0..devices.len()).filter(|&i| devices[i].hub).collect();
    match hubs.as_slice() {
        [h] => Ok(*h),
        [] => Err(src.err(raw[0].span().start, "device.outputs", "no device has outputs = true; mark the device that produces the model outputs (the hub)".into())),
        [_, second, ..] => Err(src.err(raw[*second].span().start, "device.outputs", format!("two hubs: '{}' and '{}' both have outputs = true; exactly one device produces the model outputs", devices[hubs[0]].name, devices[*second].name))),
    }
}

/// [partition]: strategy, balance_tolerance and the manual placement table.
fn parse_partition(
    src: &Source,
    raw: Option<&Spanned<RawPartition>>,
    devices: &[Device],
) -> Result<PartitionSettings, DeployError> {
    let mut settings = PartitionSettings {
        strategy: Strategy::Modularity,
        balance_tolerance: Some(0.5),
        manual: Vec::new(),
    };
    let Some(p) = raw else {
        return Ok(settings);
    };
    let p = p.get_ref();
    if let Some(s) = &p.strategy {
        settings.strategy = parse_strategy(src, s)?;
    }
    if let Some(b) = &p.balance_tolerance {
        settings.balance_tolerance = parse_balance_tolerance(src, b)?;
    }
    if let Some(m) = &p.manual {
        settings.manual = parse_manual(src, m, devices)?;
    }
    Ok(settings)
}

fn parse_strategy(src: &Source, s: &Spanned<String>) -> Result<Strategy, DeployError> {
    keyword(src, s, "partition.strategy", Strategy::parse, |s| {
        format!("unknown strategy '{s}'; use modularity, layer, single or manual")
    })
}

/// A non-negative number, or "none" (no compute balance constraint).
fn parse_balance_tolerance(
    src: &Source,
    b: &Spanned<toml::Value>,
) -> Result<Option<f64>, DeployError> {
    match b.get_ref() {
        toml::Value::Float(f) if *f >= 0.0 => Ok(Some(*f)),
        toml::Value::Integer(i) if *i >= 0 => Ok(Some(*i as f64)),
        toml::Value::String(s) if s == "none" => Ok(None),
        _ => Err(src.err(b.span().start, "partition.balance_tolerance", "must be a non-negative number (e.g. 0.5: no device above 1.5x the mean MACs) or \"none\"".into())),
    }
}

/// [partition.manual]: ONNX node name -> device name.
fn parse_manual(
    src: &Source,
    m: &Spanned<toml::Table>,
    devices: &[Device],
) -> Result<Vec<(String, String)>, DeployError> {
    let mut manual = Vec::new();
    for (node, dev) in m.get_ref() {
        let Some(dev) = dev.as_str() else {
            return Err(src.err(
                m.span().start,
                "partition.manual",
                format!("node '{node}' must map to a device name (a string)"),
            ));
        };
        if !devices.iter().any(|d| d.name == dev) {
            return Err(src.err(
                m.span().start,
                "partition.manual",
                format!("node '{node}' is mapped to unknown device '{dev}'"),
            ));
        }
        manual.push((node.clone(), dev.to_string()));
    }
    Ok(manual)
}

/// [fallback]: `default = "zero"` plus tensor name -> policy.
fn parse_fallback(
    src: &Source,
    raw: Option<&Spanned<toml::Table>>,
) -> Result<(Fallback, Vec<(String, Fallback)>), DeployError> {
    let mut fallback = Fallback::Zero;
    let mut overrides = Vec::new();
    let Some(t) = raw else {
        return Ok((fallback, overrides));
    };
    for (key, v) in t.get_ref() {
        let Some(policy) = v.as_str().and_then(Fallback::parse) else {
            return Err(src.err(
                t.span().start,
                &format!("fallback.{key}"),
                "must be \"zero\", \"hold\" or \"mean\"".into(),
            ));
        };
        if key == "default" {
            fallback = policy;
        } else {
            overrides.push((key.clone(), policy));
        }
    }
    Ok((fallback, overrides))
}
