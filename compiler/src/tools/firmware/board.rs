//! The QEMU boards a test firmware runs on: the MPS2 Cortex-M boards (meshnn's start-up
//! file and linker script from `targets/boards/`) and the riscv `virt` machine
//! (picolibc's script and crt0).

use crate::tools::host_build::io_err;
use std::path::Path;
use std::process::Command;

const STARTUP_CORTEX_M: &str = include_str!("../../../../targets/boards/cortex-m/startup.c");
const LD_AN385: &str = include_str!("../../../../targets/boards/mps2-an385/board.ld");
const LD_AN386: &str = include_str!("../../../../targets/boards/mps2-an386/board.ld");
const LD_AN505: &str = include_str!("../../../../targets/boards/mps2-an505/board.ld");

/// The board support for a QEMU machine.
pub enum Board {
    CortexM { ld: &'static str },
    RiscvVirt,
}

/// The board of QEMU machine `machine`, if meshnn knows it.
pub fn board(machine: &str) -> Option<Board> {
    match machine {
        "mps2-an385" => Some(Board::CortexM { ld: LD_AN385 }),
        "mps2-an386" => Some(Board::CortexM { ld: LD_AN386 }),
        "mps2-an505" => Some(Board::CortexM { ld: LD_AN505 }),
        "virt" => Some(Board::RiscvVirt),
        _ => None,
    }
}

impl Board {
    /// Write the board's files into `fw` and add its C library and link flags (and
    /// start-up file) to the link command `cmd`.
    pub fn add_link_args(
        &self,
        cmd: &mut Command,
        fw: &Path,
    ) -> Result<(), crate::tools::host_build::HostError> {
        match self {
            Board::CortexM { ld } => {
                let st = fw.join("startup.c");
                std::fs::write(&st, STARTUP_CORTEX_M).map_err(io_err("write", &st))?;
                let ldp = fw.join("board.ld");
                std::fs::write(&ldp, ld).map_err(io_err("write", &ldp))?;
                cmd.args(["--specs=rdimon.specs", "-nostartfiles", "-T"])
                    .arg(&ldp)
                    .arg(&st);
            }
            Board::RiscvVirt => {
                cmd.args([
                    "--specs=picolibc.specs",
                    "--oslib=semihost",
                    "--crt0=semihost",
                    "-Wl,--defsym=__flash=0x80000000",
                    "-Wl,--defsym=__flash_size=0x400000",
                    "-Wl,--defsym=__ram=0x80400000",
                    "-Wl,--defsym=__ram_size=0x400000",
                ]);
            }
        }
        Ok(())
    }
}
