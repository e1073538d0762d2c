//! Documentation that must stay true: SUPPORTED_OPS.md's operator table matches the
//! registry; every path ARCHITECTURE.md names exists, and every Rust module, test file and
//! C runtime source is named there (directly, or by a `folder/*.ext` pattern).

mod common;
use common::repo_root;
use meshnn::supported_ops::{markdown_table, TABLE_BEGIN, TABLE_END};

#[test]
fn supported_ops_table_is_current() {
    let path = repo_root().join("SUPPORTED_OPS.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let table = markdown_table();
    let current = match (text.find(TABLE_BEGIN), text.find(TABLE_END)) {
        (Some(b), Some(e)) if b < e => text[b..e + TABLE_END.len() + 1].to_string(),
        _ => String::new(),
    };
    if std::env::var("MESHNN_UPDATE_DOCS").is_ok() {
        let new = if current.is_empty() {
            text.replace("TABLE_PLACEHOLDER\n", &table)
        } else {
            text.replace(&current, &table)
        };
        std::fs::write(&path, new).unwrap();
        return;
    }
    assert_eq!(
        current, table,
        "SUPPORTED_OPS.md is out of date: run MESHNN_UPDATE_DOCS=1 cargo test --test docs"
    );
}

/// The backticked repository paths of ARCHITECTURE.md (they contain a '/' and no space);
/// `folder/*.ext` patterns are kept as patterns.
fn architecture_paths() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("ARCHITECTURE.md")).unwrap();
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|part| {
            part.contains('/')
                && !part.contains(' ')
                && !part.contains('<')
                && !part.starts_with("--")
                // build outputs (`target/...`) exist only after a build or test made them
                && !part.starts_with("target/")
        })
        .map(|part| part.trim_end_matches('/').to_string())
        .collect()
}

/// Whether `file` (repository-relative) is named by `path`: the same path, or a
/// `folder/*.ext` pattern for a file directly in that folder.
fn names(path: &str, file: &str) -> bool {
    match path.split_once("/*") {
        Some((folder, ext)) => file
            .strip_prefix(folder)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|name| !name.contains('/') && name.ends_with(ext)),
        None => path == file,
    }
}

/// Every file below `dir` (repository-relative) whose name ends with `ext`.
fn files_below(dir: &str, ext: &str) -> Vec<String> {
    let root = repo_root();
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(
                    p.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn architecture_paths_exist() {
    let paths = architecture_paths();
    for path in paths.iter().filter(|p| !p.contains('*')) {
        assert!(
            repo_root().join(path).exists(),
            "ARCHITECTURE.md names `{path}`, which does not exist"
        );
    }
    for pattern in paths.iter().filter(|p| p.contains('*')) {
        let (folder, _) = pattern.split_once("/*").unwrap();
        assert!(
            repo_root().join(folder).is_dir(),
            "ARCHITECTURE.md names `{pattern}`, whose folder does not exist"
        );
    }
    assert!(
        paths.len() >= 10,
        "ARCHITECTURE.md should name the code it maps ({} paths found)",
        paths.len()
    );
}

#[test]
fn architecture_names_every_module_and_test() {
    let paths = architecture_paths();
    let mut files = Vec::new();
    for (dir, ext) in [
        ("compiler/src", ".rs"),
        ("compiler/tests", ".rs"),
        ("crates", ".rs"),
        ("runtime-rs", ".rs"),
        ("runtime-c/src", ".c"),
        ("runtime-c/include", ".h"),
        ("runtime-c/tests", ".c"),
    ] {
        files.extend(files_below(dir, ext));
    }
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !f.starts_with("compiler/tests/snapshots/"))
        .filter(|f| !paths.iter().any(|p| names(p, f)))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name these files (add them to the code map, or a `folder/*.ext` pattern): {missing:?}"
    );
}

/// ARCHITECTURE.md's core/tools invariant: nothing outside `compiler/src/tools/` (and the
/// CLI's exit code) spawns a process.
#[test]
fn core_spawns_no_process() {
    let offenders: Vec<String> = files_below("compiler/src", ".rs")
        .into_iter()
        .chain(files_below("crates", ".rs"))
        .filter(|f| !f.starts_with("compiler/src/tools/"))
        .filter(|f| {
            let text = std::fs::read_to_string(repo_root().join(f)).unwrap();
            text.contains("process::Command")
                || text.contains("Command::new")
                || text.contains("process::Stdio")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "only compiler/src/tools/ may spawn processes (ARCHITECTURE.md); found in {offenders:?}"
    );
}
