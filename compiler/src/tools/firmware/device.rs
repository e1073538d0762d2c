//! One device's cross build: its sources compiled into `libmeshnn_<device>.a` (sized
//! against the budget), then, on a QEMU board, a test firmware `<device>.elf` linking
//! that library with `main.c` (rendered from `templates/firmware/main.c.j2`).

use super::board::{board, Board};
use super::sizes::{parse_size_a, stack_estimate, Sizes};
use super::toolchain::{binutil, check_tools, libc_cflags, run_tool};
use super::{abs, FirmwareError, WARN_FLAGS};
use crate::deploy::target::Target;
use crate::driver::Deployed;
use crate::tools::build_dir::fresh_dir;
use crate::tools::host_build::{io_err, sources_in};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Polls the test firmware makes before giving up on a frame that never comes.
const MAX_POLLS: u64 = 1_000_000;

/// What `meshnn build` made for one device.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceBuild {
    pub device: String,
    pub target: String,
    /// "c" or "rust": the language of its code.
    pub lang: &'static str,
    /// "fast" or "reference": the kernel variants its code calls.
    pub kernels: &'static str,
    /// `libmeshnn_<device>.a`: the generated code and the runtime it uses (for a Rust
    /// device the firmware bridge's static library).
    pub lib: PathBuf,
    /// The test firmware (QEMU boards only).
    pub elf: Option<PathBuf>,
    pub qemu_machine: Option<String>,
    /// The library's sections: what the model adds to a firmware (for a Rust device, what
    /// its exported functions reach: `rust_device` links it partially).
    pub lib_sizes: Sizes,
    /// The whole test firmware (startup, harness, newlib/picolibc with semihosting).
    pub elf_sizes: Option<Sizes>,
    pub stack_bytes: u64,
    pub flash_budget: u64,
    pub ram_budget: u64,
}

impl DeviceBuild {
    /// Flash the model needs on the device.
    pub fn flash(&self) -> u64 {
        self.lib_sizes.flash()
    }
    /// RAM the model needs: `.data` + `.bss` (arena, link buffers) + stack estimate.
    pub fn ram(&self) -> u64 {
        self.lib_sizes.static_ram() + self.stack_bytes
    }
    /// The budget error for the first region over budget, if any.
    pub fn check(&self) -> Result<(), FirmwareError> {
        for (region, need, have) in [
            ("flash", self.flash(), self.flash_budget),
            ("RAM", self.ram(), self.ram_budget),
        ] {
            if need > have {
                return Err(FirmwareError::Budget {
                    device: self.device.clone(),
                    target: self.target.clone(),
                    region,
                    need,
                    have,
                    over: need - have,
                });
            }
        }
        Ok(())
    }
}

/// Where one device is built: its firmware folder, its toolchain, the folders `main.c`
/// finds its headers in.
pub(super) struct Job<'a> {
    pub device: &'a str,
    pub t: &'a Target,
    pub includes: Vec<PathBuf>,
    pub fw: PathBuf,
}

