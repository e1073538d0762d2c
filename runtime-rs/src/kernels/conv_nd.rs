//! TODO(port): twin of runtime-c/src/mn_conv_nd_f32.c.
