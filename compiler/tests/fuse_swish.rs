//! End to end: PyTorch's opset-13 spelling of HardSwish (`x * HardSigmoid(x)`) and its
//! SiLU (`x * Sigmoid(x)`) become one activation (`passes::fuse_swish`) that
//! `fuse_activation` folds into the producing convolution, so the MobileNetV3-style
//! fixture exported at opset 13 compiles to the same graph and arena as at opset 18
//! (native HardSwish). Outputs against onnxruntime: `fixtures.rs`.

mod common;
use common::*;
use meshnn::ir::{Activation, Op};

fn fixture(name: &str) -> meshnn::driver::Prepared {
    prepare_checked(&repo_root().join(format!("tests/models/{name}.onnx")))
}

/// (operator, fused activation) of every node, in order.
fn ops(p: &meshnn::driver::Prepared) -> Vec<(&'static str, Option<&'static str>)> {
    p.graph
        .nodes
        .iter()
        .map(|n| (n.op.kind_name(), n.op.fused_activation().name()))
        .collect()
}

#[test]
fn opset_13_and_18_exports_compile_to_the_same_graph_and_arena() {
    let (p13, p18) = (fixture("mbv3_block_op13"), fixture("mbv3_block_op18"));
    assert_eq!(ops(&p13), ops(&p18));
    assert_eq!(p13.plan.arena_bytes, p18.plan.arena_bytes);
}

#[test]
fn gated_activations_fuse_into_their_convolutions() {
    let p = fixture("mbv3_block_op13");
    let acts: Vec<Activation> = p
        .graph
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Conv { .. }))
        .map(|n| n.op.fused_activation())
        .collect();
    // stem, expand, depthwise: HardSwish; the two SiLU convolutions: Swish(1).
    let hswish = acts.iter().filter(|a| **a == Activation::HardSwish).count();
    let silu = acts
        .iter()
        .filter(|a| **a == Activation::Swish { alpha: 1.0 })
        .count();
    assert_eq!((hswish, silu), (3, 2), "{acts:?}");
    // No product of a tensor with its own gate is left; the squeeze-and-excitation's
    // x * HardSigmoid(...) of another tensor stays a Mul.
    let muls = p
        .graph
        .nodes
        .iter()
        .filter(|n| n.op.kind_name() == "Mul")
        .count();
    assert_eq!(muls, 1, "{:?}", ops(&p));
}
