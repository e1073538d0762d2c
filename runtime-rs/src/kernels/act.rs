//! Fused activations (`mn_act_t`, `mn_act_apply`, and `mn_act_store_f32` of
//! runtime-c/src/mn_act_store_f32.c).

/// `MN_ACT_NONE`: identity.
pub const ACT_NONE: i32 = 0;
/// `MN_ACT_RELU`: `x < 0 ? 0 : x` (NaN stays NaN, as in onnxruntime).
pub const ACT_RELU: i32 = 1;
/// `MN_ACT_LEAKY_RELU`: `x < 0 ? alpha * x : x`.
pub const ACT_LEAKY_RELU: i32 = 2;
/// `MN_ACT_CLIP`: `min(max(x, lo), hi)` (lo > hi gives hi, as in ONNX).
pub const ACT_CLIP: i32 = 3;
/// `MN_ACT_HARD_SIGMOID`: `max(0, min(1, alpha * x + lo))` (ONNX alpha, beta = lo).
pub const ACT_HARD_SIGMOID: i32 = 4;
/// `MN_ACT_HARD_SWISH`: `x * max(0, min(1, x / 6 + 0.5))`.
pub const ACT_HARD_SWISH: i32 = 5;
/// `MN_ACT_SWISH`: `x * sigmoid(alpha * x)` (SiLU: alpha = 1).
pub const ACT_SWISH: i32 = 6;
/// Number of activation kinds (`MN_ACT_KINDS`).
pub const ACT_KINDS: i32 = 7;

/// An activation fused into the kernel that produces a tensor (`mn_act_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Act {
    /// One of the `ACT_*` kinds.
    pub kind: i32,
    /// LeakyRelu and HardSigmoid slope, Swish alpha.
    pub alpha: f32,
    /// Clip lower bound; HardSigmoid offset (beta).
    pub lo: f32,
    /// Clip upper bound.
    pub hi: f32,
}

impl Act {
    /// No activation.
    pub const NONE: Act = Act {
        kind: ACT_NONE,
        alpha: 0.0,
        lo: 0.0,
        hi: 0.0,
    };

    /// The activation of one value (`mn_act_apply`).
    #[inline(always)]
    pub fn apply(&self, x: f32) -> f32 {
        match self.kind {
            ACT_RELU => relu(x),
            ACT_LEAKY_RELU => leaky_relu(x, self.alpha),
            ACT_CLIP => clip(x, self.lo, self.hi),
            ACT_HARD_SIGMOID => unit_clamp(self.alpha * x + self.lo),
            // x / 6 as mn_act_apply has it (mn_act_store_f32 multiplies by 1 / 6).
            ACT_HARD_SWISH => x * unit_clamp(x / 6.0 + 0.5),
            ACT_SWISH => swish(x, self.alpha),
            _ => x,
        }
    }

    /// The bounds `(lo, hi)` of the activations that are a clamp, [`clip`]
    /// (`mn_act_clamp_bounds`): none (-inf, inf), ReLU (0, inf: the same values as
    /// [`relu`], -0 and NaN included), Clip (its bounds); `None` for the other kinds. The
    /// SIMD tiles store these inline (a max and a min per vector) instead of calling
    /// [`Act::store`] per row.
    #[inline(always)]
    pub(crate) fn clamp_bounds(&self) -> Option<(f32, f32)> {
        match self.kind {
            ACT_NONE => Some((f32::NEG_INFINITY, f32::INFINITY)),
            ACT_RELU => Some((0.0, f32::INFINITY)),
            ACT_CLIP => Some((self.lo, self.hi)),
            _ => None,
        }
    }

    /// `dst[i] = act(src[i])` for `i < n` (`mn_act_store_f32`): the kind is chosen once
    /// per call so each case is a loop the compiler vectorises.
    pub fn store(&self, src: &[f32], dst: &mut [f32], n: usize) {
        let (src, dst) = (&src[..n], &mut dst[..n]);
        match self.kind {
            ACT_RELU => map(src, dst, relu),
            ACT_LEAKY_RELU => {
                let alpha = self.alpha;
                map(src, dst, |x| leaky_relu(x, alpha))
            }
            ACT_CLIP => {
                let (lo, hi) = (self.lo, self.hi);
                map(src, dst, |x| clip(x, lo, hi))
            }
            ACT_HARD_SIGMOID => {
                let (alpha, beta) = (self.alpha, self.lo);
                map(src, dst, |x| unit_clamp(alpha * x + beta))
            }
            ACT_HARD_SWISH => map(src, dst, hard_swish),
            ACT_SWISH => {
                let alpha = self.alpha;
                map(src, dst, |x| swish(x, alpha))
            }
            _ => dst.copy_from_slice(src),
        }
    }
}

