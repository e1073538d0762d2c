//! MCU targets (`targets/<part>.toml`, embedded at build time): core, clock, memory,
//! toolchain and the QEMU machine that runs the core.

use serde::Deserialize;

include!(concat!(env!("OUT_DIR"), "/target_files.rs"));

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Toolchain {
    pub cc: String,
    /// Rust target triple of `--lang rust` firmware (e.g. `thumbv7em-none-eabihf`); absent
    /// for the host, which builds for the machine it runs on.
    #[serde(default)]
    pub rust_target: Option<String>,
    #[serde(default)]
    pub debian_package: Option<String>,
    #[serde(default)]
    pub cflags: Vec<String>,
    #[serde(default)]
    pub ldflags: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Qemu {
    pub system: String,
    pub machine: String,
    #[serde(default)]
    pub debian_package: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub description: String,
    pub core: String,
    pub clock_hz: u64,
    pub ram_bytes: u64,
    pub flash_bytes: u64,
    /// "none", "single" or "double".
    pub fpu: String,
    /// Estimated sustained float32 multiply-accumulates per clock cycle.
    pub macs_per_cycle: f64,
    pub toolchain: Toolchain,
    #[serde(default)]
    pub qemu: Option<Qemu>,
}

impl Target {
    /// Estimated compute time of `macs` multiply-accumulates, in microseconds.
    pub fn compute_us(&self, macs: u64) -> f64 {
        macs as f64 / self.macs_per_second() * 1e6
    }
    /// Microseconds per multiply-accumulate: the rate `compute_us` assumes, for code that
    /// scales by it later (the simulator's per-node compute time).
    pub fn us_per_mac(&self) -> f64 {
        1e6 / self.macs_per_second()
    }
    fn macs_per_second(&self) -> f64 {
        self.macs_per_cycle * self.clock_hz as f64
    }
}

/// Every built-in target, sorted by name. A malformed built-in file is a build defect;
/// the test `all_targets_parse` catches it.
pub fn all() -> Vec<Target> {
    TARGET_FILES
        .iter()
        .filter_map(|(_, src)| toml::from_str(src).ok())
        .collect()
}

/// A built-in target by name.
pub fn find(name: &str) -> Option<Target> {
    all().into_iter().find(|t| t.name == name)
}

/// Names of the built-in targets, for error messages.
pub fn names() -> Vec<String> {
    TARGET_FILES.iter().map(|(n, _)| n.to_string()).collect()
}

/// `meshnn targets`: one row per target.
pub fn table() -> String {
    let mut s = format!(
        "{:<10} {:<14} {:>9} {:>10} {:>10} {:<7} {:>9} {:<24} {:<28} {}\n",
        "target",
        "core",
        "clock MHz",
        "RAM KiB",
        "flash KiB",
        "FPU",
        "MAC/cyc",
        "compiler",
        "Rust target",
        "QEMU machine"
    );
    for t in all() {
        s += &format!(
            "{:<10} {:<14} {:>9} {:>10} {:>10} {:<7} {:>9} {:<24} {:<28} {}\n",
            t.name,
            t.core,
            t.clock_hz / 1_000_000,
            t.ram_bytes / 1024,
            t.flash_bytes / 1024,
            t.fpu,
            t.macs_per_cycle,
            t.toolchain.cc,
            t.toolchain.rust_target.as_deref().unwrap_or("(host)"),
            t.qemu.as_ref().map(|q| q.machine.as_str()).unwrap_or("-")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn all_targets_parse() {
        for (name, src) in TARGET_FILES {
            let t: Target =
                toml::from_str(src).unwrap_or_else(|e| panic!("targets/{name}.toml: {e}"));
            assert_eq!(
                &t.name, name,
                "targets/{name}.toml: name must match the file name"
            );
            // Every MCU names the Rust target rustc builds its firmware for.
            assert_eq!(
                t.toolchain.rust_target.is_none(),
                t.core == "host",
                "targets/{name}.toml: rust_target"
            );
            assert!(
                t.ram_bytes > 0 && t.flash_bytes > 0 && t.clock_hz > 0 && t.macs_per_cycle > 0.0
            );
        }
        for required in [
            "host",
            "nrf52840",
            "nrf52832",
            "stm32l476",
            "apollo3",
            "nrf5340",
            "rp2040",
            "esp32c3",
        ] {
            assert!(find(required).is_some(), "missing target {required}");
        }
    }
}
