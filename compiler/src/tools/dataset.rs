//! Data sets for `simulate --data` and `--calib`: a `.npz` holding one `[N, ...]` array
//! per graph input (or `x` for a one-input model) and optional integer labels `y`.

use crate::driver::Deployed;
use crate::ir::Graph;
use crate::npy::{self, Array};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {detail}")]
    Data { path: String, detail: String },
    #[error(transparent)]
    Npy(#[from] npy::NpyError),
}

/// A data set: one array per graph input (`[N, ...]`, graph-input order), labels if any.
pub struct Dataset {
    pub inputs: Vec<Array<f32>>,
    pub labels: Option<Vec<i64>>,
    pub n: usize,
}

impl Dataset {
    /// Sample `s`'s values of every graph input.
    pub fn sample(&self, s: usize) -> Vec<&[f32]> {
        self.inputs
            .iter()
            .map(|a| {
                let per = a.data.len() / self.n;
                &a.data[s * per..(s + 1) * per]
            })
            .collect()
    }
}

/// Read `test.npz`: `x` for a one-input model or one array per graph input, each
/// `[N, *input_shape[1:]]`; optional integer labels `y` of length N.
pub fn load_dataset(path: &Path, d: &Deployed) -> Result<Dataset, DataError> {
    let derr = |detail: String| DataError::Data {
        path: path.display().to_string(),
        detail,
    };
    let arrays = npy::read_npz_f32_lenient(path)?;
    let g = &d.graph;
    let mut inputs = Vec::new();
    let mut n = None;
    for k in 0..g.inputs.len() {
        let a = input_array(g, k, &arrays).map_err(derr)?;
        if *n.get_or_insert(a.shape[0]) != a.shape[0] {
            return Err(derr("inputs hold different numbers of samples".into()));
        }
        inputs.push(a.clone());
    }
    let n = n.unwrap_or(0);
    if n == 0 {
        return Err(derr("the data set holds no samples".into()));
    }
    let labels = npy::read_npz_labels(path, "y")?;
    if let Some(y) = &labels {
        if y.len() != n {
            return Err(derr(format!(
                "'y' holds {} labels for {n} samples",
                y.len()
            )));
        }
    }
    Ok(Dataset { inputs, labels, n })
}

/// The array for graph input `k` (by name, or `x` for a one-input model), checked to be
/// `[N, *shape[1:]]` of a batch-1 input.
fn input_array<'a>(
    g: &Graph,
    k: usize,
    arrays: &'a [(String, Array<f32>)],
) -> Result<&'a Array<f32>, String> {
    let t = g.inputs[k];
    let name = &g.tensors[t].name;
    let found = arrays.iter().find(|(a, _)| a == name).or_else(|| {
        (g.inputs.len() == 1 && k == 0)
            .then(|| arrays.iter().find(|(a, _)| a == "x"))
            .flatten()
    });
    let Some((_, a)) = found else {
        let have: Vec<&str> = arrays.iter().map(|(a, _)| a.as_str()).collect();
        return Err(format!(
            "no array for graph input '{name}' (have: {}); store it as '{name}'{}",
            have.join(", "),
            if g.inputs.len() == 1 { " or 'x'" } else { "" }
        ));
    };
    let shape = &g.tensors[t].shape;
    if a.shape.len() != shape.len() || a.shape[1..] != shape[1..] || a.shape.is_empty() {
        return Err(format!(
            "array for '{name}' has shape {:?}; expected [N, {}]",
            a.shape,
            shape[1..]
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if shape.first() != Some(&1) {
        return Err(format!(
            "graph input '{name}' has batch dimension {}; simulate needs models with batch 1",
            shape[0]
        ));
    }
    Ok(a)
}
