//! Imports every model of an ONNX backend-test corpus and checks the inferred output shapes
//! against the expected outputs. Needs the corpus on disk, so it is ignored by default:
//! `MESHNN_ONNX_CORPUS=/path/to/node cargo test --test onnx_corpus -- --ignored --nocapture`
//! (generate it as described in /work/shared/toolchains.md, or point it at the onnx
//! package's `backend/test/data/pytorch-converted`).

use meshnn::onnx::{import_file, ImportError};
use onnx_protobuf::TensorProto;
use protobuf::Message;

#[test]
#[ignore = "needs MESHNN_ONNX_CORPUS pointing at ONNX backend test cases"]
fn corpus_output_shapes_match() {
    let root = std::env::var("MESHNN_ONNX_CORPUS").expect("set MESHNN_ONNX_CORPUS");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let (mut ok, mut unsupported, mut other, mut mismatch) = (0, 0, 0, 0);
    for dir in dirs {
        let model = dir.join("model.onnx");
        if !model.exists() {
            continue;
        }
        let case = dir
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        match import_file(&model) {
            Ok(g) => {
                let mut good = true;
                for (k, &out) in g.outputs.iter().enumerate() {
                    let pb = dir.join("test_data_set_0").join(format!("output_{k}.pb"));
                    let Ok(bytes) = std::fs::read(&pb) else {
                        continue;
                    };
                    let t = TensorProto::parse_from_bytes(&bytes).expect("output pb");
                    let want: Vec<usize> = t.dims.iter().map(|&d| d as usize).collect();
                    if g.tensor(out).shape != want {
                        println!(
                            "MISMATCH {case}: output {k} {:?} vs expected {want:?}",
                            g.tensor(out).shape
                        );
                        good = false;
                    }
                }
                if good {
                    ok += 1;
                } else {
                    mismatch += 1;
                }
            }
            Err(ImportError::Unsupported(nodes)) => {
                for n in nodes {
                    println!("UNSUPPORTED {case}: {} {}", n.op_type, n.opset);
                }
                unsupported += 1
            }
            Err(e) => {
                println!("ERROR {case}: {e}");
                other += 1;
            }
        }
    }
    println!(
        "ok {ok}, unsupported {unsupported}, other errors {other}, shape mismatches {mismatch}"
    );
    assert_eq!(
        mismatch, 0,
        "inferred output shapes differ from the expected outputs"
    );
}
