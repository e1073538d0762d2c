//! TODO(port): twin of runtime-c/src/mn_softmax_f32.c.
