//! The lossy-link simulator and the fault-tolerant receive stubs, end to end.

mod common;
use common::*;
use meshnn::deploy::Deployment;
use meshnn::driver;
use meshnn::npy::Array;
use meshnn::tools::simulate::{self, Dataset, LossModel};

fn model(name: &str) -> std::path::PathBuf {
    repo_root().join("tests/models").join(name)
}

/// N seeded samples for a one-input model of input shape [1, rest...].
fn dataset(shape: &[usize], n: usize, seed: u64) -> Dataset {
    let per: usize = shape.iter().product();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let data = (0..n * per)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
        })
        .collect();
    let mut s = shape.to_vec();
    s[0] = n;
    Dataset {
        inputs: vec![Array { shape: s, data }],
        labels: None,
        n,
    }
}

fn nonn() -> driver::Deployed {
    let dep = Deployment::load(&repo_root().join("tests/fixtures/deploy/nonn_k4.toml")).unwrap();
    driver::deploy(prepare_checked(&model("nonn_k4.onnx")), dep, None).unwrap()
}

#[test]
fn loss_zero_reproduces_run_exactly() {
    let d = nonn();
    let dir = tempfile::tempdir().unwrap();
    let exe = simulate::build(&d, dir.path()).unwrap();
    let data = dataset(&[1, 1, 28, 28], 4, 3);
    let sim =
        simulate::outputs_at(&d, &exe, &data, LossModel::Bernoulli, 1, 0.0, dir.path()).unwrap();
    for (s, sim_out) in sim.iter().enumerate() {
        let per = data.inputs[0].data.len() / data.n;
        let input = Array {
            shape: vec![1, 1, 28, 28],
            data: data.inputs[0].data[s * per..(s + 1) * per].to_vec(),
        };
        let run = meshnn::tools::run::run_host(&d, &[input], &dir.path().join(format!("run{s}")))
            .unwrap();
        let got: Vec<f32> = sim_out.iter().map(|&v| v as f32).collect();
        assert_eq!(
            got, run[0].data,
            "sample {s}: simulator at loss 0 differs from meshnn run"
        );
    }
}

#[test]
fn seeds_are_reproducible_and_distinct() {
    let d = nonn();
    let dir = tempfile::tempdir().unwrap();
    let exe = simulate::build(&d, dir.path()).unwrap();
    let data = dataset(&[1, 1, 28, 28], 40, 5);
    let run = |seed| {
        let r = simulate::run(
            &d,
            &exe,
            &data,
            LossModel::Bernoulli,
            seed,
            &[0.3],
            dir.path(),
            false,
        )
        .unwrap();
        serde_json::to_string(&r).unwrap()
    };
    let a = run(7);
    assert_eq!(a, run(7), "same seed, different JSON");
    let b = run(8);
    let strip = |s: &str| s.replace("\"seed\":7", "").replace("\"seed\":8", "");
    assert_ne!(
        strip(&a),
        strip(&b),
        "another seed gave the same loss pattern"
    );
    // Loss statistics are sane: 3 cut tensors, each lost with p = 0.3 -> ~66 % degraded.
    let r: serde_json::Value = serde_json::from_str(&a).unwrap();
    let deg = r["levels"][0]["degraded_fraction"].as_f64().unwrap();
    assert!((0.4..0.9).contains(&deg), "degraded fraction {deg}");
}

fn redundant(fallback: &str) -> driver::Deployed {
    let text = format!(
        r#"
[link]
profile = "ble"
[fallback]
default = "{fallback}"
[partition]
strategy = "manual"
[partition.manual]
gemm_a = "hub"
gemm_b = "left"
gemm_c = "right"
mean = "hub"
use_b = "hub"
[[device]]
name = "left"
target = "nrf52840"
inputs = ["x"]
[[device]]
name = "right"
target = "nrf52840"
inputs = ["x"]
[[device]]
name = "hub"
target = "nrf52840"
inputs = ["x"]
outputs = true
"#
    );
    let dep = Deployment::parse(&text, "deploy.toml").unwrap();
    driver::deploy(prepare_checked(&model("redundant_mean.onnx")), dep, None).unwrap()
}

/// relu(x W_k + b_k) by hand from the model's weights.
fn branch(d: &driver::Deployed, k: &str, x: &[f32]) -> Vec<f32> {
    let g = &d.graph;
    let c = |name: &str| {
        g.tensors[g.find_tensor(name).unwrap()]
            .data
            .as_ref()
            .unwrap()
            .to_f32()
    };
    let (w, b) = (c(&format!("W_{k}")), c(&format!("B_{k}")));
    (0..4)
        .map(|j| ((0..8).map(|i| x[i] * w[i * 4 + j]).sum::<f32>() + b[j]).max(0.0))
        .collect()
}

