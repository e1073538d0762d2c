//! Twin of runtime-c/src/mn_softmax_s8.c: softmax of dequantised int8 rows, float out
//! (reference).

/// `mn_softmax_s8_params_t`: `rows` rows of `n` values, the input scale.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxS8Params {
    pub rows: i32,
    pub n: i32,
    pub scale: f32,
}

/// `y[r][j] = e_j / sum e`, `e_j = expf(scale * (x[r][j] - max_r))` (`mn_softmax_s8`).
pub fn softmax_s8(p: &SoftmaxS8Params, x: &[i8], y: &mut [f32]) {
    let n = p.n.max(0) as usize;
    if n == 0 {
        return;
    }
    for (xr, yr) in x
        .chunks_exact(n)
        .zip(y.chunks_exact_mut(n))
        .take(p.rows as usize)
    {
        let m = xr.iter().map(|&v| v as i32).max().unwrap_or(-128);
        let mut sum = 0.0f32;
        for (yv, &xv) in yr.iter_mut().zip(xr) {
            *yv = libm::expf(p.scale * (xv as i32 - m) as f32);
            sum += *yv;
        }
        for yv in yr.iter_mut() {
            *yv /= sum;
        }
    }
}
