//! Float32 kernels: the Rust twins of `runtime-c/src/mn_*_f32.c`, one file per C file,
//! documented once in `runtime-c/include/mn_kernels.h` (contracts, layouts and
//! preconditions are the same; the C header is the reference).
//!
//! Conventions (as in C): parameters first, then input tensors, output last; tensors are
//! dense row-major slices; sizes, indices and strides are `i32` element counts. A slice
//! may be longer than the kernel needs; a shorter one panics on its bounds check (meshnn
//! never generates one: the memory plan sizes every operand).

mod act;
mod madd;
mod util;

mod batchnorm;
mod binary;
mod clip;
mod conv2d;
mod conv2d_dw;
mod conv2d_fast;
mod conv_nd;
mod conv_pad;
mod copy;
mod fill;
mod gather;
mod gemm;
mod gemm_fast;
mod global_pool;
mod gru;
mod lstm;
mod matmul;
mod mean_arrived;
mod norm;
mod pad;
mod pool2d;
mod pool2d_fast;
mod pool_nd;
mod reduce;
mod rnn;
mod softmax;
mod unary;
mod where_;

pub use act::*;
pub use batchnorm::*;
pub use binary::*;
pub use clip::*;
pub use conv2d::*;
pub use conv2d_dw::*;
pub use conv2d_fast::*;
pub use conv_nd::*;
pub use copy::*;
pub use fill::*;
pub use gather::*;
pub use gemm::*;
pub use gemm_fast::*;
pub use global_pool::*;
pub use gru::*;
pub use lstm::*;
pub use matmul::*;
pub use mean_arrived::*;
pub use norm::*;
pub use pad::*;
pub use pool2d::*;
pub use pool2d_fast::*;
pub use pool_nd::*;
pub use reduce::*;
pub use rnn::*;
pub use softmax::*;
pub use unary::*;
pub use where_::*;

// The window geometry and odometer the int8 kernels share with the float ones.
pub(crate) use util::{tap_range, Odometer};

/// Highest tensor rank the generic (strided) kernels handle (`MN_MAX_DIMS`).
pub const MAX_DIMS: usize = 8;
