//! Conv: the reference `mn_conv2d_f32`, or the variant [`kernels::conv_kernel`] picks
//! (fast, depthwise) with its packed weights and planned scratch; 3-D and wider
//! convolutions run on the N-d reference `mn_conv_nd_f32`.

use super::{i64s, Arg, Buf, Call, Cx, LowerError, Params};
use crate::ir::Activation;
use crate::kernels::{self, ConvGeom, NdWindow};

pub(super) fn conv(cx: &mut Cx, act: &Activation) -> Result<Vec<Call>, LowerError> {
    let (x, w, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    if let Some(nd) = kernels::nd_window(cx.g, cx.node) {
        return Ok(vec![Call::new(
            "mn_conv_nd_f32",
            conv_nd_params(&nd, act),
            vec![cx.arg(x), cx.arg(w), cx.opt_arg(2), cx.arg(y)],
        )]);
    }
    let c = kernels::conv_geom(cx.g, cx.node)
        .ok_or_else(|| cx.err("a Conv node without a window geometry"))?;
    let p = conv_params(&c, act);
    let b = cx.opt_arg(2);
    let Some(kernel) = kernels::conv_kernel(cx.g, cx.node) else {
        return Ok(vec![Call::new(
            "mn_conv2d_f32",
            p,
            vec![cx.arg(x), cx.arg(w), b, cx.arg(y)],
        )]);
    };
    let scratch = if kernels::scratch_bytes(cx.g, cx.node) > 0 {
        cx.st.scratch(cx.id)
    } else {
        Buf::Null
    };
    let w = match kernels::packed_conv_weights(cx.g, cx.node) {
        Some(packed) => {
            let hint = format!("{}_packed", cx.g.tensors[w].name);
            Arg::Buf(cx.st.float_table(&hint, packed))
        }
        None => cx.arg(w),
    };
    Ok(vec![Call::new(
        kernel,
        p,
        vec![cx.arg(x), w, b, Arg::Buf(scratch), cx.arg(y)],
    )])
}

/// `mn_conv_params_t`.
fn conv_params(c: &ConvGeom, act: &Activation) -> Params {
    with_conv_geom(Params::new("mn_conv_params_t"), c).act(act)
}

/// `p` with the 2-D convolution geometry fields every conv parameter block starts with
/// (`mn_conv_params_t`, `mn_conv_s8_params_t`).
pub(super) fn with_conv_geom(p: Params, c: &ConvGeom) -> Params {
    p.int("n", c.n)
        .int("c_in", c.c_in)
        .int("in_h", c.in_h)
        .int("in_w", c.in_w)
        .int("c_out", c.c_out)
        .int("out_h", c.out_h)
        .int("out_w", c.out_w)
        .int("k_h", c.k_h)
        .int("k_w", c.k_w)
        .int("stride_h", c.stride_h)
        .int("stride_w", c.stride_w)
        .int("dil_h", c.dil_h)
        .int("dil_w", c.dil_w)
        .int("pad_top", c.pad_top)
        .int("pad_left", c.pad_left)
        .int("group", c.group)
}

/// `mn_conv_nd_params_t`.
fn conv_nd_params(c: &NdWindow, act: &Activation) -> Params {
    Params::new("mn_conv_nd_params_t")
        .int("n", c.n)
        .int("c_in", c.c_in)
        .int("c_out", c.c_out)
        .int("group", c.group)
        .int("nd", c.kernel.len())
        .ints("in", i64s(&c.input))
        .ints("out", i64s(&c.output))
        .ints("k", i64s(&c.kernel))
        .ints("strides", i64s(&c.strides))
        .ints("dilations", i64s(&c.dilations))
        .ints("pads", i64s(&c.pads_begin))
        .act(act)
}
