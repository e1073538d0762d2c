//! TODO(port): twin of runtime-c/src/mn_batchnorm_f32.c.
