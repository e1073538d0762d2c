//! The integer nodes of quantised models (see `passes::quantise_islands`) on the int8
//! kernels of `mn_kernels_s8.h`: convolution, Gemm / MatMul, Add / Mul, Concat, pooling,
//! global average pooling, Softmax (int8 in, float out) and the float boundary
//! (QuantizeLinear, DequantizeLinear). Requantisation scales are computed here, in
//! float32 as onnxruntime does (x_scale * w_scale / y_scale), and turned into Q31
//! multipliers by `ir::requant` (the port of `mn_requant_from_scale`).

use super::{i64s, numel, pool::pool_params, Arg, Buf, Call, Cx, LowerError, Params, Value};
use crate::ir::eval::quant::quantize_one;
use crate::ir::layout::broadcast_strides;
use crate::ir::requant::{requant_from_scale, Requant};
use crate::ir::{Activation, BinaryKind, Op, PoolKind, Quant, TensorId, UnaryKind};
use crate::kernels;

/// The int8 call(s) of an integer node.
pub(super) fn lower(cx: &mut Cx) -> Result<Vec<Call>, LowerError> {
    match &cx.node.op {
        Op::Conv { act, .. } => conv(cx, *act),
        Op::Gemm { trans_b, act, .. } => gemm(cx, *trans_b, *act),
        Op::MatMul => gemm(cx, false, Activation::None),
        Op::Binary { kind, act } => binary(cx, *kind, *act),
        Op::Concat { axis } => concat(cx, *axis),
        Op::Unary(UnaryKind::Relu) => clamp_only(cx, Activation::Relu),
        Op::Unary(UnaryKind::Clip { min, max }) => clamp_only(
            cx,
            Activation::Clip {
                min: *min,
                max: *max,
            },
        ),
        Op::Pool { .. } => pool(cx),
        Op::GlobalPool {
            kind: PoolKind::Avg,
        } => global_pool(cx),
        Op::Reshape => Ok(Vec::new()), // a view: same buffer (see plan::memory)
        Op::Softmax {
            axis, coerce_2d, ..
        } => softmax(cx, *axis, *coerce_2d),
        Op::Quantize(q) => quantize(cx, q),
        Op::Dequantize(q) => dequantize(cx, q),
        op => Err(cx.err(format!("no int8 kernel for {}", op.kind_name()))),
    }
}

/// The per-tensor quantisation of tensor `t`.
fn quant<'a>(cx: &Cx<'a>, t: TensorId) -> Result<&'a Quant, LowerError> {
    let q = cx.g.tensors[t].quant.as_ref();
    q.filter(|q| q.is_per_tensor()).ok_or_else(|| {
        cx.err(format!(
            "internal: int8 tensor '{}' without a per-tensor scale",
            cx.g.tensors[t].name
        ))
    })
}

/// The fixed-point form of `scale`.
fn requant(cx: &Cx, scale: f32) -> Result<Requant, LowerError> {
    requant_from_scale(scale as f64).ok_or_else(|| out_of_range(cx, scale))
}

/// The per-channel table word (`mn_requant_word_t`) of `scale`.
fn requant_word(cx: &Cx, scale: f32) -> Result<i32, LowerError> {
    requant(cx, scale)?
        .word()
        .ok_or_else(|| out_of_range(cx, scale))
}

fn out_of_range(cx: &Cx, scale: f32) -> LowerError {
    cx.err(format!(
        "requantisation scale {scale} is outside the fixed-point range [0, 2^15)"
    ))
}

/// `mn_requant_t` as a nested parameter block.
fn rq_value(r: Requant) -> Value {
    Value::Struct(
        Params::new("mn_requant_t")
            .int("mult", r.mult)
            .int("shift", r.shift),
    )
}

/// The output clamp [y_lo, y_hi]: the int8 range, narrowed by a fused ReLU or Clip
/// (their bounds quantised with the output's scale and zero point).
fn clamp(cx: &Cx, act: Activation, y: &Quant) -> Result<(i64, i64), LowerError> {
    let (s, zp) = (y.scale(), y.zero_point());
    let q = |v: f32| quantize_one(v, s, zp, -128, 127);
    match act {
        Activation::None => Ok((-128, 127)),
        Activation::Relu => Ok((q(0.0), 127)),
        Activation::Clip { min, max } => Ok((q(min), q(max))),
        a => Err(cx.err(format!("the fused activation {a:?} has no int8 form"))),
    }
}

/// Zero point, clamp and the per-channel requantisation table of a Conv / Gemm / MatMul:
/// x_scale * w_scale[c] / y_scale for every output channel.
struct Accumulating {
    x_zp: i32,
    w_zp: i32,
    y_zp: i32,
    lo: i64,
    hi: i64,
    per_channel: bool,
    rq: Buf,
}

