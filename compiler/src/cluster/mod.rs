//! Community detection for the partitioner and the `meshnn cluster` command. The
//! algorithms are the `meshnn-cluster` crate (`crates/meshnn-cluster/`, a pure library),
//! re-exported here so that `meshnn::cluster::…` names them; [`command`] is the command's
//! side: reading the adjacency `.npy` and rendering the result as text or JSON.

pub mod command;

pub use command::{read_adjacency, render, run_cli, ClusterCommandError};
pub use meshnn_cluster::*;
