//! TODO(port): twin of runtime-c/src/mn_conv_pad_f32.c (helpers shared by conv2d_fast and conv2d_dw).
