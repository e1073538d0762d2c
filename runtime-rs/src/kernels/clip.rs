//! Clip with bounds read at run time: the twin of runtime-c/src/mn_clip_f32.c
//! (contract: `mn_clip_f32` in runtime-c/include/mn_kernels.h).

use super::act::{clip, map};

/// Parameters of [`clip_f32`] (`mn_clip_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipParams {
    pub size: i32,
}

/// `y[i] = min(max(x[i], lo[0]), hi[0])` for `i < size`; a `None` bound does not clip
/// (lo > hi gives hi, NaN stays NaN, as in ONNX) (`mn_clip_f32`).
pub fn clip_f32(p: &ClipParams, x: &[f32], lo: Option<&[f32]>, hi: Option<&[f32]>, y: &mut [f32]) {
    let n = p.size.max(0) as usize;
    // An absent bound is an infinite one: no value compares below -inf or above +inf.
    let lo = lo.map_or(f32::NEG_INFINITY, |lo| lo[0]);
    let hi = hi.map_or(f32::INFINITY, |hi| hi[0]);
    map(&x[..n], &mut y[..n], |v| clip(v, lo, hi));
}
