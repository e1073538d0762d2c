//! TODO(port): twin of runtime-c/src/mn_unary_f32.c.
