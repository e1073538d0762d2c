//! TODO(port): twin of runtime-c/src/mn_gru_f32.c.
