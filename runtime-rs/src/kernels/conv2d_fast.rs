//! TODO(port): twin of runtime-c/src/mn_conv2d_fast_f32.c.
