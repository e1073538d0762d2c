//! Differential Rust/C tests: rules that live both in the compiler and in the C runtime
//! must agree, so that changing one side alone fails here.
//!
//! * `fast_kernel_sizes_and_packing_match_c`: the scratch and packed sizes, the weight
//!   packing and `MR` / `MAX_TAPS` of the fast kernels, for every fast-kernel shape in the
//!   fixture models and a few edge shapes. The C side is a probe
//!   (tests/common/differential_probe.c) compiled with `cc` against runtime-c's sources;
//!   it also runs the fast kernels on the operands meshnn packs and compares them with
//!   the reference kernels on the model's operands.
//! * `folded_ops_match_c_kernels`: ops that `ir::eval` folds at compile time and C kernels
//!   compute at run time, on the ONNX backend node-test inputs: each case once with its
//!   inputs as initialisers (meshnn folds it to a constant) and once with them as graph
//!   inputs (the generated C computes it); see tests/common/differential_cases.py.

mod common;
use common::repo_root;
// The Rust side of the fast kernels' contract (one place: switch the path here).
use meshnn::driver;
use meshnn::ir::{Data, Graph, Op};
use meshnn::kernels::{
    conv_dw_scratch_floats, conv_fast_scratch_floats, conv_geom, conv_kernel, packed_conv_weights,
    packed_gemm, recurrent_scratch_floats, ConvGeom, CONV_FAST_MAX_TAPS, CONV_FAST_MR,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every model in tests/models, prepared as `meshnn compile` prepares it.
fn all_fixture_graphs() -> Vec<(String, Graph)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/models"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let prepared =
                driver::prepare(p, false).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            (name, prepared.graph)
        })
        .collect()
}

fn write_f32(path: &Path, v: &[f32]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Deterministic values in [-1, 1).
fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1664525).wrapping_add(1013904223);
            ((s >> 8) % 20001) as f32 / 10000.0 - 1.0
        })
        .collect()
}

/// What the Rust side says about one fast convolution.
struct ConvCase {
    id: String,
    geom: ConvGeom,
    packed: Option<Vec<f32>>,
}

/// What the Rust side says about one Gemm on `mn_gemm_fast_f32`.
struct GemmCase {
    id: String,
    line: String,
}

fn conv_case(id: String, g: &Graph, ni: usize, dir: &Path) -> ConvCase {
    let node = &g.nodes[ni];
    let geom = conv_geom(g, node).unwrap();
    let packed = packed_conv_weights(g, node);
    let w = g.tensors[node.inputs[1]].data.as_ref().unwrap().to_f32();
    write_f32(&dir.join(format!("{id}.w")), &w);
    if let Some(p) = &packed {
        write_f32(&dir.join(format!("{id}.packed")), p);
    }
    ConvCase { id, geom, packed }
}

fn gemm_case(id: String, g: &Graph, ni: usize, dir: &Path) -> Option<GemmCase> {
    let node = &g.nodes[ni];
    let pg = packed_gemm(g, node)?;
    let Op::Gemm {
        alpha,
        beta,
        trans_a,
        trans_b,
        ..
    } = node.op
    else {
        return None;
    };
    let a = &g.tensors[node.inputs[0]].shape;
    let y = &g.tensors[node.outputs[0]].shape;
    let (m, n) = (y[0], y[1]);
    let k = if trans_a { a[0] } else { a[1] };
    let b = g.tensors[node.inputs[1]].data.as_ref()?.to_f32();
    write_f32(&dir.join(format!("{id}.b")), &b);
    write_f32(&dir.join(format!("{id}.bp")), &pg.b);
    let c_len = match (node.inputs.get(2), &pg.bias) {
        (Some(&c), Some(bias)) => {
            let c = g.tensors[c].data.as_ref()?.to_f32();
            write_f32(&dir.join(format!("{id}.c")), &c);
            write_f32(&dir.join(format!("{id}.bias")), bias);
            c.len()
        }
        _ => 0,
    };
    let line = format!(
        "gemm {id} {m} {n} {k} {} {} {alpha:e} {beta:e} {c_len}",
        trans_a as i32, trans_b as i32
    );
    Some(GemmCase { id, line })
}

