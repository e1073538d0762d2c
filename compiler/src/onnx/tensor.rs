//! TensorProto -> IR constants: typed fields, little-endian `raw_data`, external data files.

use super::error::ImportError;
use super::files::DataDir;
use crate::ir::{DType, Data};
use onnx_protobuf::tensor_proto::DataLocation;
use onnx_protobuf::TensorProto;

// ONNX TensorProto.DataType codes.
pub const FLOAT: i32 = 1;
pub const UINT8: i32 = 2;
pub const INT8: i32 = 3;
pub const UINT16: i32 = 4;
pub const INT16: i32 = 5;
pub const INT32: i32 = 6;
pub const INT64: i32 = 7;
pub const BOOL: i32 = 9;
pub const DOUBLE: i32 = 11;
pub const UINT32: i32 = 12;
pub const UINT64: i32 = 13;

/// Human name of an ONNX element type code.
pub fn onnx_dtype_name(code: i32) -> String {
    let s = match code {
        0 => "undefined",
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        _ => return format!("type code {code}"),
    };
    s.to_string()
}

/// The IR dtype a constant of this ONNX type becomes. BOOL/UINT8/INT8 constants keep their
/// dtype but carry their values as `Data::I64`; INT32, INT16, UINT16, UINT32 and UINT64
/// (values above i64::MAX rejected) widen to I64, DOUBLE narrows to F32.
pub fn const_dtype(code: i32) -> Option<DType> {
    match code {
        FLOAT | DOUBLE => Some(DType::F32),
        INT64 | INT32 | INT16 | UINT16 | UINT32 | UINT64 => Some(DType::I64),
        BOOL => Some(DType::Bool),
        UINT8 => Some(DType::U8),
        INT8 => Some(DType::I8),
        _ => None,
    }
}

fn bad(tensor: &str, detail: String) -> ImportError {
    ImportError::BadTensor {
        tensor: tensor.to_string(),
        detail,
    }
}

/// Converts dims to a static shape (errors on negative dims).
pub fn dims_to_shape(name: &str, dims: &[i64]) -> Result<Vec<usize>, ImportError> {
    dims.iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(name, format!("negative dimension {d}"))))
        .collect()
}

fn element_bytes(code: i32) -> usize {
    match code {
        INT16 | UINT16 => 2,
        FLOAT | INT32 | UINT32 => 4,
        INT64 | DOUBLE | UINT64 => 8,
        _ => 1,
    }
}

/// Unsigned values as i64; one above i64::MAX is an error.
fn unsigned_i64(name: &str, v: Vec<u64>) -> Result<Vec<i64>, ImportError> {
    v.into_iter()
        .map(|x| {
            i64::try_from(x)
                .map_err(|_| bad(name, format!("uint64 value {x} exceeds the int64 range")))
        })
        .collect()
}

/// Decodes little-endian bytes of `code` into IR data.
fn decode_raw(name: &str, code: i32, raw: &[u8], numel: usize) -> Result<Data, ImportError> {
    let size = element_bytes(code);
    let expected = numel.saturating_mul(size);
    if raw.len() != expected {
        return Err(bad(
            name,
            format!(
                "raw data holds {} bytes, expected {expected} ({numel} elements of {})",
                raw.len(),
                onnx_dtype_name(code)
            ),
        ));
    }
    Ok(match code {
        FLOAT => Data::F32(le_values(raw, f32::from_le_bytes)),
        DOUBLE => Data::F32(le_values(raw, |b| f64::from_le_bytes(b) as f32)),
        INT64 => Data::I64(le_values(raw, i64::from_le_bytes)),
        INT32 => Data::I64(le_values(raw, |b| i32::from_le_bytes(b) as i64)),
        INT16 => Data::I64(le_values(raw, |b| i16::from_le_bytes(b) as i64)),
        UINT16 => Data::I64(le_values(raw, |b| u16::from_le_bytes(b) as i64)),
        UINT32 => Data::I64(le_values(raw, |b| u32::from_le_bytes(b) as i64)),
        UINT64 => Data::I64(unsigned_i64(name, le_values(raw, u64::from_le_bytes))?),
        INT8 => Data::I64(raw.iter().map(|&b| b as i8 as i64).collect()),
        _ => Data::I64(raw.iter().map(|&b| b as i64).collect()),
    })
}

