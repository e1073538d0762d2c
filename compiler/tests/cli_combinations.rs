//! Every documented option combination on the bundled example compiles (issue 17, part 3):
//! `meshnn run` (generate, build with `-std=c99 -Wall -Wextra -Werror -pedantic`, one
//! inference) and `meshnn simulate` (generate, build the simulator with the same flags, two
//! samples) on `tests/models/nonn_k4.onnx` with `examples/nonn_wearables/deploy.toml`.
//!
//! The options: the command and its loss model (`run --on host`, `simulate --loss-model
//! bernoulli|gilbert|dropout|patterns`), `--strategy` (the file's, modularity, layer,
//! single), the devices' `kernels` (auto, fast, reference), the `[fallback] default` (zero,
//! hold, mean), `--calib` (given or not) and the `[link] profile` (ble, hbc). All of them
//! together are 720 combinations; the test runs a pairwise cover (every pair of values of
//! any two options appears in some row, about 20 rows), built greedily and
//! deterministically. Combinations the README documents as errors must give that error
//! (the `mean` fallback without `--calib`; `simulate` of a partition that sends nothing,
//! `--strategy single`). `--strategy manual` needs a `[partition.manual]` table, which the
//! example has not; `run --on qemu` and `build` need cross toolchains (tests/firmware.rs).

mod common;
use common::npz::{f32_npy, write_npz};
use common::{meshnn_status, repo_root};
use meshnn::npy::Array;
use std::collections::HashSet;
use std::path::Path;

/// The options and their values; the first option is the command.
const OPTIONS: &[(&str, &[&str])] = &[
    (
        "mode",
        &["run", "bernoulli", "gilbert", "dropout", "patterns"],
    ),
    ("strategy", &["file", "modularity", "layer", "single"]),
    ("kernels", &["auto", "fast", "reference"]),
    ("fallback", &["zero", "hold", "mean"]),
    ("calib", &["no", "yes"]),
    ("profile", &["ble", "hbc"]),
];

/// One combination: a value index per option.
type Row = Vec<usize>;

/// Every combination, in lexicographic order.
fn all_rows() -> Vec<Row> {
    let mut rows: Vec<Row> = vec![vec![]];
    for (_, values) in OPTIONS {
        rows = rows
            .into_iter()
            .flat_map(|r| {
                (0..values.len()).map(move |v| {
                    let mut r = r.clone();
                    r.push(v);
                    r
                })
            })
            .collect();
    }
    rows
}

/// The value pairs ((option, value), (option, value)) a row covers.
fn pairs(r: &Row) -> Vec<(usize, usize, usize, usize)> {
    let mut p = Vec::new();
    for a in 0..r.len() {
        for b in a + 1..r.len() {
            p.push((a, r[a], b, r[b]));
        }
    }
    p
}

/// A pairwise cover: repeatedly the first row that covers the most uncovered pairs.
fn pairwise_cover() -> Vec<Row> {
    let rows = all_rows();
    let mut uncovered: HashSet<_> = rows.iter().flat_map(pairs).collect();
    let mut cover = Vec::new();
    while !uncovered.is_empty() {
        let (_, best) = rows
            .iter()
            .enumerate()
            .max_by_key(|(i, r)| {
                let n = pairs(r).iter().filter(|p| uncovered.contains(p)).count();
                // max_by_key keeps the last maximum: prefer earlier rows on ties.
                (n, std::cmp::Reverse(*i))
            })
            .expect("rows");
        for p in pairs(best) {
            uncovered.remove(&p);
        }
        cover.push(best.clone());
    }
    cover
}

