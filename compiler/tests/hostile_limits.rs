//! Every resource is bounded (issue 17, section 2): constant folding stops at its byte
//! limits, values that reach C fit its 32-bit ints (or meshnn names the node and value
//! first), and big graphs stay fast (a smaller size than `scripts/bench_scale.sh`, with a
//! generous time bound). Models are built with Python's `onnx` package (skipped without
//! it), errors checked through the CLI.

mod common;
use common::{fails_with, meshnn_status, meshnn_stdout, onnx_model, repo_root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `x` [1, 4] -> `node` -> `y`, with the constants `consts` (name, int64 values).
fn one_node(dir: &Path, node: &str, consts: &str, y_shape: &str) -> Option<PathBuf> {
    onnx_model(
        dir,
        &format!(
            "x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 4])\n\
             y = helper.make_tensor_value_info('y', TP.FLOAT, {y_shape})\n\
             inits = [numpy_helper.from_array(np.array(v, dtype=np.int64), n) for n, v in {consts}]\n\
             graph = helper.make_graph([{node}], 'g', [x], [y], initializer=inits)"
        ),
    )
}

#[test]
fn constant_of_shape_beyond_the_folding_limit_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    // 2^31 elements: 16 GiB as int64-sized constant data if materialised.
    let Some(m) = onnx_model(
        d.path(),
        "x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 4])\n\
         y = helper.make_tensor_value_info('y', TP.FLOAT, [1, 4])\n\
         s = numpy_helper.from_array(np.array([2**31], dtype=np.int64), 's')\n\
         c = helper.make_node('ConstantOfShape', ['s'], ['c'], name='huge')\n\
         n = helper.make_node('Add', ['x', 'x'], ['y'], name='add')\n\
         graph = helper.make_graph([c, n], 'g', [x], [y], initializer=[s])",
    ) else {
        return;
    };
    fails_with(
        &["inspect", path(&m)],
        &["huge", "ConstantOfShape", "64 MiB"],
    );
}

#[test]
fn a_fold_beyond_the_folding_limit_stays_a_run_time_node() {
    let d = tempfile::tempdir().unwrap();
    // Expand of a constant to 2^25 floats (128 MiB, above the 64 MiB folding limit but
    // addressable): not folded, so inspect lists it as a node and finishes at once.
    let Some(m) = onnx_model(
        d.path(),
        "x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 1])\n\
         y = helper.make_tensor_value_info('y', TP.FLOAT, [1, 33554432])\n\
         one = numpy_helper.from_array(np.ones((1, 1), dtype=np.float32), 'one')\n\
         s = numpy_helper.from_array(np.array([1, 33554432], dtype=np.int64), 's')\n\
         e = helper.make_node('Expand', ['one', 's'], ['e'], name='big_expand')\n\
         n = helper.make_node('Mul', ['e', 'x'], ['y'], name='mul')\n\
         graph = helper.make_graph([e, n], 'g', [x], [y], initializer=[one, s])",
    ) else {
        return;
    };
    let out = meshnn_stdout(&["inspect", path(&m)]);
    assert!(out.contains("big_expand"), "the Expand was folded: {out}");
}

#[test]
fn folding_stops_at_the_total_limit_for_the_model() {
    let d = tempfile::tempdir().unwrap();
    // Nine Expands of a constant, 32 MiB each as folded data (4 Mi elements, 8 bytes per
    // element counted): the first eight fill the 256 MiB total, the ninth stays a node.
    let Some(m) = onnx_model(
        d.path(),
        "n = 4194304\n\
         x = helper.make_tensor_value_info('x', TP.FLOAT, [1, n])\n\
         y = helper.make_tensor_value_info('y', TP.FLOAT, [1, n])\n\
         one = numpy_helper.from_array(np.ones((1, 1), dtype=np.float32), 'one')\n\
         s = numpy_helper.from_array(np.array([1, n], dtype=np.int64), 's')\n\
         ex = [helper.make_node('Expand', ['one', 's'], [f'e{k}'], name=f'expand{k}') for k in range(9)]\n\
         add = [helper.make_node('Add', ['x' if k == 0 else f'a{k-1}', f'e{k}'], [f'a{k}'], name=f'add{k}') for k in range(9)]\n\
         out = helper.make_node('Identity', ['a8'], ['y'], name='out')\n\
         graph = helper.make_graph(ex + add + [out], 'g', [x], [y], initializer=[one, s])",
    ) else {
        return;
    };
    let out = meshnn_stdout(&["inspect", path(&m)]);
    assert!(
        out.contains("expand8"),
        "the ninth Expand was folded: {out}"
    );
    for k in 0..8 {
        assert!(
            !out.contains(&format!("expand{k} ")),
            "expand{k} not folded: {out}"
        );
    }
}

#[test]
fn expand_to_two_to_the_31_is_rejected_naming_node_and_value() {
    let d = tempfile::tempdir().unwrap();
    // 2^31 float32 elements (8 GiB), within the element limit but not a 32-bit size.
    let Some(m) = one_node(
        d.path(),
        "helper.make_node('Expand', ['x', 's'], ['y'], name='wide')",
        "[('s', [2**29, 4])]",
        "[2**29, 4]",
    ) else {
        return;
    };
    fails_with(&["inspect", path(&m)], &["wide", "Expand", "'y'", "32-bit"]);
}

#[test]
fn a_pad_of_a_billion_is_rejected_naming_node_and_value() {
    let d = tempfile::tempdir().unwrap();
    let Some(m) = one_node(
        d.path(),
        "helper.make_node('Pad', ['x', 'p'], ['y'], name='pad1e9')",
        "[('p', [0, 0, 0, 1000000000])]",
        "[1, 1000000004]",
    ) else {
        return;
    };
    fails_with(&["inspect", path(&m)], &["pad1e9", "'y'", "32-bit"]);
}

