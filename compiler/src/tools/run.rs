//! `meshnn run`: compile for the host, feed inputs, collect outputs.

use crate::driver::{Deployed, EmitOptions};
use crate::ir::{DType, Graph};
use crate::npy::{self, Array};
use crate::tools::host_build::{HostBuild, HostError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("--input {0}: expected NAME=FILE.npy")]
    InputSyntax(String),
    #[error("--input {name}: the model has no input of that name; its inputs are: {known}")]
    UnknownInput { name: String, known: String },
    #[error("--input {0} is given twice")]
    DuplicateInput(String),
    #[error(
        "missing --input for graph input '{name}' (shape {shape:?}); pass --input {name}=FILE.npy"
    )]
    MissingInput { name: String, shape: Vec<usize> },
    #[error("--input {name}: {path} has shape {found:?} but the model expects {expected:?}")]
    Shape {
        name: String,
        path: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error(transparent)]
    Npy(#[from] npy::NpyError),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("cannot create output directory {path}: {source}")]
    OutDir {
        path: String,
        source: std::io::Error,
    },
}

/// Parse `NAME=FILE` arguments against the graph's input names. Names and paths may both
/// contain `=`: each argument is split at the first `=` whose left side is the name of a
/// graph input (`a=b=x.npy` feeds input `a=b` if there is one, else input `a`).
pub fn parse_inputs(args: &[String], g: &Graph) -> Result<Vec<(String, PathBuf)>, RunError> {
    let names = g.input_names();
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for a in args {
        let mut splits = a.match_indices('=').map(|(i, _)| (&a[..i], &a[i + 1..]));
        let Some(first) = splits.clone().next() else {
            return Err(RunError::InputSyntax(a.clone()));
        };
        let (name, file) = splits.find(|(n, _)| names.contains(n)).unwrap_or(first);
        if name.is_empty() || file.is_empty() {
            return Err(RunError::InputSyntax(a.clone()));
        }
        if !names.contains(&name) {
            return Err(RunError::UnknownInput {
                name: name.into(),
                known: g.input_names_text(),
            });
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(RunError::DuplicateInput(name.into()));
        }
        out.push((name.into(), PathBuf::from(file)));
    }
    Ok(out)
}

/// Load the given inputs (from [`parse_inputs`]), checked against the graph inputs, in graph-input order.
pub fn load_inputs(g: &Graph, given: &[(String, PathBuf)]) -> Result<Vec<Array<f32>>, RunError> {
    let mut arrays = Vec::new();
    for &t in &g.inputs {
        let tensor = &g.tensors[t];
        let Some((_, path)) = given.iter().find(|(n, _)| *n == tensor.name) else {
            return Err(RunError::MissingInput {
                name: tensor.name.clone(),
                shape: tensor.shape.clone(),
            });
        };
        let a = npy::read_f32(path)?;
        if a.shape != tensor.shape {
            return Err(RunError::Shape {
                name: tensor.name.clone(),
                path: path.display().to_string(),
                found: a.shape,
                expected: tensor.shape.clone(),
            });
        }
        arrays.push(a);
    }
    Ok(arrays)
}

