//! Inputs that once reached the C compiler and failed there ("meshnn bug"): the generated
//! C compiles (`-std=c99 -Wall -Wextra -Werror -pedantic`) and runs, or meshnn rejects
//! the input first with one clear line and exit code 1 (issue 17, section 3).

mod common;
use common::{fails_with, onnx_model, repo_root};
use meshnn::npy;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::meshnn_status as meshnn;

fn succeeds(args: &[&str]) {
    let (code, stderr) = meshnn(args);
    assert_eq!(code, Some(0), "meshnn {}: {stderr}", args.join(" "));
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write_npy(dir: &Path, name: &str, shape: &[usize], data: Vec<f32>) -> String {
    let p = dir.join(format!("{name}.npy"));
    npy::write_f32(&p, shape, &data).unwrap();
    p.display().to_string()
}

/// `meshnn run` of `model` with its one input `x` (an .npy path); the output folder.
fn run_on_x(model: &Path, x: &str, dir: &Path) -> PathBuf {
    let out = dir.join("out");
    succeeds(&[
        "run",
        path(model),
        "--input",
        &format!("x={x}"),
        "--out-dir",
        path(&out),
    ]);
    out
}

fn read_out(dir: &Path, name: &str) -> Vec<f32> {
    npy::read_f32(&dir.join(format!("{name}.npy")))
        .unwrap()
        .data
}

#[test]
fn inputs_and_outputs_named_after_c_keywords() {
    let dir = tempfile::tempdir().unwrap();
    let body = "vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 4])\n\
        nodes = [helper.make_node('Add', ['int', 'for'], ['return']),\n\
                 helper.make_node('Relu', ['INT'], ['errno'])]\n\
        graph = helper.make_graph(nodes, 'kw', [vi('int'), vi('INT'), vi('for')], [vi('return'), vi('errno')])";
    let Some(model) = onnx_model(dir.path(), body) else {
        return;
    };
    let d = dir.path();
    let a = write_npy(d, "a", &[1, 4], vec![1.0, 2.0, 3.0, 4.0]);
    let b = write_npy(d, "b", &[1, 4], vec![-1.0, 5.0, -2.0, 0.5]);
    let c = write_npy(d, "c", &[1, 4], vec![10.0, 20.0, 30.0, 40.0]);
    let out = d.join("out");
    succeeds(&[
        "run",
        path(&model),
        "--input",
        &format!("int={a}"),
        "--input",
        &format!("INT={b}"),
        "--input",
        &format!("for={c}"),
        "--out-dir",
        path(&out),
    ]);
    assert_eq!(read_out(&out, "return"), vec![11.0, 22.0, 33.0, 44.0]);
    assert_eq!(read_out(&out, "errno"), vec![0.0, 5.0, 0.0, 0.5]);
}

#[test]
fn a_usage_line_longer_than_a_c99_string_literal() {
    // 100 inputs with 60-character names: the harness's usage line is ~6 500 characters,
    // beyond the 4 095 a C99 string literal may hold under -pedantic.
    let dir = tempfile::tempdir().unwrap();
    let body = "names = ['input_with_a_rather_long_descriptive_name_number_%03d' % i for i in range(100)]\n\
        vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 2])\n\
        graph = helper.make_graph([helper.make_node('Sum', names, ['total'])], 'long', [vi(n) for n in names], [vi('total')])";
    let Some(model) = onnx_model(dir.path(), body) else {
        return;
    };
    let d = dir.path();
    let mut args: Vec<String> = vec!["run".into(), path(&model).into()];
    for i in 0..100 {
        let name = format!("input_with_a_rather_long_descriptive_name_number_{i:03}");
        let f = write_npy(d, &format!("x{i}"), &[1, 2], vec![i as f32, 1.0]);
        args.extend(["--input".into(), format!("{name}={f}")]);
    }
    let out = d.join("out");
    args.extend(["--out-dir".into(), path(&out).into()]);
    succeeds(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(read_out(&out, "total"), vec![4950.0, 100.0]);
}

fn mlp() -> String {
    repo_root()
        .join("tests/models/mlp.onnx")
        .display()
        .to_string()
}

/// A deployment of two devices sensing mlp's input, with `link` as its [link] body and
/// `first` as the first device's name.
fn two_devices(link: &str, first: &str) -> String {
    format!(
        "[link]\n{link}\n\n[[device]]\nname = \"{first}\"\ntarget = \"nrf52840\"\ninputs = [\"input\"]\n\n\
         [[device]]\nname = \"hub\"\ntarget = \"stm32l476\"\ninputs = [\"input\"]\noutputs = true\n"
    )
}

fn partition_with(dir: &Path, deploy: &str) -> Vec<String> {
    let p = dir.join("deploy.toml");
    std::fs::write(&p, deploy).unwrap();
    vec![
        "partition".into(),
        mlp(),
        "--deploy".into(),
        path(&p).into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn deadline_out_of_range_is_rejected_at_parse_time() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "4294967295", "4294967296", "2147483648"] {
        let args = partition_with(
            dir.path(),
            &two_devices(&format!("deadline_us = {bad}"), "a"),
        );
        fails_with(
            &strs(&args),
            &["deploy.toml:2:", "link.deadline_us", "1..=2147483647"],
        );
    }
    for good in ["1", "2147483647"] {
        let args = partition_with(
            dir.path(),
            &two_devices(&format!("deadline_us = {good}"), "a"),
        );
        succeeds(&strs(&args));
    }
}

#[test]
fn more_than_255_devices_are_rejected_at_parse_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = two_devices("profile = \"ble\"", "a");
    for i in 0..255 {
        text.push_str(&format!(
            "\n[[device]]\nname = \"d{i}\"\ntarget = \"nrf52840\"\n"
        ));
    }
    let args = partition_with(dir.path(), &text);
    fails_with(
        &strs(&args),
        &["257 [[device]] tables", "at most 255 devices"],
    );
}

#[test]
fn device_names_of_meshnn_folders_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sim", "io", "host", "firmware", "record"] {
        let args = partition_with(dir.path(), &two_devices("profile = \"ble\"", name));
        fails_with(
            &strs(&args),
            &[
                "deploy.toml:5:",
                "device.name",
                &format!("'{name}'"),
                "host, sim, io, record, firmware",
            ],
        );
    }
}

