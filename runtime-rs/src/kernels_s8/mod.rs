//! Int8 kernels of quantised models: the Rust twins of `runtime-c/src/mn_*_s8.c`, one
//! file per C file, documented once in `runtime-c/include/mn_kernels_s8.h` (contracts,
//! layouts, rounding and preconditions are the same; the C header is the reference).
//! Results equal the C kernels' bit for bit (softmax up to `expf`: libm against the C
//! library's).
//!
//! Naming as in [`crate::kernels`]: C `mn_conv2d_s8` is [`conv2d_s8`], its parameter
//! block `mn_conv_s8_params_t` is [`ConvS8Params`], `mn_requant_t` is [`Requant`],
//! `MN_BINARY_S8_ADD` is [`BINARY_S8_ADD`]; `const int8_t *` is `&[i8]`, `const int32_t *`
//! `&[i32]`, `const mn_requant_t *` `&[Requant]`, a pointer that may be NULL an `Option`.

mod requant;

mod binary;
mod concat;
mod conv2d;
mod conv2d_dw;
mod conv2d_fast;
mod dequantize;
mod gemm;
mod gemm_fast;
mod global_pool;
mod pool2d;
mod pool2d_fast;
mod quantize;
mod quantize_axis;
mod softmax;

pub use binary::*;
pub use concat::*;
pub use conv2d::*;
pub use conv2d_dw::*;
pub use conv2d_fast::*;
pub use dequantize::*;
pub use gemm::*;
pub use gemm_fast::*;
pub use global_pool::*;
pub use pool2d::*;
pub use pool2d_fast::*;
pub use quantize::*;
pub use quantize_axis::*;
pub use requant::{
    requant_apply, requant_from_scale, requant_pack, requant_unpack, Requant, RequantWord,
    REQUANT_MAX_SHIFT, REQUANT_MIN_SHIFT,
};
pub use softmax::*;
