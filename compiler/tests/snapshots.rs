//! Snapshots (insta) of the generated C for three small fixtures. Update with
//! `INSTA_UPDATE=always cargo test --test snapshots` after an intended change, and review
//! the diff.

mod common;
use common::*;
use meshnn::driver;

fn snapshot(model: &str) {
    let p = prepare_checked(&repo_root().join("tests/models").join(model));
    let files = driver::emit(&driver::deploy_single(p).unwrap()).unwrap();
    for name in [
        "main/model.h",
        "main/model.c",
        "main/weights.h",
        "main/weights.S",
    ] {
        let f = files.iter().find(|f| f.path == name).unwrap();
        insta::assert_snapshot!(
            format!(
                "{}__{}",
                model.trim_end_matches(".onnx"),
                name.replace('/', "_")
            ),
            f.contents
        );
    }
}

#[test]
fn snapshot_mlp() {
    snapshot("mlp.onnx");
}

#[test]
fn snapshot_two_input() {
    snapshot("two_input.onnx");
}

#[test]
fn snapshot_dw_separable() {
    snapshot("dw_separable.onnx");
}
