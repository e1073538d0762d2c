//! `meshnn cluster ADJ.npy`: reads a dense adjacency matrix from a NumPy `.npy` file,
//! clusters it and renders the result as text or JSON (reference: the NumPy `.npy`
//! format, <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::{bail, Context};
use npyz::{DType, NpyFile, Order, TypeChar};
use serde::Serialize;

use super::{cluster, ClusterOptions, Clustering, Method};

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
pub fn run_cli(path: &Path, opts: &ClusterOptions, json: bool) -> anyhow::Result<String> {
    let (adj, n) = read_adjacency(path)?;
    let result =
        cluster(&adj, n, opts).with_context(|| format!("cannot cluster {}", path.display()))?;
    Ok(render(&result, opts, json))
}

/// Renders a clustering the way [`run_cli`] prints it.
pub fn render(result: &Clustering, opts: &ClusterOptions, json: bool) -> String {
    let communities = result.communities();
    if json {
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
        return serde_json::to_string(&report).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for (c, members) in communities.iter().enumerate() {
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
pub fn read_adjacency(path: &Path) -> anyhow::Result<(Vec<f64>, usize)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let npy = NpyFile::new(BufReader::new(file)).with_context(|| {
        format!(
            "{} is not a NumPy .npy file; save the adjacency with numpy.save",
            path.display()
        )
    })?;
    let shape = npy.shape().to_vec();
    if shape.len() != 2 || shape[0] != shape[1] {
        bail!(
            "{}: adjacency must be a square 2-D array, got shape {:?}",
            path.display(),
            shape
        );
    }
    let n = usize::try_from(shape[0]).context("adjacency too large")?;
    let order = npy.order();
    let dtype = npy.dtype();
    let data: Vec<f64> = match &dtype {
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 8 => npy
            .into_vec::<f64>()
            .with_context(|| format!("{}: cannot read float64 data", path.display()))?,
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 4 => npy
            .into_vec::<f32>()
            .with_context(|| format!("{}: cannot read float32 data", path.display()))?
            .into_iter()
            .map(f64::from)
            .collect(),
        other => bail!(
            "{}: unsupported dtype {}; save the adjacency as float64 or float32",
            path.display(),
            dtype_name(other)
        ),
    };
    if Some(data.len()) != n.checked_mul(n) {
        bail!(
            "{}: expected {} values, read {}",
            path.display(),
            n * n,
            data.len()
        );
    }
    let data = match order {
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
    };
    Ok((data, n))
}

fn dtype_name(d: &DType) -> String {
    match d {
        DType::Plain(ts) => format!("'{ts}'"),
        _ => "(structured)".to_string(),
    }
}
