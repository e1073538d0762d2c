//! TODO(port): twin of runtime-c/src/mn_matmul_f32.c.
