//! `meshnn build` and `meshnn run --on qemu`: cross-compile every device of a deployment
//! with its target's toolchain (`targets/*.toml` `[toolchain]`), measure flash and RAM
//! against the device's budget, link a test firmware per device for QEMU boards
//! (`targets/boards/`, `templates/firmware/main.c.j2`) and run it under QEMU, fed with
//! the frames the host build sent it, comparing outputs and sent tensors with the host.

use crate::deploy::target::Target;
use crate::driver::{self, Deployed};
use crate::npy::Array;
use crate::tools::host_build;
use crate::tools::run::RunError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const STARTUP_CORTEX_M: &str = include_str!("../../../targets/boards/cortex-m/startup.c");
const LD_AN385: &str = include_str!("../../../targets/boards/mps2-an385/board.ld");
const LD_AN386: &str = include_str!("../../../targets/boards/mps2-an386/board.ld");
const LD_AN505: &str = include_str!("../../../targets/boards/mps2-an505/board.ld");
const MAIN_TEMPLATE: &str = include_str!("../../../templates/firmware/main.c.j2");
const RECORD_C: &str = include_str!("../../../templates/host/record.c");

/// Warning flags added to every target's own flags: generated code and runtime must
/// compile warning-free with the cross compiler.
pub const WARN_FLAGS: &[&str] = &["-Wall", "-Wextra", "-Werror", "-pedantic"];

/// QEMU wall-clock limit per device run, in seconds.
pub const QEMU_TIMEOUT_S: u32 = 60;

/// Largest relative difference accepted between a QEMU run and the host build.
pub const TOLERANCE: f64 = 1e-5;

/// Bytes added to the deepest per-file frames for the HAL and interrupts.
const STACK_MARGIN: u64 = 256;

