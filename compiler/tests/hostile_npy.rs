//! Hostile and careless `.npy`/`.npz` files: forged shapes whose element count wraps,
//! decompression bombs, truncated data, wrong dtypes, bad labels, FIFOs and `=` in input
//! names. Each run must fail fast (under a time limit and 1 GiB of address space) with
//! exit 1 and a message that says what is wrong.

mod common;
use common::npz::{npy_bytes, shape_text, write_npz};
use common::repo_root;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Run meshnn under `ulimit -v` 1 GiB for at most 60 s; assert exit 1, no panic, and
/// that stderr mentions every `needles` item.
fn fails_fast(args: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("stderr");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_meshnn"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "{args:?}: {status}; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for n in needles {
        assert!(
            stderr.contains(n),
            "{args:?}: stderr should mention {n:?}; got: {stderr}"
        );
    }
}

fn fixture(rel: &str) -> String {
    repo_root().join(rel).display().to_string()
}

/// `simulate MODEL --deploy DEPLOY --data DATA --build-dir BUILD`.
fn simulate_args(model: &str, deploy: &str, data: &Path, build: &Path) -> Vec<String> {
    let (data, build) = (data.display().to_string(), build.display().to_string());
    [
        "simulate",
        model,
        "--deploy",
        deploy,
        "--data",
        &data,
        "--build-dir",
        &build,
    ]
    .map(String::from)
    .to_vec()
}

/// `simulate nonn_k4.onnx` on the example deployment with data set `data`, in `build`.
fn nonn_args(data: &Path, build: &Path) -> Vec<String> {
    let model = fixture("tests/models/nonn_k4.onnx");
    let deploy = fixture("examples/nonn_wearables/deploy.toml");
    simulate_args(&model, &deploy, data, build)
}

/// `meshnn simulate nonn_k4.onnx` on the example deployment with data set `data` fails.
fn simulate_fails(data: &Path, needles: &[&str]) {
    let build = tempfile::tempdir().unwrap();
    let args = nonn_args(data, build.path());
    fails_fast(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        needles,
    );
}

/// `simulate_fails` on `file` (.npz) holding one array `x` with a hand-made header.
fn simulate_x_fails(file: &str, descr: &str, shape: &[u64], data: &[u8], needles: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(file);
    write_npz(&p, &[("x", npy_bytes(descr, &shape_text(shape), data))]);
    simulate_fails(&p, needles);
}

/// `meshnn run mlp.onnx --input input=X` fails fast, naming `needles`.
fn run_mlp_fails(x: &Path, needles: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out").display().to_string();
    let input = format!("input={}", x.display());
    let model = fixture("tests/models/mlp.onnx");
    fails_fast(
        &["run", &model, "--input", &input, "--out-dir", &out],
        needles,
    );
}

/// A data set for nonn_k4 (`x` of shape [n, 1, 28, 28]) with extra members.
fn mnist_npz(dir: &Path, n: u64, extra: Vec<(&str, Vec<u8>)>) -> std::path::PathBuf {
    let x = npy_bytes(
        "<f4",
        &shape_text(&[n, 1, 28, 28]),
        &vec![0; n as usize * 784 * 4],
    );
    let mut members = vec![("x", x)];
    members.extend(extra);
    let p = dir.join("data.npz");
    write_npz(&p, &members);
    p
}

#[test]
fn npz_shape_whose_element_count_wraps_is_rejected() {
    // 2^60 * 784 * 4 wraps to 0: today the simulator gets N = 2^60 and a 1-byte buffer.
    let shape = [1 << 60, 1, 28, 28];
    simulate_x_fails(
        "wrap.npz",
        "<f4",
        &shape,
        &[],
        &["wrap.npz[x]", "more elements than 64 bits"],
    );
}

#[test]
fn npy_shape_whose_element_count_wraps_is_rejected() {
    let d = tempfile::tempdir().unwrap();
    let x = d.path().join("x.npy");
    std::fs::write(&x, npy_bytes("<f4", &shape_text(&[1 << 62, 4, 4]), &[])).unwrap();
    run_mlp_fails(&x, &["x.npy", "more elements than 64 bits"]);
}

#[test]
fn npz_declaring_more_than_the_limit_fails_before_reading() {
    // 300 000 MNIST samples (940 MB) declared by a few hundred bytes.
    let shape = [300_000, 1, 28, 28];
    let want = ["bomb.npz[x]", "940800000 bytes", "at most 256 MiB"];
    simulate_x_fails("bomb.npz", "<f4", &shape, &[0; 64], &want);
}

#[test]
fn truncated_array_is_reported() {
    let want = ["short.npz[x]", "truncated", "1568 values", "after 25"];
    simulate_x_fails("short.npz", "<f4", &[2, 1, 28, 28], &[0; 100], &want);
}

