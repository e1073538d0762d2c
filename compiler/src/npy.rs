//! Reading and writing NumPy `.npy` arrays (float32 model inputs and outputs) and `.npz`
//! archives (data sets). Errors name the file and say what was expected.
//!
//! Every size comes from the header with checked arithmetic and is held against
//! [`MAX_DATA_BYTES`] before anything is allocated or read; the data must then be as long
//! as the header declares (a shorter file is reported as truncated).

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, Write};
use std::path::Path;

/// The most bytes of array data meshnn reads from one `.npy` file or one `.npz` archive,
/// after decompression: 256 MiB (eight times the float32 MNIST test set, far beyond any
/// data set a microcontroller model is checked on), so that a forged header or a
/// decompression bomb fails at once instead of exhausting memory.
pub const MAX_DATA_BYTES: u64 = 256 << 20;

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
    #[error("{path}: {detail}; meshnn reads at most {} MiB of array data per file (after decompression): use fewer samples", MAX_DATA_BYTES >> 20)]
    TooLarge { path: String, detail: String },
    #[error("{path}: {detail}")]
    File { path: String, detail: String },
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

fn format_err(path: &str, detail: String) -> NpyError {
    NpyError::Format {
        path: path.into(),
        detail,
    }
}

/// `path` must be a regular file (not a FIFO, a device or a folder).
fn open_regular(path: &Path) -> Result<File, NpyError> {
    let p = path.display().to_string();
    let io = |source| NpyError::Io {
        path: p.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(NpyError::File {
            path: p,
            detail: "not a regular file".into(),
        });
    }
    File::open(path).map_err(io)
}

/// The shape and element count `npy` declares, checked against `budget` bytes (which is
/// reduced by the array's size). Nothing is read yet.
fn declared<R: Read>(
    npy: &npyz::NpyFile<R>,
    path: &str,
    budget: &mut u64,
) -> Result<(Vec<usize>, usize), NpyError> {
    if npy.order() == npyz::Order::Fortran {
        return Err(format_err(
            path,
            "Fortran (column-major) order; save it with np.ascontiguousarray".into(),
        ));
    }
    let item = npy.dtype().num_bytes().unwrap_or(usize::MAX);
    let n = checked_size(npy.shape(), item, *budget, path)?;
    *budget -= (n * item) as u64;
    // Fits in usize: the size is at most MAX_DATA_BYTES.
    let shape = npy.shape().iter().map(|&d| d as usize).collect();
    Ok((shape, n))
}

/// The element count of an array of `shape` with `item`-byte elements, in checked
/// arithmetic, if its data fits in `budget` bytes (at most [`MAX_DATA_BYTES`]).
pub fn checked_size(
    shape: &[u64],
    item: usize,
    budget: u64,
    path: &str,
) -> Result<usize, NpyError> {
    let count = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let Some(bytes) = count.and_then(|c| c.checked_mul(item as u64)) else {
        return Err(NpyError::TooLarge {
            path: path.into(),
            detail: format!(
                "its header declares shape {shape:?}, more elements than 64 bits count"
            ),
        });
    };
    if bytes > budget.min(MAX_DATA_BYTES) {
        return Err(NpyError::TooLarge {
            path: path.into(),
            detail: format!("its header declares shape {shape:?} = {bytes} bytes"),
        });
    }
    Ok(count.unwrap_or(0) as usize)
}

/// Read exactly the `n` values the header declared; a short file is an error.
fn read_values<T: npyz::Deserialize, R: Read>(
    npy: npyz::NpyFile<R>,
    n: usize,
    path: &str,
) -> Result<Vec<T>, NpyError> {
    let reader = npy
        .data::<T>()
        .map_err(|e| format_err(path, e.to_string()))?;
    let mut out = Vec::with_capacity(n);
    for v in reader {
        match v {
            Ok(v) => out.push(v),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(format_err(
                    path,
                    format!(
                        "truncated: its header declares {n} values but the data ends after {}",
                        out.len()
                    ),
                ))
            }
            Err(e) => return Err(format_err(path, e.to_string())),
        }
    }
    Ok(out)
}

/// Parse an .npy stream as float32 (float64 is refused, not silently narrowed).
fn parse_npy_file<R: Read>(
    npy: npyz::NpyFile<R>,
    path: &str,
    budget: &mut u64,
) -> Result<Array<f32>, NpyError> {
    let found = describe(&npy.dtype());
    if found != "float32" {
        return Err(NpyError::DType {
            path: path.into(),
            found,
            expected: "float32",
        });
    }
    let (shape, n) = declared(&npy, path, budget)?;
    let data = read_values::<f32, R>(npy, n, path)?;
    Ok(Array { shape, data })
}