#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    #[error("cannot run '{tool}' ({what} for target {target}): install it with `apt-get install -y --no-install-recommends {package}` (Debian)")]
    NoTool {
        tool: String,
        what: &'static str,
        target: String,
        package: String,
    },
    #[error("device '{device}': the generated C failed to compile with '{cc}' for target {target} (this is a meshnn bug; please report it):\n{stderr}")]
    Compile {
        device: String,
        target: String,
        cc: String,
        stderr: String,
    },
    #[error("device '{device}' ({target}) does not fit: {region} needs {need} bytes but the budget is {have}: over by {over} bytes; use a device with more {region}, add a device, or shrink the model")]
    Budget {
        device: String,
        target: String,
        region: &'static str,
        need: u64,
        have: u64,
        over: u64,
    },
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("device '{device}' under QEMU ({machine}): {message}")]
    Qemu {
        device: String,
        machine: String,
        message: String,
    },
    #[error("device '{device}' under QEMU differs from the host build: {message}")]
    Mismatch { device: String, message: String },
    #[error("device '{device}' (target {target}) has no QEMU board (its target has no [qemu] machine meshnn knows); `meshnn run --on qemu` needs one for every device")]
    NoBoard { device: String, target: String },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Pipeline(#[from] driver::Error),
    #[error(transparent)]
    Host(#[from] host_build::HostError),
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FirmwareError {
    let path = path.display().to_string();
    move |source| FirmwareError::Io { what, path, source }
}

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
        let skip = [
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
        if skip.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let has = |p: &[&str]| p.iter().any(|x| name.starts_with(x));
        if has(&[".bss", ".sbss", ".tbss", ".noinit"]) || name == "COMMON" {
            s.bss += size;
        } else if has(&[".data", ".sdata", ".tdata"]) {
            s.data += size;
        } else if has(&[".rodata", ".srodata"]) {
            s.rodata += size;
        } else {
            s.text += size;
        }
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

/// What `meshnn build` made for one device.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceBuild {
    pub device: String,
    pub target: String,
    /// "fast" or "reference": the kernel variants its code calls.
    pub kernels: &'static str,
    /// `libmeshnn_<device>.a`: the generated code and the runtime it uses.
    pub lib: PathBuf,
    /// The test firmware (QEMU boards only).
    pub elf: Option<PathBuf>,
    pub qemu_machine: Option<String>,
    /// The library's sections: what the model adds to a firmware.
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
fn binutil(cc: &str, tool: &str) -> String {
    match cc.strip_suffix("gcc") {
        Some(prefix) => format!("{prefix}{tool}"),
        None => tool.to_string(),
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
    Err(FirmwareError::NoTool {
        tool: tool.into(),
        what,
        target: t.name.clone(),
        package: package.unwrap_or("(see the target's TOML)").into(),
    })
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

/// The board support for a QEMU machine: (start-up file, linker script) for the MPS2
/// Cortex-M boards, `None` for the riscv `virt` machine (picolibc's script and crt0).
enum Board {
    CortexM { ld: &'static str },
    RiscvVirt,
}

fn board(machine: &str) -> Option<Board> {
    match machine {
        "mps2-an385" => Some(Board::CortexM { ld: LD_AN385 }),
        "mps2-an386" => Some(Board::CortexM { ld: LD_AN386 }),
        "mps2-an505" => Some(Board::CortexM { ld: LD_AN505 }),
        "virt" => Some(Board::RiscvVirt),
        _ => None,
    }
}

fn run_tool(
    cmd: &mut Command,
    device: &str,
    t: &Target,
) -> Result<std::process::Output, FirmwareError> {
    let prog = cmd.get_program().to_string_lossy().to_string();
    let out = cmd.output().map_err(|_| FirmwareError::NoTool {
        tool: prog.clone(),
        what: "tool",
        target: t.name.clone(),
        package: t
            .toolchain
            .debian_package
            .clone()
            .unwrap_or_else(|| "(see the target's TOML)".into()),
    })?;
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

fn abs(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Cross-compile every device folder of `d` (already emitted under `dir`) into
/// `dir/firmware/<device>/`: `libmeshnn_<device>.a`, and for QEMU boards `main.c` and
/// `<device>.elf`. Returns the sizes; budgets are checked by [`check_budgets`].
pub fn build_devices(d: &Deployed, dir: &Path) -> Result<Vec<DeviceBuild>, FirmwareError> {
    (0..d.devices.len())
        .map(|id| build_device(d, id, dir))
        .collect()
}

/// Emit the sources of `d` into `dir` and cross-compile every device.
pub fn build(d: &Deployed, dir: &Path) -> Result<Vec<DeviceBuild>, FirmwareError> {
    let files = driver::emit(d)?;
    driver::write_files(dir, &files)?;
    build_devices(d, dir)
}

/// Fail with the first device over its flash or RAM budget.
pub fn check_budgets(builds: &[DeviceBuild]) -> Result<(), FirmwareError> {
    builds.iter().try_for_each(|b| b.check())
}

fn build_device(d: &Deployed, id: usize, dir: &Path) -> Result<DeviceBuild, FirmwareError> {
    let dev = &d.devices[id];
    let device = &d.dep.devices[id];
    let t = &device.target;
    check_tools(t, false)?;
    let src_dir = abs(&dir.join(&dev.name));
    let fw = dir.join("firmware").join(&dev.name);
    let obj = fw.join("obj");
    if obj.exists() {
        std::fs::remove_dir_all(&obj).map_err(io_err("clean", &obj))?;
    }
    std::fs::create_dir_all(&obj).map_err(io_err("create", &obj))?;
    let fw = abs(&fw);
    let obj = abs(&obj);
    let cc = &t.toolchain.cc;
    let sources = crate::tools::host_build::c_files(&src_dir);
    run_tool(
        Command::new(cc)
            .current_dir(&obj)
            .args(&t.toolchain.cflags)
            .args(libc_cflags(t))
            .args(WARN_FLAGS)
            .arg("-fstack-usage")
            .arg("-c")
            .args(&sources),
        &dev.name,
        t,
    )?;
    let objects: Vec<PathBuf> = std::fs::read_dir(&obj)
        .map_err(io_err("read", &obj))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    let mut objects = objects;
    objects.sort();
    let su: Vec<PathBuf> = objects.iter().map(|o| o.with_extension("su")).collect();
    let lib = fw.join(format!("libmeshnn_{}.a", dev.name));
    let _ = std::fs::remove_file(&lib);
    run_tool(
        Command::new(binutil(cc, "ar"))
            .arg("rcs")
            .arg(&lib)
            .args(&objects),
        &dev.name,
        t,
    )?;
    let size = binutil(cc, "size");
    let out = run_tool(Command::new(&size).arg("-A").arg(&lib), &dev.name, t)?;
    let lib_sizes = parse_size_a(&String::from_utf8_lossy(&out.stdout));
    let stack_bytes = stack_estimate(&su);

    let machine = t.qemu.as_ref().map(|q| q.machine.clone());
    let mut elf = None;
    let mut elf_sizes = None;
    if let Some(b) = machine.as_deref().and_then(board) {
        let n_in: usize = dev
            .inputs
            .iter()
            .map(|&x| d.graph.tensors[x].shape.iter().product::<usize>())
            .sum();
        let n_out: usize = dev
            .outputs
            .iter()
            .map(|&x| d.graph.tensors[x].shape.iter().product::<usize>())
            .sum();
        let has_link = !dev.rx.is_empty() || !dev.tx.is_empty();
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let main_c = env
            .render_str(
                MAIN_TEMPLATE,
                minijinja::context! {
                    device => &dev.name,
                    model => &d.model_name,
                    has_link => has_link,
                    n_in => n_in,
                    n_out => n_out,
                    max_polls => 1_000_000u64,
                },
            )
            .map_err(|e| FirmwareError::Compile {
                device: dev.name.clone(),
                target: t.name.clone(),
                cc: "minijinja".into(),
                stderr: e.to_string(),
            })?;
        let main_path = fw.join("main.c");
        std::fs::write(&main_path, main_c).map_err(io_err("write", &main_path))?;
        let elf_path = fw.join(format!("{}.elf", dev.name));
        let mut cmd = Command::new(cc);
        cmd.current_dir(&fw)
            .args(&t.toolchain.cflags)
            .args(WARN_FLAGS)
            .arg("-I")
            .arg(&src_dir);
        match b {
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
        cmd.arg(&main_path)
            .arg(&lib)
            .args(&t.toolchain.ldflags)
            .arg("-lm")
            .arg("-o")
            .arg(&elf_path);
        run_tool(&mut cmd, &dev.name, t)?;
        let out = run_tool(Command::new(&size).arg("-A").arg(&elf_path), &dev.name, t)?;
        elf_sizes = Some(parse_size_a(&String::from_utf8_lossy(&out.stdout)));
        elf = Some(elf_path);
    }
    Ok(DeviceBuild {
        device: dev.name.clone(),
        kernels: dev.kernels.label(),
        target: t.name.clone(),
        lib,
        elf,
        qemu_machine: machine,
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
        "{:<10} {:<10} {:<9} {:>9} {:>9} {:>6}  {:>9} {:>9} {:>6}  {}\n",
        "device",
        "target",
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
            "{:<10} {:<10} {:<9} {:>9} {:>9} {:>6}  {:>9} {:>9} {:>6}  {}\n",
            b.device,
            b.target,
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
    s
}

/// One link frame as recorded (header fields of meshnn_link.h, then the payload).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub src: u8,
    pub dst: u8,
    pub tensor: u16,
    pub frag_index: u16,
    pub frag_count: u16,
    pub seq: u32,
    pub payload: Vec<u8>,
}

/// Parse a recorded frame file (20-byte little-endian header, then `len` bytes).
pub fn parse_frames(bytes: &[u8]) -> Result<Vec<Frame>, String> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if i + 20 > bytes.len() {
            return Err(format!("truncated frame header at byte {i}"));
        }
        let h = &bytes[i..i + 20];
        let u16le = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]);
        let len = u16le(10) as usize;
        if i + 20 + len > bytes.len() {
            return Err(format!("truncated frame payload at byte {i}"));
        }
        v.push(Frame {
            src: h[1],
            dst: h[2],
            tensor: u16le(4),
            frag_index: u16le(6),
            frag_count: u16le(8),
            seq: u32::from_le_bytes([h[12], h[13], h[14], h[15]]),
            payload: bytes[i + 20..i + 20 + len].to_vec(),
        });
        i += 20 + len;
    }
    Ok(v)
}

/// Reassemble the tensors of a frame list: (dst, tensor id) → float32 values.
fn tensors_of(frames: &[Frame]) -> BTreeMap<(u8, u16), Vec<f32>> {
    let mut parts: BTreeMap<(u8, u16), BTreeMap<u16, &[u8]>> = BTreeMap::new();
    for f in frames {
        parts
            .entry((f.dst, f.tensor))
            .or_default()
            .insert(f.frag_index, &f.payload);
    }
    parts
        .into_iter()
        .map(|(k, frags)| {
            let bytes: Vec<u8> = frags.values().flat_map(|p| p.iter().copied()).collect();
            let vals = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            (k, vals)
        })
        .collect()
}

/// Largest relative difference |a - b| / max(|b|, 1e-6) (b: the host's value).
pub fn worst_rel(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let (x, y) = (x as f64, y as f64);
            if x.is_nan() || y.is_nan() {
                if x.is_nan() && y.is_nan() {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                (x - y).abs() / y.abs().max(1e-6)
            }
        })
        .fold(0.0, f64::max)
}

/// Per device result of a QEMU run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceRun {
    pub device: String,
    pub machine: String,
    /// Frames received (replayed from the host build) and sent.
    pub frames_in: usize,
    pub frames_out: usize,
    /// Worst relative difference from the host build over outputs and sent tensors.
    pub worst_rel: f64,
}

/// Result of `meshnn run --on qemu`.
pub struct QemuRun {
    /// The hub's graph outputs as computed under QEMU.
    pub outputs: Vec<Array<f32>>,
    /// The host build's outputs.
    pub host_outputs: Vec<Array<f32>>,
    pub devices: Vec<DeviceRun>,
    pub builds: Vec<DeviceBuild>,
}

fn write_f32s(path: &Path, data: &[f32]) -> Result<(), FirmwareError> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(io_err("write", path))
}

fn read_f32s(path: &Path) -> Result<Vec<f32>, FirmwareError> {
    let bytes = std::fs::read(path).map_err(io_err("read", path))?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Build the host harness with the frame recorder and run one inference; returns the
/// outputs and the folder of recorded frames (`rx_<id>.bin`, `tx_<id>.bin`).
pub fn record_host(
    d: &Deployed,
    inputs: &[Array<f32>],
    dir: &Path,
) -> Result<(Vec<Array<f32>>, PathBuf), FirmwareError> {
    let mut files = driver::emit(d)?;
    for f in files.iter_mut() {
        if f.path == "host/link_host.c" {
            f.path = "host/link_host.c.inc".into();
        }
    }
    driver::write_files(dir, &files)?;
    let rec_c = dir.join("host").join("record.c");
    let stale = dir.join("host").join("link_host.c");
    let _ = std::fs::remove_file(&stale);
    if files.iter().any(|f| f.path == "host/link_host.c.inc") {
        std::fs::write(&rec_c, RECORD_C).map_err(io_err("write", &rec_c))?;
    }
    let names: Vec<String> = d.devices.iter().map(|x| x.name.clone()).collect();
    let exe = host_build::build(dir, &names, &[])?;
    let io = dir.join("io");
    let rec = abs(&dir.join("record"));
    for p in [&io, &rec] {
        if p.exists() {
            std::fs::remove_dir_all(p).map_err(io_err("clean", p))?;
        }
        std::fs::create_dir_all(p).map_err(io_err("create", p))?;
    }
    let rec = abs(&rec);
    let mut cmd = Command::new(&exe);
    cmd.env("MESHNN_RECORD_DIR", &rec);
    for (i, a) in inputs.iter().enumerate() {
        let p = io.join(format!("in{i}.bin"));
        write_f32s(&p, &a.data)?;
        cmd.arg(&p);
    }
    let outs: Vec<PathBuf> = (0..d.graph.outputs.len())
        .map(|i| io.join(format!("out{i}.bin")))
        .collect();
    cmd.args(&outs);
    let out = cmd.output().map_err(io_err("run", &exe))?;
    if !out.status.success() {
        return Err(host_build::HostError::Run {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }
        .into());
    }
    let mut arrays = Vec::new();
    for (p, &t) in outs.iter().zip(&d.graph.outputs) {
        arrays.push(Array {
            shape: d.graph.tensors[t].shape.clone(),
            data: read_f32s(p)?,
        });
    }
    Ok((arrays, rec))
}

/// `meshnn run --on qemu`: record the host build, cross-compile every device, run each
/// under QEMU with its sensed inputs and the frames it receives, and compare its outputs
/// and every tensor it sends with the host build (within [`TOLERANCE`]).
pub fn run_qemu(d: &Deployed, inputs: &[Array<f32>], dir: &Path) -> Result<QemuRun, FirmwareError> {
    for dev in &d.dep.devices {
        check_tools(&dev.target, true)?;
        let machine = dev.target.qemu.as_ref().map(|q| q.machine.as_str());
        if machine.and_then(board).is_none() {
            return Err(FirmwareError::NoBoard {
                device: dev.name.clone(),
                target: dev.target.name.clone(),
            });
        }
    }
    let (host_outputs, rec) = record_host(d, inputs, dir)?;
    let builds = build_devices(d, dir)?;
    check_budgets(&builds)?;
    let mut runs = Vec::new();
    let mut outputs = Vec::new();
    for (id, (dev, b)) in d.devices.iter().zip(&builds).enumerate() {
        let t = &d.dep.devices[id].target;
        let q = t.qemu.as_ref().expect("checked above");
        let run_dir = dir.join("firmware").join(&dev.name).join("run");
        if run_dir.exists() {
            std::fs::remove_dir_all(&run_dir).map_err(io_err("clean", &run_dir))?;
        }
        std::fs::create_dir_all(&run_dir).map_err(io_err("create", &run_dir))?;
        let mut sensed = Vec::new();
        for &x in &dev.inputs {
            let k = d.graph.inputs.iter().position(|&g| g == x).unwrap_or(0);
            sensed.extend_from_slice(&inputs[k].data);
        }
        write_f32s(&run_dir.join("fw_in.bin"), &sensed)?;
        let rx_bytes = std::fs::read(rec.join(format!("rx_{id}.bin"))).unwrap_or_default();
        let rx_path = run_dir.join("fw_rx.bin");
        std::fs::write(&rx_path, &rx_bytes).map_err(io_err("write", &rx_path))?;
        let elf = abs(b.elf.as_ref().expect("QEMU boards get an ELF"));
        let mut cmd = Command::new("timeout");
        cmd.current_dir(&run_dir)
            .arg(QEMU_TIMEOUT_S.to_string())
            .arg(&q.system)
            .args(["-M", &q.machine]);
        if q.machine == "virt" {
            cmd.args(["-bios", "none"]);
        }
        cmd.args([
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
        ])
        .arg(&elf);
        let qerr = |message: String| FirmwareError::Qemu {
            device: dev.name.clone(),
            machine: q.machine.clone(),
            message,
        };
        let out = cmd
            .output()
            .map_err(|e| qerr(format!("cannot start timeout/{}: {e}", q.system)))?;
        if !out.status.success() {
            let code = out.status.code();
            let why = if code == Some(124) {
                format!("no exit within {QEMU_TIMEOUT_S} s")
            } else {
                format!("exit status {}", out.status)
            };
            return Err(qerr(format!(
                "{why}: {}{}",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let mismatch = |message: String| FirmwareError::Mismatch {
            device: dev.name.clone(),
            message,
        };
        let mut worst = 0.0f64;
        // Outputs (hub).
        if !dev.outputs.is_empty() {
            let got = read_f32s(&run_dir.join("fw_out.bin"))?;
            let mut off = 0;
            for (k, &x) in dev.outputs.iter().enumerate() {
                let n: usize = d.graph.tensors[x].shape.iter().product();
                let gi = d.graph.outputs.iter().position(|&g| g == x).unwrap_or(k);
                let Some(part) = got.get(off..off + n) else {
                    return Err(mismatch(format!("fw_out.bin holds {} floats", got.len())));
                };
                let w = worst_rel(part, &host_outputs[gi].data);
                if w > TOLERANCE {
                    return Err(mismatch(format!(
                        "output '{}': worst relative difference {w:.3e} > {TOLERANCE:e}",
                        d.graph.tensors[x].name
                    )));
                }
                worst = worst.max(w);
                outputs.push(Array {
                    shape: d.graph.tensors[x].shape.clone(),
                    data: part.to_vec(),
                });
                off += n;
            }
        }
        // Sent tensors.
        let host_tx = std::fs::read(rec.join(format!("tx_{id}.bin"))).unwrap_or_default();
        let host_tx = parse_frames(&host_tx).map_err(|e| mismatch(format!("host record: {e}")))?;
        let fw_tx = if dev.tx.is_empty() {
            Vec::new()
        } else {
            let bytes = std::fs::read(run_dir.join("fw_tx.bin")).unwrap_or_default();
            parse_frames(&bytes).map_err(|e| mismatch(format!("fw_tx.bin: {e}")))?
        };
        if host_tx.len() != fw_tx.len() {
            return Err(mismatch(format!(
                "sent {} frames, the host build sent {}",
                fw_tx.len(),
                host_tx.len()
            )));
        }
        let (ht, ft) = (tensors_of(&host_tx), tensors_of(&fw_tx));
        for (k, hv) in &ht {
            let Some(fv) = ft.get(k) else {
                return Err(mismatch(format!(
                    "never sent tensor {} to device {}",
                    k.1, k.0
                )));
            };
            if fv.len() != hv.len() {
                return Err(mismatch(format!(
                    "tensor {} to device {}: {} floats, host {}",
                    k.1,
                    k.0,
                    fv.len(),
                    hv.len()
                )));
            }
            let w = worst_rel(fv, hv);
            if w > TOLERANCE {
                return Err(mismatch(format!(
                    "tensor {} sent to device {}: worst relative difference {w:.3e} > {TOLERANCE:e}",
                    k.1, k.0
                )));
            }
            worst = worst.max(w);
        }
        runs.push(DeviceRun {
            device: dev.name.clone(),
            machine: q.machine.clone(),
            frames_in: parse_frames(&rx_bytes).map(|v| v.len()).unwrap_or(0),
            frames_out: fw_tx.len(),
            worst_rel: worst,
        });
    }
    Ok(QemuRun {
        outputs,
        host_outputs,
        devices: runs,
        builds,
    })
}
