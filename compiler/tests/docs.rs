//! Documentation that must stay true: SUPPORTED_OPS.md's operator table matches the
//! registry, and the paths ARCHITECTURE.md names exist.

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

#[test]
fn architecture_paths_exist() {
    let text = std::fs::read_to_string(repo_root().join("ARCHITECTURE.md")).unwrap();
    // Every `path` in backticks that looks like a repository path must exist.
    let mut checked = 0;
    for part in text.split('`').skip(1).step_by(2) {
        // Repository paths contain a '/' (bare file names refer to the section's folder).
        let looks_like_path = part.contains('/')
            && !part.contains(' ')
            && !part.contains('<')
            && !part.contains('*')
            && !part.starts_with("--");
        if looks_like_path {
            let p = repo_root().join(part.trim_end_matches('/'));
            assert!(
                p.exists(),
                "ARCHITECTURE.md names `{part}`, which does not exist"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "ARCHITECTURE.md should name the code it maps ({checked} paths found)"
    );
}
