//! TODO(port): twin of runtime-c/src/mn_norm_f32.c.
