//! Files meshnn reads are confined and bounded (issue 17, part 1): external tensor data only
//! from regular files inside the model's folder, each read once and only its byte range; the
//! model file a regular file of at most 2 GiB. Every hostile case ends quickly with exit 1
//! and one clear line: a regression that blocks on a FIFO or reads /dev/zero is killed after
//! [`LIMIT`] and fails the test.

use meshnn::ir::Data;
use meshnn::onnx::{import_file, MAX_MODEL_BYTES};
use onnx_protobuf::tensor_proto::DataLocation;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Tensor as TypeTensor};
use onnx_protobuf::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use protobuf::Message;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long any case may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(20);
/// Elements of each weight tensor (float32).
const N: usize = 4;

/// One external-data weight: (location, offset, length).
type Ext<'a> = (&'a str, u64, u64);

/// `y = x + w0 + w1 + ...`, each `wi` a float32[N] stored as external data `ws[i]`; written
/// to `dir/model.onnx`.
fn model(dir: &Path, ws: &[Ext]) -> PathBuf {
    let mut g = GraphProto::new();
    let mut dim = Dimension::new();
    dim.value = Some(dimension::Value::DimValue(N as i64));
    let mut shape = TensorShapeProto::new();
    shape.dim.push(dim);
    let mut tt = TypeTensor::new();
    tt.elem_type = 1;
    tt.shape = Some(shape).into();
    let mut ty = TypeProto::new();
    ty.value = Some(type_proto::Value::TensorType(tt));
    let mut x = ValueInfoProto::new();
    x.name = "x".into();
    x.type_ = Some(ty).into();
    g.input.push(x);
    let mut prev = "x".to_string();
    for (i, &(location, offset, length)) in ws.iter().enumerate() {
        let mut w = TensorProto::new();
        w.name = format!("w{i}");
        w.data_type = 1;
        w.dims = vec![N as i64];
        w.data_location = DataLocation::EXTERNAL.into();
        for (k, v) in [
            ("location", location.to_string()),
            ("offset", offset.to_string()),
            ("length", length.to_string()),
        ] {
            let mut e = StringStringEntryProto::new();
            e.key = k.into();
            e.value = v;
            w.external_data.push(e);
        }
        let mut add = NodeProto::new();
        add.op_type = "Add".into();
        add.input = vec![prev.clone(), w.name.clone()];
        prev = format!("y{i}");
        add.output = vec![prev.clone()];
        g.initializer.push(w);
        g.node.push(add);
    }
    let mut y = ValueInfoProto::new();
    y.name = prev;
    g.output.push(y);
    let mut m = ModelProto::new();
    m.ir_version = 8;
    let mut op = OperatorSetIdProto::new();
    op.version = 13;
    m.opset_import.push(op);
    m.graph = Some(g).into();
    let path = dir.join("model.onnx");
    std::fs::write(&path, m.write_to_bytes().unwrap()).unwrap();
    path
}

