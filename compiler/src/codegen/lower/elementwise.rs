//! Binary (`mn_binary_f32`, broadcast by strides), unary (`mn_unary_f32`) and variadic
//! Sum/Mean/Max... as a copy plus binary steps, or `mn_mean_arrived_f32` for redundant
//! copies received from other devices (see [`kernels::use_mean_arrived`]).

use super::movement::copy;
use super::{i64s, numel, Arg, Buf, Call, Cx, LowerError, Params};
use crate::ir::layout::{broadcast_strides, strides};
use crate::ir::{Activation, BinaryKind, TensorId, UnaryKind, VariadicKind};
use crate::kernels;

pub(super) fn binary_op(
    cx: &Cx,
    kind: BinaryKind,
    act: &Activation,
) -> Result<Vec<Call>, LowerError> {
    let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let code = match kind {
        BinaryKind::Add => "MN_ADD",
        BinaryKind::Sub => "MN_SUB",
        BinaryKind::Mul => "MN_MUL",
        BinaryKind::Div => "MN_DIV",
        BinaryKind::Pow => "MN_POW",
    };
    Ok(vec![binary(cx, code, [a, b, y], act)?])
}

pub(super) fn unary_op(cx: &Cx, u: &UnaryKind) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let (kind, alpha, beta) = match *u {
        UnaryKind::Relu => ("MN_RELU", 0.0, 0.0),
        UnaryKind::LeakyRelu { alpha } => ("MN_LEAKY_RELU", alpha, 0.0),
        UnaryKind::Clip { min, max } => ("MN_CLIP", min, max),
        UnaryKind::Sigmoid => ("MN_SIGMOID", 0.0, 0.0),
        UnaryKind::Tanh => ("MN_TANH", 0.0, 0.0),
        UnaryKind::HardSigmoid { alpha, beta } => ("MN_HARD_SIGMOID", alpha, beta),
        UnaryKind::HardSwish => ("MN_HARD_SWISH", 0.0, 0.0),
        UnaryKind::Sqrt => ("MN_SQRT", 0.0, 0.0),
    };
    Ok(vec![unary(cx, kind, alpha, beta, x, y)])
}

/// Clip with bounds read at run time (`mn_clip_f32`; an absent bound is NULL).
pub(super) fn clip_range(cx: &Cx, has_min: bool, has_max: bool) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let lo = if has_min {
        cx.opt_arg(1)
    } else {
        Arg::Buf(Buf::Null)
    };
    let hi = if has_max {
        cx.opt_arg(1 + usize::from(has_min))
    } else {
        Arg::Buf(Buf::Null)
    };
    let p = Params::new("mn_clip_params_t").int("size", numel(cx.shape(y)));
    Ok(vec![Call::new(
        "mn_clip_f32",
        p,
        vec![cx.arg(x), lo, hi, cx.arg(y)],
    )])
}

pub(super) fn variadic(cx: &Cx, kind: VariadicKind) -> Result<Vec<Call>, LowerError> {
    let node = cx.node;
    let y = cx.output(0)?;
    let ys = cx.shape(y);
    cx.rank_ok(ys.len())?;
    if kernels::use_mean_arrived(cx.g, node, |x| cx.st.received(x).is_some()) {
        return Ok(vec![mean_arrived(cx, y)]);
    }
    let x0 = cx.input(0)?;
    let xs0 = i64s(&broadcast_strides(cx.shape(x0), ys.len()));
    let mut calls = vec![copy(cx, [x0, y], ys, (0, xs0), (0, i64s(&strides(ys))))];
    for &x in &node.inputs[1..] {
        calls.push(binary(cx, "MN_ADD", [y, x, y], &Activation::None)?);
    }
    if kind == VariadicKind::Mean && node.inputs.len() > 1 {
        let scale = 1.0 / node.inputs.len() as f32;
        calls.push(unary(cx, "MN_SCALE", scale, 0.0, y, y));
    }
    Ok(calls)
}

/// Redundant copies from other devices: average the ones that arrived.
fn mean_arrived(cx: &Cx, y: TensorId) -> Call {
    let copies = cx
        .node
        .inputs
        .iter()
        .map(|&x| (cx.st.buf(x), cx.st.received(x)))
        .collect();
    let p = Params::new("mn_mean_arrived_params_t")
        .int("n", cx.node.inputs.len())
        .int("size", numel(cx.shape(y)));
    Call::new(
        "mn_mean_arrived_f32",
        p,
        vec![Arg::Arrived(copies), cx.arg(y)],
    )
}

/// `y = a kind b` elementwise with numpy broadcasting, then `act`.
pub(super) fn binary(
    cx: &Cx,
    kind: &'static str,
    [a, b, y]: [TensorId; 3],
    act: &Activation,
) -> Result<Call, LowerError> {
    let ys = cx.shape(y);
    cx.rank_ok(ys.len())?;
    let r = ys.len();
    let p = Params::new("mn_binary_params_t")
        .konst("kind", kind)
        .int("rank", r)
        .ints("dims", i64s(ys))
        .ints("a_strides", i64s(&broadcast_strides(cx.shape(a), r)))
        .ints("b_strides", i64s(&broadcast_strides(cx.shape(b), r)))
        .act(act);
    Ok(Call::new(
        "mn_binary_f32",
        p,
        vec![cx.arg(a), cx.arg(b), cx.arg(y)],
    ))
}

/// `y = kind(x)` elementwise (`alpha`, `beta` as `mn_unary_kind_t` documents).
pub(super) fn unary(
    cx: &Cx,
    kind: &'static str,
    alpha: f32,
    beta: f32,
    x: TensorId,
    y: TensorId,
) -> Call {
    let p = Params::new("mn_unary_params_t")
        .konst("kind", kind)
        .int("size", cx.g.tensors[y].numel())
        .float("alpha", alpha)
        .float("beta", beta);
    Call::new("mn_unary_f32", p, vec![cx.arg(x), cx.arg(y)])
}
