//! TODO(port): twin of runtime-c/src/mn_conv2d_dw_f32.c.
