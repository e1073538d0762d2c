//! Imports every model of an ONNX backend-test corpus and checks the inferred output shapes
//! against the expected outputs, and the values of outputs folded at compile time. Needs the
//! corpus on disk, so it is ignored by default:
//! `MESHNN_ONNX_CORPUS=/path/to/node cargo test --test onnx_corpus -- --ignored --nocapture`
//! (generate the node tests as described in /work/shared/toolchains.md, or point it at the
//! onnx package's `backend/test/data/light`, one model per folder).
//!
//! To exercise `eval`, turn each case's inputs into initialisers so that the whole graph
//! folds (then every float32/int64 output is compared with the reference values):
//! ```python
//! m = onnx.load(case/"model.onnx")
//! for i, vi in enumerate(m.graph.input):
//!     t = onnx.TensorProto(); t.ParseFromString(open(case/f"test_data_set_0/input_{i}.pb", "rb").read())
//!     t.name = vi.name; m.graph.initializer.append(t)
//! del m.graph.input[:]; onnx.save(m, out/"model.onnx")  # and copy test_data_set_0
//! ```
//! Seen on onnx 1.23's node tests: 265 folded cases import, 214 folded outputs match.

use meshnn::ir::Data;
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
    let mut checked_values = 0;
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
                    // Outputs folded at compile time must also match in value.
                    if let (Some(got), Some(exp)) = (&g.tensor(out).data, expected_values(&t)) {
                        checked_values += 1;
                        let (a, b) = (got.to_f32(), exp.to_f32());
                        let close = a.len() == b.len()
                            && a.iter().zip(&b).all(|(x, y)| {
                                x == y
                                    || (x - y).abs() <= 1e-4 + 1e-4 * y.abs()
                                    || (x.is_nan() && y.is_nan())
                            });
                        if !close {
                            println!("VALUE MISMATCH {case}: output {k}");
                            good = false;
                        }
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
        "ok {ok}, unsupported {unsupported}, other errors {other}, shape mismatches {mismatch}, folded outputs checked {checked_values}"
    );
    assert_eq!(
        mismatch, 0,
        "inferred output shapes or folded values differ from the expected outputs"
    );
}

/// float32 / int64 expected values (raw or typed fields); None for other types.
fn expected_values(t: &TensorProto) -> Option<Data> {
    match t.data_type {
        1 if !t.raw_data.is_empty() => Some(Data::F32(
            t.raw_data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )),
        1 => Some(Data::F32(t.float_data.clone())),
        7 if !t.raw_data.is_empty() => Some(Data::I64(
            t.raw_data
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        )),
        7 => Some(Data::I64(t.int64_data.clone())),
        _ => None,
    }
}
