//! TODO(port): twin of runtime-c/src/mn_pool2d_fast_f32.c.
