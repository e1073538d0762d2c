//! Binary (`mn_binary_f32`, broadcast by strides; comparisons and logic write bool as
//! float32 0 / 1), unary (`mn_unary_f32`), Where (`mn_where_f32`) and variadic
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
        BinaryKind::Mod { fmod: true } => "MN_FMOD",
        BinaryKind::Mod { fmod: false } => "MN_MOD",
        BinaryKind::Min => "MN_MIN",
        BinaryKind::Max => "MN_MAX",
        BinaryKind::Equal => "MN_EQUAL",
        BinaryKind::Less => "MN_LESS",
        BinaryKind::LessOrEqual => "MN_LESS_EQUAL",
        BinaryKind::Greater => "MN_GREATER",
        BinaryKind::GreaterOrEqual => "MN_GREATER_EQUAL",
        BinaryKind::And => "MN_AND",
        BinaryKind::Or => "MN_OR",
        BinaryKind::Xor => "MN_XOR",
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
        UnaryKind::Swish { alpha } => ("MN_SWISH", alpha, 0.0),
        UnaryKind::Sqrt => ("MN_SQRT", 0.0, 0.0),
        UnaryKind::Erf => ("MN_ERF", 0.0, 0.0),
        UnaryKind::Reciprocal => ("MN_RECIPROCAL", 0.0, 0.0),
        UnaryKind::Neg => ("MN_NEG", 0.0, 0.0),
        UnaryKind::Abs => ("MN_ABS", 0.0, 0.0),
        UnaryKind::Exp => ("MN_EXP", 0.0, 0.0),
        UnaryKind::Log => ("MN_LOG", 0.0, 0.0),
        UnaryKind::Sin => ("MN_SIN", 0.0, 0.0),
        UnaryKind::Cos => ("MN_COS", 0.0, 0.0),
        UnaryKind::Floor => ("MN_FLOOR", 0.0, 0.0),
        UnaryKind::Ceil => ("MN_CEIL", 0.0, 0.0),
        UnaryKind::Round => ("MN_ROUND", 0.0, 0.0),
        UnaryKind::Sign => ("MN_SIGN", 0.0, 0.0),
        UnaryKind::Softplus => ("MN_SOFTPLUS", 0.0, 0.0),
        UnaryKind::Mish => ("MN_MISH", 0.0, 0.0),
        UnaryKind::Gelu { tanh: false } => ("MN_GELU", 0.0, 0.0),
        UnaryKind::Gelu { tanh: true } => ("MN_GELU_TANH", 0.0, 0.0),
        UnaryKind::Elu { alpha } => ("MN_ELU", alpha, 0.0),
        UnaryKind::Selu { alpha, gamma } => ("MN_SELU", alpha, gamma),
        UnaryKind::Softsign => ("MN_SOFTSIGN", 0.0, 0.0),
        UnaryKind::Not => ("MN_NOT", 0.0, 0.0),
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
    if kind == VariadicKind::Mean {
        // The producer map costs a pass over the graph: built only for a Mean.
        let producers = cx.g.producers();
        let source =
            |x| kernels::arrival_source(cx.g, &producers, x, &|r| cx.st.received(r).is_some());
        if kernels::use_mean_arrived(cx.g, node, |x| source(x).is_some()) {
            let copies = node.inputs.iter().map(|&x| source(x)).collect::<Vec<_>>();
            return Ok(vec![mean_arrived(cx, y, &copies)]);
        }
    }
    let x0 = cx.input(0)?;
    let xs0 = i64s(&broadcast_strides(cx.shape(x0), ys.len()));
    let mut calls = vec![copy(cx, [x0, y], ys, (0, xs0), (0, i64s(&strides(ys))))];
    let combine = match kind.combine() {
        BinaryKind::Min => "MN_MIN",
        BinaryKind::Max => "MN_MAX",
        _ => "MN_ADD",
    };
    for &x in &node.inputs[1..] {
        calls.push(binary(cx, combine, [y, x, y], &Activation::None)?);
    }
    if kind == VariadicKind::Mean && node.inputs.len() > 1 {
        let scale = 1.0 / node.inputs.len() as f32;
        calls.push(unary(cx, "MN_SCALE", scale, 0.0, y, y));
    }
    Ok(calls)
}

/// Where(condition, X, Y): `mn_where_f32`, each operand broadcast by strides.
pub(super) fn where_op(cx: &Cx) -> Result<Vec<Call>, LowerError> {
    let (c, x, y, out) = (cx.input(0)?, cx.input(1)?, cx.input(2)?, cx.output(0)?);
    let os = cx.shape(out);
    cx.rank_ok(os.len())?;
    let r = os.len();
    let p = Params::new("mn_where_params_t")
        .int("rank", r)
        .ints("dims", i64s(os))
        .ints("c_strides", i64s(&broadcast_strides(cx.shape(c), r)))
        .ints("x_strides", i64s(&broadcast_strides(cx.shape(x), r)))
        .ints("y_strides", i64s(&broadcast_strides(cx.shape(y), r)));
    Ok(vec![Call::new(
        "mn_where_f32",
        p,
        vec![cx.arg(c), cx.arg(x), cx.arg(y), cx.arg(out)],
    )])
}

/// Redundant copies from other devices: average the ones that arrived. `sources[k]` is the
/// received tensor whose arrival decides whether input `k` arrived (see
/// [`kernels::arrival_source`]); `None` for a copy computed on this device.
fn mean_arrived(cx: &Cx, y: TensorId, sources: &[Option<TensorId>]) -> Call {
    let copies = cx
        .node
        .inputs
        .iter()
        .zip(sources)
        .map(|(&x, s)| (cx.st.buf(x), s.and_then(|r| cx.st.received(r))))
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
