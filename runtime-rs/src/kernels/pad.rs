//! TODO(port): twin of runtime-c/src/mn_pad_f32.c.