/// Edge shapes beside the fixtures' (tile tails, groups whose channels are not a
/// multiple of MR, strides, dilations, asymmetric geometry, MAX_TAPS, 1-D, depthwise):
/// a fixture's Conv node rewritten to each shape, so the Rust functions see a real node.
fn edge_geoms() -> Vec<(bool, ConvGeom)> {
    #[allow(clippy::too_many_arguments)]
    fn geom(
        c_in: usize,
        hw: [usize; 2],
        c_out: usize,
        k: [usize; 2],
        s: [usize; 2],
        d: [usize; 2],
        pad: [usize; 2],
        group: usize,
    ) -> ConvGeom {
        let out = |i: usize| (hw[i] + 2 * pad[i] - ((k[i] - 1) * d[i] + 1)) / s[i] + 1;
        ConvGeom {
            n: 1,
            c_in,
            in_h: hw[0],
            in_w: hw[1],
            c_out,
            out_h: out(0),
            out_w: out(1),
            k_h: k[0],
            k_w: k[1],
            stride_h: s[0],
            stride_w: s[1],
            dil_h: d[0],
            dil_w: d[1],
            pad_top: pad[0],
            pad_left: pad[1],
            group,
        }
    }
    vec![
        (false, geom(3, [8, 8], 5, [1, 1], [1, 1], [1, 1], [0, 0], 1)), // 1x1, direct
        (
            false,
            geom(4, [9, 7], 13, [3, 3], [2, 2], [1, 1], [1, 1], 1),
        ), // stride 2, tail tile
        (
            false,
            geom(6, [11, 10], 10, [2, 3], [3, 2], [2, 2], [2, 0], 2),
        ), // groups of 5
        (false, geom(2, [8, 8], 9, [8, 8], [1, 1], [1, 1], [0, 0], 1)), // 64 taps
        (
            false,
            geom(2, [12, 9], 16, [3, 2], [1, 3], [1, 1], [0, 1], 1),
        ), // stride 3 columns
        (
            false,
            geom(7, [11, 6], 7, [5, 5], [1, 1], [1, 1], [2, 2], 7),
        ), // depthwise, padded
        (
            false,
            geom(4, [10, 10], 4, [3, 3], [2, 2], [1, 1], [0, 0], 4),
        ), // depthwise, stride 2
        (true, geom(3, [1, 50], 8, [1, 5], [1, 2], [1, 1], [0, 2], 1)), // 1-D
        (true, geom(4, [1, 33], 4, [1, 3], [1, 1], [1, 2], [0, 2], 4)), // 1-D depthwise, dilated
    ]
}

/// `base` with its Conv node `ni` rewritten to `c` (random constant weights, no bias).
fn graph_with_conv(base: &Graph, ni: usize, one_d: bool, c: &ConvGeom, seed: u32) -> Graph {
    let mut g = base.clone();
    let node = &mut g.nodes[ni];
    node.inputs.truncate(2);
    let (x, w, y) = (node.inputs[0], node.inputs[1], node.outputs[0]);
    if let Op::Conv {
        kernel,
        strides,
        dilations,
        pads,
        group,
        ..
    } = &mut node.op
    {
        let (k, s, d, p) = if one_d {
            (
                vec![c.k_w],
                vec![c.stride_w],
                vec![c.dil_w],
                vec![c.pad_left, c.pad_left],
            )
        } else {
            (
                vec![c.k_h, c.k_w],
                vec![c.stride_h, c.stride_w],
                vec![c.dil_h, c.dil_w],
                vec![c.pad_top, c.pad_left, c.pad_top, c.pad_left],
            )
        };
        (*kernel, *strides, *dilations, *pads, *group) = (k, s, d, p, c.group);
    }
    let spatial = |h: usize, w: usize| if one_d { vec![w] } else { vec![h, w] };
    g.tensors[x].shape = [vec![c.n, c.c_in], spatial(c.in_h, c.in_w)].concat();
    g.tensors[y].shape = [vec![c.n, c.c_out], spatial(c.out_h, c.out_w)].concat();
    g.tensors[w].shape = [vec![c.c_out, c.c_in / c.group], spatial(c.k_h, c.k_w)].concat();
    let n_w = c.c_out * (c.c_in / c.group) * c.k_h * c.k_w;
    g.tensors[w].data = Some(Data::F32(pseudo_random(n_w, seed)));
    g
}