impl Job<'_> {
    pub fn run(&self, cmd: &mut Command) -> Result<std::process::Output, FirmwareError> {
        run_tool(cmd, self.device, self.t)
    }

    /// Sections of an archive, object or ELF, from `size -A`.
    pub fn sizes(&self, file: &Path) -> Result<Sizes, FirmwareError> {
        let size = binutil(&self.t.toolchain.cc, "size");
        let out = self.run(Command::new(size).arg("-A").arg(file))?;
        Ok(parse_size_a(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Compile the C sources of `src` in `fw/<obj>/` (made empty; with stack usage, `src`
    /// on the include path: weights.S finds its blob there) and archive them into
    /// `fw/<lib>`; returns the library and its `.su` files.
    pub fn compile_library(
        &self,
        src: &Path,
        obj: &str,
        lib: &str,
    ) -> Result<(PathBuf, Vec<PathBuf>), FirmwareError> {
        let obj = self.fw.join(obj);
        fresh_dir(&obj)?;
        let t = self.t;
        self.run(
            Command::new(&t.toolchain.cc)
                .current_dir(&obj)
                .args(&t.toolchain.cflags)
                .args(libc_cflags(t))
                .args(WARN_FLAGS)
                .arg("-fstack-usage")
                .arg(format!("-I{}", src.display()))
                .arg("-c")
                .args(sources_in(src)),
        )?;
        let mut objects: Vec<PathBuf> = std::fs::read_dir(&obj)
            .map_err(io_err("read", &obj))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "o"))
            .collect();
        objects.sort();
        let su = objects.iter().map(|o| o.with_extension("su")).collect();
        let lib = self.fw.join(lib);
        let _ = std::fs::remove_file(&lib);
        self.run(
            Command::new(binutil(&t.toolchain.cc, "ar"))
                .arg("rcs")
                .arg(&lib)
                .args(&objects),
        )?;
        Ok((lib, su))
    }

    /// Link the test firmware `fw/<device>.elf` from `main.c`, the board files and `libs`
    /// (in link order).
    pub fn link_firmware(
        &self,
        b: &Board,
        main_c: String,
        libs: &[PathBuf],
    ) -> Result<PathBuf, FirmwareError> {
        let main_path = self.fw.join("main.c");
        std::fs::write(&main_path, main_c).map_err(io_err("write", &main_path))?;
        let elf = self.fw.join(format!("{}.elf", self.device));
        let t = self.t;
        let mut cmd = Command::new(&t.toolchain.cc);
        cmd.current_dir(&self.fw)
            .args(&t.toolchain.cflags)
            .args(WARN_FLAGS);
        for inc in &self.includes {
            cmd.arg("-I").arg(inc);
        }
        b.add_link_args(&mut cmd, &self.fw)?;
        cmd.arg(&main_path)
            .args(libs)
            .args(&t.toolchain.ldflags)
            .arg("-lm")
            .arg("-o")
            .arg(&elf);
        self.run(&mut cmd)?;
        Ok(elf)
    }

    /// The test firmware on the QEMU board of the target, if it has one: the ELF and its
    /// sizes.
    pub fn test_firmware(
        &self,
        d: &Deployed,
        id: usize,
        libs: &[PathBuf],
    ) -> Result<(Option<PathBuf>, Option<Sizes>), FirmwareError> {
        let machine = self.t.qemu.as_ref().map(|q| q.machine.as_str());
        match machine.and_then(board) {
            Some(b) => {
                let elf = self.link_firmware(&b, render_main_c(d, id)?, libs)?;
                let sizes = self.sizes(&elf)?;
                Ok((Some(elf), Some(sizes)))
            }
            None => Ok((None, None)),
        }
    }
}

/// The test firmware's `main.c` for device `id` of `d`.
fn render_main_c(d: &Deployed, id: usize) -> Result<String, FirmwareError> {
    let dev = &d.devices[id];
    let numel = |ts: &[usize]| -> usize {
        ts.iter()
            .map(|&x| d.graph.tensors[x].shape.iter().product::<usize>())
            .sum()
    };
    let ctx = minijinja::context! {
        device => &dev.name,
        model => &d.model_name,
        has_link => !dev.rx.is_empty() || !dev.tx.is_empty(),
        n_in => numel(&dev.inputs),
        n_out => numel(&dev.outputs),
        outputs => output_fields(d, id),
        max_polls => MAX_POLLS,
    };
    let env = crate::codegen::templates::environment();
    env.get_template("firmware/main.c.j2")
        .and_then(|tpl| tpl.render(ctx))
        .map_err(|e| FirmwareError::Compile {
            device: dev.name.clone(),
            target: d.dep.devices[id].target.name.clone(),
            cc: "minijinja".into(),
            stderr: e.to_string(),
        })
}

/// The fields of device `id`'s outputs struct as `main.c` writes them to `fw_out.bin`:
/// C identifier, element count, and whether the field holds int8/uint8 values (written
/// converted to float32, so `fw_out.bin` is float32 whatever the output type).
fn output_fields(d: &Deployed, id: usize) -> Vec<minijinja::Value> {
    let outs = &d.devices[id].outputs;
    let names = outs.iter().map(|&t| d.graph.tensors[t].name.as_str());
    outs.iter()
        .zip(crate::codegen::names::field_idents(names))
        .map(|(&t, ident)| {
            minijinja::context! {
                ident => ident,
                numel => d.graph.tensors[t].numel().max(1),
                int => d.graph.output_dtype(t) != crate::ir::DType::F32,
            }
        })
        .collect()
}

/// Build C device `id` of `d` (sources emitted under `dir`) into `dir/firmware/<device>/`.
pub fn build_device(d: &Deployed, id: usize, dir: &Path) -> Result<DeviceBuild, FirmwareError> {
    let dev = &d.devices[id];
    let device = &d.dep.devices[id];
    let t = &device.target;
    check_tools(t, false)?;
    let fw = dir.join("firmware").join(&dev.name);
    // Made before `fw` is resolved: the tools run inside these folders.
    fresh_dir(&fw.join("obj"))?;
    let src_dir = abs(&dir.join(&dev.name));
    let job = Job {
        device: &dev.name,
        t,
        includes: vec![src_dir.clone()],
        fw: abs(&fw),
    };
    let (lib, su) = job.compile_library(&src_dir, "obj", &format!("libmeshnn_{}.a", dev.name))?;
    let lib_sizes = job.sizes(&lib)?;
    let stack_bytes = stack_estimate(&su);
    let (elf, elf_sizes) = job.test_firmware(d, id, std::slice::from_ref(&lib))?;
    Ok(DeviceBuild {
        device: dev.name.clone(),
        lang: "c",
        kernels: dev.kernels.label(),
        target: t.name.clone(),
        lib,
        elf,
        qemu_machine: t.qemu.as_ref().map(|q| q.machine.clone()),
        lib_sizes,
        elf_sizes,
        stack_bytes,
        flash_budget: device.flash_budget(),
        ram_budget: device.ram_budget(),
    })
}

/// The size table `meshnn build` prints.
pub fn render_table(builds: &[DeviceBuild]) -> String {
    let mut s = format!(
        "{:<10} {:<10} {:<5} {:<9} {:>9} {:>9} {:>6}  {:>9} {:>9} {:>6}  {}\n",
        "device",
        "target",
        "lang",
        "kernels",
        "flash B",
        "budget",
        "use",
        "RAM B",
        "budget",
        "use",
        "test firmware (flash / RAM, with libc + semihosting)"
    );
    for b in builds {
        let pct = |a: u64, c: u64| format!("{:.1}%", 100.0 * a as f64 / c.max(1) as f64);
        let elf = match (&b.elf_sizes, &b.qemu_machine) {
            (Some(e), Some(m)) => format!("{} / {} B on QEMU {m}", e.flash(), e.static_ram()),
            _ => "no QEMU board: library only".into(),
        };
        s += &format!(
            "{:<10} {:<10} {:<5} {:<9} {:>9} {:>9} {:>6}  {:>9} {:>9} {:>6}  {}\n",
            b.device,
            b.target,
            b.lang,
            b.kernels,
            b.flash(),
            b.flash_budget,
            pct(b.flash(), b.flash_budget),
            b.ram(),
            b.ram_budget,
            pct(b.ram(), b.ram_budget),
            elf
        );
    }
    s += "flash = text + rodata + data of libmeshnn_<device>.a; RAM = data + bss + stack estimate (-fstack-usage)\n";
    if builds.iter().any(|b| b.lang == "rust") {
        s += super::rust_device::TABLE_NOTE;
    }
    s
}
