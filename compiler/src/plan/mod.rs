//! Scheduling and static memory planning for one device's subgraph.
//!
//! [`schedule::order`] picks a topological order that keeps peak live bytes low;
//! [`memory::plan`] assigns every runtime tensor an offset in one arena, placing the
//! buffers with [`pack::pack`]; [`buffer`] holds the resulting [`buffer::Plan`];
//! [`patch::choose`] picks chains to run tile by tile (patch-based execution);
//! [`intake::mark`] lets a graph input's QuantizeLinear read the caller's input;
//! [`progress::stalled`] checks that the devices' orders never wait on each other.

pub mod buffer;
pub mod intake;
pub mod memory;
pub mod pack;
pub mod patch;
pub mod progress;
pub mod schedule;
