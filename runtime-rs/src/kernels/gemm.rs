//! TODO(port): twin of runtime-c/src/mn_gemm_f32.c.
