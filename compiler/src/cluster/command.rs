//! `meshnn cluster ADJ.npy`: reads a dense adjacency matrix from a NumPy `.npy` file,
//! clusters it and renders the result as text or JSON (reference: the NumPy `.npy`
//! format, <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use npyz::{DType, NpyFile, Order, TypeChar};
use serde::Serialize;

use super::{cluster, ClusterError, ClusterOptions, Clustering, Method};

/// Why `meshnn cluster` cannot read or cluster its adjacency file. Each message names the
/// file; the underlying error, if any, is the [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
pub enum ClusterCommandError {
    #[error("cannot open {path}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a NumPy .npy file; save the adjacency with numpy.save")]
    NotNpy {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: adjacency must be a square 2-D array, got shape {shape:?}")]
    NotSquare { path: String, shape: Vec<u64> },
    #[error("adjacency too large")]
    TooLarge(#[source] std::num::TryFromIntError),
    #[error("{path}: cannot read {dtype} data")]
    Data {
        path: String,
        dtype: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: unsupported dtype {dtype}; save the adjacency as float64 or float32")]
    DType { path: String, dtype: String },
    #[error("{path}: expected {expected} values, read {read}")]
    Count {
        path: String,
        expected: usize,
        read: usize,
    },
    #[error(transparent)]
    Size(#[from] crate::npy::NpyError),
    #[error("cannot cluster {path}")]
    Cluster { path: String, source: ClusterError },
}

/// The JSON document printed with `--json`.
#[derive(Serialize)]
struct Report<'a> {
    n: usize,
    k: usize,
    method: Method,
    balanced: bool,
    labels: &'a [usize],
    communities: Vec<Vec<usize>>,
    modularity: f64,
}

/// Reads `path` (a 2-D square float64 or float32 `.npy` array), clusters it with `opts`
/// and returns the text to print: one line per community then Q, or with `json` one
/// JSON object `{"n", "k", "method", "balanced", "labels", "communities", "modularity"}`.
pub fn run_cli(
    path: &Path,
    opts: &ClusterOptions,
    json: bool,
) -> Result<String, ClusterCommandError> {
    let (adj, n) = read_adjacency(path)?;
    let result = cluster(&adj, n, opts).map_err(|source| ClusterCommandError::Cluster {
        path: path.display().to_string(),
        source,
    })?;
    Ok(render(&result, opts, json))
}

/// Renders a clustering the way [`run_cli`] prints it.
pub fn render(result: &Clustering, opts: &ClusterOptions, json: bool) -> String {
    if json {
        render_json(result, opts)
    } else {
        render_text(result)
    }
}

fn render_json(result: &Clustering, opts: &ClusterOptions) -> String {
    let communities = result.communities();
    let report = Report {
        n: result.labels.len(),
        k: communities.len(),
        method: opts.method,
        balanced: opts.balanced,
        labels: &result.labels,
        communities,
        modularity: result.modularity,
    };
    // Serialising plain numbers and strings cannot fail.
    serde_json::to_string(&report).unwrap_or_default() + "\n"
}

fn render_text(result: &Clustering) -> String {
    let mut out = String::new();
    for (c, members) in result.communities().iter().enumerate() {
        let list: Vec<String> = members.iter().map(|i| i.to_string()).collect();
        out += &format!(
            "community {c}: {} nodes: {}\n",
            members.len(),
            list.join(" ")
        );
    }
    out += &format!("modularity Q = {:.6}\n", result.modularity);
    out
}

/// Reads a square 2-D float64/float32 `.npy` array as a row-major `f64` matrix.
pub fn read_adjacency(path: &Path) -> Result<(Vec<f64>, usize), ClusterCommandError> {
    let name = || path.display().to_string();
    let file = File::open(path).map_err(|source| ClusterCommandError::Open {
        path: name(),
        source,
    })?;
    let npy = NpyFile::new(BufReader::new(file)).map_err(|source| ClusterCommandError::NotNpy {
        path: name(),
        source,
    })?;
    let shape = npy.shape().to_vec();
    if shape.len() != 2 || shape[0] != shape[1] {
        return Err(ClusterCommandError::NotSquare {
            path: name(),
            shape,
        });
    }
    let item = npy.dtype().num_bytes().unwrap_or(usize::MAX);
    crate::npy::checked_size(&shape, item, crate::npy::MAX_DATA_BYTES, &name())?;
    let n = usize::try_from(shape[0]).map_err(ClusterCommandError::TooLarge)?;
    let order = npy.order();
    let data = read_floats(npy, path)?;
    if Some(data.len()) != n.checked_mul(n) {
        return Err(ClusterCommandError::Count {
            path: name(),
            expected: n * n,
            read: data.len(),
        });
    }
    Ok((row_major(data, n, order), n))
}

/// The array's values as `f64`, from float64 or float32 data.
fn read_floats<R: std::io::Read>(
    npy: NpyFile<R>,
    path: &Path,
) -> Result<Vec<f64>, ClusterCommandError> {
    let data_error = |dtype| {
        move |source| ClusterCommandError::Data {
            path: path.display().to_string(),
            dtype,
            source,
        }
    };
    match npy.dtype() {
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 8 => {
            npy.into_vec::<f64>().map_err(data_error("float64"))
        }
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 4 => Ok(npy
            .into_vec::<f32>()
            .map_err(data_error("float32"))?
            .into_iter()
            .map(f64::from)
            .collect()),
        other => Err(ClusterCommandError::DType {
            path: path.display().to_string(),
            dtype: dtype_name(&other),
        }),
    }
}

/// `data` in row-major order (a Fortran-order array is transposed).
fn row_major(data: Vec<f64>, n: usize, order: Order) -> Vec<f64> {
    match order {
        Order::C => data,
        Order::Fortran => {
            let mut t = vec![0.0; n * n];
            for r in 0..n {
                for c in 0..n {
                    t[r * n + c] = data[c * n + r];
                }
            }
            t
        }
    }
}

fn dtype_name(d: &DType) -> String {
    match d {
        DType::Plain(ts) => format!("'{ts}'"),
        _ => "(structured)".to_string(),
    }
}