/// `dst[i] = f(src[i])` over the common length: a loop LLVM vectorises when `f` allows.
#[inline(always)]
pub(crate) fn map(src: &[f32], dst: &mut [f32], f: impl Fn(f32) -> f32) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f(s);
    }
}

#[inline(always)]
pub(crate) fn relu(x: f32) -> f32 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

#[inline(always)]
pub(crate) fn leaky_relu(x: f32, alpha: f32) -> f32 {
    if x < 0.0 {
        alpha * x
    } else {
        x
    }
}

#[inline(always)]
pub(crate) fn clip(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x < lo { lo } else { x };
    if x > hi {
        hi
    } else {
        x
    }
}

/// `max(0, min(1, v))` (`mn_unit_clamp`).
#[inline(always)]
pub fn unit_clamp(v: f32) -> f32 {
    v.clamp(0.0, 1.0) // NaN stays NaN, -0 stays -0, as in C
}

/// `x * max(0, min(1, x / 6 + 0.5))` as `mn_act_store_f32` computes it (times 1 / 6).
#[inline(always)]
pub(crate) fn hard_swish(x: f32) -> f32 {
    x * unit_clamp(x * (1.0 / 6.0) + 0.5)
}

/// `x * sigmoid(alpha * x)` in a form where `exp` never sees a large positive argument
/// (`mn_swish`).
#[inline(always)]
pub fn swish(x: f32, alpha: f32) -> f32 {
    let v = alpha * x;
    let e = libm::expf(if v < 0.0 { v } else { -v });
    if v < 0.0 {
        x * e / (1.0 + e)
    } else {
        x / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(kind: i32, alpha: f32, lo: f32, hi: f32) -> Act {
        Act {
            kind,
            alpha,
            lo,
            hi,
        }
    }

    #[test]
    fn apply_matches_hand_values() {
        assert_eq!(act(ACT_RELU, 0.0, 0.0, 0.0).apply(-2.0), 0.0);
        assert!(act(ACT_RELU, 0.0, 0.0, 0.0).apply(f32::NAN).is_nan());
        assert_eq!(act(ACT_LEAKY_RELU, 0.1, 0.0, 0.0).apply(-2.0), -0.2);
        assert_eq!(act(ACT_CLIP, 0.0, -1.0, 6.0).apply(7.5), 6.0);
        assert_eq!(act(ACT_CLIP, 0.0, 2.0, 1.0).apply(0.0), 1.0); // lo > hi gives hi
        assert_eq!(act(ACT_HARD_SIGMOID, 0.2, 0.5, 0.0).apply(1.0), 0.7);
        assert_eq!(act(ACT_HARD_SWISH, 0.0, 0.0, 0.0).apply(3.0), 3.0);
        assert_eq!(act(ACT_HARD_SWISH, 0.0, 0.0, 0.0).apply(-3.0), -0.0);
        // SiLU(1) = 1 / (1 + e^-1) = 0.7310586
        assert!((act(ACT_SWISH, 1.0, 0.0, 0.0).apply(1.0) - 0.731_058_6).abs() < 1e-6);
        assert_eq!(act(ACT_SWISH, 1.0, 0.0, 0.0).apply(-200.0), -0.0);
    }

    /// The clamp of `clamp_bounds` is the activation itself, bit for bit, on -0, NaN, the
    /// infinities and the bounds; the other kinds have none.
    #[test]
    fn clamp_bounds_clamp_equals_apply() {
        let src = [
            f32::NEG_INFINITY,
            -3.5,
            -0.5,
            -0.0,
            0.0,
            1.5,
            7.0,
            f32::INFINITY,
            f32::NAN,
        ];
        for kind in 0..ACT_KINDS {
            for (lo, hi) in [(-0.5, 1.5), (0.0, 6.0), (2.0, 1.0)] {
                let a = act(kind, 0.3, lo, hi);
                let Some((lo, hi)) = a.clamp_bounds() else {
                    assert!(![ACT_NONE, ACT_RELU, ACT_CLIP].contains(&kind));
                    continue;
                };
                for s in src {
                    let (c, want) = (clip(s, lo, hi), a.apply(s));
                    let same = c.to_bits() == want.to_bits() || (c.is_nan() && want.is_nan());
                    assert!(same, "kind {kind} ({lo}, {hi}) at {s}: {c} != {want}");
                }
            }
        }
    }

    #[test]
    fn store_equals_apply_for_every_kind() {
        let src = [-3.5f32, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0, 100.0];
        for kind in 0..ACT_KINDS {
            let a = act(kind, 0.3, -0.5, 1.5);
            let mut dst = [0.0f32; 8];
            a.store(&src, &mut dst, 8);
            for (d, s) in dst.iter().zip(src) {
                assert_eq!(d.to_bits(), a.apply(s).to_bits(), "kind {kind} at {s}");
            }
        }
    }
}
