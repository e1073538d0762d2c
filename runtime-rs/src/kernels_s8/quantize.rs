//! Twin of runtime-c/src/mn_quantize_s8.c: QuantizeLinear, float -> int8 (reference).

/// `mn_quantize_s8_params_t`: per-tensor scale and zero point, output range `[lo, hi]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantizeS8Params {
    pub size: i32,
    pub scale: f32,
    pub zp: i32,
    pub lo: i32,
    pub hi: i32,
}

/// `nearbyint(v)` for `|v| <= 2^23`, half to even in plain arithmetic (`round_half_even`).
fn round_half_even(v: f32) -> f32 {
    let r = v as i32 as f32; // truncated toward zero
    let f = v - r; // exact
    let odd = (r as i32) & 1 == 1;
    if f > 0.5 || (f == 0.5 && odd) {
        r + 1.0
    } else if f < -0.5 || (f == -0.5 && odd) {
        r - 1.0
    } else {
        r
    }
}

/// `y = clamp(nearbyint(x / scale) + zp, lo, hi)`; NaN gives zp (`mn_quantize_s8`).
pub fn quantize_s8(p: &QuantizeS8Params, x: &[f32], y: &mut [i8]) {
    let (lo, hi) = ((p.lo - p.zp) as f32, (p.hi - p.zp) as f32);
    let n = p.size as usize;
    for (yv, &xv) in y[..n].iter_mut().zip(&x[..n]) {
        let mut v = xv / p.scale;
        if v.is_nan() {
            v = 0.0;
        }
        v = if v < lo {
            lo
        } else if v > hi {
            hi
        } else {
            v
        };
        *yv = (round_half_even(v) as i32 + p.zp) as i8;
    }
}
