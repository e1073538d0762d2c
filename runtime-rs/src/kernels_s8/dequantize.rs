//! Twin of runtime-c/src/mn_dequantize_s8.c: DequantizeLinear, int8 -> float (reference).

/// `mn_dequantize_s8_params_t`: per-tensor scale and zero point.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DequantizeS8Params {
    pub size: i32,
    pub scale: f32,
    pub zp: i32,
}

/// `y = (x - zp) as f32 * scale` (`mn_dequantize_s8`).
pub fn dequantize_s8(p: &DequantizeS8Params, x: &[i8], y: &mut [f32]) {
    let n = p.size as usize;
    for (yv, &xv) in y[..n].iter_mut().zip(&x[..n]) {
        *yv = (xv as i32 - p.zp) as f32 * p.scale;
    }
}
