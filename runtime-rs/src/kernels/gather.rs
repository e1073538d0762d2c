//! TODO(port): twin of runtime-c/src/mn_gather_f32.c.