#[test]
fn float64_data_names_the_dtype_and_the_conversion() {
    let want = ["f64.npz[x]", "float64", "astype(np.float32)"];
    simulate_x_fails("f64.npz", "<f8", &[2, 1, 28, 28], &[0; 2 * 784 * 8], &want);
}

#[test]
fn labels_must_be_class_indices_of_shape_n() {
    let d = tempfile::tempdir().unwrap();
    let huge = npy_bytes(
        "<i8",
        "(2,)",
        &[[0u8; 8], (1i64 << 62).to_le_bytes()].concat(),
    );
    simulate_fails(
        &mnist_npz(d.path(), 2, vec![("y", huge)]),
        &["label 4611686018427387904 of sample 1", "0..10"],
    );
    let negative = npy_bytes("<i8", "(2,)", &[(-1i64).to_le_bytes(), [0; 8]].concat());
    simulate_fails(
        &mnist_npz(d.path(), 2, vec![("y", negative)]),
        &["label -1 of sample 0"],
    );
    let two_d = npy_bytes("<i8", "(2, 1)", &[0; 16]);
    simulate_fails(
        &mnist_npz(d.path(), 2, vec![("y", two_d)]),
        &["'y' has shape [2, 1]", "1-D"],
    );
    let float = npy_bytes("<f4", "(2,)", &[0; 8]);
    simulate_fails(
        &mnist_npz(d.path(), 2, vec![("y", float)]),
        &["data.npz[y]", "float32", "int64"],
    );
}

#[test]
fn fifo_input_is_refused_without_blocking() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("x.npy");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    run_mlp_fails(&fifo, &["x.npy", "not a regular file"]);
    let npz = d.path().join("x.npz");
    assert!(Command::new("mkfifo").arg(&npz).status().unwrap().success());
    simulate_fails(&npz, &["x.npz", "not a regular file"]);
}

#[test]
fn cluster_adjacency_larger_than_the_limit_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("adj.npy");
    std::fs::write(
        &a,
        npy_bytes("<f8", &shape_text(&[100_000, 100_000]), &[0; 64]),
    )
    .unwrap();
    fails_fast(
        &["cluster", &a.display().to_string()],
        &["adj.npy", "80000000000 bytes", "256 MiB"],
    );
    std::fs::write(&a, npy_bytes("<f8", &shape_text(&[1 << 32, 1 << 32]), &[])).unwrap();
    fails_fast(
        &["cluster", &a.display().to_string()],
        &["adj.npy", "more elements than 64 bits"],
    );
}

#[test]
fn input_names_may_contain_equals_signs() {
    let model = repo_root().join("tests/models/mlp.onnx");
    let mut p = meshnn::driver::prepare(&model, false).unwrap();
    let t = p.graph.inputs[0];
    p.graph.tensors[t].name = "a=b".into();
    let parse = |arg: &str| meshnn::tools::run::parse_inputs(&[arg.to_string()], &p.graph);
    let given = parse("a=b=dir=1/x.npy").unwrap();
    assert_eq!(given, vec![("a=b".to_string(), "dir=1/x.npy".into())]);
    let err = parse("a=x.npy").unwrap_err().to_string();
    assert!(
        err.contains("no input of that name") && err.contains("a=b"),
        "{err}"
    );
    // A model whose inputs are all constant takes none, and the message says so.
    p.graph.inputs.clear();
    let err = meshnn::tools::run::parse_inputs(&["x=x.npy".to_string()], &p.graph)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("its inputs are: none"), "{err}");
}