/// The fixtures' fast convolutions and fast Gemms, then the edge shapes.
fn collect_cases(dir: &Path) -> (Vec<ConvCase>, Vec<GemmCase>) {
    let (mut convs, mut gemms) = (Vec::new(), Vec::new());
    let mut conv_site: Option<(Graph, usize)> = None;
    for (model, g) in all_fixture_graphs() {
        for (ni, node) in g.nodes.iter().enumerate() {
            let id = format!("{model}.{ni}");
            if conv_kernel(&g, node).is_some() {
                convs.push(conv_case(id, &g, ni, dir));
                conv_site.get_or_insert_with(|| (g.clone(), ni));
            } else if let Some(c) = gemm_case(id, &g, ni, dir) {
                gemms.push(c);
            }
        }
    }
    let (base, ni) = conv_site.expect("a fixture with a fast convolution");
    for (e, (one_d, c)) in edge_geoms().into_iter().enumerate() {
        let g = graph_with_conv(&base, ni, one_d, &c, e as u32 + 1);
        assert_eq!(
            conv_geom(&g, &g.nodes[ni]),
            Some(c),
            "edge shape {e}: conv_geom"
        );
        assert!(
            conv_kernel(&g, &g.nodes[ni]).is_some(),
            "edge shape {e}: not fast"
        );
        convs.push(conv_case(format!("edge{e}"), &g, ni, dir));
    }
    (convs, gemms)
}

fn conv_line(c: &ConvCase) -> String {
    let g = &c.geom;
    format!(
        "conv {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
        c.id,
        g.n,
        g.c_in,
        g.in_h,
        g.in_w,
        g.c_out,
        g.out_h,
        g.out_w,
        g.k_h,
        g.k_w,
        g.stride_h,
        g.stride_w,
        g.dil_h,
        g.dil_w,
        g.pad_top,
        g.pad_left,
        g.group,
        c.packed.is_some() as i32
    )
}

