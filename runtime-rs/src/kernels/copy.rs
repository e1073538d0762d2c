//! TODO(port): twin of runtime-c/src/mn_copy_f32.c.