#[test]
fn more_samples_than_the_limit_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let deploy = d.path().join("deploy.toml");
    let devices: String = ["left", "right", "hub"]
        .iter()
        .map(|n| format!("[[device]]\nname = \"{n}\"\ntarget = \"nrf52840\"\ninputs = [\"x\"]\n"))
        .collect();
    let manual = "gemm_a = \"hub\"\ngemm_b = \"left\"\ngemm_c = \"right\"\nmean = \"hub\"\nuse_b = \"hub\"\n";
    let text = format!(
        "[partition]\nstrategy = \"manual\"\n[partition.manual]\n{manual}{devices}outputs = true\n"
    );
    std::fs::write(&deploy, text).unwrap();
    let n = meshnn::tools::dataset::MAX_SAMPLES as u64 + 1;
    let x = npy_bytes("<f4", &shape_text(&[n, 8]), &vec![0; n as usize * 8 * 4]);
    let data = d.path().join("many.npz");
    write_npz(&data, &[("x", x)]);
    let model = fixture("tests/models/redundant_mean.onnx");
    let deploy = deploy.display().to_string();
    let args = simulate_args(&model, &deploy, &data, &d.path().join("build"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_fast(
        &args,
        &["many.npz", "100001 samples", "at most 100000", "x[:100000]"],
    );
}

#[test]
fn simulator_checks_its_sample_count_before_sizing_buffers() {
    let d = tempfile::tempdir().unwrap();
    let data = mnist_npz(d.path(), 2, vec![]);
    let build = d.path().join("build");
    let args = nonn_args(&data, &build);
    common::meshnn_stdout(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let input = d.path().join("in.bin");
    std::fs::write(&input, [0u8; 100]).unwrap();
    // N = 2^60: N * 784 floats wraps to 0 in size_t; the simulator must refuse it.
    let out = Command::new(build.join("sim/sim_run"))
        .args(["1152921504606846976", "0", "1", "0"])
        .arg(d.path().join("out.bin"))
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("do not fit in memory"), "{stderr}");
}

/// The in-memory readers (the fuzz targets' entry points) apply the file readers' checks:
/// a wrapping shape, a truncated array and a wrong dtype are the same errors, and a valid
/// array reads back its values.
#[test]
fn in_memory_readers_apply_the_file_limits() {
    use meshnn::npy::{parse_f32, Npz};
    let wrap = npy_bytes("<f4", &shape_text(&[1 << 62, 4, 4]), &[]);
    let err = parse_f32(&wrap, "wrap.npy").unwrap_err().to_string();
    assert!(
        err.contains("wrap.npy") && err.contains("more elements than 64 bits"),
        "{err}"
    );
    let short = npy_bytes("<f4", &shape_text(&[2, 3]), &[0; 10]);
    let err = parse_f32(&short, "short.npy").unwrap_err().to_string();
    assert!(
        err.contains("truncated") && err.contains("after 2"),
        "{err}"
    );
    let values: Vec<u8> = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let good = npy_bytes("<f4", &shape_text(&[2]), &values);
    let a = parse_f32(&good, "good.npy").unwrap();
    assert_eq!((a.shape, a.data), (vec![2], vec![1.5, -2.0]));

    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("data.npz");
    let f64s = npy_bytes("<f8", &shape_text(&[1]), &[0; 8]);
    write_npz(&p, &[("x", good.clone()), ("bomb", wrap), ("d", f64s)]);
    let bytes = std::fs::read(&p).unwrap();
    let mut z = Npz::from_bytes(&bytes, "mem.npz").unwrap();
    assert_eq!(z.names(), ["bomb", "d", "x"]);
    assert_eq!(z.f32("x").unwrap().unwrap().data, vec![1.5, -2.0]);
    let err = z.f32("bomb").unwrap_err().to_string();
    assert!(
        err.contains("mem.npz[bomb]") && err.contains("64 bits"),
        "{err}"
    );
    let err = z.f32("d").unwrap_err().to_string();
    assert!(err.contains("float64"), "{err}");
    assert!(z.f32("absent").unwrap().is_none());
    let err = Npz::from_bytes(b"not a zip", "junk.npz")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("junk.npz") && err.contains("not a readable .npz"),
        "{err}"
    );
}

/// The npy fuzz target's finding (fuzz/regressions/npy/oom-v2-header-length.npy): a
/// 204-byte version-2 file whose header length field says 0x81818181 bytes made the
/// reader allocate 2.17 GB before any check (exit 134 under a 1 GiB ulimit). As a `.npy`
/// input and as an `.npz` member it is now refused at once, naming numpy's header limit.
#[test]
fn a_header_longer_than_numpy_allows_is_refused_before_allocating() {
    let finding = repo_root().join("fuzz/regressions/npy/oom-v2-header-length.npy");
    run_mlp_fails(
        &finding,
        &["oom-v2-header-length.npy", "header declares", "10000"],
    );
    let bytes = std::fs::read(&finding).unwrap();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bomb.npz");
    write_npz(&p, &[("x", bytes.clone())]);
    simulate_fails(&p, &["bomb.npz[x]", "header declares", "10000"]);
    // Version 1 (a 16-bit length) over the limit, in memory.
    let mut v1 = npy_bytes("<f4", &shape_text(&[1]), &[0; 4]);
    v1[8..10].copy_from_slice(&60_000u16.to_le_bytes());
    let err = meshnn::npy::parse_f32(&v1, "v1.npy")
        .unwrap_err()
        .to_string();
    assert!(err.contains("60000") && err.contains("10000"), "{err}");
}

/// The npy fuzz target's second finding (fuzz/regressions/npy/timeout-nested-braces.npy):
/// a header with 130 nested `{` kept npyz's header parser busy for over a minute (the
/// release CLI did not finish in 60 s). Refused at once now, as a file and in an `.npz`.
#[test]
fn a_header_nesting_brackets_deeply_is_refused_at_once() {
    let finding = repo_root().join("fuzz/regressions/npy/timeout-nested-braces.npy");
    run_mlp_fails(&finding, &["timeout-nested-braces.npy", "nests brackets"]);
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("nested.npz");
    write_npz(&p, &[("x", std::fs::read(&finding).unwrap())]);
    simulate_fails(&p, &["nested.npz[x]", "nests brackets"]);
}
