//! Scheduling and static memory planning for one device's subgraph.
//!
//! [`schedule::order`] picks a topological order that keeps peak live bytes low;
//! [`memory::plan`] assigns every runtime tensor an offset in one arena.

pub mod memory;
pub mod schedule;