/// Read a float32 .npy file.
pub fn read_f32(path: &Path) -> Result<Array<f32>, NpyError> {
    let f = open_regular(path)?;
    read_f32_from(BufReader::new(f), &path.display().to_string())
}

/// Parse the bytes of a float32 .npy file; `name` stands for the file in errors.
pub fn parse_f32(bytes: &[u8], name: &str) -> Result<Array<f32>, NpyError> {
    read_f32_from(bytes, name)
}

/// numpy refuses `.npy` headers longer than this (`numpy.load`'s `max_header_size`).
pub const MAX_HEADER_BYTES: u64 = 10_000;

/// Deepest bracket nesting a header may have: numpy writes a flat dict with a shape tuple
/// (depth 2); structured dtypes nest deeper, and meshnn reads none of them.
const MAX_HEADER_NESTING: usize = 4;

/// Read and check a `.npy` stream's prefix (magic, version, header length) and header text
/// before npyz parses them; returns every byte read, for npyz to read again. Refused: a
/// header length over [`MAX_HEADER_BYTES`] (a 204-byte version-2 file declaring a 2 GB
/// header once took that much memory) and brackets nested deeper than
/// [`MAX_HEADER_NESTING`] (130 nested `{` once kept the header parser busy for seconds).
/// A bad magic or a short stream is left for npyz to report.
fn read_checked_header(r: &mut impl Read, name: &str) -> Result<Vec<u8>, NpyError> {
    let io = |e: std::io::Error| format_err(name, e.to_string());
    let mut head = Vec::with_capacity(12);
    r.by_ref().take(12).read_to_end(&mut head).map_err(io)?;
    if head.len() < 10 || &head[..6] != b"\x93NUMPY" {
        return Ok(head);
    }
    let (len, start) = match (head[6], head.get(8..12)) {
        (1, _) => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10),
        (_, Some(b)) => (u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])), 12),
        _ => return Ok(head),
    };
    if len > MAX_HEADER_BYTES {
        return Err(format_err(
            name,
            format!("its header declares {len} bytes; numpy writes and reads at most {MAX_HEADER_BYTES} (not a .npy file numpy made?)"),
        ));
    }
    let end = start + len as usize; // len <= MAX_HEADER_BYTES
    r.by_ref()
        .take(end.saturating_sub(head.len()) as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let mut depth = 0usize;
    for &c in head.get(start..end.min(head.len())).unwrap_or_default() {
        match c {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_HEADER_NESTING {
            return Err(format_err(
                name,
                format!("its header nests brackets more than {MAX_HEADER_NESTING} deep; numpy's headers of plain arrays nest 2 (not a .npy file numpy made?)"),
            ));
        }
    }
    Ok(head)
}

fn read_f32_from<R: Read>(mut reader: R, name: &str) -> Result<Array<f32>, NpyError> {
    let head = read_checked_header(&mut reader, name)?;
    let reader = Cursor::new(head).chain(reader);
    let npy = npyz::NpyFile::new(reader).map_err(|e| format_err(name, e.to_string()))?;
    parse_npy_file(npy, name, &mut { MAX_DATA_BYTES })
}

/// An open `.npz` archive (a file, or bytes in memory); arrays are read on demand, at
/// most [`MAX_DATA_BYTES`] in all.
pub struct Npz<R: Read + Seek = BufReader<File>> {
    path: String,
    zip: npyz::npz::NpzArchive<R>,
    budget: u64,
}

impl Npz {
    pub fn open(path: &Path) -> Result<Npz, NpyError> {
        let f = open_regular(path)?;
        Npz::new(BufReader::new(f), path.display().to_string())
    }
}

impl<R: Read + Seek> Npz<R> {
    /// The archive's path, as errors name it.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl<'a> Npz<Cursor<&'a [u8]>> {
    /// The archive held in `bytes`; `name` stands for the file in errors.
    pub fn from_bytes(bytes: &'a [u8], name: &str) -> Result<Self, NpyError> {
        Npz::new(Cursor::new(bytes), name.to_string())
    }
}

impl<R: Read + Seek> Npz<R> {
    fn new(reader: R, path: String) -> Result<Self, NpyError> {
        let zip = npyz::npz::NpzArchive::new(reader).map_err(|e| NpyError::File {
            path: path.clone(),
            detail: format!("not a readable .npz (zip) archive: {e}"),
        })?;
        Ok(Npz {
            path,
            zip,
            budget: MAX_DATA_BYTES,
        })
    }

    /// The array names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.zip.array_names().map(String::from).collect();
        names.sort();
        names
    }

    fn entry(
        &mut self,
        name: &str,
    ) -> Result<Option<(npyz::NpyFile<impl Read + '_>, String)>, NpyError> {
        let what = format!("{}[{name}]", self.path);
        let member = npyz::npz::file_name_from_array_name(name);
        if let Ok(mut raw) = self.zip.zip_archive().by_name(&member) {
            read_checked_header(&mut raw, &what)?;
        }
        match self.zip.by_name(name) {
            Ok(f) => Ok(f.map(|f| (f, what))),
            Err(e) => Err(format_err(&what, e.to_string())),
        }
    }

    /// The float32 array `name`, if the archive has one of that name (another dtype is
    /// an error that says how to convert it).
    pub fn f32(&mut self, name: &str) -> Result<Option<Array<f32>>, NpyError> {
        let mut budget = self.budget;
        let Some((f, what)) = self.entry(name)? else {
            return Ok(None);
        };
        let a = parse_npy_file(f, &what, &mut budget)?;
        self.budget = budget;
        Ok(Some(a))
    }

    /// The integer array `name` (int64, int32, int16, int8, uint8 or uint16), if present.
    pub fn ints(&mut self, name: &str) -> Result<Option<Array<i64>>, NpyError> {
        let mut budget = self.budget;
        let Some((f, what)) = self.entry(name)? else {
            return Ok(None);
        };
        let dtype = describe(&f.dtype());
        if !["int64", "int32", "int16", "int8", "uint16", "uint8"].contains(&dtype.as_str()) {
            return Err(NpyError::DType {
                path: what,
                found: dtype,
                expected: "int64",
            });
        }
        let (shape, n) = declared(&f, &what, &mut budget)?;
        let data = match dtype.as_str() {
            "int32" => widen(read_values::<i32, _>(f, n, &what)?),
            "int16" => widen(read_values::<i16, _>(f, n, &what)?),
            "int8" => widen(read_values::<i8, _>(f, n, &what)?),
            "uint16" => widen(read_values::<u16, _>(f, n, &what)?),
            "uint8" => widen(read_values::<u8, _>(f, n, &what)?),
            _ => read_values::<i64, _>(f, n, &what)?,
        };
        self.budget = budget;
        Ok(Some(Array { shape, data }))
    }
}

