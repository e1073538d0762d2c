//! Hand-made `.npy` bytes and a minimal `.npz` (stored zip) writer, so tests can build
//! valid and hostile files (any header, any amount of data) without Python.

use meshnn::npy::Array;
use std::path::Path;

/// An .npy file (format 1.0) with dtype `descr` (`<f4`, `<f8`, `<i8`), header shape
/// text `shape` (`(2, 3)`, `(5,)`) and raw `data`, which need not match the shape.
pub fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// The shape as an .npy header tuple.
pub fn shape_text(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    }
}

/// A well-formed float32 .npy of `a`.
pub fn f32_npy(a: &Array<f32>) -> Vec<u8> {
    let shape: Vec<u64> = a.shape.iter().map(|&d| d as u64).collect();
    let data: Vec<u8> = a.data.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy_bytes("<f4", &shape_text(&shape), &data)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Write a zip of stored (uncompressed) members `NAME.npy`, one per `(NAME, bytes)`.
pub fn write_npz(path: &Path, members: &[(&str, Vec<u8>)]) {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in members {
        let file = format!("{name}.npy");
        let (crc, len) = (crc32(data), data.len() as u32);
        let offset = out.len() as u32;
        // local header: signature, version, flags, method 0, time, date, crc, sizes, name
        let fixed = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            for v in [20u16, 0, 0, 0, 0x21] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            for v in [crc, len, len] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            h.extend_from_slice(&(file.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h
        };
        out.extend(fixed(0x0403_4b50, false));
        out.extend_from_slice(file.as_bytes());
        out.extend_from_slice(data);
        central.extend(fixed(0x0201_4b50, true));
        for v in [0u16, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(file.as_bytes());
    }
    let (cd_offset, cd_len, n) = (out.len() as u32, central.len() as u32, members.len() as u16);
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, n, n] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}
