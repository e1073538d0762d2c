//! TODO(port): twin of runtime-c/src/mn_pool2d_f32.c.
