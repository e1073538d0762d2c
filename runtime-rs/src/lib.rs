//! meshnn-runtime: what meshnn-generated `no_std` Rust device crates are made of.
//!
//! The Rust twin of `runtime-c/`: the same float32 kernels with the same parameter blocks,
//! layouts and results ([`kernels`], mirroring `mn_kernels.h`), and the same link layer
//! ([`link`], byte-compatible frames with `meshnn_link.h`). No allocator, no `std`, no
//! global state: everything a device needs lives in the value generated code builds.
//!
//! Naming follows the C runtime one to one, so a firmware engineer can read either:
//! C `mn_conv2d_f32` is [`kernels::conv2d_f32`], its parameter block `mn_conv_params_t`
//! is [`kernels::ConvParams`] (`#[repr(C)]`, same fields), enumerator `MN_ACT_RELU` is
//! [`kernels::ACT_RELU`]. Pointer operands become slices in the same order: `const
//! float *` is `&[f32]`, `float *` is `&mut [f32]`, a pointer the C header allows to be
//! NULL is an `Option`.
#![no_std]
// No unsafe code, except the C bridge of the `c-hal` feature (link::c_hal, host runs only)
// and the fused multiply-add of x86 FMA and AArch64 NEON builds (kernels::madd).
#![cfg_attr(
    not(any(
        feature = "c-hal",
        all(
            any(target_arch = "x86", target_arch = "x86_64"),
            target_feature = "fma"
        ),
        all(target_arch = "aarch64", target_feature = "neon")
    )),
    forbid(unsafe_code)
)]
#![cfg_attr(
    any(
        feature = "c-hal",
        all(
            any(target_arch = "x86", target_arch = "x86_64"),
            target_feature = "fma"
        ),
        all(target_arch = "aarch64", target_feature = "neon")
    ),
    deny(unsafe_code)
)]

pub mod arena;
pub mod device;
pub mod kernels;
pub mod kernels_s8;
pub mod link;
pub mod weights;
