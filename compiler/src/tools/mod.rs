//! The commands that leave the compiler core: they build the generated C with a host
//! compiler or a cross toolchain, run it (natively, under QEMU or valgrind), or call
//! Python. Nothing outside this module spawns a process.
//!
//! Every command that runs generated C on this computer goes through one driver,
//! [`host_build::HostBuild`] (emit → write → build → run → read outputs); each command
//! has its own error type, and the harness's is [`host_build::HostError`].

pub mod bench;
pub mod build_dir;
pub mod calibrate;
pub mod dataset;
pub mod firmware;
pub mod host_build;
pub mod link_key;
pub mod run;
pub mod rust_build;
pub mod simulate;
