//! meshnn: compile one distilled ONNX network into firmware for a mesh of wearable
//! devices. See ARCHITECTURE.md for the map.

pub mod bench;
pub mod calibrate;
pub mod cluster;
pub mod codegen;
pub mod cost;
pub mod deploy;
pub mod driver;
pub mod eval;
pub mod firmware;
pub mod host;
pub mod inspect;
pub mod ir;
pub mod npy;
pub mod onnx;
pub mod partition;
pub mod passes;
pub mod plan;
pub mod run;
pub mod simulate;
pub mod supported_ops;
pub mod target;