#[test]
fn strides_of_two_to_the_31_are_rejected() {
    let d = tempfile::tempdir().unwrap();
    let Some(m) = onnx_model(
        d.path(),
        "x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 1, 4, 4])\n\
         y = helper.make_tensor_value_info('y', TP.FLOAT, [1, 1, 1, 4])\n\
         w = numpy_helper.from_array(np.ones((1, 1, 1, 1), dtype=np.float32), 'w')\n\
         n = helper.make_node('Conv', ['x', 'w'], ['y'], name='far', strides=[2**31, 1])\n\
         graph = helper.make_graph([n], 'g', [x], [y], initializer=[w])",
    ) else {
        return;
    };
    fails_with(
        &["inspect", path(&m)],
        &["far", "strides", "2147483648", "32-bit"],
    );
}

#[test]
fn a_slice_step_of_two_to_the_40_runs_like_numpy() {
    let d = tempfile::tempdir().unwrap();
    let Some(m) = onnx_model(
        d.path(),
        "x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 4])\n\
         y = helper.make_tensor_value_info('y', TP.FLOAT, [1, 1])\n\
         c = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.int64), n)\n\
         n = helper.make_node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['s'], name='far_step')\n\
         r = helper.make_node('Relu', ['s'], ['y'], name='relu')\n\
         graph = helper.make_graph([n, r], 'g', [x], [y], initializer=[c('st', [1]), c('en', [4]), c('ax', [1]), c('sp', [2**40])])",
    ) else {
        return;
    };
    let x = d.path().join("x.npy");
    meshnn::npy::write_f32(&x, &[1, 4], &[-1.0, 2.5, 3.0, 4.0]).unwrap();
    let out = d.path().join("out");
    let (code, stderr) = meshnn_status(&[
        "run",
        path(&m),
        "--input",
        &format!("x={}", path(&x)),
        "--out-dir",
        path(&out),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let y = meshnn::npy::read_f32(&out.join("y.npy")).unwrap();
    // numpy: np.maximum(x[:, 1:4:2**40], 0) == [[2.5]]
    assert_eq!((y.shape, y.data), (vec![1, 1], vec![2.5]));
}

#[test]
fn an_arena_beyond_two_gib_is_rejected_naming_the_device() {
    let d = tempfile::tempdir().unwrap();
    // Two 1.2 GB tensors live at once (each addressable, together not).
    let Some(m) = onnx_model(
        d.path(),
        "n = 300000000\n\
         x = helper.make_tensor_value_info('x', TP.FLOAT, [1, 1])\n\
         y = helper.make_tensor_value_info('y', TP.FLOAT, [1, n])\n\
         s = numpy_helper.from_array(np.array([1, n], dtype=np.int64), 's')\n\
         a = helper.make_node('Expand', ['x', 's'], ['a'], name='a')\n\
         b = helper.make_node('Neg', ['a'], ['b'], name='b')\n\
         c = helper.make_node('Add', ['a', 'b'], ['y'], name='c')\n\
         graph = helper.make_graph([a, b, c], 'g', [x], [y], initializer=[s])",
    ) else {
        return;
    };
    let out = d.path().join("out");
    fails_with(
        &["compile", path(&m), "--out", path(&out)],
        &["device 'main'", "arena", "32-bit"],
    );
}

/// A model from `scripts/gen_scale_models.py` (None without python3 and onnx).
fn scale_model(dir: &Path, kind: &str, n: usize) -> Option<PathBuf> {
    let model = dir.join(format!("{kind}-{n}.onnx"));
    let ok = Command::new("python3")
        .arg(repo_root().join("scripts/gen_scale_models.py"))
        .args([kind, &n.to_string(), path(&model)])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(model)
}

/// `meshnn args` succeeds within `bound` (generous: the benchmark's figures are far
/// lower; before the linear-time fixes these sizes took minutes).
fn finishes_within(args: &[&str], bound: Duration) {
    let start = Instant::now();
    let (code, stderr) = meshnn_status(args);
    let took = start.elapsed();
    assert_eq!(code, Some(0), "meshnn {}: {stderr}", args.join(" "));
    assert!(took < bound, "meshnn {} took {took:?}", args.join(" "));
}

#[test]
fn a_20k_node_chain_and_a_10k_node_tree_inspect_quickly() {
    let d = tempfile::tempdir().unwrap();
    let (Some(chain), Some(tree)) = (
        scale_model(d.path(), "chain", 20_000),
        scale_model(d.path(), "tree", 10_000),
    ) else {
        eprintln!("skipping: python3 with the onnx package is needed");
        return;
    };
    finishes_within(&["inspect", path(&chain)], Duration::from_secs(30));
    finishes_within(&["inspect", path(&tree)], Duration::from_secs(30));
}

#[test]
fn a_5k_node_model_partitions_over_8_devices_quickly() {
    let d = tempfile::tempdir().unwrap();
    let Some(mlp) = scale_model(d.path(), "mlp", 5_000) else {
        eprintln!("skipping: python3 with the onnx package is needed");
        return;
    };
    let deploy = Command::new("python3")
        .arg(repo_root().join("scripts/gen_scale_models.py"))
        .args(["deploy", "8"])
        .output()
        .unwrap();
    let toml = d.path().join("deploy8.toml");
    std::fs::write(&toml, deploy.stdout).unwrap();
    finishes_within(
        &["partition", path(&mlp), "--deploy", path(&toml)],
        Duration::from_secs(60),
    );
}
