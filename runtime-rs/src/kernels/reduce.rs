//! TODO(port): twin of runtime-c/src/mn_reduce_f32.c.
