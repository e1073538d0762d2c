//! TODO(port): twin of runtime-c/src/mn_binary_f32.c.
