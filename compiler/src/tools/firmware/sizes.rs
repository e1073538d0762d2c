//! Flash and RAM from the build products: section totals from `size -A`, the stack from
//! `-fstack-usage` files.

use std::path::PathBuf;

/// Bytes added to the deepest per-file frames for the HAL and interrupts.
const STACK_MARGIN: u64 = 256;

/// Sections that take no room on the device (debug, attributes, comments) or are
/// reservations counted elsewhere (stack, heap).
const NOT_COUNTED: &[&str] = &[
    ".debug",
    ".comment",
    ".ARM.attributes",
    ".riscv.attributes",
    ".stack",
    ".heap",
    ".note",
    ".stab",
    ".group",
];

/// Section sizes in bytes (from `size -A`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sizes {
    pub text: u64,
    pub rodata: u64,
    pub data: u64,
    pub bss: u64,
}

impl Sizes {
    /// Flash: code, constants and the initial values of `.data`.
    pub fn flash(&self) -> u64 {
        self.text + self.rodata + self.data
    }
    /// Static RAM: `.data` and `.bss` (no stack).
    pub fn static_ram(&self) -> u64 {
        self.data + self.bss
    }
    /// Count `size` bytes of section `name`.
    fn add(&mut self, name: &str, size: u64) {
        let has = |p: &[&str]| p.iter().any(|x| name.starts_with(x));
        if has(&[".bss", ".sbss", ".tbss", ".noinit"]) || name == "COMMON" {
            self.bss += size;
        } else if has(&[".data", ".sdata", ".tdata"]) {
            self.data += size;
        } else if has(&[".rodata", ".srodata"]) {
            self.rodata += size;
        } else {
            self.text += size;
        }
    }
}

/// Parse `size -A` output (of an object, archive or ELF) into section totals. Debug,
/// attribute, comment, heap and stack-reservation sections are not counted.
pub fn parse_size_a(text: &str) -> Sizes {
    let mut s = Sizes::default();
    for line in text.lines() {
        let mut cols = line.split_whitespace();
        let (Some(name), Some(size)) = (cols.next(), cols.next()) else {
            continue;
        };
        let Ok(size) = size.parse::<u64>() else {
            continue;
        };
        if !name.starts_with('.') && name != "COMMON" {
            continue;
        }
        if NOT_COUNTED.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        s.add(name, size);
    }
    s
}

/// Stack estimate from `-fstack-usage` files: the largest frame of every object file
/// summed (generated code has no recursion and a shallow call chain: poll → stage →
/// kernel → helper), plus a margin for the HAL.
pub fn stack_estimate(su_files: &[PathBuf]) -> u64 {
    let mut total = STACK_MARGIN;
    for f in su_files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let max = text
            .lines()
            .filter_map(|l| l.split('\t').nth(1)?.trim().parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        total += max;
    }
    total
}
