//! meshnn: compile one distilled ONNX network into firmware for a mesh of wearable
//! devices. See ARCHITECTURE.md for the map.

pub mod cluster;
pub mod eval;
pub mod ir;
pub mod onnx;
pub mod codegen;
pub mod cost;
pub mod passes;
pub mod plan;
pub mod npy;