fn accumulating(cx: &mut Cx, act: Activation) -> Result<Accumulating, LowerError> {
    let (x, w, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let (xq, yq) = (quant(cx, x)?.clone(), quant(cx, y)?.clone());
    let wq = cx.g.tensors[w]
        .quant
        .clone()
        .ok_or_else(|| cx.err("internal: int8 weights without a scale"))?;
    let (lo, hi) = clamp(cx, act, &yq)?;
    let rq = wq
        .scales
        .iter()
        .map(|&ws| requant_word(cx, xq.scale() * ws / yq.scale()))
        .collect::<Result<Vec<_>, _>>()?;
    let hint = format!("{}_rq", cx.g.tensors[w].name);
    Ok(Accumulating {
        x_zp: xq.zero_point(),
        w_zp: wq.zero_point(),
        y_zp: yq.zero_point(),
        lo,
        hi,
        per_channel: !wq.is_per_tensor(),
        rq: cx.st.requant_table(&hint, rq),
    })
}

fn conv(cx: &mut Cx, act: Activation) -> Result<Vec<Call>, LowerError> {
    let (x, w, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let c = kernels::conv_geom(cx.g, cx.node)
        .ok_or_else(|| cx.err("int8 convolutions are 1-D or 2-D"))?;
    let a = accumulating(cx, act)?;
    let p = super::conv::with_conv_geom(Params::new("mn_conv_s8_params_t"), &c)
        .int("x_zp", a.x_zp)
        .int("w_zp", a.w_zp)
        .int("y_zp", a.y_zp)
        .int("y_lo", a.lo)
        .int("y_hi", a.hi)
        .int("per_channel", a.per_channel);
    // mn_conv2d_fast_s8 takes its weights packed, the others in the ONNX layout; the
    // fast kernels take a scratch buffer before y
    let kernel = kernels::conv_kernel_s8(cx.g, cx.node);
    let weights = match kernels::packed_conv_weights_s8(cx.g, cx.node) {
        Some(packed) => {
            let hint = format!("{}_packed", cx.g.tensors[w].name);
            Arg::Buf(cx.st.i8_table(&hint, packed))
        }
        None => cx.arg(w),
    };
    let mut args = vec![cx.arg(x), weights, cx.opt_arg(2), Arg::Buf(a.rq)];
    if kernel.is_some() {
        args.push(Arg::Buf(byte_scratch(cx.st.scratch(cx.id))));
    }
    args.push(cx.arg(y));
    Ok(vec![Call::new(kernel.unwrap_or("mn_conv2d_s8"), p, args)])
}

/// A planned scratch buffer as the bytes (`int8_t *scratch`) an int8 kernel takes.
fn byte_scratch(b: Buf) -> Buf {
    match b {
        Buf::Arena { off, len } => Buf::ArenaI8 {
            off,
            len,
            bytes: len * 4,
        },
        other => other,
    }
}

/// Gemm (A [m, k], B [n, k] with transB or [k, n]) and MatMul (A [.., k], B [k, n]).
fn gemm(cx: &mut Cx, trans_b: bool, act: Activation) -> Result<Vec<Call>, LowerError> {
    let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let bs = cx.shape(b);
    let (k, n) = match (trans_b, bs) {
        (true, [n, k]) => (*k, *n),
        (false, [k, n]) => (*k, *n),
        _ => return Err(cx.err("int8 matrix products take a 2-D constant B")),
    };
    let m = numel(cx.shape(a)) / k.max(1);
    let acc = accumulating(cx, act)?;
    let p = Params::new("mn_gemm_s8_params_t")
        .int("m", m)
        .int("n", n)
        .int("k", k)
        .int("trans_b", trans_b)
        .int("a_zp", acc.x_zp)
        .int("b_zp", acc.w_zp)
        .int("y_zp", acc.y_zp)
        .int("y_lo", acc.lo)
        .int("y_hi", acc.hi)
        .int("per_channel", acc.per_channel);
    let Some(fast) = kernels::fast_gemm_s8(cx.g, cx.node) else {
        let args = vec![
            cx.arg(a),
            cx.arg(b),
            cx.opt_arg(2),
            Arg::Buf(acc.rq),
            cx.arg(y),
        ];
        return Ok(vec![Call::new("mn_gemm_s8", p, args)]);
    };
    let name = &cx.g.tensors[b].name;
    let b_arg = match fast.transposed {
        true => Arg::Buf(cx.st.i8_table(&format!("{name}_transposed"), fast.b)),
        false => cx.arg(b),
    };
    let folded = cx.st.int_table(&format!("{name}_folded_bias"), fast.folded);
    let args = vec![
        cx.arg(a),
        b_arg,
        Arg::Buf(folded),
        Arg::Buf(acc.rq),
        cx.arg(y),
    ];
    Ok(vec![Call::new("mn_gemm_fast_s8", p, args)])
}

fn binary(cx: &Cx, kind: BinaryKind, act: Activation) -> Result<Vec<Call>, LowerError> {
    let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let (aq, bq, yq) = (quant(cx, a)?, quant(cx, b)?, quant(cx, y)?);
    let dims = cx.shape(y);
    cx.rank_ok(dims.len())?;
    let (lo, hi) = clamp(cx, act, yq)?;
    let (kind_name, a_rq, b_rq) = match kind {
        BinaryKind::Add => (
            "MN_BINARY_S8_ADD",
            requant(cx, aq.scale() / yq.scale())?,
            requant(cx, bq.scale() / yq.scale())?,
        ),
        BinaryKind::Mul => (
            "MN_BINARY_S8_MUL",
            requant(cx, aq.scale() * bq.scale() / yq.scale())?,
            Requant { mult: 0, shift: 0 },
        ),
        k => return Err(cx.err(format!("no int8 kernel for {}", k.name()))),
    };
    let strides = |t: TensorId| i64s(&broadcast_strides(cx.shape(t), dims.len()));
    let p = Params::new("mn_binary_s8_params_t")
        .konst("kind", kind_name)
        .int("rank", dims.len())
        .ints("dims", i64s(dims))
        .ints("a_strides", strides(a))
        .ints("b_strides", strides(b))
        .int("a_zp", aq.zero_point())
        .int("b_zp", bq.zero_point())
        .int("y_zp", yq.zero_point())
        .int("y_lo", lo)
        .int("y_hi", hi)
        .with("a_rq", rq_value(a_rq))
        .with("b_rq", rq_value(b_rq));
    Ok(vec![Call::new(
        "mn_binary_s8",
        p,
        vec![cx.arg(a), cx.arg(b), cx.arg(y)],
    )])
}

/// One `mn_concat_s8` per input, each requantised into its place.
fn concat(cx: &Cx, axis: usize) -> Result<Vec<Call>, LowerError> {
    let y = cx.output(0)?;
    let yq = quant(cx, y)?;
    let ys = cx.shape(y);
    let outer: usize = ys[..axis].iter().product();
    let y_stride: usize = ys[axis..].iter().product();
    let mut offset = 0;
    let mut calls = Vec::new();
    for &x in &cx.node.inputs {
        let xq = quant(cx, x)?;
        let inner: usize = cx.shape(x)[axis..].iter().product();
        let p = Params::new("mn_concat_s8_params_t")
            .int("outer", outer)
            .int("inner", inner)
            .int("y_stride", y_stride)
            .int("y_offset", offset)
            .int("x_zp", xq.zero_point())
            .int("y_zp", yq.zero_point())
            .int("y_lo", -128)
            .int("y_hi", 127)
            .with("rq", rq_value(requant(cx, xq.scale() / yq.scale())?));
        calls.push(Call::new("mn_concat_s8", p, vec![cx.arg(x), cx.arg(y)]));
        offset += inner;
    }
    Ok(calls)
}

/// A ReLU or Clip between a DequantizeLinear and a QuantizeLinear: the elementwise
/// requantisation of `mn_concat_s8` (one part, `outer` = 1) with the activation as the
/// output's clamp.
fn clamp_only(cx: &Cx, act: Activation) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let (xq, yq) = (quant(cx, x)?, quant(cx, y)?);
    let (lo, hi) = clamp(cx, act, yq)?;
    let n = numel(cx.shape(x));
    let p = Params::new("mn_concat_s8_params_t")
        .int("outer", 1)
        .int("inner", n)
        .int("y_stride", n)
        .int("y_offset", 0)
        .int("x_zp", xq.zero_point())
        .int("y_zp", yq.zero_point())
        .int("y_lo", lo)
        .int("y_hi", hi)
        .with("rq", rq_value(requant(cx, xq.scale() / yq.scale())?));
    Ok(vec![Call::new(
        "mn_concat_s8",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}

fn pool(cx: &Cx) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let (xq, yq) = (quant(cx, x)?, quant(cx, y)?);
    let g =
        kernels::pool_geom(cx.g, cx.node).ok_or_else(|| cx.err("int8 pooling is 1-D or 2-D"))?;
    let mut p = pool_params(&g)
        .int("x_zp", xq.zero_point())
        .int("y_zp", yq.zero_point())
        .int("y_lo", -128)
        .int("y_hi", 127)
        .with("rq", rq_value(requant(cx, xq.scale() / yq.scale())?));
    p.ty = "mn_pool_s8_params_t";
    let kernel = match kernels::use_fast_pool_s8(cx.node) {
        true => "mn_pool2d_fast_s8",
        false => "mn_pool2d_s8",
    };
    Ok(vec![Call::new(kernel, p, vec![cx.arg(x), cx.arg(y)])])
}

fn global_pool(cx: &Cx) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let (xq, yq) = (quant(cx, x)?, quant(cx, y)?);
    let xs = cx.shape(x);
    let channels: usize = xs.iter().take(2).product();
    let p = Params::new("mn_global_pool_s8_params_t")
        .int("channels", channels)
        .int("size", numel(xs) / channels.max(1))
        .int("x_zp", xq.zero_point())
        .int("y_zp", yq.zero_point())
        .int("y_lo", -128)
        .int("y_hi", 127)
        .with("rq", rq_value(requant(cx, xq.scale() / yq.scale())?));
    Ok(vec![Call::new(
        "mn_global_pool_s8",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}

/// Softmax over rows of n (the last axis, or everything from `axis` on before opset 13).
fn softmax(cx: &Cx, axis: usize, coerce_2d: bool) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xs = cx.shape(x);
    if !coerce_2d && axis + 1 != xs.len() {
        return Err(cx.err("int8 Softmax runs along the last axis"));
    }
    let n: usize = xs[axis..].iter().product();
    let p = Params::new("mn_softmax_s8_params_t")
        .int("rows", numel(xs) / n.max(1))
        .int("n", n)
        .float("scale", quant(cx, x)?.scale());
    Ok(vec![Call::new(
        "mn_softmax_s8",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}

fn per_tensor<'a>(cx: &Cx, q: &'a Quant) -> Result<&'a Quant, LowerError> {
    if q.is_per_tensor() {
        Ok(q)
    } else {
        Err(cx.err(
            "run-time quantisation per axis is not supported; quantise activations per tensor",
        ))
    }
}

fn quantize(cx: &mut Cx, q: &Quant) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    if !q.is_per_tensor() {
        return quantize_axis(cx, q, x, y);
    }
    let q = per_tensor(cx, q)?;
    let p = Params::new("mn_quantize_s8_params_t")
        .int("size", numel(cx.shape(x)))
        .float("scale", q.scale())
        .int("zp", q.zero_point())
        .int("lo", -128)
        .int("hi", 127);
    Ok(vec![Call::new(
        "mn_quantize_s8",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}

/// QuantizeLinear per axis: `mn_quantize_axis_s8` with a scale and zero point table.
fn quantize_axis(
    cx: &mut Cx,
    q: &Quant,
    x: TensorId,
    y: TensorId,
) -> Result<Vec<Call>, LowerError> {
    let shape = cx.shape(x);
    let channels = shape.get(q.axis).copied().unwrap_or(0);
    let per_channel = |n: usize| n == channels || n == 1;
    if channels == 0 || q.scales.len() != channels || !per_channel(q.zero_points.len()) {
        return Err(cx.err(format!(
            "per-axis quantisation along axis {} of shape {shape:?} with {} scales and {} zero points",
            q.axis,
            q.scales.len(),
            q.zero_points.len()
        )));
    }
    let zp: Vec<i32> = (0..channels)
        .map(|c| q.zero_points[c.min(q.zero_points.len() - 1)])
        .collect();
    let name = cx.g.tensors[y].name.clone();
    let scale = cx
        .st
        .float_table(&format!("{name}_scale"), q.scales.clone());
    let zp = cx.st.int_table(&format!("{name}_zp"), zp);
    let p = Params::new("mn_quantize_axis_s8_params_t")
        .int("outer", numel(&shape[..q.axis]))
        .int("channels", channels)
        .int("inner", numel(&shape[q.axis + 1..]))
        .int("lo", -128)
        .int("hi", 127);
    Ok(vec![Call::new(
        "mn_quantize_axis_s8",
        p,
        vec![Arg::Buf(scale), Arg::Buf(zp), cx.arg(x), cx.arg(y)],
    )])
}

fn dequantize(cx: &Cx, q: &Quant) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let q = per_tensor(cx, q)?;
    let p = Params::new("mn_dequantize_s8_params_t")
        .int("size", numel(cx.shape(x)))
        .float("scale", q.scale())
        .int("zp", q.zero_point());
    Ok(vec![Call::new(
        "mn_dequantize_s8",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}
