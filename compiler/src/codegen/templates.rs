//! The templates in `templates/`, embedded at build time and loaded one way only.

use minijinja::Environment;

/// (name, source) of every template.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "c/model.h.j2",
        include_str!("../../../templates/c/model.h.j2"),
    ),
    (
        "c/model.c.j2",
        include_str!("../../../templates/c/model.c.j2"),
    ),
    (
        "c/weights.h.j2",
        include_str!("../../../templates/c/weights.h.j2"),
    ),
    (
        "c/weights.c.j2",
        include_str!("../../../templates/c/weights.c.j2"),
    ),
    (
        "c/weights.S.j2",
        include_str!("../../../templates/c/weights.S.j2"),
    ),
    (
        "c/Makefile.j2",
        include_str!("../../../templates/c/Makefile.j2"),
    ),
    (
        "c/CMakeLists.txt.j2",
        include_str!("../../../templates/c/CMakeLists.txt.j2"),
    ),
    (
        "c/link_glue.c.j2",
        include_str!("../../../templates/c/link_glue.c.j2"),
    ),
    (
        "c/meshnn_config.h.j2",
        include_str!("../../../templates/c/meshnn_config.h.j2"),
    ),
    (
        "host/link_host.c.j2",
        include_str!("../../../templates/host/link_host.c.j2"),
    ),
    (
        "host/link_key.c.j2",
        include_str!("../../../templates/host/link_key.c.j2"),
    ),
    (
        "sim/sim.c.j2",
        include_str!("../../../templates/sim/sim.c.j2"),
    ),
    (
        "host/main.c.j2",
        include_str!("../../../templates/host/main.c.j2"),
    ),
    (
        "host/Makefile.j2",
        include_str!("../../../templates/host/Makefile.j2"),
    ),
    (
        "rust/Cargo.toml.j2",
        include_str!("../../../templates/rust/Cargo.toml.j2"),
    ),
    (
        "rust/lib.rs.j2",
        include_str!("../../../templates/rust/lib.rs.j2"),
    ),
    (
        "rust/host_Cargo.toml.j2",
        include_str!("../../../templates/rust/host_Cargo.toml.j2"),
    ),
    (
        "rust/host_lib.rs.j2",
        include_str!("../../../templates/rust/host_lib.rs.j2"),
    ),
    (
        "rust/fw_Cargo.toml.j2",
        include_str!("../../../templates/rust/fw_Cargo.toml.j2"),
    ),
    (
        "rust/fw_lib.rs.j2",
        include_str!("../../../templates/rust/fw_lib.rs.j2"),
    ),
    (
        "firmware/main.c.j2",
        include_str!("../../../templates/firmware/main.c.j2"),
    ),
];

/// A minijinja environment holding every template (strict undefined: a missing variable
/// is an error, not an empty string).
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    for (name, src) in TEMPLATES {
        // The templates are part of the binary; a syntax error is caught by the test that
        // renders every template, so an invalid one is a build defect, reported as such.
        if let Err(e) = env.add_template(name, src) {
            eprintln!("meshnn: internal template error in {name}: {e}");
        }
    }
    env
}

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));
include!(concat!(env!("OUT_DIR"), "/runtime_rs_files.rs"));

/// Contents of a runtime file by name.
pub fn runtime_file(name: &str) -> Option<&'static str> {
    RUNTIME_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
}

/// The internal runtime headers (`internal/*.h`) that the runtime files `used` include,
/// sorted: a device folder needs them beside the kernel sources.
pub fn internal_headers(used: &[String]) -> Vec<String> {
    let mut headers: Vec<String> = used
        .iter()
        .filter_map(|f| runtime_file(f))
        .flat_map(str::lines)
        .filter_map(|l| l.trim().strip_prefix("#include \"internal/"))
        .filter_map(|rest| rest.split('"').next())
        .map(|h| format!("internal/{h}"))
        .collect();
    headers.sort();
    headers.dedup();
    headers
}
