//! Elementwise activations and math `y[i] = f(x[i])`: the twin of
//! runtime-c/src/mn_unary_f32.c (contract: `mn_unary_f32` in
//! runtime-c/include/mn_kernels.h).

use super::act::{clip, leaky_relu, map, relu, swish, unit_clamp};

/// `MN_RELU`: `x < 0 ? 0 : x` (NaN stays NaN).
pub const RELU: i32 = 0;
/// `MN_LEAKY_RELU`: `x < 0 ? alpha * x : x`.
pub const LEAKY_RELU: i32 = 1;
/// `MN_CLIP`: `min(max(x, alpha), beta)`.
pub const CLIP: i32 = 2;
/// `MN_SIGMOID`: `1 / (1 + exp(-x))`.
pub const SIGMOID: i32 = 3;
/// `MN_TANH`.
pub const TANH: i32 = 4;
/// `MN_HARD_SIGMOID`: `max(0, min(1, alpha * x + beta))`.
pub const HARD_SIGMOID: i32 = 5;
/// `MN_HARD_SWISH`: `x * max(0, min(1, x / 6 + 0.5))`.
pub const HARD_SWISH: i32 = 6;
/// `MN_SCALE`: `alpha * x`.
pub const SCALE: i32 = 7;
/// `MN_ERF`.
pub const ERF: i32 = 8;
/// `MN_RECIPROCAL`: `1 / x`.
pub const RECIPROCAL: i32 = 9;
/// `MN_NEG`: `-x`.
pub const NEG: i32 = 10;
/// `MN_ABS`: `|x|`.
pub const ABS: i32 = 11;
/// `MN_EXP`.
pub const EXP: i32 = 12;
/// `MN_LOG`: natural logarithm.
pub const LOG: i32 = 13;
/// `MN_SIN`.
pub const SIN: i32 = 14;
/// `MN_COS`.
pub const COS: i32 = 15;
/// `MN_FLOOR`.
pub const FLOOR: i32 = 16;
/// `MN_CEIL`.
pub const CEIL: i32 = 17;
/// `MN_ROUND`: half to even.
pub const ROUND: i32 = 18;
/// `MN_SIGN`: -1, 0, 1; NaN stays NaN.
pub const SIGN: i32 = 19;
/// `MN_SOFTPLUS`: `log(1 + exp(x))`.
pub const SOFTPLUS: i32 = 20;
/// `MN_MISH`: `x * tanh(softplus(x))`.
pub const MISH: i32 = 21;
/// `MN_GELU`: `0.5 x (1 + erf(x / sqrt 2))`.
pub const GELU: i32 = 22;
/// `MN_GELU_TANH`: `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
pub const GELU_TANH: i32 = 23;
/// `MN_ELU`: `x >= 0 ? x : alpha (exp(x) - 1)`.
pub const ELU: i32 = 24;
/// `MN_SELU`: `beta * (x > 0 ? x : alpha (exp(x) - 1))`.
pub const SELU: i32 = 25;
/// `MN_SOFTSIGN`: `x / (1 + |x|)`.
pub const SOFTSIGN: i32 = 26;
/// `MN_NOT`: bool (0 / 1) `x`: 1 where `x` is 0, else 0.
pub const NOT: i32 = 27;
/// `MN_SQRT`: NaN for `x < 0`.
pub const SQRT: i32 = 28;
/// `MN_SWISH`: `x * sigmoid(alpha * x)` (SiLU: alpha = 1).
pub const SWISH: i32 = 29;

/// Parameters of [`unary_f32`] (`mn_unary_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnaryParams {
    /// One of the unary kinds ([`RELU`] ..= [`SWISH`]).
    pub kind: i32,
    pub size: i32,
    pub alpha: f32,
    pub beta: f32,
}

/// Elementwise `y[i] = f(x[i])` for `i < size` (`mn_unary_f32`). The kind is chosen once
/// per call, so each case is a loop of its own.
pub fn unary_f32(p: &UnaryParams, x: &[f32], y: &mut [f32]) {
    let n = p.size.max(0) as usize;
    let (x, y) = (&x[..n], &mut y[..n]);
    let (alpha, beta) = (p.alpha, p.beta);
    match p.kind {
        // NaN stays NaN (onnxruntime); every activation here propagates NaN.
        RELU => map(x, y, relu),
        LEAKY_RELU => map(x, y, |v| leaky_relu(v, alpha)),
        CLIP => map(x, y, |v| clip(v, alpha, beta)),
        SIGMOID => map(x, y, sigmoid),
        TANH => map(x, y, libm::tanhf),
        HARD_SIGMOID => map(x, y, |v| unit_clamp(alpha * v + beta)),
        HARD_SWISH => map(x, y, |v| v * unit_clamp(v / 6.0 + 0.5)),
        SWISH => map(x, y, |v| swish(v, alpha)),
        SCALE => map(x, y, |v| alpha * v),
        ELU => map(x, y, |v| if v >= 0.0 { v } else { alpha * libm::expm1f(v) }),
        SELU => map(x, y, |v| {
            beta * if v > 0.0 { v } else { alpha * libm::expm1f(v) }
        }),
        kind => map(x, y, |v| math(kind, v)),
    }
}

/// Sigmoid in a stable form: `expf` never sees a large positive argument.
#[inline(always)]
fn sigmoid(v: f32) -> f32 {
    if v >= 0.0 {
        1.0 / (1.0 + libm::expf(-v))
    } else {
        let e = libm::expf(v);
        e / (1.0 + e)
    }
}

/// `log(1 + exp(v))` without overflow for large `v` (`mn_softplus`).
fn softplus(v: f32) -> f32 {
    if v > 0.0 {
        v + libm::log1pf(libm::expf(-v))
    } else {
        libm::log1pf(libm::expf(v))
    }
}

/// The math functions without parameters ([`ERF`] ..= [`SQRT`] but ELU / SELU), a
/// match per element as in C's reference (`mn_math`).
fn math(kind: i32, v: f32) -> f32 {
    match kind {
        ERF => libm::erff(v),
        RECIPROCAL => 1.0 / v,
        NEG => -v,
        ABS => libm::fabsf(v),
        EXP => libm::expf(v),
        LOG => libm::logf(v),
        SIN => libm::sinf(v),
        COS => libm::cosf(v),
        FLOOR => libm::floorf(v),
        CEIL => libm::ceilf(v),
        ROUND => libm::rintf(v), // half to even
        SIGN => {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }
        SOFTPLUS => softplus(v),
        MISH => v * libm::tanhf(softplus(v)),
        GELU => 0.5 * v * (1.0 + libm::erff(v * core::f32::consts::FRAC_1_SQRT_2)),
        GELU_TANH => {
            let inner = 0.797_884_6 * (v + 0.044_715 * v * v * v);
            0.5 * v * (1.0 + libm::tanhf(inner))
        }
        SOFTSIGN => v / (1.0 + libm::fabsf(v)),
        SQRT => libm::sqrtf(v),
        _ => {
            // NOT
            if v == 0.0 {
                1.0
            } else {
                0.0
            }
        }
    }
}
