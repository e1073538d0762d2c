//! Reading and writing NumPy `.npy` arrays (float32 model inputs and outputs) and `.npz`
//! archives (data sets). Errors name the file and say what was expected.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// A dense row-major array.
#[derive(Clone, Debug, PartialEq)]
pub struct Array<T> {
    pub shape: Vec<usize>,
    pub data: Vec<T>,
}

#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid .npy file: {detail}")]
    Format { path: String, detail: String },
    #[error("{path} holds {found} data; meshnn expects {expected} (convert it with `a.astype(np.{expected})`)")]
    DType {
        path: String,
        found: String,
        expected: &'static str,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

fn describe(dt: &npyz::DType) -> String {
    match dt {
        npyz::DType::Plain(ts) => match (ts.type_char(), ts.size_field()) {
            (npyz::TypeChar::Float, n) => format!("float{}", n * 8),
            (npyz::TypeChar::Int, n) => format!("int{}", n * 8),
            (npyz::TypeChar::Uint, n) => format!("uint{}", n * 8),
            (npyz::TypeChar::Bool, _) => "bool".into(),
            _ => ts.to_string(),
        },
        other => format!("{other:?}"),
    }
}

/// Parse an .npy stream into float32 values (float64 is refused, not silently narrowed).
fn parse_f32<R: Read>(r: R, path: &str) -> Result<Array<f32>, NpyError> {
    let npy = npyz::NpyFile::new(r).map_err(|e| NpyError::Format {
        path: path.into(),
        detail: e.to_string(),
    })?;
    parse_npy_file(npy, path)
}

fn parse_npy_file<R: Read>(npy: npyz::NpyFile<R>, path: &str) -> Result<Array<f32>, NpyError> {
    let fmt = |detail: String| NpyError::Format {
        path: path.into(),
        detail,
    };
    let found = describe(&npy.dtype());
    if found != "float32" {
        return Err(NpyError::DType {
            path: path.into(),
            found,
            expected: "float32",
        });
    }
    if npy.order() == npyz::Order::Fortran {
        return Err(fmt(
            "Fortran (column-major) order; save it with np.ascontiguousarray".into(),
        ));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let data: Vec<f32> = npy.into_vec().map_err(|e| fmt(e.to_string()))?;
    if data.len() != shape.iter().product::<usize>() {
        return Err(fmt(format!(
            "holds {} values but its shape {:?} needs more",
            data.len(),
            shape
        )));
    }
    Ok(Array { shape, data })
}

/// Read a float32 .npy file.
pub fn read_f32(path: &Path) -> Result<Array<f32>, NpyError> {
    let p = path.display().to_string();
    let f = File::open(path).map_err(|source| NpyError::Io {
        path: p.clone(),
        source,
    })?;
    parse_f32(BufReader::new(f), &p)
}

/// Read every float32 array of an .npz archive, sorted by name.
pub fn read_npz_f32(path: &Path) -> Result<Vec<(String, Array<f32>)>, NpyError> {
    let p = path.display().to_string();
    let io = |source| NpyError::Io {
        path: p.clone(),
        source,
    };
    let mut z = npyz::npz::NpzArchive::open(path).map_err(io)?;
    let mut names: Vec<String> = z.array_names().map(String::from).collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let what = format!("{p}[{name}]");
        let f = z
            .by_name(&name)
            .map_err(|source| NpyError::Io {
                path: what.clone(),
                source,
            })?
            .ok_or_else(|| NpyError::Format {
                path: what.clone(),
                detail: "array listed but missing".into(),
            })?;
        let a = parse_npy_file(f, &what)?;
        out.push((name, a));
    }
    Ok(out)
}

/// Read the float32 arrays of an .npz archive, skipping arrays of other types (labels).
pub fn read_npz_f32_lenient(path: &Path) -> Result<Vec<(String, Array<f32>)>, NpyError> {
    let p = path.display().to_string();
    let mut z = npyz::npz::NpzArchive::open(path).map_err(|source| NpyError::Io {
        path: p.clone(),
        source,
    })?;
    let mut names: Vec<String> = z.array_names().map(String::from).collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let what = format!("{p}[{name}]");
        let Some(f) = z.by_name(&name).map_err(|source| NpyError::Io {
            path: what.clone(),
            source,
        })?
        else {
            continue;
        };
        if describe(&f.dtype()) == "float32" {
            out.push((name, parse_npy_file(f, &what)?));
        }
    }
    Ok(out)
}

/// Integer labels `name` of an .npz archive (int64 or int32), if present.
pub fn read_npz_labels(path: &Path, name: &str) -> Result<Option<Vec<i64>>, NpyError> {
    let p = path.display().to_string();
    let what = format!("{p}[{name}]");
    let mut z = npyz::npz::NpzArchive::open(path).map_err(|source| NpyError::Io {
        path: p.clone(),
        source,
    })?;
    let Some(f) = z.by_name(name).map_err(|source| NpyError::Io {
        path: what.clone(),
        source,
    })?
    else {
        return Ok(None);
    };
    let fmt = |detail: String| NpyError::Format {
        path: what.clone(),
        detail,
    };
    match describe(&f.dtype()).as_str() {
        "int64" => Ok(Some(f.into_vec::<i64>().map_err(|e| fmt(e.to_string()))?)),
        "int32" => Ok(Some(
            f.into_vec::<i32>()
                .map_err(|e| fmt(e.to_string()))?
                .into_iter()
                .map(i64::from)
                .collect(),
        )),
        other => Err(NpyError::DType {
            path: what.clone(),
            found: other.to_string(),
            expected: "int64",
        }),
    }
}

/// Write a float32 .npy file (format version 1.0, C order).
pub fn write_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), NpyError> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let p = path.display().to_string();
    let mut f = File::create(path).map_err(|source| NpyError::Write {
        path: p.clone(),
        source,
    })?;
    f.write_all(&bytes)
        .map_err(|source| NpyError::Write { path: p, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        for shape in [vec![], vec![3], vec![2, 3, 4]] {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 1.0).collect();
            let p = dir.path().join("a.npy");
            write_f32(&p, &shape, &data).unwrap();
            let back = read_f32(&p).unwrap();
            assert_eq!(back.shape, shape);
            assert_eq!(back.data, data);
        }
    }
}
