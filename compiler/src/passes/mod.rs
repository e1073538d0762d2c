//! Canonicalisation passes over the IR, one file per pass, run in one fixed order.
//!
//! Every pass has a single entry point `run(&mut Graph) -> Result<(), PassError>` and
//! leaves the graph valid (nodes topologically ordered, every tensor produced once).
//! `canonicalise` is the only place that knows the order; with `verify_each` set (tests
//! do), [`verify::verify`] checks the graph after every pass.

pub mod fold_batchnorm;
pub mod fold_constants;
pub mod fuse_activation;
pub mod fuse_layernorm;
pub mod fuse_mean;
pub mod fuse_swish;
pub mod quantise_islands;
pub mod remove_dead;
pub mod remove_identity;
pub mod replicate_input_quantise;
pub mod verify;

use crate::ir::Graph;

/// A pass found the graph in a state it cannot handle (a bug or an unsupported corner).
#[derive(Debug, thiserror::Error)]
#[error("in pass {pass}: {detail}")]
pub struct PassError {
    pub pass: &'static str,
    pub detail: String,
}

type Pass = (&'static str, fn(&mut Graph) -> Result<(), PassError>);

/// The pipeline, in order.
pub const PIPELINE: &[Pass] = &[
    ("fold_constants", fold_constants::run),
    ("remove_identity", remove_identity::run),
    ("fold_batchnorm", fold_batchnorm::run),
    ("fuse_layernorm", fuse_layernorm::run),
    ("fuse_mean", fuse_mean::run),
    ("fuse_swish", fuse_swish::run),
    ("fuse_activation", fuse_activation::run),
    ("quantise_islands", quantise_islands::run),
    ("remove_dead", remove_dead::run),
];

/// Run every pass in order; with `verify_each`, verify the graph after each one.
pub fn canonicalise(g: &mut Graph, verify_each: bool) -> Result<(), PassError> {
    if verify_each {
        verify::verify(g).map_err(|detail| PassError {
            pass: "import",
            detail,
        })?;
    }
    for (name, pass) in PIPELINE {
        pass(g)?;
        if verify_each {
            verify::verify(g).map_err(|detail| PassError { pass: name, detail })?;
        }
    }
    Ok(())
}