#[test]
fn devices_without_nodes_still_build() {
    // `--strategy single` on the four-device example puts every node on the hub: the other
    // devices send and receive nothing, and the harness must not include a link header
    // their folders do not have. The answer is the one of the partitioned deployment.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = repo_root();
    let model = root.join("tests/models/nonn_k4.onnx");
    let deploy = root.join("examples/nonn_wearables/deploy.toml");
    let x = write_npy(
        d,
        "x",
        &[1, 1, 28, 28],
        (0..784).map(|i| (i % 7) as f32 / 7.0).collect(),
    );
    let mut outs = Vec::new();
    for strategy in ["single", "modularity"] {
        let out = d.join(strategy);
        succeeds(&[
            "run",
            path(&model),
            "--deploy",
            path(&deploy),
            "--strategy",
            strategy,
            "--input",
            &format!("input={x}"),
            "--out-dir",
            path(&out),
        ]);
        let name = std::fs::read_dir(&out)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        outs.push(npy::read_f32(&name).unwrap().data);
    }
    for (a, b) in outs[0].iter().zip(&outs[1]) {
        assert!((a - b).abs() <= 1e-4 + 1e-4 * b.abs(), "{a} vs {b}");
    }
}

#[test]
fn a_first_device_without_nodes_still_builds() {
    // The first device gets no node while the two others talk over the link: the harness
    // takes the link header from a device that has one.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let deploy = d.join("deploy.toml");
    let mut text = String::new();
    for (name, hub) in [("idle", false), ("front", false), ("hub", true)] {
        text.push_str(&format!(
            "[[device]]\nname = \"{name}\"\ntarget = \"stm32l476\"\ninputs = [\"input\"]\noutputs = {hub}\n\n"
        ));
    }
    text.push_str("[partition]\nstrategy = \"manual\"\n[partition.manual]\nfc1 = \"front\"\nfc2 = \"hub\"\nfc3 = \"hub\"\nlog_softmax = \"hub\"\n");
    std::fs::write(&deploy, text).unwrap();
    let x = write_npy(d, "x", &[1, 64], vec![0.5; 64]);
    let out = d.join("out");
    succeeds(&[
        "run",
        &mlp(),
        "--deploy",
        path(&deploy),
        "--input",
        &format!("input={x}"),
        "--out-dir",
        path(&out),
    ]);
}