/// The example deployment with the row's kernels, fallback and link profile.
fn deploy_text(kernels: &str, fallback: &str, profile: &str) -> String {
    let example =
        std::fs::read_to_string(repo_root().join("examples/nonn_wearables/deploy.toml")).unwrap();
    let mut out = String::new();
    for line in example.lines() {
        if line.starts_with("profile = ") {
            out.push_str(&format!("profile = \"{profile}\"\n"));
            out.push_str(&format!("\n[fallback]\ndefault = \"{fallback}\"\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("target = ") {
            out.push_str(&format!("kernels = \"{kernels}\"\n"));
        }
    }
    assert!(out.contains("[fallback]") && out.contains("kernels = "));
    out
}

/// `n` samples of the example's input ([1, 1, 28, 28]) as a data set `x`.
fn write_dataset(path: &Path, n: usize) {
    let data = (0..n * 784)
        .map(|i| ((i % 97) as f32) / 50.0 - 1.0)
        .collect();
    let x = Array {
        shape: vec![n, 1, 28, 28],
        data,
    };
    write_npz(path, &[("x", f32_npy(&x))]);
}

#[test]
fn the_pairwise_cover_covers_every_pair() {
    let cover = pairwise_cover();
    let covered: HashSet<_> = cover.iter().flat_map(pairs).collect();
    let all: HashSet<_> = all_rows().iter().flat_map(pairs).collect();
    assert_eq!(covered, all);
    assert!(cover.len() <= 30, "{} rows", cover.len());
}

#[test]
fn every_documented_option_combination_on_the_example_compiles() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let model = repo_root().join("tests/models/nonn_k4.onnx");
    let (data, calib, x) = (d.join("data.npz"), d.join("calib.npz"), d.join("x.npy"));
    write_dataset(&data, 2);
    write_dataset(&calib, 3);
    meshnn::npy::write_f32(&x, &[1, 1, 28, 28], &[0.25; 784]).unwrap();
    let mut failures = Vec::new();
    for (i, row) in pairwise_cover().iter().enumerate() {
        let v = |k: usize| OPTIONS[k].1[row[k]];
        let (mode, strategy, fallback, calib_given) = (v(0), v(1), v(3), v(4) == "yes");
        let deploy = d.join(format!("deploy{i}.toml"));
        std::fs::write(&deploy, deploy_text(v(2), fallback, v(5))).unwrap();
        let mut args: Vec<String> = if mode == "run" {
            vec![
                "run".into(),
                format!("--input=input={}", x.display()),
                format!("--out-dir={}", d.join(format!("out{i}")).display()),
            ]
        } else {
            vec![
                "simulate".into(),
                format!("--data={}", data.display()),
                "--loss=0,0.3".into(),
                format!("--loss-model={mode}"),
            ]
        };
        args.push(model.display().to_string());
        args.push(format!("--deploy={}", deploy.display()));
        args.push(format!(
            "--build-dir={}",
            d.join(format!("build{i}")).display()
        ));
        if strategy != "file" {
            args.push(format!("--strategy={strategy}"));
        }
        if calib_given {
            args.push(format!("--calib={}", calib.display()));
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let (code, stderr) = meshnn_status(&a);
        let want_error = if fallback == "mean" && !calib_given {
            Some("--calib")
        } else if mode != "run" && strategy == "single" {
            Some("sends no tensor")
        } else {
            None
        };
        let ok = !stderr.contains("meshnn bug")
            && !stderr.contains("internal meshnn error")
            && match want_error {
                None => code == Some(0),
                Some(needle) => code == Some(1) && stderr.contains(needle),
            };
        if !ok {
            failures.push(format!(
                "meshnn {} (deploy: kernels {}, fallback {fallback}, profile {}): exit {code:?}, want {}: {stderr}",
                args.join(" "),
                v(2),
                v(5),
                want_error.unwrap_or("success")
            ));
        }
    }
    // The one-device form (no --deploy), with and without --calib (unused: a warning).
    for calib_arg in [None, Some(format!("--calib={}", calib.display()))] {
        let out = format!("--out-dir={}", d.join("out_single").display());
        let input = format!("--input=input={}", x.display());
        let mut a = vec!["run", model.to_str().unwrap(), &input, &out];
        if let Some(c) = &calib_arg {
            a.push(c);
        }
        let (code, stderr) = meshnn_status(&a);
        if code != Some(0) {
            failures.push(format!("meshnn {}: exit {code:?}: {stderr}", a.join(" ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
