//! Shared helpers of the differential tests (tests/*.rs): a seeded generator of inputs
//! and a comparison with a tolerance for summation order. The C kernels are linked from
//! the static library build.rs compiles (`mnc_kernels`).

/// A small deterministic generator (xorshift64*), so every run tests the same cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    pub fn int(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i32
    }
    /// Uniform in [-1, 1).
    pub fn float(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
    pub fn floats(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.float()).collect()
    }
}

/// Assert `rust` equals `c` element by element within `rel` of the larger magnitude
/// (plus `rel` absolute, for values near zero); NaN must match NaN, an infinity the same
/// infinity.
pub fn assert_close(what: &str, rust: &[f32], c: &[f32], rel: f32) {
    assert_eq!(rust.len(), c.len(), "{what}: lengths");
    for (i, (&r, &k)) in rust.iter().zip(c).enumerate() {
        if r.is_nan() || k.is_nan() {
            assert!(r.is_nan() && k.is_nan(), "{what}[{i}]: rust {r} c {k}");
            continue;
        }
        if r == k {
            continue; // also equal infinities, whose difference is NaN
        }
        let tol = rel * (1.0 + r.abs().max(k.abs()));
        assert!((r - k).abs() <= tol, "{what}[{i}]: rust {r} c {k}");
    }
}

/// A random fused activation: every kind, with parameters in plausible ranges.
pub fn random_act(rng: &mut Rng) -> meshnn_runtime::kernels::Act {
    let lo = rng.float();
    meshnn_runtime::kernels::Act {
        kind: rng.int(0, meshnn_runtime::kernels::ACT_KINDS - 1),
        alpha: rng.float() * 2.0,
        lo,
        hi: lo + rng.float() + 0.5,
    }
}

/// The C pointer of an optional operand: NULL for `None`.
pub fn ptr_or_null(v: Option<&[f32]>) -> *const f32 {
    v.map_or(core::ptr::null(), |v| v.as_ptr())
}

/// The C pointer of an optional output: NULL for `None`.
pub fn mut_ptr_or_null(v: Option<&mut [f32]>) -> *mut f32 {
    v.map_or(core::ptr::null_mut(), |v| v.as_mut_ptr())
}