/// Every `N`-byte little-endian element of `raw`, decoded by `from_le`.
fn le_values<const N: usize, T>(raw: &[u8], from_le: impl Fn([u8; N]) -> T) -> Vec<T> {
    raw.chunks_exact(N)
        .map(|c| {
            let mut buf = [0u8; N];
            buf.copy_from_slice(c);
            from_le(buf)
        })
        .collect()
}

/// The bytes of an external-data tensor: `length` (default: the tensor's size, which it
/// must equal) bytes at `offset` of the file `location`, confined by `dir`.
fn read_external(
    t: &TensorProto,
    dir: Option<&DataDir>,
    numel: usize,
) -> Result<Vec<u8>, ImportError> {
    let name = t.name.as_str();
    let ext = |detail: String| ImportError::ExternalData {
        tensor: name.to_string(),
        detail,
    };
    let number = |key: &str, v: &str| {
        v.parse::<u64>()
            .map_err(|_| ext(format!("{key} {v:?} is not a non-negative integer")))
    };
    let mut location = None;
    let mut offset = 0u64;
    let mut length = None;
    for kv in &t.external_data {
        match kv.key.as_str() {
            "location" => location = Some(kv.value.as_str()),
            "offset" => offset = number("offset", &kv.value)?,
            "length" => length = Some(number("length", &kv.value)?),
            _ => {}
        }
    }
    let location = location.ok_or_else(|| ext("no 'location' key".to_string()))?;
    let dir = dir.ok_or_else(|| {
        ext(format!(
            "file {location:?} cannot be resolved because the model was given as bytes without a base directory"
        ))
    })?;
    let expected = numel
        .checked_mul(element_bytes(t.data_type))
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| bad(name, format!("{numel} elements are too many bytes")))?;
    let length = length.unwrap_or(expected);
    if length != expected {
        return Err(bad(
            name,
            format!(
                "external data length {length} differs from the {expected} bytes of {numel} elements of {}",
                onnx_dtype_name(t.data_type)
            ),
        ));
    }
    dir.read(name, location, offset, length)
}

/// Converts a TensorProto into (dtype, shape, data).
pub fn convert(
    t: &TensorProto,
    base_dir: Option<&DataDir>,
) -> Result<(DType, Vec<usize>, Data), ImportError> {
    let name = t.name.as_str();
    let dtype = const_dtype(t.data_type).ok_or_else(|| ImportError::DType {
        tensor: name.to_string(),
        dtype: onnx_dtype_name(t.data_type),
        what: "constants may be float32, float64, int64, int32, int16, int8, uint64, uint32, uint16, uint8 or bool".into(),
    })?;
    let shape = dims_to_shape(name, &t.dims)?;
    let numel = super::shape::checked_numel(&shape)
        .ok_or_else(|| bad(name, format!("shape {shape:?} is too large")))?;
    let code = t.data_type;
    let data = if t.data_location.value() == DataLocation::EXTERNAL as i32 {
        let raw = read_external(t, base_dir, numel)?;
        decode_raw(name, code, &raw, numel)?
    } else if !t.raw_data.is_empty() {
        decode_raw(name, code, &t.raw_data, numel)?
    } else {
        let data = match code {
            FLOAT => Data::F32(t.float_data.clone()),
            DOUBLE => Data::F32(t.double_data.iter().map(|&x| x as f32).collect()),
            INT64 => Data::I64(t.int64_data.clone()),
            UINT32 | UINT64 => Data::I64(unsigned_i64(name, t.uint64_data.clone())?),
            _ => Data::I64(t.int32_data.iter().map(|&x| x as i64).collect()),
        };
        if data.len() != numel {
            return Err(bad(
                name,
                format!(
                    "holds {} values but its shape {:?} needs {numel}",
                    data.len(),
                    shape
                ),
            ));
        }
        data
    };
    Ok((dtype, shape, data))
}
