//! TODO(port): twin of runtime-c/src/mn_clip_f32.c.
