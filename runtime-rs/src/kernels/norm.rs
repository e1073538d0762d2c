//! Layer, instance and group normalisation over `[outer, groups, inner]` (reference): the
//! twin of `runtime-c/src/mn_norm_f32.c`; the contract is `mn_norm_f32` in
//! `runtime-c/include/mn_kernels.h`.

/// Parameters of the normalisations (`mn_norm_params_t`): x viewed as `[outer, groups,
/// inner]`; element i of group g uses affine value `(g * inner + i) / affine_div`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormParams {
    pub outer: i32,
    pub groups: i32,
    pub inner: i32,
    pub affine_div: i32,
    pub epsilon: f32,
}

/// Normalise every block of `inner` elements with its own mean and variance (two passes
/// in float), then scale and shift (`mn_norm_f32`): `y = (x - mean) * (1 / sqrt(var +
/// epsilon)) * scale[k] + bias[k]` (`bias` `None`: no shift). `mean` and `inv_std`, when
/// given, receive each block's mean and `1 / sqrt(var + epsilon)` (`outer * groups`).
pub fn norm_f32(
    p: &NormParams,
    x: &[f32],
    scale: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    mut mean: Option<&mut [f32]>,
    mut inv_std: Option<&mut [f32]>,
) {
    let inner = p.inner.max(0) as usize;
    for o in 0..p.outer.max(0) as usize {
        for g in 0..p.groups.max(0) as usize {
            let b = o * p.groups as usize + g;
            let block = &x[b * inner..][..inner];
            let yb = &mut y[b * inner..][..inner];
            let (mu, inv) = norm_block(p, g * inner, block, scale, bias, yb);
            if let Some(mean) = mean.as_deref_mut() {
                mean[b] = mu;
            }
            if let Some(inv_std) = inv_std.as_deref_mut() {
                inv_std[b] = inv;
            }
        }
    }
}

/// Normalise one block; element i uses affine value `(first + i) / affine_div`. Returns
/// the block's mean and `1 / sqrt(var + epsilon)` (0 and `1 / sqrt(epsilon)` when empty).
fn norm_block(
    p: &NormParams,
    first: usize,
    x: &[f32],
    scale: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
) -> (f32, f32) {
    if x.is_empty() {
        return (0.0, 1.0 / libm::sqrtf(p.epsilon));
    }
    let n = x.len() as f32;
    let mean = x.iter().fold(0.0f32, |s, &v| s + v) / n;
    let var = x.iter().fold(0.0f32, |s, &v| s + (v - mean) * (v - mean)) / n;
    let inv = 1.0 / libm::sqrtf(var + p.epsilon);
    let div = p.affine_div as usize;
    for (i, (yv, &xv)) in y.iter_mut().zip(x).enumerate() {
        let k = (first + i) / div;
        *yv = (xv - mean) * inv * scale[k] + bias.map_or(0.0, |b| b[k]);
    }
    (mean, inv)
}