/// File names for the graph outputs `names`: `<name>.npy` with path separators and NUL
/// replaced by `_`. Two names that become the same file (`o/x` and `o_x`) are told apart
/// by a counter (`o_x.npy`, `o_x.2.npy`), in output order, so no output overwrites another.
pub fn output_file_names(names: &[&str]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for name in names {
        let safe: String = name
            .chars()
            .map(|c| {
                if matches!(c, '/' | '\\' | '\0') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let mut file = format!("{safe}.npy");
        let mut k = 2;
        while taken.contains(&file) {
            file = format!("{safe}.{k}.npy");
            k += 1;
        }
        taken.push(file);
    }
    taken
}

/// Generate, build and run a deployed model on the host (all devices linked by the
/// loss-free in-memory link) with `inputs` (graph-input order), in `build_dir`.
/// Returns every graph output.
pub fn run_host(
    p: &Deployed,
    inputs: &[Array<f32>],
    build_dir: &Path,
) -> Result<Vec<Array<f32>>, RunError> {
    run_host_with(p, inputs, build_dir, &EmitOptions::default())
}

/// [`run_host`] with the devices' language (`--lang`) and runtime source: Rust devices
/// are linked into the same harness through their bridge.
pub fn run_host_with(
    p: &Deployed,
    inputs: &[Array<f32>],
    build_dir: &Path,
    opts: &EmitOptions,
) -> Result<Vec<Array<f32>>, RunError> {
    let build = HostBuild::emit_with(p, build_dir, &[], opts)?;
    let data: Vec<&[f32]> = inputs.iter().map(|a| a.data.as_slice()).collect();
    let outs = build.infer(&data, p.graph.outputs.len())?;
    Ok(outs
        .into_iter()
        .zip(&p.graph.outputs)
        .map(|(data, &t)| Array {
            shape: p.graph.tensors[t].shape.clone(),
            data,
        })
        .collect())
}

/// The element type of graph output `t` in the ONNX model (a uint8 output is int8 inside
/// meshnn, listed in `Graph::u8_outputs`).
pub fn output_onnx_dtype(g: &Graph, t: crate::ir::TensorId) -> DType {
    if g.u8_outputs.contains(&t) {
        DType::U8
    } else {
        g.tensors[t].dtype
    }
}

/// Write each output as `out_dir/<output name>.npy` in its ONNX element type (a bool
/// output, stored as float32 0 / 1 on the devices, as a bool array; int8, uint8 and int32
/// outputs as integers); returns the paths written.
pub fn write_outputs(
    p: &Deployed,
    outs: &[Array<f32>],
    out_dir: &Path,
) -> Result<Vec<PathBuf>, RunError> {
    std::fs::create_dir_all(out_dir).map_err(|source| RunError::OutDir {
        path: out_dir.display().to_string(),
        source,
    })?;
    let names: Vec<&str> = p
        .graph
        .outputs
        .iter()
        .map(|&t| p.graph.tensors[t].name.as_str())
        .collect();
    let mut written = Vec::new();
    for ((a, file), &t) in outs
        .iter()
        .zip(output_file_names(&names))
        .zip(&p.graph.outputs)
    {
        let path = out_dir.join(file);
        // Integer outputs are exact integers in float32 (quantised values, or the int32
        // sums of ConvInteger / MatMulInteger, refused beyond 2^24).
        let ints = |a: &Array<f32>| a.data.iter().map(|&v| v as i64).collect::<Vec<_>>();
        match output_onnx_dtype(&p.graph, t) {
            DType::Bool => {
                let bools: Vec<bool> = a.data.iter().map(|&v| v != 0.0).collect();
                npy::write_bool(&path, &a.shape, &bools)?;
            }
            DType::I8 => {
                let v: Vec<i8> = ints(a).iter().map(|&v| v as i8).collect();
                npy::write_int(&path, &a.shape, &v)?;
            }
            DType::U8 => {
                let v: Vec<u8> = ints(a).iter().map(|&v| v as u8).collect();
                npy::write_int(&path, &a.shape, &v)?;
            }
            DType::I32 => {
                let v: Vec<i32> = ints(a).iter().map(|&v| v as i32).collect();
                npy::write_int(&path, &a.shape, &v)?;
            }
            _ => npy::write_f32(&path, &a.shape, &a.data)?,
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::output_file_names;

    #[test]
    fn output_files_never_collide() {
        assert_eq!(
            output_file_names(&["o/x", "o_x", "o\\x", "y", "o_x.2"]),
            ["o_x.npy", "o_x.2.npy", "o_x.3.npy", "y.npy", "o_x.2.2.npy"]
        );
    }
}
