//! Flash and RAM from the build products: section totals from `size -A`, the stack from
//! `-fstack-usage` files (C) or from the functions' prologues in a disassembly (Rust:
//! stable rustc writes no stack-usage files).

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
    ".llvmbc",
    ".llvmcmd",
];

/// Frames summed by [`stack_from_disassembly`]: the deepest call chain of a device, an
/// exported function → `poll` (stages inlined) → kernel → its helper → a `core` or
/// `libm` routine.
pub const CALL_DEPTH: usize = 5;

/// Instructions at the start of a function read as its prologue.
const PROLOGUE: usize = 16;

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

/// Stack estimate from a disassembly (`objdump -d` of Arm Thumb or RISC-V code): each
/// function's frame is what its prologue reserves (`push`/`stmdb sp!`/`vpush` register
/// lists, `sub sp, #n`, `addi sp, sp, -n`; a frame sized from a register is not seen),
/// and the [`CALL_DEPTH`] largest frames are summed, plus the margin for the HAL.
pub fn stack_from_disassembly(text: &str) -> u64 {
    let mut frames: Vec<u64> = Vec::new();
    let mut left = 0;
    for line in text.lines() {
        if line.trim_end().ends_with(">:") {
            frames.push(0);
            left = PROLOGUE;
            continue;
        }
        let Some(cols) = instruction(line) else {
            continue;
        };
        if left == 0 {
            continue;
        }
        left -= 1;
        if let Some(f) = frames.last_mut() {
            *f += reserved_bytes(&cols.0, &cols.1);
        }
    }
    frames.sort_unstable_by(|a, b| b.cmp(a));
    STACK_MARGIN + frames.iter().take(CALL_DEPTH).sum::<u64>()
}

/// The mnemonic and operands of one `objdump -d` instruction line
/// (`   8:\tb0c1      \tsub\tsp, #260\t@ 0x104`).
fn instruction(line: &str) -> Option<(String, String)> {
    let mut cols = line.split('\t');
    let addr = cols.next()?;
    if !addr.trim_end().ends_with(':') {
        return None;
    }
    let _encoding = cols.next()?;
    let mnemonic = cols.next()?.trim().to_string();
    let operands = cols.next().unwrap_or("").trim().to_string();
    Some((mnemonic, operands))
}

/// Bytes the instruction `mnemonic operands` takes from the stack (0 for any other).
fn reserved_bytes(mnemonic: &str, operands: &str) -> u64 {
    let ops = operands.replace(' ', "");
    let base = mnemonic.split('.').next().unwrap_or("");
    // `sub sp, #n` / `sub sp, sp, #n` (Arm), `addi sp,sp,-n` (RISC-V): the amount after
    // `sp,` (once or twice) and the prefix `#` or `-`.
    let from_sp = |prefix: char| {
        let rest = ops.strip_prefix("sp,")?;
        let rest = rest.strip_prefix("sp,").unwrap_or(rest);
        immediate(rest.strip_prefix(prefix)?)
    };
    match base {
        "push" | "vpush" => register_list_bytes(&ops),
        "stmdb" | "stmfd" if ops.starts_with("sp!,") => register_list_bytes(&ops),
        "sub" | "subw" => from_sp('#'),
        "addi" => from_sp('-'),
        _ => None,
    }
    .unwrap_or(0)
}

/// Bytes of a register list `{r4,r5,lr}` / `{d8-d15}` (4 per core or single register, 8
/// per double).
fn register_list_bytes(ops: &str) -> Option<u64> {
    let list = ops.split('{').nth(1)?.split('}').next()?;
    let size = |r: &str| if r.starts_with('d') { 8 } else { 4 };
    let number = |r: &str| {
        r.trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<u64>()
            .ok()
    };
    Some(
        list.split(',')
            .filter(|r| !r.is_empty())
            .map(|r| match r.split_once('-') {
                Some((a, b)) => {
                    let n = number(b)
                        .unwrap_or(0)
                        .saturating_sub(number(a).unwrap_or(0))
                        + 1;
                    n * size(a)
                }
                None => size(r),
            })
            .sum(),
    )
}

/// A decimal (or `0x` hexadecimal) immediate, up to the first non-digit.
fn immediate(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x") {
        let digits: String = h.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        return u64::from_str_radix(&digits, 16).ok();
    }
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prologues as arm-none-eabi-objdump and riscv64-unknown-elf-objdump print them.
    #[test]
    fn frames_from_arm_and_riscv_prologues() {
        let arm = "00000000 <conv>:\n\
   0:\tb5f0      \tpush\t{r4, r5, r6, r7, lr}\n\
   2:\taf03      \tadd\tr7, sp, #12\n\
   4:\te92d 0f00 \tstmdb\tsp!, {r8, r9, sl, fp}\n\
   8:\tb081      \tsub\tsp, #4\n\
   a:\ted2d 8b10 \tvpush\t{d8-d15}\n\
   e:\tb0e2      \tsub\tsp, #392\t@ 0x188\n\
00000000 <big>:\n\
   0:\tf5ad 7d0d \tsub.w\tsp, sp, #564\t@ 0x234\n\
00000000 <leaf>:\n\
   0:\t4770      \tbx\tlr\n";
        // conv: 20 + 16 + 4 + 64 + 392 = 496; big: 564; leaf: 0.
        assert_eq!(stack_from_disassembly(arm), STACK_MARGIN + 496 + 564);
        let rv = "00000000 <f>:\n\
   0:\t7139                \taddi\tsp,sp,-64\n\
   2:\tde06                \tsw\tra,60(sp)\n\
00000000 <g>:\n\
   0:\t1101                \taddi\tsp,sp,-32\n";
        assert_eq!(stack_from_disassembly(rv), STACK_MARGIN + 96);
    }

    /// Only the CALL_DEPTH largest frames count, and only prologue instructions.
    #[test]
    fn the_deepest_chain_of_largest_frames_counts() {
        let mut text = String::new();
        for k in 1..=8u64 {
            text += &format!("00000000 <f{k}>:\n   0:\tb000\tsub\tsp, #{}\n", k * 8);
        }
        text += "00000000 <late>:\n";
        for _ in 0..PROLOGUE {
            text += "   0:\tbf00\tnop\n";
        }
        text += "  40:\tb0ff\tsub\tsp, #1000\n";
        let want: u64 = (4..=8).map(|k| k * 8).sum();
        assert_eq!(stack_from_disassembly(&text), STACK_MARGIN + want);
    }
}
