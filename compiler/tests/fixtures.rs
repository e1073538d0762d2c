//! Every fixture model: compile, build and run on the host, compare with onnxruntime's
//! outputs (committed beside the model), check the memory plan, and check that code
//! generation is deterministic.

mod common;
use common::*;
use meshnn::driver;

#[test]
fn fixtures_match_onnxruntime() {
    for model in fixture_models() {
        let p = prepare_checked(&model);
        let (inputs, refs) = reference(&p, &model);
        let dir = tempfile::tempdir().unwrap();
        let p = driver::deploy_single(p).unwrap();
        let outs = meshnn::tools::run::run_host(&p, &inputs, dir.path())
            .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
        for (&t, got) in p.graph.outputs.iter().zip(&outs) {
            let name = &p.graph.tensors[t].name;
            let want = &refs
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no reference for {name}"))
                .1;
            assert_close(
                &format!("{}:{name}", model.display()),
                got,
                want,
                1e-4,
                1e-4,
            );
        }
    }
}

#[test]
fn arena_within_bounds_of_lower_bound() {
    // Every committed model under tests/ that imports (generated backend data excluded):
    // hand-made fixtures and the distilled models of distill/ alike plan within 1.05x of
    // the lower bound of their schedule, scratch buffers included (issue 6).
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
            let p = e.path();
            let hidden = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if p.is_dir() && !hidden {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "onnx") {
                out.push(p);
            }
        }
    }
    let mut models = Vec::new();
    walk(&repo_root().join("tests"), &mut models);
    models.sort();
    let mut checked = 0;
    for model in models {
        let Ok(p) = driver::prepare(&model, true) else {
            continue;
        };
        meshnn::plan::memory::check(&p.plan).unwrap();
        checked += 1;
        let (a, lb) = (p.plan.arena_bytes as f64, p.plan.lower_bound_bytes as f64);
        let bound = 1.05;
        assert!(
            a <= bound * lb,
            "{}: arena {a} > {bound} x lower bound {lb}",
            model.display()
        );
    }
    assert!(checked >= 10, "only {checked} models checked");
}

#[test]
fn generated_code_is_deterministic() {
    for model in fixture_models() {
        let a = driver::emit(&driver::deploy_single(prepare_checked(&model)).unwrap()).unwrap();
        let b = driver::emit(&driver::deploy_single(prepare_checked(&model)).unwrap()).unwrap();
        assert_eq!(a, b, "{}", model.display());
    }
}

#[test]
fn light_models_plan_within_five_percent() {
    // The real architectures shipped in the onnx package (synthetic weights): every one
    // that imports must plan within 1.05x of its lower bound (scratch included).
    let Some(dir) = onnx_light_dir() else {
        eprintln!("skipping: python3 with the onnx package not found");
        return;
    };
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for model in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
    {
        let Ok(p) = driver::prepare(&model, true) else {
            continue;
        };
        meshnn::plan::memory::check(&p.plan).unwrap();
        let (a, lb) = (p.plan.arena_bytes as f64, p.plan.lower_bound_bytes as f64);
        eprintln!(
            "{}: arena {a} lower bound {lb} ratio {:.3}",
            model.display(),
            a / lb
        );
        assert!(
            a <= 1.05 * lb,
            "{}: arena {a} > 1.05 x lower bound {lb}",
            model.display()
        );
        checked += 1;
    }
    assert!(checked >= 1, "no light model imported");
}

fn onnx_light_dir() -> Option<std::path::PathBuf> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import onnx, os; print(os.path.dirname(onnx.__file__))",
        ])
        .output()
        .ok()?;
    let dir = std::path::PathBuf::from(String::from_utf8(out.stdout).ok()?.trim())
        .join("backend/test/data/light");
    dir.exists().then_some(dir)
}

#[test]
fn emitted_makefile_builds_the_device_library() {
    let p = prepare_checked(&repo_root().join("tests/models/dw_separable.onnx"));
    let dir = tempfile::tempdir().unwrap();
    driver::write_files(
        dir.path(),
        &driver::emit(&driver::deploy_single(p).unwrap()).unwrap(),
    )
    .unwrap();
    let st = std::process::Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(dir.path().join("main"))
        .status()
        .unwrap();
    assert!(st.success(), "make failed in the generated main/ folder");
    assert!(dir.path().join("main/libmain.a").exists());
    let st = std::process::Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(dir.path().join("host"))
        .status()
        .unwrap();
    assert!(st.success(), "make failed in the generated host/ folder");
    assert!(dir.path().join("host/model_run").exists());
}

