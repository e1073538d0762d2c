//! QuantizeLinear and DequantizeLinear on constants, per tensor or per axis (ONNX:
//! y = saturate(round_half_even(x / scale) + zero_point), x = (q - zero_point) * scale,
//! in float32 as onnxruntime computes them).

use super::Operands;
use crate::ir::{DType, Data, Quant};

/// The representable range of a quantised element type.
pub fn range_of(dtype: DType) -> Option<(i64, i64)> {
    match dtype {
        DType::I8 => Some((-128, 127)),
        DType::U8 => Some((0, 255)),
        _ => None,
    }
}

/// One element quantised: float32 division, then round half to even (NaN gives the zero
/// point, infinities saturate), as `mn_quantize_s8` does.
pub fn quantize_one(x: f32, scale: f32, zp: i32, lo: i64, hi: i64) -> i64 {
    let v = x / scale;
    if v.is_nan() {
        return (zp as i64).clamp(lo, hi);
    }
    let r = v.round_ties_even() as f64 + zp as f64;
    r.clamp(lo as f64, hi as f64) as i64
}

pub(super) fn quantize(a: &Operands, q: &Quant) -> Option<Vec<Data>> {
    let x = a.x()?.as_f32()?;
    let shape = &a.t()?.shape;
    let (lo, hi) = range_of(a.out.dtype)?;
    let v = x
        .iter()
        .enumerate()
        .map(|(i, &xv)| {
            let c = q.channel_of(i, shape);
            Some(quantize_one(
                xv,
                *q.scales.get(c)?,
                *q.zero_points.get(c)?,
                lo,
                hi,
            ))
        })
        .collect::<Option<Vec<i64>>>()?;
    a.one(Some(Data::I64(v)))
}

pub(super) fn dequantize(a: &Operands, q: &Quant) -> Option<Vec<Data>> {
    let x = a.x()?.as_i64()?;
    let shape = &a.t()?.shape;
    let v = x
        .iter()
        .enumerate()
        .map(|(i, &xv)| {
            let c = q.channel_of(i, shape);
            let zp = *q.zero_points.get(c)? as i64;
            Some((xv.checked_sub(zp)? as f32) * q.scales.get(c)?)
        })
        .collect::<Option<Vec<f32>>>()?;
    a.one(Some(Data::F32(v)))
}
