//! Patch-based execution (`[device] patch = "auto"`, `plan::patch`): chains run tile by
//! tile give the outputs of the unpatched build (1e-5 relative) and of onnxruntime, plan
//! below the layer-by-layer bound, and generate deterministic code.

mod common;
use common::*;
use meshnn::deploy::{PatchOptions, Strategy};
use meshnn::driver::{self, Deployed, Prepared};
use meshnn::npy::Array;
use std::path::Path;
use std::process::Command;

/// `p` on the one host device, patched under `opts`.
fn deploy_with(p: Prepared, opts: PatchOptions) -> Deployed {
    let mut dep = driver::single_deployment(&p);
    dep.devices[0].patch = opts;
    driver::deploy(p, dep, Some(Strategy::Single)).unwrap()
}

fn auto(max_mac_overhead: f64) -> PatchOptions {
    PatchOptions {
        auto: true,
        max_mac_overhead,
    }
}

/// Outputs of `model` run on the host with `opts`, and its plan's patches.
fn run(model: &Path, inputs: &[Array<f32>], opts: PatchOptions) -> (Vec<Array<f32>>, Deployed) {
    let d = deploy_with(prepare_checked(model), opts);
    meshnn::plan::memory::check(&d.devices[0].plan).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outs = meshnn::tools::run::run_host(&d, inputs, dir.path())
        .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    (outs, d)
}

/// Patched and unpatched builds agree (1e-5 relative), both match onnxruntime, and the
/// patched plan is below the layer-by-layer bound. Returns whether anything was patched.
fn check_model(model: &Path, opts: PatchOptions) -> bool {
    let p = prepare_checked(model);
    let (inputs, refs) = reference(&p, model);
    let (plain, _) = run(model, &inputs, PatchOptions::default());
    let (patched, d) = run(model, &inputs, opts);
    let plan = &d.devices[0].plan;
    if plan.patches.is_empty() {
        return false;
    }
    assert!(
        plan.lower_bound_bytes < plan.layer_bound_bytes,
        "{}",
        model.display()
    );
    for ((&t, a), b) in d.graph.outputs.iter().zip(&patched).zip(&plain) {
        let name = &d.graph.tensors[t].name;
        let what = format!("{}:{name} ({opts:?})", model.display());
        assert_close(&what, a, b, 1e-6, 1e-5);
        let want = &refs.iter().find(|(n, _)| n == name).unwrap().1;
        assert_close(&what, a, want, 1e-4, 1e-4);
    }
    true
}

/// The model of `common/patch_case.py`, written to `dir`.
fn patch_case(dir: &Path) -> std::path::PathBuf {
    let script = repo_root().join("compiler/tests/common/patch_case.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .expect("python3 is needed for this test (see tests/requirements.txt)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("patch_chain.onnx")
}

#[test]
fn patched_chain_matches_unpatched_and_onnxruntime_at_every_border() {
    let dir = tempfile::tempdir().unwrap();
    let model = patch_case(dir.path());
    // Different limits choose different chains and grids (the largest patches the whole
    // chain on a 10x9 grid, so most tiles touch a border of some layer).
    for limit in [0.15, 1.0, 10.0] {
        assert!(
            check_model(&model, auto(limit)),
            "nothing patched at {limit}"
        );
    }
}

#[test]
fn patched_fixtures_match_unpatched() {
    let mut patched = Vec::new();
    for model in fixture_models() {
        let name = model.file_stem().unwrap().to_string_lossy().to_string();
        // The image models (the others have no 2-D chain to patch).
        if ["cnn32", "dw_separable", "cnn_bn_residual"].contains(&name.as_str())
            && check_model(&model, auto(10.0))
        {
            patched.push(name);
        }
    }
    assert!(patched.len() >= 2, "patched only {patched:?}");
}

#[test]
fn patch_off_changes_nothing_and_patched_code_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let model = patch_case(dir.path());
    let emit = |opts| driver::emit(&deploy_with(prepare_checked(&model), opts)).unwrap();
    let plain = driver::emit(&driver::deploy_single(prepare_checked(&model)).unwrap()).unwrap();
    assert_eq!(emit(PatchOptions::default()), plain);
    let a = emit(auto(10.0));
    assert_eq!(a, emit(auto(10.0)));
    assert_ne!(a, plain);
}

#[test]
fn mac_limit_is_respected() {
    let dir = tempfile::tempdir().unwrap();
    let model = patch_case(dir.path());
    for limit in [0.0, 0.05, 0.15, 1.0] {
        let d = deploy_with(prepare_checked(&model), auto(limit));
        let g = &d.graph;
        let total: u64 = g.nodes.iter().map(|n| meshnn::ir::cost::macs(g, n)).sum();
        let extra: u64 = d.devices[0]
            .plan
            .patches
            .iter()
            .map(|p| p.extra_macs())
            .sum();
        assert!(
            extra as f64 <= limit * total as f64,
            "{limit}: {extra} of {total}"
        );
    }
}

#[test]
fn inspect_reports_both_bounds_and_the_patch() {
    let dir = tempfile::tempdir().unwrap();
    let model = patch_case(dir.path());
    let m = model.to_str().unwrap();
    let text = meshnn_stdout(&[
        "inspect",
        m,
        "--memory",
        "--patch",
        "auto",
        "--patch-max-overhead",
        "10",
    ]);
    assert!(text.contains("patch-based: lower bound"), "{text}");
    assert!(text.contains("grid 10x9"), "{text}");
    assert!(
        text.contains("patch workspace of the chain from Conv_0"),
        "{text}"
    );
    let plain = meshnn_stdout(&["inspect", m, "--memory"]);
    assert!(
        !plain.contains("patch-based") && !plain.contains("patch workspace"),
        "{plain}"
    );
    let (code, err) = meshnn_status(&["inspect", m, "--patch-max-overhead=-1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a MAC overhead limit"), "{err}");
}

#[test]
fn deploy_toml_patch_settings() {
    let base =
        "[[device]]\nname = \"a\"\ntarget = \"nrf52832\"\ninputs = [\"x\"]\noutputs = true\n";
    let parse =
        |extra: &str| meshnn::deploy::Deployment::parse(&format!("{base}{extra}"), "d.toml");
    let d = parse("patch = \"auto\"\npatch_max_overhead = 0.3\n").unwrap();
    assert_eq!(d.devices[0].patch, auto(0.3));
    assert_eq!(parse("").unwrap().devices[0].patch, PatchOptions::default());
    let e = parse("patch = \"sometimes\"\n").unwrap_err().to_string();
    assert!(
        e.contains("device.patch") && e.contains("use auto") && e.starts_with("d.toml:6:"),
        "{e}"
    );
    let e = parse("patch_max_overhead = -0.5\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("patch_max_overhead") && e.contains("from 0 to 10"),
        "{e}"
    );
}
