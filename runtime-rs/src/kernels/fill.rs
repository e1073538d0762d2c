//! Constant fill: the twin of runtime-c/src/mn_fill_f32.c (contract: `mn_fill_f32` in
//! runtime-c/include/mn_kernels.h).

/// `y[i] = value` for `i < size` (`mn_fill_f32`).
pub fn fill_f32(y: &mut [f32], size: i32, value: f32) {
    y[..size.max(0) as usize].fill(value);
}
