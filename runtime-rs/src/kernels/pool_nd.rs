//! TODO(port): twin of runtime-c/src/mn_pool_nd_f32.c.
