//! Inference batch normalisation (reference): the twin of
//! `runtime-c/src/mn_batchnorm_f32.c`; the contract is `mn_batchnorm_f32` in
//! `runtime-c/include/mn_kernels.h`.

/// Parameters of the batch normalisation (`mn_batchnorm_params_t`): x, y `[n, channels,
/// size]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchnormParams {
    pub n: i32,
    pub channels: i32,
    pub size: i32,
    pub epsilon: f32,
}

/// `y = (x - mean) * (scale / sqrt(var + epsilon)) + bias` per channel
/// (`mn_batchnorm_f32`); scale, bias, mean, var: `[channels]`.
pub fn batchnorm_f32(
    p: &BatchnormParams,
    x: &[f32],
    scale: &[f32],
    bias: &[f32],
    mean: &[f32],
    var: &[f32],
    y: &mut [f32],
) {
    let (channels, size) = (p.channels as usize, p.size as usize);
    for n in 0..p.n as usize {
        for c in 0..channels {
            let off = (n * channels + c) * size;
            let k = scale[c] / libm::sqrtf(var[c] + p.epsilon);
            let (mu, beta) = (mean[c], bias[c]);
            for (yv, &xv) in y[off..off + size].iter_mut().zip(&x[off..off + size]) {
                *yv = (xv - mu) * k + beta;
            }
        }
    }
}
