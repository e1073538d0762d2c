//! TODO(port): twin of runtime-c/src/mn_conv2d_f32.c.
