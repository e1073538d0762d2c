//! Gather along one axis with constant indices: the twin of
//! runtime-c/src/mn_gather_f32.c (contract: `mn_gather_f32` in
//! runtime-c/include/mn_kernels.h).

/// Parameters of [`gather_f32`] (`mn_gather_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GatherParams {
    pub outer: i32,
    pub axis_len: i32,
    pub inner: i32,
    pub n_indices: i32,
}

/// `x` viewed as `[outer, axis_len, inner]`: `y[o][j][i] = x[o][indices[j]][i]` for
/// `j < n_indices`; a negative index in `[-axis_len, 0)` counts from the end, as in ONNX
/// (`mn_gather_f32`).
pub fn gather_f32(p: &GatherParams, x: &[f32], indices: &[i32], y: &mut [f32]) {
    let inner = p.inner.max(0) as usize;
    let indices = &indices[..p.n_indices.max(0) as usize];
    let mut y_off = 0;
    for o in 0..p.outer {
        for &k in indices {
            let k = if k < 0 { k + p.axis_len } else { k }; // counts from the end
            let src = ((o * p.axis_len + k) as usize) * inner;
            y[y_off..y_off + inner].copy_from_slice(&x[src..src + inner]);
            y_off += inner;
        }
    }
}