/// `meshnn inspect --memory` prints one line per arena buffer; read back from the text,
/// the buffers fit the printed arena and no two that are live at the same step overlap.
#[test]
fn inspect_memory_map_is_a_valid_placement() {
    let model = repo_root().join("tests/models/basicmotions_resilient_k8.onnx");
    let text = meshnn_stdout(&["inspect", "--memory", &model.display().to_string()]);
    let head = text
        .lines()
        .find(|l| l.starts_with("arena map ("))
        .unwrap_or_else(|| panic!("no arena map in:\n{text}"));
    let arena: usize = head["arena map (".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // "  offset  bytes  first..last  holds"
    let mut bufs = Vec::new();
    for l in text
        .lines()
        .skip_while(|l| !l.starts_with("arena map ("))
        .skip(2)
    {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (Some(off), Some(size), Some(steps)) = (f.first(), f.get(1), f.get(2)) else {
            continue;
        };
        let (first, last) = steps.split_once("..").unwrap();
        bufs.push((
            off.parse::<usize>().unwrap(),
            size.parse::<usize>().unwrap(),
            first.parse::<usize>().unwrap(),
            last.parse::<usize>().unwrap(),
        ));
    }
    let p = prepare_checked(&model);
    assert_eq!(arena, p.plan.arena_bytes);
    assert_eq!(bufs.len(), p.plan.buffers.len());
    assert!(text.contains("scratch of "), "scratch buffers are listed");
    for (i, a) in bufs.iter().enumerate() {
        assert!(a.0 + a.1 <= arena, "buffer {a:?} beyond the arena {arena}");
        for b in &bufs[i + 1..] {
            let time = a.2 <= b.3 && b.2 <= a.3;
            let space = a.0 < b.0 + b.1 && b.0 < a.0 + a.1;
            assert!(!(time && space), "{a:?} and {b:?} overlap");
        }
    }
}

/// The weights as C literals (`weights = "c"`) and as the default blob placed by
/// `weights.S` build with each folder's own Makefiles and compute the same outputs, bit
/// for bit.
#[test]
fn weights_as_c_literals_and_as_blob_agree() {
    let model = repo_root().join("tests/models/dw_separable.onnx");
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for weights in ["blob", "c"] {
        let p = prepare_checked(&model);
        let n_in = p.graph.inputs.len();
        let n_out = p.graph.outputs.len();
        let inputs: Vec<String> = p
            .graph
            .input_names()
            .iter()
            .map(|n| format!("{n:?}"))
            .collect();
        let toml = format!(
            "[[device]]\nname = \"main\"\ntarget = \"host\"\ninputs = [{}]\noutputs = true\nweights = \"{weights}\"\n",
            inputs.join(", ")
        );
        let dep = meshnn::deploy::Deployment::parse(&toml, "weights.toml").unwrap();
        let files = driver::emit(&driver::deploy(p, dep, None).unwrap()).unwrap();
        let defines = if weights == "c" {
            "main/weights.c"
        } else {
            "main/weights.S"
        };
        assert!(
            files.iter().any(|f| f.path == defines),
            "{weights}: no {defines}"
        );
        assert_eq!(
            files.iter().any(|f| f.path == "main/weights_main.bin"),
            weights == "blob"
        );
        let out = dir.path().join(weights);
        driver::write_files(&out, &files).unwrap();
        for folder in ["main", "host"] {
            let st = std::process::Command::new("make")
                .args(["-s", "-C"])
                .arg(out.join(folder))
                .status()
                .unwrap();
            assert!(st.success(), "{weights}: make failed in {folder}/");
        }
        let mut run = std::process::Command::new(out.join("host/model_run"));
        for i in 0..n_in {
            let numel: usize = 1 << 16; // more than any input of the model: read what it needs
            let bytes: Vec<u8> = (0..numel)
                .flat_map(|k| (((k * 37 + i * 11) % 101) as f32 / 50.0 - 1.0).to_le_bytes())
                .collect();
            let path = out.join(format!("in{i}.bin"));
            std::fs::write(&path, bytes).unwrap();
            run.arg(path);
        }
        for o in 0..n_out {
            run.arg(out.join(format!("out{o}.bin")));
        }
        let st = run.status().unwrap();
        assert!(st.success(), "{weights}: model_run failed");
        let got: Vec<Vec<u8>> = (0..n_out)
            .map(|o| std::fs::read(out.join(format!("out{o}.bin"))).unwrap())
            .collect();
        assert!(got.iter().all(|g| !g.is_empty()));
        outputs.push(got);
    }
    assert_eq!(outputs[0], outputs[1], "blob and C-literal weights differ");
    let e = meshnn::deploy::Deployment::parse(
        "[[device]]\nname = \"main\"\ntarget = \"host\"\nweights = \"asm\"\n",
        "bad.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad.toml:4:")
            && e.contains("device.weights")
            && e.contains("'asm'")
            && e.contains("blob"),
        "{e}"
    );
}
