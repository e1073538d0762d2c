//! The cross toolchain of a target: is it installed, where are its binutils, and running
//! one of its tools with errors that say what to install or what failed.

use super::FirmwareError;
use crate::deploy::target::Target;
use std::path::Path;
use std::process::{Command, Output};

/// What to install when the target's TOML names no Debian package.
const NO_PACKAGE: &str = "(see the target's TOML)";

/// Flags that select the C library's headers: picolibc for the riscv toolchain (Debian's
/// riscv64-unknown-elf-gcc has no default libc), newlib's defaults otherwise.
pub fn libc_cflags(t: &Target) -> &'static [&'static str] {
    if t.toolchain.cc.starts_with("riscv") {
        &["--specs=picolibc.specs"]
    } else {
        &[]
    }
}

/// Is `prog` an executable in $PATH (or an existing path)?
fn in_path(prog: &str) -> bool {
    if prog.contains('/') {
        return Path::new(prog).is_file();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
        .unwrap_or(false)
}

/// Binutils program next to the compiler: `arm-none-eabi-gcc` → `arm-none-eabi-size`.
pub fn binutil(cc: &str, tool: &str) -> String {
    match cc.strip_suffix("gcc") {
        Some(prefix) => format!("{prefix}{tool}"),
        None => tool.to_string(),
    }
}

fn no_tool(tool: &str, what: &'static str, t: &Target, package: Option<&str>) -> FirmwareError {
    FirmwareError::NoTool {
        tool: tool.into(),
        what,
        target: t.name.clone(),
        package: package.unwrap_or(NO_PACKAGE).into(),
    }
}

fn require(
    tool: &str,
    what: &'static str,
    t: &Target,
    package: Option<&str>,
) -> Result<(), FirmwareError> {
    if in_path(tool) {
        return Ok(());
    }
    Err(no_tool(tool, what, t, package))
}

/// Check that the cross toolchain of `t` is installed (and its QEMU when `qemu`).
pub fn check_tools(t: &Target, qemu: bool) -> Result<(), FirmwareError> {
    let pkg = t.toolchain.debian_package.as_deref();
    require(&t.toolchain.cc, "C compiler", t, pkg)?;
    require(&binutil(&t.toolchain.cc, "ar"), "archiver", t, pkg)?;
    require(&binutil(&t.toolchain.cc, "size"), "size tool", t, pkg)?;
    if qemu {
        if let Some(q) = &t.qemu {
            require(&q.system, "emulator", t, q.debian_package.as_deref())?;
        }
    }
    Ok(())
}

/// Run one tool of `t`'s toolchain for `device`; a failure is a compile error carrying
/// the tool's output.
pub fn run_tool(cmd: &mut Command, device: &str, t: &Target) -> Result<Output, FirmwareError> {
    let prog = cmd.get_program().to_string_lossy().to_string();
    let out = cmd
        .output()
        .map_err(|_| no_tool(&prog, "tool", t, t.toolchain.debian_package.as_deref()))?;
    if !out.status.success() {
        return Err(FirmwareError::Compile {
            device: device.into(),
            target: t.name.clone(),
            cc: prog,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        });
    }
    Ok(out)
}
