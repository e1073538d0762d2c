//! Normalisations on constant inputs: `Op::Norm` (Layer/Instance/GroupNormalization) and
//! inference BatchNormalization, float32 only, with the formulas of `mn_norm_f32` and
//! `mn_batchnorm_f32`: mean, then the mean of squared deviations (two passes), then
//! `(x - mean) * (1 / sqrt(var + epsilon)) * scale + bias`.

use super::Operands;
use crate::ir::layout::norm_blocks;
use crate::ir::{Data, NormAffine};

/// inputs: X, scale, optional bias; `n_outputs` of Y, the block means and the block
/// 1 / sqrt(variance + epsilon).
pub(super) fn norm(
    a: &Operands,
    axis: usize,
    groups: usize,
    epsilon: f32,
    affine: NormAffine,
    n_outputs: usize,
) -> Option<Vec<Data>> {
    let x = floats(a, 0)?;
    let scale = floats(a, 1)?;
    let bias = match a.datas.get(2) {
        Some(_) => Some(floats(a, 2)?),
        None => None,
    };
    let b = norm_blocks(&a.t()?.shape, axis, groups, affine)?;
    let n_affine = b.groups * b.inner / b.affine_div;
    let sizes_ok = b.outer * b.groups * b.inner == x.len()
        && scale.len() == n_affine
        && bias.is_none_or(|v| v.len() == n_affine);
    if !sizes_ok {
        return None;
    }
    let mut y = vec![0.0f32; x.len()];
    let (mut means, mut invs) = (Vec::new(), Vec::new());
    for (blk, (xs, ys)) in x
        .chunks(b.inner.max(1))
        .zip(y.chunks_mut(b.inner.max(1)))
        .enumerate()
    {
        let first = (blk % b.groups) * b.inner;
        let (mean, inv) = moments(xs, epsilon);
        means.push(mean);
        invs.push(inv);
        for (i, (&v, out)) in xs.iter().zip(ys.iter_mut()).enumerate() {
            let k = (first + i) / b.affine_div;
            *out = (v - mean) * inv * scale[k] + bias.map_or(0.0, |bv| bv[k]);
        }
    }
    let mut outs = vec![Data::F32(y), Data::F32(means), Data::F32(invs)];
    outs.truncate(n_outputs.clamp(1, 3));
    Some(outs)
}

/// inputs: X [N, C, ...], scale, B, mean, var (each [C]).
pub(super) fn batchnorm(a: &Operands, epsilon: f32) -> Option<Vec<Data>> {
    let x = floats(a, 0)?;
    let [scale, bias, mean, var] = [1, 2, 3, 4].map(|i| floats(a, i));
    let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
    let shape = &a.t()?.shape;
    let c = *shape.get(1)?;
    let size: usize = shape.get(2..)?.iter().product();
    if [scale, bias, mean, var].iter().any(|p| p.len() != c) {
        return None;
    }
    let y = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let ch = (i / size.max(1)) % c;
            let k = scale[ch] / (var[ch] + epsilon).sqrt();
            (v - mean[ch]) * k + bias[ch]
        })
        .collect();
    Some(vec![Data::F32(y)])
}

/// Mean and 1 / sqrt(variance + epsilon) of one block (two passes, float32).
fn moments(xs: &[f32], epsilon: f32) -> (f32, f32) {
    let n = xs.len().max(1) as f32;
    let mean = xs.iter().sum::<f32>() / n;
    let var = xs.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, 1.0 / (var + epsilon).sqrt())
}

/// Input `i`'s float32 data.
fn floats<'a>(a: &Operands<'a>, i: usize) -> Option<&'a [f32]> {
    match a.datas.get(i)? {
        Data::F32(v) => Some(v),
        Data::I64(_) => None,
    }
}
