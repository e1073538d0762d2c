//! Data sets for `simulate --data` and `--calib`: a `.npz` holding one `[N, ...]` array
//! per graph input (or `x` for a one-input model) and optional integer labels `y`.

use crate::driver::Deployed;
use crate::ir::Graph;
use crate::npy::{self, Array};
use std::io::{Read, Seek};
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

    /// A warning when the inputs hold NaN or infinite values, with counts: NaN propagates
    /// through the model as it does in onnxruntime, so those samples' outputs are NaN or
    /// meaningless and their top-1 counts as a miss. `None` when every value is finite.
    pub fn non_finite_warning(&self, path: &Path) -> Option<String> {
        let (mut nan, mut inf, mut samples) = (0usize, 0usize, 0usize);
        for s in 0..self.n {
            let before = nan + inf;
            for v in self.sample(s).into_iter().flatten() {
                nan += usize::from(v.is_nan());
                inf += usize::from(v.is_infinite());
            }
            samples += usize::from(nan + inf > before);
        }
        (nan + inf > 0).then(|| {
            format!(
                "{}: the inputs hold {nan} NaN and {inf} infinite value(s) in {samples} of {} samples; their outputs will be NaN or meaningless (clean the data, e.g. numpy.nan_to_num)",
                path.display(),
                self.n
            )
        })
    }
}

/// The most samples `simulate --data` and `--calib` take: 100 000, ten times the MNIST
/// test set. Every sample runs the whole deployment once per loss level, so this bounds
/// the run time; simulate a subset (`x[:N]`, `y[:N]`) of a bigger set.
pub const MAX_SAMPLES: usize = 100_000;

/// Read `test.npz`: `x` for a one-input model or one array per graph input, each
/// `[N, *input_shape[1:]]` float32; optional integer labels `y` of shape `[N]`, each a
/// class index of the hub's first output.
pub fn load_dataset(path: &Path, d: &Deployed) -> Result<Dataset, DataError> {
    dataset_from(&mut npy::Npz::open(path)?, d)
}

/// [`load_dataset`] on an open archive (a file, or bytes in memory).
pub fn dataset_from<R: Read + Seek>(
    z: &mut npy::Npz<R>,
    d: &Deployed,
) -> Result<Dataset, DataError> {
    let path = z.path().to_string();
    let derr = |detail: String| DataError::Data {
        path: path.clone(),
        detail,
    };
    let g = &d.graph;
    let mut inputs = Vec::new();
    let mut n = None;
    for k in 0..g.inputs.len() {
        let a = input_array(g, k, z)?;
        if *n.get_or_insert(a.shape[0]) != a.shape[0] {
            return Err(derr("inputs hold different numbers of samples".into()));
        }
        inputs.push(a);
    }
    let n = n.unwrap_or(0);
    if n == 0 {
        return Err(derr("the data set holds no samples".into()));
    }
    if n > MAX_SAMPLES {
        return Err(derr(format!(
            "the data set holds {n} samples; meshnn simulates at most {MAX_SAMPLES}: use a subset such as x[:{MAX_SAMPLES}]"
        )));
    }
    let labels = match z.ints("y")? {
        Some(y) => Some(check_labels(y, n, classes(d)).map_err(derr)?),
        None => None,
    };
    Ok(Dataset { inputs, labels, n })
}

/// The number of classes: the size of the hub's first output (its top-1 is the class).
fn classes(d: &Deployed) -> usize {
    let hub = d.devices.get(d.dep.hub);
    hub.and_then(|h| h.outputs.first())
        .or(d.graph.outputs.first())
        .map_or(0, |&t| d.graph.tensors[t].numel())
}

/// Labels must be `[n]` class indices in `0..classes`.
fn check_labels(y: Array<i64>, n: usize, classes: usize) -> Result<Vec<i64>, String> {
    if y.shape != [n] {
        return Err(format!(
            "'y' has shape {:?}; labels must be a 1-D array of {n} class indices (shape [{n}])",
            y.shape
        ));
    }
    if let Some((s, v)) = y
        .data
        .iter()
        .enumerate()
        .find(|(_, &v)| v < 0 || v as u64 >= classes as u64)
    {
        return Err(format!(
            "label {v} of sample {s} is not a class index: labels must be in 0..{classes} (the model's first output has {classes} values)"
        ));
    }
    Ok(y.data)
}

/// The array for graph input `k` (by name, or `x` for a one-input model), checked to be
/// `[N, *shape[1:]]` float32 of a batch-1 input.
fn input_array<R: Read + Seek>(
    g: &Graph,
    k: usize,
    z: &mut npy::Npz<R>,
) -> Result<Array<f32>, DataError> {
    let t = g.inputs[k];
    let name = &g.tensors[t].name;
    let names = z.names();
    let key = if names.contains(name) {
        name.as_str()
    } else if g.inputs.len() == 1 && names.iter().any(|a| a == "x") {
        "x"
    } else {
        return Err(data_err(
            z,
            format!(
                "no array for graph input '{name}' (have: {}); store it as '{name}'{}",
                names.join(", "),
                if g.inputs.len() == 1 { " or 'x'" } else { "" }
            ),
        ));
    };
    let a = z
        .f32(key)?
        .ok_or_else(|| data_err(z, format!("array '{key}' is listed but missing")))?;
    let shape = &g.tensors[t].shape;
    if a.shape.len() != shape.len() || a.shape.is_empty() || a.shape[1..] != shape[1..] {
        return Err(data_err(
            z,
            format!(
                "array '{key}' for '{name}' has shape {:?}; expected [N, {}]",
                a.shape,
                shape[1..]
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if shape.first() != Some(&1) {
        return Err(data_err(
            z,
            format!(
                "graph input '{name}' has batch dimension {}; simulate needs models with batch 1",
                shape[0]
            ),
        ));
    }
    Ok(a)
}

fn data_err<R: Read + Seek>(z: &npy::Npz<R>, detail: String) -> DataError {
    DataError::Data {
        path: z.path().into(),
        detail,
    }
}
