//! TODO(port): twin of runtime-c/src/mn_mean_arrived_f32.c.
