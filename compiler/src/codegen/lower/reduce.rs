//! Softmax / LogSoftmax (`mn_softmax_f32` over outer × axis × inner) and the Reduce
//! family (`mn_reduce_f32`, strided over the kept axes).

use super::{i64s, numel, Call, Cx, LowerError, Params};
use crate::ir::layout::strides;
use crate::ir::ReduceKind;

pub(super) fn softmax(
    cx: &Cx,
    axis: usize,
    log: bool,
    coerce_2d: bool,
) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xs = cx.shape(x);
    let (len, inner) = if coerce_2d {
        (numel(&xs[axis..]), 1)
    } else {
        (xs[axis], numel(&xs[axis + 1..]))
    };
    let p = Params::new("mn_softmax_params_t")
        .int("outer", numel(&xs[..axis]))
        .int("axis_len", len)
        .int("inner", inner)
        .int("log", log);
    Ok(vec![Call::new(
        "mn_softmax_f32",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}

pub(super) fn reduce(cx: &Cx, kind: ReduceKind, axes: &[usize]) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xs = cx.shape(x);
    cx.rank_ok(xs.len())?;
    let kept: Vec<usize> = xs
        .iter()
        .enumerate()
        .map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
        .collect();
    let kst = strides(&kept);
    let y_strides: Vec<i64> = (0..xs.len())
        .map(|d| if axes.contains(&d) { 0 } else { kst[d] as i64 })
        .collect();
    let count: usize = axes.iter().map(|&a| xs[a]).product();
    let kind = match kind {
        ReduceKind::Mean => "MN_REDUCE_MEAN",
        ReduceKind::Max => "MN_REDUCE_MAX",
        ReduceKind::Sum => "MN_REDUCE_SUM",
        ReduceKind::Min => "MN_REDUCE_MIN",
        ReduceKind::Prod => "MN_REDUCE_PROD",
        ReduceKind::SumSquare => "MN_REDUCE_SUM_SQUARE",
        ReduceKind::L1 => "MN_REDUCE_L1",
        ReduceKind::L2 => "MN_REDUCE_L2",
        ReduceKind::LogSum => "MN_REDUCE_LOG_SUM",
        ReduceKind::LogSumExp => "MN_REDUCE_LOG_SUM_EXP",
    };
    let p = Params::new("mn_reduce_params_t")
        .konst("kind", kind)
        .int("rank", xs.len())
        .ints("dims", i64s(xs))
        .ints("y_strides", y_strides)
        .int("y_size", numel(&kept))
        .int("count", count);
    Ok(vec![Call::new(
        "mn_reduce_f32",
        p,
        vec![cx.arg(x), cx.arg(y)],
    )])
}
