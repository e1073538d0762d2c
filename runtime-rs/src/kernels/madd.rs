//! `madd(a, b, c) = a * b + c`, the multiply-add of the kernels' hot loops: one fused
//! multiply-add (a single rounding) exactly where the build's target has an FMA unit the
//! C build's `-ffp-contract=fast` would use too, a multiply then an add elsewhere.
//!
//! Where it fuses: x86 / x86-64 built with the `fma` target feature (`-C
//! target-cpu=native` on a Haswell or later CPU: `meshnn bench`), through
//! `core::arch`'s `_mm_fmadd_ss`, which LLVM lowers to `llvm.fma.f32` and so vectorises
//! into `vfmadd*ps` inside the kernels' loops; AArch64 with NEON, through
//! `vfma_n_f32` (`fmadd`, vectorised into `fmla`). Nowhere else: `f32::mul_add` needs `std`
//! (core's is unstable in rustc 1.95). On Cortex-M4F/M33 Rust's `a * b + c` is the
//! unfused `vmla.f32`, while the C firmware's scalar convolution tiles (the 8 x 3
//! `mn_cf_tile` and the per-channel depthwise path, `MN_MADD` in
//! `mn_kernels_internal.h`) fuse with `fmaf` (`vfma.f32`) since issue 16's M4F work: there
//! the Rust and C firmware differ by rounding (one ulp per multiply-add), within the
//! tolerance the QEMU tests use; the other C kernels still round twice (gcc `-std=c99`
//! does not contract).
//! Elsewhere (the default x86-64 build, so the differential tests against C built without
//! contraction, and every MCU target) the kernels compute exactly what they did before.
//!
//! The `unsafe` here is the whole crate's only unsafe outside the `c-hal` bridge.

/// `a * b + c`, fused (one rounding) on x86 with the `fma` target feature.
#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "fma"
))]
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) fn madd(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(target_arch = "x86")]
    use core::arch::x86::{_mm_cvtss_f32, _mm_fmadd_ss, _mm_set_ss};
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::{_mm_cvtss_f32, _mm_fmadd_ss, _mm_set_ss};
    // SAFETY: these intrinsics only need the CPU features `sse` and `fma`, and this
    // function is compiled only when the whole build targets `fma` (cfg above; `fma`
    // implies `sse`), so every CPU the binary may run on has the instructions. They touch
    // no memory.
    unsafe { _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c))) }
}

/// `a * b + c`, fused (one rounding) on AArch64 with NEON.
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) fn madd(a: f32, b: f32, c: f32) -> f32 {
    use core::arch::aarch64::{vdup_n_f32, vfma_n_f32, vget_lane_f32};
    // SAFETY: these intrinsics only need the CPU feature `neon`, and this function is
    // compiled only when the whole build targets it (cfg above). They touch no memory.
    unsafe { vget_lane_f32::<0>(vfma_n_f32(vdup_n_f32(c), vdup_n_f32(b), a)) }
}

/// `a * b + c`: a multiply, then an add (two roundings), as C without contraction.
#[cfg(not(any(
    all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "fma"
    ),
    all(target_arch = "aarch64", target_feature = "neon")
)))]
#[inline(always)]
pub(crate) fn madd(a: f32, b: f32, c: f32) -> f32 {
    a * b + c
}

#[cfg(test)]
mod tests {
    use super::madd;

    #[test]
    fn madd_is_a_times_b_plus_c() {
        assert_eq!(madd(2.0, 3.0, 1.0), 7.0);
        assert_eq!(madd(-0.5, 4.0, 0.25), -1.75);
    }

    /// `(1 + e) * (1 - e) - 1` is `-e^2` with one rounding, 0 with two (the product rounds
    /// to 1): the test tells which form the build uses and checks it is the one intended.
    #[test]
    fn madd_fuses_exactly_where_the_target_has_fma() {
        let e = f32::EPSILON;
        let fused = madd(1.0 + e, 1.0 - e, -1.0);
        let fma = cfg!(any(
            all(
                any(target_arch = "x86", target_arch = "x86_64"),
                target_feature = "fma"
            ),
            all(target_arch = "aarch64", target_feature = "neon")
        ));
        if fma {
            assert_eq!(fused, -e * e);
        } else {
            assert_eq!(fused, 0.0);
        }
    }
}
