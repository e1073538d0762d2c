//! TODO(port): twin of runtime-c/src/mn_fill_f32.c.