/// The little-endian bytes of `values`.
fn le(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// `meshnn inspect path`, killed after [`LIMIT`]: (exit code, stderr).
fn inspect(path: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .arg("inspect")
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("meshnn inspect {} hung for {LIMIT:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `inspect path` fails with exit 1, one short line mentioning every `needles` item.
fn refused(path: &Path, needles: &[&str]) {
    let (code, stderr) = inspect(path);
    assert_eq!(code, Some(1), "{}: {stderr}", path.display());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.lines().count() <= 2,
        "short error expected: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "stderr should mention {n:?}: {stderr}");
    }
}

/// A model folder `m/` inside a scratch folder that also holds `secret.bin`, outside `m/`.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("secret.bin"), [7u8; 64]).unwrap();
    let m = d.path().join("m");
    std::fs::create_dir(&m).unwrap();
    (d, m)
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo {}", path.display());
}

const OUTSIDE: &str = "inside the model's folder";

#[test]
fn absolute_locations_are_refused() {
    let (_d, m) = scratch();
    for loc in ["/etc/passwd", "/proc/self/environ", "/dev/zero"] {
        let path = model(&m, &[(loc, 0, 16)]);
        refused(
            &path,
            &["tensor 'w0'", &format!("{loc:?}"), "absolute", OUTSIDE],
        );
    }
}

#[test]
fn parent_directory_escapes_are_refused() {
    let (_d, m) = scratch();
    std::fs::write(m.join("w.bin"), [0u8; 16]).unwrap();
    for loc in ["../secret.bin", "sub/../w.bin", "./../m/w.bin"] {
        let path = model(&m, &[(loc, 0, 16)]);
        refused(&path, &["tensor 'w0'", "'..'", OUTSIDE]);
    }
}

#[cfg(unix)]
#[test]
fn symlinks_leaving_the_folder_are_refused() {
    let (d, m) = scratch();
    std::os::unix::fs::symlink(d.path().join("secret.bin"), m.join("abs.bin")).unwrap();
    std::os::unix::fs::symlink("../secret.bin", m.join("rel.bin")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", m.join("zero.bin")).unwrap();
    std::fs::create_dir(m.join("sub")).unwrap();
    std::os::unix::fs::symlink(d.path(), m.join("sub/up")).unwrap();
    for loc in ["abs.bin", "rel.bin", "zero.bin", "sub/up/secret.bin"] {
        let path = model(&m, &[(loc, 0, 16)]);
        refused(&path, &["tensor 'w0'", loc, "symbolic link", OUTSIDE]);
    }
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_folder_still_work() {
    let (_d, m) = scratch();
    std::fs::create_dir(m.join("data")).unwrap();
    std::fs::write(m.join("data/w.bin"), le(&[1.0, 2.0, 3.0, 4.0])).unwrap();
    std::os::unix::fs::symlink("data/w.bin", m.join("w.bin")).unwrap();
    let g = import_file(&model(&m, &[("w.bin", 0, 16)])).unwrap();
    let w = g.find_tensor("w0").map(|t| g.tensors[t].data.clone());
    assert_eq!(w, Some(Some(Data::F32(vec![1.0, 2.0, 3.0, 4.0]))));
}

#[cfg(unix)]
#[test]
fn fifos_and_directories_are_refused_without_blocking() {
    let (_d, m) = scratch();
    mkfifo(&m.join("pipe.bin"));
    std::fs::create_dir(m.join("dir.bin")).unwrap();
    for (loc, kind) in [("pipe.bin", "a FIFO"), ("dir.bin", "a directory")] {
        let path = model(&m, &[(loc, 0, 16)]);
        refused(&path, &["tensor 'w0'", loc, kind, "not a regular file"]);
    }
}

#[test]
fn ranges_past_the_end_or_overflowing_are_refused() {
    let (_d, m) = scratch();
    std::fs::write(m.join("w.bin"), [0u8; 20]).unwrap();
    let cases: [(Ext, &str); 4] = [
        (
            ("w.bin", 8, 16),
            "has 20 bytes but the tensor needs bytes 8..24",
        ),
        (("w.bin", u64::MAX, 16), "has 20 bytes"),
        (("w.bin", 0, u64::MAX), "differs from the 16 bytes"),
        (("w.bin", 0, 8), "differs from the 16 bytes"),
    ];
    for (ext, needle) in cases {
        refused(&model(&m, &[ext]), &["tensor 'w0'", needle]);
    }
}

/// 300 tensors in one data file padded (sparsely) to 512 MiB: read once and only the
/// tensors' bytes, this takes well under a second; re-reading the file per tensor takes
/// minutes.
#[test]
fn a_shared_data_file_is_read_once() {
    let (_d, m) = scratch();
    let count = 300;
    let values: Vec<f32> = (0..count * N).map(|i| i as f32).collect();
    let file = std::fs::File::create(m.join("shared.bin")).unwrap();
    std::io::Write::write_all(&mut &file, &le(&values)).unwrap();
    file.set_len(512 << 20).unwrap();
    let ws: Vec<Ext> = (0..count)
        .map(|i| ("shared.bin", (i * N * 4) as u64, (N * 4) as u64))
        .collect();
    let path = model(&m, &ws);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(import_file(&path).map_err(|e| e.to_string()));
    });
    let g = rx.recv_timeout(LIMIT).expect("import hung").unwrap();
    for i in [0, 1, 150, count - 1] {
        let t = g.find_tensor(&format!("w{i}")).unwrap();
        let want = values[i * N..(i + 1) * N].to_vec();
        assert_eq!(g.tensors[t].data, Some(Data::F32(want)), "w{i}");
    }
    let (code, stderr) = inspect(&m.join("model.onnx"));
    assert_eq!(code, Some(0), "{stderr}");
}

#[cfg(unix)]
#[test]
fn model_paths_must_be_regular_files() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("fifo.onnx");
    mkfifo(&fifo);
    refused(
        Path::new("/dev/zero"),
        &["/dev/zero", "a device", "regular file"],
    );
    refused(&fifo, &["fifo.onnx", "a FIFO", "regular file"]);
    refused(d.path(), &["a directory", "regular file"]);
}

#[test]
fn model_files_over_the_cap_are_refused_unread() {
    let d = tempfile::tempdir().unwrap();
    let big = d.path().join("big.onnx");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(MAX_MODEL_BYTES + 1).unwrap(); // sparse: no disk space used
    refused(
        &big,
        &["big.onnx", "2147483649 bytes", "2 GiB", "external data"],
    );
}
