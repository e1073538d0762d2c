//! TODO(port): twin of runtime-c/src/mn_where_f32.c.