/// Compile the probe against runtime-c's sources (the files the fast kernels use).
fn build_probe(dir: &Path) -> PathBuf {
    let rt = repo_root().join("runtime-c");
    let exe = dir.join("differential_probe");
    let mut cmd = Command::new(meshnn::tools::host_build::cc());
    cmd.args(["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(rt.join("include"))
        .arg(repo_root().join("compiler/tests/common/differential_probe.c"));
    for k in [
        "mn_conv2d_f32",
        "mn_conv2d_fast_f32",
        "mn_conv2d_fast_pack_f32",
        "mn_conv2d_dw_f32",
        "mn_conv_pad_f32",
        "mn_act_store_f32",
        "mn_gemm_f32",
        "mn_gemm_fast_f32",
    ] {
        cmd.arg(rt.join(format!("src/{k}.c")));
    }
    let out = cmd.arg("-lm").arg("-o").arg(&exe).output().unwrap();
    assert!(
        out.status.success(),
        "compiling the differential probe failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn fast_kernel_sizes_and_packing_match_c() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (convs, gemms) = collect_cases(dir);
    assert!(
        convs.iter().filter(|c| c.packed.is_some()).count() >= 5 && !gemms.is_empty(),
        "too few fast-kernel cases: the fixtures changed?"
    );
    let mut list = String::new();
    for c in &convs {
        writeln!(list, "{}", conv_line(c)).unwrap();
    }
    for c in &gemms {
        writeln!(list, "{}", c.line).unwrap();
    }
    std::fs::write(dir.join("cases.txt"), &list).unwrap();
    let exe = build_probe(dir);
    let out = Command::new(&exe)
        .arg(dir.join("cases.txt"))
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "differential probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let consts: Vec<usize> = lines.next().unwrap()[6..]
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(
        consts,
        [
            CONV_FAST_MR,
            CONV_FAST_MAX_TAPS,
            recurrent_scratch_floats(1, 7),
            recurrent_scratch_floats(3, 7),
            recurrent_scratch_floats(4, 7),
        ],
        "MN_CONV_FAST_MR, _MAX_TAPS, MN_RNN_SCRATCH_FLOATS (RNN, GRU, LSTM at hidden 7)"
    );
    let mut bad = Vec::new();
    for c in &convs {
        let line = lines.next().unwrap();
        let f: Vec<&str> = line.split(' ').collect();
        let rust = [
            conv_fast_scratch_floats(&c.geom) as i64,
            conv_dw_scratch_floats(&c.geom) as i64,
        ];
        let c_side: Vec<i64> = f[2..].iter().map(|v| v.parse().unwrap()).collect();
        if f[1] != c.id || c_side[..2] != rust {
            bad.push(format!(
                "{}: scratch floats (fast, depthwise): Rust {rust:?}, C {:?}",
                c.id,
                &c_side[..2]
            ));
        }
        if let Some(p) = &c.packed {
            if c_side[2] != p.len() as i64 || c_side[3] != 1 || c_side[4] != 1 {
                bad.push(format!(
                    "{}: packed weights: Rust {} floats, C size {}, same as C's packing {}, \
                     fast kernel on them matches the reference {}",
                    c.id,
                    p.len(),
                    c_side[2],
                    c_side[3] == 1,
                    c_side[4] == 1
                ));
            }
        }
    }
    for c in &gemms {
        let line = lines.next().unwrap();
        if line != format!("gemm {} 1", c.id) {
            bad.push(format!(
                "{}: mn_gemm_fast_f32 on meshnn's packed B / bias differs from mn_gemm_f32 ({line})",
                c.id
            ));
        }
    }
    println!(
        "{} convolutions ({} with packed weights), {} Gemms compared",
        convs.len(),
        convs.iter().filter(|c| c.packed.is_some()).count(),
        gemms.len()
    );
    assert!(
        bad.is_empty(),
        "Rust and C disagree on the fast kernels (meshnn's kernel rules vs runtime-c):\n{}",
        bad.join("\n")
    );
}

/// Run tests/common/differential_cases.py (needs python3 with onnx and numpy, as the
/// conformance test does).
fn cases_script(args: &[&str], dir: &Path) {
    let out = Command::new("python3")
        .arg(repo_root().join("compiler/tests/common/differential_cases.py"))
        .args(&args[..1])
        .arg(dir)
        .args(&args[1..])
        .output()
        .expect("python3 is needed for the differential test (see tests/requirements.txt)");
    assert!(
        out.status.success(),
        "differential_cases.py {}: {}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Outputs of a prepared graph whose outputs are all folded to constants, by name;
/// `None` when some output is not constant.
fn folded_outputs(g: &Graph) -> Option<Vec<(String, Vec<f32>)>> {
    g.outputs
        .iter()
        .map(|&t| {
            let t = &g.tensors[t];
            Some((t.name.clone(), t.data.as_ref()?.to_f32()))
        })
        .collect()
}

/// A node-test case both variants of which meshnn prepares: its folded outputs.
struct FoldedCase {
    name: String,
    outputs: Vec<(String, Vec<f32>)>,
}

/// The generated cases meshnn folds (folded.onnx) and compiles (runtime.onnx); the ONNX
/// ops they run; the skipped cases with the reason.
fn folded_cases(dir: &Path) -> (Vec<FoldedCase>, Vec<String>, Vec<String>) {
    let names = std::fs::read_to_string(dir.join("cases.txt")).unwrap();
    let (mut kept, mut ops, mut skipped) = (vec![], vec![], vec![]);
    for name in names.lines().filter(|l| !l.is_empty()) {
        let f = driver::prepare(&dir.join(name).join("folded.onnx"), false);
        let r = driver::prepare(&dir.join(name).join("runtime.onnx"), false);
        match (f, r) {
            (Ok(f), Ok(r)) => match folded_outputs(&f.graph) {
                Some(outputs) => {
                    ops.extend(r.graph.nodes.iter().map(|n| n.onnx_op.clone()));
                    let name = name.to_string();
                    kept.push(FoldedCase { name, outputs });
                }
                None => skipped.push(format!("{name}: not folded")),
            },
            (Err(e), _) | (_, Err(e)) => skipped.push(format!("{name}: {e}")),
        }
    }
    (kept, ops, skipped)
}

/// Run `cases` merged into one model through meshnn's C (one host build); returns every
/// graph output by name ("c<i>/<output>", i the case's position in `cases`).
fn run_in_c(dir: &Path, chunk: usize, cases: &[FoldedCase]) -> Vec<(String, Vec<f32>)> {
    let model = format!("combined{chunk}");
    let args: Vec<&str> = ["combine", &model]
        .into_iter()
        .chain(cases.iter().map(|c| c.name.as_str()))
        .collect();
    cases_script(&args, dir);
    let p = common::prepare_checked(&dir.join(format!("{model}.onnx")));
    let given = meshnn::npy::read_npz_f32(&dir.join(format!("{model}_inputs.npz"))).unwrap();
    let inputs: Vec<_> = p
        .graph
        .inputs
        .iter()
        .map(|&t| {
            let name = &p.graph.tensors[t].name;
            given.iter().find(|(n, _)| n == name).unwrap().1.clone()
        })
        .collect();
    let p = driver::deploy_single(p).unwrap();
    let outs = meshnn::tools::run::run_host(&p, &inputs, &dir.join(&model)).unwrap();
    p.graph
        .outputs
        .iter()
        .zip(outs)
        .map(|(&t, a)| (p.graph.tensors[t].name.clone(), a.data))
        .collect()
}

/// The ops the folded-vs-C test must cover (ONNX names): every op `ir::eval` folds whose
/// value a C kernel computes with float arithmetic.
const FLOAT_OPS: &[&str] = &[
    "Erf",
    "Reciprocal",
    "Neg",
    "Abs",
    "Exp",
    "Log",
    "Sin",
    "Cos",
    "Floor",
    "Ceil",
    "Round",
    "Sign",
    "Softplus",
    "Mish",
    "Gelu",
    "Elu",
    "Selu",
    "Softsign",
    "Mod",
    "Min",
    "Max",
    "Relu",
    "LeakyRelu",
    "Clip",
    "Sigmoid",
    "Tanh",
    "HardSigmoid",
    "HardSwish",
    "Softmax",
    "LogSoftmax",
    "ReduceMean",
    "ReduceMax",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Sum",
    "Mean",
    "MatMul",
    "Gemm",
    "Conv",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
];

/// Largest difference allowed between a folded value `f` and the C kernel's `c`: 1e-6
/// relative (8 float ulps), and 1e-6 of the output's largest magnitude (`scale`) for
/// values near 0 that come out of a cancellation (log-softmax). Both sides are IEEE
/// single precision with the same libm, so they agree bit for bit where they compute
/// the same expression in the same order; where they legitimately differ (a mean as
/// sum / n vs sum * (1 / n), a softmax sum accumulated in another order) the results
/// differ by an ulp or so (at most 6.6e-8 relative on these cases when this test was
/// written; the test prints the largest). A formula changed on one side (a missing max subtraction, a
/// wrong HardSigmoid slope, a mean over the wrong count) moves the result by far more. NaN
/// matches NaN (Log of a negative, Mod by 0, a NaN through Min/Max).
fn close(f: f32, c: f32, scale: f32) -> bool {
    f == c || (f.is_nan() && c.is_nan()) || (f - c).abs() <= 1e-6 * f.abs().max(scale)
}

/// Cases per merged model: the generated harness names every input and output file in
/// one usage string, which C99 compilers need only support up to 4095 characters.
const CASES_PER_BUILD: usize = 40;

#[test]
fn folded_ops_match_c_kernels() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    cases_script(&["gen"], dir);
    let (kept, ops, skipped) = folded_cases(dir);
    println!("{} node-test cases; skipped {}:", kept.len(), skipped.len());
    skipped.iter().for_each(|s| println!("  {s}"));
    let missing: Vec<_> = FLOAT_OPS
        .iter()
        .filter(|o| !ops.iter().any(|x| x == *o))
        .collect();
    assert!(missing.is_empty(), "no node-test case runs {missing:?}");

    let (mut bad, mut compared, mut inexact, mut worst) = (Vec::new(), 0, 0, 0f32);
    for (chunk, cases) in kept.chunks(CASES_PER_BUILD).enumerate() {
        let c_outputs = run_in_c(dir, chunk, cases);
        for (i, case) in cases.iter().enumerate() {
            for (out, want) in &case.outputs {
                let name = format!("c{i}/{out}");
                let got = &c_outputs.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_eq!(want.len(), got.len(), "{}: {out}: element count", case.name);
                let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
                if let Some(k) = (0..want.len()).find(|&k| !close(want[k], got[k], scale)) {
                    bad.push(format!(
                        "{} {out}[{k}]: folded {:e}, C {:e}",
                        case.name, want[k], got[k]
                    ));
                }
                compared += 1;
                inexact += (0..want.len()).filter(|&k| want[k] != got[k]).count();
                worst = (0..want.len())
                    .map(|k| (want[k] - got[k]).abs() / want[k].abs().max(scale))
                    .fold(worst, f32::max);
            }
        }
    }
    println!(
        "{compared} outputs compared, {inexact} values not bit-identical, largest relative \
         difference {worst:e}"
    );
    assert!(
        bad.is_empty(),
        "ir::eval (compile time) and the C kernels (run time) disagree:\n{}",
        bad.join("\n")
    );
}
