//! TODO(port): twin of runtime-c/src/mn_lstm_f32.c.
