//! TODO(port): twin of runtime-c/src/mn_rnn_f32.c.