#[test]
fn simulating_a_partition_without_link_is_rejected() {
    let root = repo_root();
    let model = root.join("tests/models/nonn_k4.onnx");
    let deploy = root.join("examples/nonn_wearables/deploy.toml");
    let data = root.join("tests/models/mnist_test.npz");
    fails_with(
        &[
            "simulate",
            path(&model),
            "--deploy",
            path(&deploy),
            "--strategy",
            "single",
            "--data",
            path(&data),
        ],
        &["sends no tensor over the link", "use another strategy"],
    );
}

#[test]
fn random_models_and_deployments_compile_and_run() {
    // Generative: random valid models (names with keywords, case, punctuation, 300
    // characters; widths; activations) on random valid deployments (devices, MTU,
    // deadline, strategy), built by tests/common/random_codegen_cases.py with fixed seeds.
    let dir = tempfile::tempdir().unwrap();
    let script = repo_root().join("compiler/tests/common/random_codegen_cases.py");
    let ok = Command::new("python3")
        .args([path(&script), path(dir.path()), "17", "12"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: python3 with numpy and onnx is needed to build the cases");
        return;
    }
    let text = std::fs::read_to_string(dir.path().join("cases.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    for case in cases.as_array().unwrap() {
        let d = Path::new(case["dir"].as_str().unwrap());
        let (model, deploy, out) = (d.join("model.onnx"), d.join("deploy.toml"), d.join("out"));
        let mut args: Vec<String> = vec!["run".into(), path(&model).into()];
        args.extend(["--deploy".into(), path(&deploy).into()]);
        for pair in case["inputs"].as_array().unwrap() {
            let (n, p) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            args.extend(["--input".into(), format!("{n}={p}")]);
        }
        args.extend(["--out-dir".into(), path(&out).into()]);
        succeeds(&strs(&args));
        for pair in case["outputs"].as_array().unwrap() {
            let (n, p) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            let want = npy::read_f32(Path::new(p)).unwrap().data;
            for (a, b) in read_out(&out, n).iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-5 + 1e-5 * b.abs(),
                    "{}: {n}: {a} vs {b}",
                    d.display()
                );
            }
        }
    }
}

