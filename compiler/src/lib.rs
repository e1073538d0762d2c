//! meshnn: compile one distilled ONNX network into firmware for a mesh of wearable
//! devices. See ARCHITECTURE.md for the map.
//!
//! The compiler core (`onnx`, `ir`, `passes`, `plan`, `partition`, `cluster`, `deploy`,
//! `codegen`, `driver` and the reports) never spawns a process and writes nothing but its
//! output folder; `tools` holds the commands that build, run and measure the generated
//! code with a C compiler, QEMU, valgrind or Python.

pub mod build_api;
pub mod cluster;
pub mod codegen;
pub mod deploy;
pub mod driver;
pub mod inspect;
pub mod ir;
pub mod kernels;
pub mod link;
pub mod npy;
pub mod onnx;
pub mod partition;
pub mod passes;
pub mod plan;
pub mod supported_ops;
pub mod tools;

pub use build_api::{Build, BuildError};
pub use deploy::Lang;