#[test]
fn mean_over_copies_divides_by_the_number_that_arrived() {
    let d = redundant("zero");
    assert_eq!(d.partition.cut.len(), 2, "b and c travel to the hub");
    let dir = tempfile::tempdir().unwrap();
    let exe = simulate::build(&d, dir.path()).unwrap();
    let data = dataset(&[1, 8], 6, 11);
    // Loss-free: the mean of all three copies.
    let full =
        simulate::outputs_at(&d, &exe, &data, LossModel::Dropout, 1, 0.0, dir.path()).unwrap();
    // Every device silent: only the hub's own copy arrived, so y = a (not a / 3).
    let lost =
        simulate::outputs_at(&d, &exe, &data, LossModel::Dropout, 1, 1.0, dir.path()).unwrap();
    for s in 0..data.n {
        let x = &data.inputs[0].data[s * 8..(s + 1) * 8];
        let (a, b, c) = (branch(&d, "a", x), branch(&d, "b", x), branch(&d, "c", x));
        for j in 0..4 {
            let mean3 = (a[j] + b[j] + c[j]) / 3.0;
            assert!(
                (full[s][j] as f32 - mean3).abs() <= 1e-5 * (1.0 + mean3.abs()),
                "sample {s}: loss-free mean"
            );
            assert!(
                (lost[s][j] as f32 - a[j]).abs() <= 1e-6 * (1.0 + a[j].abs()),
                "sample {s}: y should be the hub's copy alone"
            );
            // z = relu(b) with b replaced by the zero fallback.
            assert_eq!(lost[s][4 + j], 0.0, "sample {s}: zero fallback");
        }
    }
}

#[test]
fn mean_fallback_uses_the_calibration_means() {
    let mut d = redundant("mean");
    let calib = dataset(&[1, 8], 20, 21);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calib.npz");
    write_npz(&path, "x", &calib.inputs[0]);
    meshnn::tools::calibrate::apply_means(&mut d, &path).unwrap();
    // The per-element mean of b over the calibration samples, by hand.
    let mut mean_b = [0.0f32; 4];
    for s in 0..calib.n {
        let b = branch(&d, "b", &calib.inputs[0].data[s * 8..(s + 1) * 8]);
        for j in 0..4 {
            mean_b[j] += b[j] / calib.n as f32;
        }
    }
    let exe = simulate::build(&d, &dir.path().join("b")).unwrap();
    let data = dataset(&[1, 8], 3, 31);
    let lost = simulate::outputs_at(
        &d,
        &exe,
        &data,
        LossModel::Dropout,
        1,
        1.0,
        &dir.path().join("b"),
    )
    .unwrap();
    assert_eq!(lost.len(), data.n);
    for (s, row) in lost.iter().enumerate() {
        for j in 0..4 {
            assert!(
                (row[4 + j] as f32 - mean_b[j]).abs() <= 1e-5,
                "sample {s}: z should be relu(mean of b) = {}",
                mean_b[j]
            );
        }
    }
}

/// A one-array .npz of `a`, stored as `name`.
fn write_npz(path: &std::path::Path, name: &str, a: &Array<f32>) {
    npz::write_npz(path, &[(name, npz::f32_npy(a))]);
}