/// A cut tensor of 800 KiB at mtu_bytes = 32 needs 68 267 fragments; the header numbers
/// them in 16 bits. It used to wrap (13.5 KB sent, status OK, outputs wrong); now it is
/// refused at compile time with the smallest MTU that works, and that MTU compiles; the
/// same with authenticated frames, whose 16-byte tag leaves 12 payload bytes at MTU 48.
#[test]
fn a_tensor_needing_more_than_65535_fragments_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let body = "vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 204800])\n\
        graph = helper.make_graph([helper.make_node('Relu', ['x'], ['y'], name='relu')], 'wide', [vi('x')], [vi('y')])";
    let Some(model) = onnx_model(dir.path(), body) else {
        return;
    };
    let deploy = |mtu: u32, auth: &str| {
        let p = dir.path().join(format!("deploy{mtu}{auth}.toml"));
        std::fs::write(
            &p,
            format!(
                "[link]\nmtu_bytes = {mtu}\nauth = \"{auth}\"\n\n[[device]]\nname = \"sensor\"\ntarget = \"host\"\ninputs = [\"x\"]\n\n\
                 [[device]]\nname = \"hub\"\ntarget = \"host\"\noutputs = true\n"
            ),
        )
        .unwrap();
        p
    };
    let out = dir.path().join("out");
    for (too_small, enough, auth) in [(32, 36, "off"), (48, 52, "ascon128")] {
        let (small, big) = (deploy(too_small, auth), deploy(enough, auth));
        fails_with(
            &[
                "compile",
                path(&model),
                "--deploy",
                path(&small),
                "--out",
                path(&out),
            ],
            &[
                "819200 bytes",
                "68267 fragments",
                &format!("mtu_bytes = {too_small}"),
                &format!("at least {enough}"),
            ],
        );
        succeeds(&[
            "compile",
            path(&model),
            "--deploy",
            path(&big),
            "--out",
            path(&out),
        ]);
    }
}

/// Outputs `o/x` and `o_x` both became `o_x.npy`, the second overwriting the first; now
/// the second is written as `o_x.2.npy` and `run` lists both files.
#[test]
fn outputs_whose_file_names_collide_are_both_written() {
    let dir = tempfile::tempdir().unwrap();
    let body = "vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 3])\n\
        nodes = [helper.make_node('Relu', ['x'], ['o/x']), helper.make_node('Sigmoid', ['x'], ['o_x'])]\n\
        graph = helper.make_graph(nodes, 'clash', [vi('x')], [vi('o/x'), vi('o_x')])";
    let Some(model) = onnx_model(dir.path(), body) else {
        return;
    };
    let x = write_npy(dir.path(), "x", &[1, 3], vec![-1.0, 0.0, 2.0]);
    let out = run_on_x(&model, &x, dir.path());
    assert_eq!(read_out(&out, "o_x"), vec![0.0, 0.0, 2.0]);
    let sigmoid = read_out(&out, "o_x.2");
    let want = [1.0 / (1.0 + 1f32.exp()), 0.5, 1.0 / (1.0 + (-2f32).exp())];
    for (g, w) in sigmoid.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{sigmoid:?}");
    }
}

/// A chain of Identity (or float->float Cast) nodes from a graph input: the second one was
/// rewired to the first one's removed output, so the kernel after it read a buffer nothing
/// wrote (every output 0, exit 0). Found through the ONNX flexattention node tests.
#[test]
fn chained_identities_read_the_graph_input() {
    let dir = tempfile::tempdir().unwrap();
    let body = "vi = lambda n: helper.make_tensor_value_info(n, TP.FLOAT, [1, 4])\n\
        nodes = [helper.make_node('Identity', ['x'], ['a']), helper.make_node('Cast', ['a'], ['b'], to=1),\n\
                 helper.make_node('Identity', ['b'], ['c']), helper.make_node('Relu', ['c'], ['y'])]\n\
        graph = helper.make_graph(nodes, 'chain', [vi('x')], [vi('y')])";
    let Some(model) = onnx_model(dir.path(), body) else {
        return;
    };
    let x = write_npy(dir.path(), "x", &[1, 4], vec![-1.0, 2.0, -3.0, 4.0]);
    let out = run_on_x(&model, &x, dir.path());
    assert_eq!(read_out(&out, "y"), vec![0.0, 2.0, 0.0, 4.0]);
}

