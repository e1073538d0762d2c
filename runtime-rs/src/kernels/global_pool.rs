//! TODO(port): twin of runtime-c/src/mn_global_pool_f32.c.
