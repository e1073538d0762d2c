//! Bytes → the whole pipeline of `meshnn compile`, in memory: import (no external data),
//! every canonicalisation pass with the graph verifier after each, scheduling and memory
//! planning (overlap-checked), the inspect report, and C emission of the one-device
//! deployment. A bad model must be an error; a panic, or a graph or plan that breaks
//! meshnn's invariants, is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshnn::{driver, inspect, onnx, passes, plan};

fuzz_target!(|data: &[u8]| {
    let Ok(mut graph) = onnx::import_bytes(data, None) else {
        return;
    };
    if let Err(e) = passes::verify::verify(&graph) {
        panic!("the importer accepted a model into an invalid graph: {e}");
    }
    for (name, pass) in passes::PIPELINE {
        if pass(&mut graph).is_err() {
            return;
        }
        if let Err(e) = passes::verify::verify(&graph) {
            panic!("pass {name} left an invalid graph: {e}");
        }
    }
    let (order, plan) = plan::schedule::order(&graph);
    if let Err(e) = plan::buffer::check(&plan) {
        panic!("the memory plan overlaps: {e}");
    }
    let prepared = driver::Prepared {
        graph,
        order,
        plan,
        model_name: "fuzz.onnx".into(),
    };
    let _ = inspect::render_text(&inspect::report(&prepared));
    let _ = inspect::render_memory(&prepared);
    if let Ok(deployed) = driver::deploy_single(prepared) {
        let _ = driver::emit(&deployed);
    }
});