/// The model of `nan_propagates_like_onnxruntime`, its input `x.npy` (NaN and infinities
/// among ordinary values) and onnxruntime's outputs `want.npz`, written by Python into
/// `dir`. One output per path NaN can take: unary activations, the fused activations of
/// Conv (fast kernels) and Gemm, Clip with constant bounds, MaxPool, ReduceMax, Max, Min
/// and Softmax.
const NAN_CASE: &str = r#"
import sys, os, numpy as np, onnxruntime as ort
from onnx import helper, TensorProto as TP, save
d = sys.argv[1]
rng = np.random.default_rng(5)
x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
x[0, 0, 0, 0] = np.nan; x[0, 1, 2, 3] = np.nan; x[0, 0, 3, 1] = np.inf; x[0, 1, 0, 2] = -np.inf
x[0, 0, 1, 2] = np.nan
f = lambda n, a: helper.make_tensor(n, TP.FLOAT, a.shape, a.flatten())
inits = [f('w', rng.standard_normal((3, 2, 3, 3)).astype(np.float32)),
         f('g', rng.standard_normal((32, 5)).astype(np.float32)),
         f('zero', np.zeros((), np.float32)), f('one', np.ones((), np.float32))]
N = helper.make_node
nodes = [N('Relu', ['x'], ['relu']), N('LeakyRelu', ['x'], ['leaky'], alpha=0.1),
         N('Clip', ['x', 'zero', 'one'], ['clip']), N('HardSigmoid', ['x'], ['hsig']),
         N('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]), N('Relu', ['c'], ['conv_relu']),
         N('Flatten', ['x'], ['flat']), N('Gemm', ['flat', 'g'], ['gm']), N('Relu', ['gm'], ['gemm_relu']),
         N('MaxPool', ['x'], ['maxpool'], kernel_shape=[2, 2], strides=[2, 2]),
         N('ReduceMax', ['x'], ['reducemax'], axes=[2, 3]),
         N('Max', ['x', 'zero'], ['max0']), N('Min', ['x', 'zero'], ['min0']),
         N('Softmax', ['x'], ['softmax'], axis=-1)]
outs = ['relu', 'leaky', 'clip', 'hsig', 'conv_relu', 'gemm_relu', 'maxpool', 'reducemax',
        'max0', 'min0', 'softmax']
graph = helper.make_graph(nodes, 'nan', [helper.make_tensor_value_info('x', TP.FLOAT, [1, 2, 4, 4])],
                          [helper.make_tensor_value_info(o, TP.FLOAT, None) for o in outs], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
save(model, os.path.join(d, 'model.onnx'))
np.save(os.path.join(d, 'x.npy'), x)
s = ort.InferenceSession(model.SerializeToString(), providers=['CPUExecutionProvider'])
want = dict(zip(outs, s.run(outs, {'x': x})))
# onnxruntime's MaxPool skips NaN and its ReduceMax propagates it or not depending on the
# position (vectorised); meshnn propagates NaN as numpy and PyTorch do: numpy is the
# reference for these two.
want['maxpool'] = x.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5))
want['reducemax'] = x.max(axis=(2, 3), keepdims=True)
np.savez(os.path.join(d, 'want.npz'), **want)
"#;

/// NaN inputs give NaN where onnxruntime gives NaN (Relu once turned NaN into 0) and the
/// same values elsewhere, through every activation path (max pooling and ReduceMax: NaN
/// propagates, as in numpy; see `NAN_CASE`).
#[test]
fn nan_propagates_like_onnxruntime() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made = Command::new("python3")
        .args(["-c", NAN_CASE, path(d)])
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipping: python3 with onnx and onnxruntime is needed");
        return;
    }
    let out = run_on_x(&d.join("model.onnx"), path(&d.join("x.npy")), d);
    let want = npy::read_npz_f32(&d.join("want.npz")).unwrap();
    assert_eq!(want.len(), 11);
    for (name, w) in want {
        let got = read_out(&out, &name);
        assert_eq!(got.len(), w.data.len(), "{name}");
        let nans = w.data.iter().filter(|v| v.is_nan()).count();
        assert!(nans > 0, "{name}: the case should produce NaN");
        for (i, (g, w)) in got.iter().zip(&w.data).enumerate() {
            let same =
                (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= 1e-4 * (1.0 + w.abs());
            assert!(same, "{name}[{i}]: meshnn {g}, onnxruntime {w}");
        }
    }
}
