//! The host bridge of Rust devices (`DIR/host/rust/`): one static library crate that
//! depends on every Rust device crate and exports their C API (model.h's
//! `meshnn_<device>_init/begin/poll/stage/step/link_wake_us`, same `#[repr(C)]` structs
//! and status layout), plus each device's C header (`<device>.h`, the model.h C would
//! have) and `meshnn.h`, so the C host harness links Rust and C devices alike (one wire
//! format: linked Rust devices talk through the harness's link HAL, `CHal`).
//! `tools::host_build` builds it with cargo.
//!
//! The firmware bridge (`DIR/firmware/<device>/rust/`, [`emit_firmware_bridge`]) is its
//! `no_std` sibling for one device and one MCU target: the same C API from a static
//! library with a panic handler, linked into the C test firmware of `meshnn build` and
//! `meshnn run --on qemu` (`tools::firmware::rust_device`).

use super::rust_render::RuntimeSource;
use super::{c_render, render, templates, view, EmitError, File};
use serde::Serialize;

/// The bridge's folder under the output folder.
pub const BRIDGE_DIR: &str = "host/rust";
/// The C link layer and its wire HAL (`mn_link_wire.c`) for linked Rust devices: `CHal`
/// sends and receives through the harness's link as wire bytes.
pub const LINK_DIR: &str = "host/rust/link";

/// One Rust device as the bridge exports it.
#[derive(Serialize)]
pub struct BridgeDevice {
    pub name: String,
    pub package: String,
    /// It sends or receives tensors (its functions take the link HAL).
    pub linked: bool,
}

#[derive(Serialize)]
struct DeviceView<'a> {
    #[serde(flatten)]
    device: &'a BridgeDevice,
    /// Its module's `use` paths, sorted as rustfmt sorts them.
    uses: Vec<String>,
}

fn device_view(d: &BridgeDevice) -> DeviceView<'_> {
    let mut uses = vec![
        format!("meshnn_{}::{{Device, Inputs, Outputs}}", d.name),
        "meshnn_runtime::device::Status".to_string(),
        "std::sync::{Mutex, MutexGuard}".to_string(),
    ];
    if d.linked {
        uses.push("meshnn_runtime::link::CHal".into());
    }
    uses.sort();
    DeviceView { device: d, uses }
}

/// The bridge crate and the C headers of `devices`; `headers` holds each device's
/// model.h text, in the same order.
pub fn emit_bridge(
    model: &str,
    devices: &[BridgeDevice],
    headers: Vec<String>,
    runtime: &RuntimeSource,
    link: &crate::deploy::Link,
    deployment: &str,
) -> Result<Vec<File>, EmitError> {
    let ctx = minijinja::context! {
        model => model,
        devices => view(&devices.iter().map(device_view).collect::<Vec<_>>()),
        any_link => devices.iter().any(|d| d.linked),
        runtime_dep => bridge_runtime_dependency(runtime, devices.iter().any(|d| d.linked)),
    };
    let env = templates::environment();
    let mut files = vec![
        File::text(
            format!("{BRIDGE_DIR}/Cargo.toml"),
            render(&env, "rust/host_Cargo.toml.j2", &ctx)?,
        ),
        File::text(
            format!("{BRIDGE_DIR}/lib.rs"),
            render(&env, "rust/host_lib.rs.j2", &ctx)?,
        ),
    ];
    for (d, h) in devices.iter().zip(headers) {
        files.push(File::text(format!("{BRIDGE_DIR}/{}.h", d.name), h));
    }
    let meshnn_h = templates::runtime_file("meshnn.h")
        .ok_or_else(|| EmitError::MissingRuntime("meshnn.h".into()))?;
    files.push(File::text(
        format!("{BRIDGE_DIR}/meshnn.h"),
        meshnn_h.to_string(),
    ));
    if devices.iter().any(|d| d.linked) {
        files.push(File::text(
            format!("{LINK_DIR}/meshnn_config.h"),
            c_render::config_header(link, deployment)?,
        ));
        files.extend(c_render::copy_runtime(
            LINK_DIR,
            c_render::link_runtime_files(),
        )?);
    }
    Ok(files)
}

/// The firmware bridge's folder under the output folder.
pub fn firmware_bridge_dir(device: &str) -> String {
    format!("firmware/{device}/rust")
}

/// The firmware bridge of Rust device `d` (a `no_std` static library exporting its C
/// API) for the Rust target `triple`, in [`firmware_bridge_dir`].
pub fn emit_firmware_bridge(
    model: &str,
    d: &BridgeDevice,
    runtime: &RuntimeSource,
    triple: &str,
) -> Result<Vec<File>, EmitError> {
    let mut uses = vec![
        format!("meshnn_{}::{{Device, Inputs, Outputs}}", d.name),
        "meshnn_runtime::device::Status".to_string(),
    ];
    if d.linked {
        uses.push("meshnn_runtime::link::CHal".into());
    }
    uses.sort();
    let ctx = minijinja::context! {
        model => model,
        device => &d.name,
        package => &d.package,
        linked => d.linked,
        uses => uses,
        triple => triple,
        runtime_dep => runtime_dependency(runtime, d.linked, "../../.."),
    };
    let env = templates::environment();
    let dir = firmware_bridge_dir(&d.name);
    Ok(vec![
        File::text(
            format!("{dir}/Cargo.toml"),
            render(&env, "rust/fw_Cargo.toml.j2", &ctx)?,
        ),
        File::text(
            format!("{dir}/lib.rs"),
            render(&env, "rust/fw_lib.rs.j2", &ctx)?,
        ),
    ])
}

/// The runtime dependency of the bridge (two folders deeper than a device crate), with
/// the C HAL when some device is linked.
fn bridge_runtime_dependency(runtime: &RuntimeSource, c_hal: bool) -> String {
    runtime_dependency(runtime, c_hal, "../..")
}

/// The runtime dependency of a crate `up` folders below the output folder (`up`: the
/// relative path back to it), with the C HAL when `c_hal`.
fn runtime_dependency(runtime: &RuntimeSource, c_hal: bool, up: &str) -> String {
    let features = if c_hal {
        ", features = [\"c-hal\"]"
    } else {
        ""
    };
    match runtime {
        RuntimeSource::Bundled => format!(
            "{{ path = \"{up}/{}\"{features} }}",
            super::rust_render::RUNTIME_DIR
        ),
        RuntimeSource::Version(v) => format!("{{ version = {v:?}{features} }}"),
        RuntimeSource::Path(p) => format!("{{ path = {p:?}{features} }}"),
    }
}