#[test]
fn simulate_cli_reports_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(&[1, 1, 28, 28], 8, 9);
    let path = dir.path().join("test.npz");
    write_npz(&path, "x", &data.inputs[0]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshnn"))
        .args([
            "simulate",
            &model("nonn_k4.onnx").display().to_string(),
            "--deploy",
        ])
        .arg(repo_root().join("tests/fixtures/deploy/nonn_k4.toml"))
        .arg("--data")
        .arg(&path)
        .args([
            "--loss",
            "0,0.2",
            "--loss-model",
            "gilbert",
            "--json",
            "--plot",
        ])
        .arg(dir.path().join("p.svg"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let levels = r["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 2);
    for key in [
        "loss",
        "accuracy",
        "agreement",
        "bytes_per_inference",
        "frames_per_inference",
        "latency_p50_us",
        "latency_p99_us",
        "degraded_fraction",
    ] {
        assert!(levels[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(levels[0]["agreement"], 1.0);
    assert!(levels[0]["accuracy"].is_null(), "no labels -> no accuracy");
    assert_eq!(levels[0]["frames_per_inference"], 3.0);
    let svg = std::fs::read_to_string(dir.path().join("p.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("agreement"));
}

/// The top-1 classes of every pattern (lists of lost tensors) by
/// tests/common/patterns_brute_force.py: onnxruntime on the ONNX graph with the lost
/// tensors replaced by zeros, independent of meshnn's simulator.
fn brute_force(
    onnx: &std::path::Path,
    data: &std::path::Path,
    lost: &[Vec<String>],
) -> Vec<Vec<usize>> {
    let dir = tempfile::tempdir().unwrap();
    let patterns = dir.path().join("patterns.json");
    std::fs::write(&patterns, serde_json::to_string(lost).unwrap()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("compiler/tests/common/patterns_brute_force.py"))
        .arg(onnx)
        .arg(data)
        .arg(&patterns)
        .output()
        .expect("python3 with onnx and onnxruntime is needed (see tests/requirements.txt)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `simulate --loss-model patterns` of `onnx` on `dep` (three senders and a hub) equals
/// the brute force of tests/common/patterns_brute_force.py on every pattern, on 40
/// seeded random inputs.
fn check_patterns_against_brute_force(onnx: &str, dep: &str) {
    check_patterns_on(onnx, dep, dataset(&[1, 1, 28, 28], 40, 17));
}

/// The first `n` samples of the MNIST test set (tests/models/mnist_test.npz), unlabelled.
fn mnist_test(n: usize) -> Dataset {
    let mut npz = meshnn::npy::Npz::open(&model("mnist_test.npz")).unwrap();
    let x = npz.f32("x").unwrap().unwrap();
    let per: usize = x.shape[1..].iter().product();
    let mut shape = x.shape.clone();
    shape[0] = n;
    Dataset {
        inputs: vec![Array {
            shape,
            data: x.data[..n * per].to_vec(),
        }],
        labels: None,
        n,
    }
}

/// [`check_patterns_against_brute_force`] on `data` (labels are set here).
fn check_patterns_on(onnx: &str, dep: &str, mut data: Dataset) {
    let dep = Deployment::load(&repo_root().join(dep)).unwrap();
    let d = driver::deploy(prepare_checked(&model(onnx)), dep, None).unwrap();
    let hub = d.dep.hub;
    let losable: Vec<usize> = (0..d.devices.len())
        .filter(|&k| k != hub && !d.devices[k].tx.is_empty())
        .collect();
    assert_eq!(losable.len(), 3, "three devices send to the hub");
    // Pattern i loses losable[j] for every bit j of i: the tensors they send.
    let patterns: Vec<(Vec<String>, Vec<String>)> = (0..1usize << losable.len())
        .map(|i| {
            let lost: Vec<usize> = (0..losable.len())
                .filter(|j| i >> j & 1 == 1)
                .map(|j| losable[j])
                .collect();
            let tensors = d
                .partition
                .cut
                .iter()
                .filter(|c| lost.contains(&c.from))
                .map(|c| d.graph.tensors[c.tensor].name.clone())
                .collect();
            let names = lost.iter().map(|&k| d.devices[k].name.clone()).collect();
            (names, tensors)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.npz");
    write_npz(&path, "x", &data.inputs[0]);
    let lost_tensors: Vec<Vec<String>> = patterns.iter().map(|p| p.1.clone()).collect();
    let bf = brute_force(&model(onnx), &path, &lost_tensors);
    // Labels that tell the patterns apart: sample s is labelled with pattern (s mod 8)'s class.
    let labels: Vec<i64> = (0..data.n).map(|s| bf[s % bf.len()][s] as i64).collect();
    data.labels = Some(labels.clone());
    let exe = simulate::build(&d, dir.path()).unwrap();
    let r = simulate::patterns::run(&d, &exe, &data, &[0.1, 0.5], dir.path(), false).unwrap();
    assert_eq!(r.patterns.len(), 8);
    let n = data.n as f64;
    for (i, (p, (names, _))) in r.patterns.iter().zip(&patterns).enumerate() {
        assert_eq!(&p.lost, names, "pattern {i}");
        let correct = (0..data.n)
            .filter(|&s| bf[i][s] as i64 == labels[s])
            .count();
        let agree = (0..data.n).filter(|&s| bf[i][s] == bf[0][s]).count();
        assert_eq!(
            p.score,
            correct as f64 / n,
            "pattern {i} ({names:?}): accuracy"
        );
        assert_eq!(
            p.agreement,
            agree as f64 / n,
            "pattern {i} ({names:?}): agreement"
        );
    }
    // Nothing lost is the loss-free run.
    assert_eq!(r.by_lost[0].patterns, 1);
    assert_eq!(r.by_lost[0].mean_agreement, 1.0);
    let free = simulate::run(
        &d,
        &exe,
        &data,
        LossModel::Bernoulli,
        1,
        &[0.0],
        dir.path(),
        false,
    )
    .unwrap();
    assert_eq!(Some(r.patterns[0].score), free.levels[0].accuracy);
    assert_eq!(
        r.by_lost.iter().map(|b| b.patterns).collect::<Vec<_>>(),
        [1, 3, 3, 1]
    );
}

#[test]
fn patterns_equal_a_brute_force_over_lost_tensors() {
    check_patterns_against_brute_force("nonn_k4.onnx", "tests/fixtures/deploy/nonn_k4.toml");
}

/// The resilient model's hub slices each student's feature vector into the redundant
/// copies its `Mean`s average: a copy sliced from a lost student's vector is left out of
/// the mean (as failout training and distill's evaluation do), not averaged in as zeros.
#[test]
fn patterns_leave_copies_sliced_from_a_lost_student_out_of_the_mean() {
    check_patterns_against_brute_force(
        "mnist_resilient_failout_k4.onnx",
        "examples/nonn_wearables/deploy.toml",
    );
}

/// The same for the quantised model: each student's feature vector crosses the link as
/// int8 and the hub dequantises it before slicing out the copies its float `Mean`s
/// average; a copy of a lost vector is left out of the mean there too (its arrival is
/// traced through the DequantizeLinear), not averaged in as its zero point (0.0). Real
/// MNIST digits: the int8 model was calibrated on them.
#[test]
fn patterns_leave_dequantised_copies_of_a_lost_student_out_of_the_mean() {
    check_patterns_on(
        "int8/distilled/mnist_resilient_failout_k4_qdq.onnx",
        "examples/nonn_wearables/deploy.toml",
        mnist_test(40),
    );
}

/// Late fusion with the students' heads on the hub (tests/models/make_latefusion.py: each
/// student sends 3 features, its head makes 10 logits there, and the hub's `Mean` averages
/// the logits): a lost student's head reads the zero fallback and outputs its bias, which
/// the `Mean` leaves out, as failout training leaves out a lost student's logits.
#[test]
fn patterns_leave_the_head_of_a_lost_student_out_of_the_late_fusion_mean() {
    check_patterns_against_brute_force("latefusion_k4.onnx", "tests/fixtures/deploy/nonn_k4.toml");
}

#[test]
fn patterns_cli_prints_the_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(&[1, 1, 28, 28], 6, 9);
    let path = dir.path().join("test.npz");
    write_npz(&path, "x", &data.inputs[0]);
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_meshnn"))
            .args([
                "simulate",
                &model("nonn_k4.onnx").display().to_string(),
                "--deploy",
            ])
            .arg(repo_root().join("tests/fixtures/deploy/nonn_k4.toml"))
            .arg("--data")
            .arg(&path)
            .args(["--loss-model", "patterns", "--loss", "0.1,0.3"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["metric"], "agreement",
        "no labels: agreement, not accuracy"
    );
    assert_eq!(r["patterns"].as_array().unwrap().len(), 8);
    assert_eq!(
        r["patterns"][7]["lost"],
        serde_json::json!(["wrist", "ankle", "ear"])
    );
    assert_eq!(r["expected"].as_array().unwrap().len(), 2);
    let out = run(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("the hub chest is never lost") && text.contains("no labels"),
        "{text}"
    );
    let out = run(&["--plot", "p.svg"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--plot is not available"));
}

#[test]
fn a_silent_device_puts_no_bytes_on_air() {
    let d = nonn();
    let dir = tempfile::tempdir().unwrap();
    let exe = simulate::build(&d, dir.path()).unwrap();
    let data = dataset(&[1, 1, 28, 28], 5, 2);
    let run = |model, loss| {
        simulate::run(&d, &exe, &data, model, 1, &[loss], dir.path(), false)
            .unwrap()
            .levels[0]
            .clone()
    };
    // Three 64-byte tensors, one frame each, loss-free; every remote device silent: none.
    let free = run(LossModel::Dropout, 0.0);
    assert_eq!(free.frames_per_inference, 3.0);
    let off = run(LossModel::Dropout, 1.0);
    assert_eq!(
        (off.bytes_per_inference, off.frames_per_inference),
        (0.0, 0.0)
    );
    // A live device's lost frames were still sent.
    let lost = run(LossModel::Bernoulli, 1.0);
    assert_eq!(lost.bytes_per_inference, free.bytes_per_inference);
}

#[test]
fn a_full_in_flight_queue_fails_loudly() {
    // Layer-wise, the wrist sends 100+ frames at once: a 16-frame queue cannot hold them.
    let dep = Deployment::load(&repo_root().join("tests/fixtures/deploy/nonn_k4.toml")).unwrap();
    let d = driver::deploy(
        prepare_checked(&model("nonn_k4.onnx")),
        dep,
        Some(meshnn::deploy::Strategy::Layer),
    )
    .unwrap();
    assert!(simulate::sim_link(&d).max_flight as u64 >= d.frames_per_inference());
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(&[1, 1, 28, 28], 1, 4);
    let mut small = simulate::sim_link(&d);
    small.max_flight = 16;
    let exe = simulate::build_with_link(&d, dir.path(), &small).unwrap();
    let err = simulate::run(
        &d,
        &exe,
        &data,
        LossModel::Bernoulli,
        1,
        &[0.0],
        dir.path(),
        false,
    )
    .expect_err("a full queue must fail, not drop frames");
    assert!(err.to_string().contains("MAX_FLIGHT = 16"), "{err}");
    // The queue meshnn sizes holds them.
    let exe = simulate::build(&d, &dir.path().join("ok")).unwrap();
    let r = simulate::run(
        &d,
        &exe,
        &data,
        LossModel::Bernoulli,
        1,
        &[0.0],
        dir.path(),
        false,
    )
    .unwrap();
    assert_eq!(
        r.levels[0].frames_per_inference,
        d.frames_per_inference() as f64
    );
}

/// `nonn()` with `extra` keys added to its `[link]` section.
fn nonn_with_link(extra: &str) -> driver::Deployed {
    let path = repo_root().join("tests/fixtures/deploy/nonn_k4.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen("[link]\n", &format!("[link]\n{extra}\n"), 1);
    let dep = Deployment::parse(&text, "nonn_k4.toml").unwrap();
    driver::deploy(prepare_checked(&model("nonn_k4.onnx")), dep, None).unwrap()
}

fn outage_levels(d: &driver::Deployed, outage_down: u32, seed: u64) -> Vec<simulate::Level> {
    let dir = tempfile::tempdir().unwrap();
    let link = simulate::SimLink {
        outage_down,
        ..simulate::sim_link(d)
    };
    let exe = simulate::build_with_link(d, dir.path(), &link).unwrap();
    let data = dataset(&[1, 1, 28, 28], 300, 9);
    let r = simulate::run(
        d,
        &exe,
        &data,
        LossModel::Outage,
        seed,
        &[0.0, 0.1],
        dir.path(),
        false,
    )
    .unwrap();
    r.levels
}

#[test]
fn outages_are_reproducible_for_a_seed_and_last_for_stretches() {
    let d = nonn_with_link("down_after = 0");
    let a = outage_levels(&d, 50, 3);
    assert_eq!(a, outage_levels(&d, 50, 3), "same seed, other outages");
    assert_ne!(
        a,
        outage_levels(&d, 50, 4),
        "another seed, the same outages"
    );
    // Three senders down 10 % of the time each, in stretches of 50 inferences on average:
    // over 300 inferences only a handful of outages, so some but far from all inferences
    // are degraded, and silent devices send fewer bytes than the loss-free run.
    let (free, lossy) = (&a[0], &a[1]);
    assert_eq!(free.degraded_fraction, 0.0);
    assert!((0.02..0.5).contains(&lossy.degraded_fraction), "{lossy:?}");
    assert!(lossy.bytes_per_inference < free.bytes_per_inference);
}

/// Adaptive waiting: a sender that missed an inference is waited for only a probe window
/// (5/4 of when its tensor usually arrives), so under outages the p99 latency stays near
/// the loss-free one, and no frame is lost by it: the same answers as waiting for every
/// sender until the deadline.
#[test]
fn adaptive_waiting_keeps_latency_near_loss_free_without_losing_frames() {
    let always = outage_levels(&nonn_with_link("down_after = 0"), 100, 1);
    let adaptive = outage_levels(&nonn_with_link("down_after = 1"), 100, 1);
    let free_p99 = always[0].latency_p99_us;
    assert_eq!(adaptive[0].latency_p99_us, free_p99);
    assert!(
        always[1].latency_p99_us > 1.5 * free_p99,
        "without adaptive waiting an outage costs the whole deadline: {always:?}"
    );
    assert!(
        adaptive[1].latency_p99_us <= 1.5 * free_p99,
        "p99 {} vs loss-free {free_p99}",
        adaptive[1].latency_p99_us
    );
    assert_eq!(adaptive[1].agreement, always[1].agreement);
    assert_eq!(adaptive[1].degraded_fraction, always[1].degraded_fraction);
    assert!(adaptive[1].latency_p50_us <= always[1].latency_p50_us);
}
