//! TODO(port): twin of runtime-c/src/mn_gemm_fast_f32.c.