fn widen<T: Into<i64>>(v: Vec<T>) -> Vec<i64> {
    v.into_iter().map(Into::into).collect()
}

/// Read every array of an .npz archive as float32, sorted by name.
pub fn read_npz_f32(path: &Path) -> Result<Vec<(String, Array<f32>)>, NpyError> {
    let mut z = Npz::open(path)?;
    let mut out = Vec::new();
    for name in z.names() {
        if let Some(a) = z.f32(&name)? {
            out.push((name, a));
        }
    }
    Ok(out)
}
/// Write a float32 .npy file (format version 1.0, C order).
pub fn write_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), NpyError> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy(path, "<f4", shape, &bytes)
}

/// Write a bool array (numpy `|b1`, one byte per element) as a version 1.0 .npy file.
pub fn write_bool(path: &Path, shape: &[usize], data: &[bool]) -> Result<(), NpyError> {
    let bytes: Vec<u8> = data.iter().map(|&b| b as u8).collect();
    write_npy(path, "|b1", shape, &bytes)
}

/// Write integer values (int8 `|i1`, uint8 `|u1` or int32 `<i4`, by `T`) as a version 1.0
/// .npy file.
pub fn write_int<T: NpyInt>(path: &Path, shape: &[usize], data: &[T]) -> Result<(), NpyError> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.le_bytes()).collect();
    write_npy(path, T::DESCR, shape, &bytes)
}

/// The integer element types [`write_int`] writes.
pub trait NpyInt: Copy {
    const DESCR: &'static str;
    fn le_bytes(self) -> Vec<u8>;
}

impl NpyInt for i8 {
    const DESCR: &'static str = "|i1";
    fn le_bytes(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}

impl NpyInt for u8 {
    const DESCR: &'static str = "|u1";
    fn le_bytes(self) -> Vec<u8> {
        vec![self]
    }
}

impl NpyInt for i32 {
    const DESCR: &'static str = "<i4";
    fn le_bytes(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}

/// A version 1.0 .npy file of element type `descr` holding the little-endian `payload`.
fn write_npy(path: &Path, descr: &str, shape: &[usize], payload: &[u8]) -> Result<(), NpyError> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + payload.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(payload);
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
