//! Shared helpers of the differential tests (tests/*.rs): a seeded generator of inputs
//! and a comparison with a tolerance for summation order. The C kernels are linked from
//! the static library build.rs compiles (`mnc_kernels`).

use meshnn_runtime::kernels::MAX_DIMS;

/// Whether this build's Rust kernels fuse their multiply-adds (`kernels::madd`: AArch64
/// with NEON, x86 built with the `fma` target feature, e.g. `RUSTFLAGS="-C target-feature=+fma"`); the C
/// kernels here never do (`-std=c99`, no contraction).
pub const RUST_FUSES: bool = cfg!(any(
    all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "fma"
    ),
    all(target_arch = "aarch64", target_feature = "neon")
));

/// Tolerance of a Rust kernel against its C twin summing in the same order: equal up to
/// libm's few-ulp difference in Swish's expf, and to 1e-5 relative when the Rust kernels
/// fuse their multiply-adds ([`RUST_FUSES`]: one rounding per MAC instead of two).
pub const SAME_ORDER: f32 = if RUST_FUSES { 1e-5 } else { 1e-6 };

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
            continue; // equal infinities included
        }
        let tol = rel * (1.0 + r.abs().max(k.abs()));
        assert!((r - k).abs() <= tol, "{what}[{i}]: rust {r} c {k}");
    }
}

/// Assert `rust` and `c` hold the same floats bit for bit (signed zeros included); NaN
/// must match NaN (its sign and payload may differ between libms).
pub fn assert_same(what: &str, rust: &[f32], c: &[f32]) {
    assert_eq!(rust.len(), c.len(), "{what}: lengths");
    for (i, (&r, &k)) in rust.iter().zip(c).enumerate() {
        let same = (r.is_nan() && k.is_nan()) || r.to_bits() == k.to_bits();
        assert!(same, "{what}[{i}]: rust {r:e} c {k:e}");
    }
}

/// Row-major strides of `dims` (last axis 1), in a `MAX_DIMS` array.
pub fn dense_strides(dims: &[i32]) -> [i32; MAX_DIMS] {
    let mut s = [0; MAX_DIMS];
    let mut stride = 1;
    for d in (0..dims.len()).rev() {
        s[d] = stride;
        stride *= dims[d].max(1);
    }
    s
}

/// `dims` in a `MAX_DIMS` array (zero past the rank).
pub fn dims_array(dims: &[i32]) -> [i32; MAX_DIMS] {
    let mut a = [0; MAX_DIMS];
    a[..dims.len()].copy_from_slice(dims);
    a
}

impl Rng {
    /// A value from `[-scale, scale)`, now and then a special one (NaN, infinities, signed
    /// zeros, small integers and halves) so edge cases are drawn too.
    pub fn value(&mut self, scale: f32) -> f32 {
        const SPECIAL: [f32; 12] = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            -3.0,
            0.5,
            2.5,
            -1.5,
        ];
        if self.int(0, 15) == 0 {
            SPECIAL[self.int(0, SPECIAL.len() as i32 - 1) as usize]
        } else {
            self.float() * scale
        }
    }
    pub fn values(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.value(scale)).collect()
    }
    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.int(0, i as i32) as usize);
        }
        p
    }
}

/// Strides of an operand of shape `shape` stored densely with its axes in the order
/// `perm` (`perm[0]` outermost: a transposed view), 0 on axes of length 1 (broadcast).
pub fn permuted_strides(shape: &[i32], perm: &[usize]) -> [i32; MAX_DIMS] {
    let mut s = [0; MAX_DIMS];
    let mut stride = 1;
    for &d in perm.iter().rev() {
        s[d] = if shape[d] == 1 { 0 } else { stride };
        stride *= shape[d].max(1);
    }
    s
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
