//! End to end: the LayerNorm decomposition PyTorch exports at opset 13 (built by
//! `common/layernorm_case.py`) becomes LayerNormalization nodes (`passes::fuse_layernorm`),
//! and the generated code matches onnxruntime on the original, unfused model.

mod common;
use common::*;
use meshnn::driver;
use std::process::Command;

#[test]
fn pytorch_layernorm_decomposition_fuses_and_matches_onnxruntime() {
    let dir = tempfile::tempdir().unwrap();
    let script = repo_root().join("compiler/tests/common/layernorm_case.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .output()
        .expect("python3 is needed for this test (see tests/requirements.txt)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model = dir.path().join("layernorm.onnx");
    let p = prepare_checked(&model);
    let ops: Vec<&str> = p.graph.nodes.iter().map(|n| n.op.kind_name()).collect();
    assert_eq!(ops, ["LayerNormalization", "LayerNormalization"]);
    let (inputs, refs) = reference(&p, &model);
    let p = driver::deploy_single(p).unwrap();
    let build = dir.path().join("build");
    std::fs::create_dir_all(&build).unwrap();
    let outs = meshnn::tools::run::run_host(&p, &inputs, &build).unwrap();
    assert_close("layernorm:y", &outs[0], &refs[0].1, 1e-5, 1e-4);
}
