//! Data movement as strided copies (`mn_copy_f32`): Transpose, Concat, Split, Slice,
//! Expand, Pad (a fill then a copy); Gather (`mn_gather_f32` on an index table).

use super::{i64s, numel, Arg, Call, Cx, LowerError, Params};
use crate::ir::layout::{broadcast_strides, strides};
use crate::ir::{PadMode, TensorId};

/// An offset and strides (in elements) of one side of a strided copy.
pub(super) type Side = (i64, Vec<i64>);

/// Copy the `dims`-shaped block of `x` at `xs` to `y` at `ys` (`mn_copy_f32`).
pub(super) fn copy(cx: &Cx, [x, y]: [TensorId; 2], dims: &[usize], xs: Side, ys: Side) -> Call {
    copy_call(dims, xs, ys, cx.arg(x), cx.arg(y))
}

/// `mn_copy_f32` of the `dims`-shaped block of operand `x` at `xs` to operand `y` at `ys`.
pub(super) fn copy_call(dims: &[usize], xs: Side, ys: Side, x: Arg, y: Arg) -> Call {
    let p = Params::new("mn_copy_params_t")
        .int("rank", dims.len())
        .ints("dims", i64s(dims))
        .int("x_offset", xs.0)
        .ints("x_strides", xs.1)
        .int("y_offset", ys.0)
        .ints("y_strides", ys.1);
    Call::new("mn_copy_f32", p, vec![x, y])
}

/// A whole dense tensor of shape `s` from offset `off`.
fn dense(s: &[usize], off: i64) -> Side {
    (off, i64s(&strides(s)))
}

pub(super) fn transpose(cx: &Cx, perm: &[usize]) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xst = strides(cx.shape(x));
    let ys = cx.shape(y);
    cx.rank_ok(ys.len())?;
    let xs: Vec<i64> = perm.iter().map(|&p| xst[p] as i64).collect();
    Ok(vec![copy(cx, [x, y], ys, (0, xs), dense(ys, 0))])
}

pub(super) fn concat(cx: &Cx, axis: usize) -> Result<Vec<Call>, LowerError> {
    let parts = &cx.node.inputs;
    let lens: Vec<usize> = parts.iter().map(|&x| cx.shape(x)[axis]).collect();
    along_axis(cx, cx.output(0)?, parts, &lens, axis, true)
}

pub(super) fn split(cx: &Cx, axis: usize, sizes: &[usize]) -> Result<Vec<Call>, LowerError> {
    let parts = &cx.node.outputs;
    let lens: Vec<usize> = (0..parts.len())
        .map(|i| sizes.get(i).copied().unwrap_or(0))
        .collect();
    along_axis(cx, cx.input(0)?, parts, &lens, axis, false)
}

/// Concat (`into_whole`) or Split: one copy between `whole` and each non-empty part,
/// part `i` at offset `lens[..i]` along `axis` of `whole`.
fn along_axis(
    cx: &Cx,
    whole: TensorId,
    parts: &[TensorId],
    lens: &[usize],
    axis: usize,
    into_whole: bool,
) -> Result<Vec<Call>, LowerError> {
    let ws = cx.shape(whole);
    cx.rank_ok(ws.len())?;
    let wst = i64s(&strides(ws));
    let mut calls = Vec::new();
    let mut at = 0i64;
    for (&part, &len) in parts.iter().zip(lens) {
        let ps = cx.shape(part);
        if numel(ps) > 0 {
            let w = (at * wst[axis], wst.clone());
            calls.push(if into_whole {
                copy(cx, [part, whole], ps, dense(ps, 0), w)
            } else {
                copy(cx, [whole, part], ps, w, dense(ps, 0))
            });
        }
        at += len as i64;
    }
    Ok(calls)
}

pub(super) fn slice(cx: &Cx, starts: &[i64], steps: &[i64]) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xst = i64s(&strides(cx.shape(x)));
    let ys = cx.shape(y);
    cx.rank_ok(ys.len())?;
    if numel(ys) == 0 {
        return Ok(Vec::new());
    }
    let off: i64 = starts.iter().zip(&xst).map(|(s, st)| s * st).sum();
    let xs: Vec<i64> = steps.iter().zip(&xst).map(|(s, st)| s * st).collect();
    Ok(vec![copy(cx, [x, y], ys, (off, xs), dense(ys, 0))])
}

pub(super) fn expand(cx: &Cx) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let ys = cx.shape(y);
    cx.rank_ok(ys.len())?;
    let xs = i64s(&broadcast_strides(cx.shape(x), ys.len()));
    Ok(vec![copy(cx, [x, y], ys, (0, xs), dense(ys, 0))])
}

pub(super) fn pad(
    cx: &Cx,
    pads: &[i64],
    value: f32,
    mode: PadMode,
) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let (xs, ys) = (cx.shape(x), cx.shape(y));
    cx.rank_ok(ys.len())?;
    let mode = match mode {
        PadMode::Constant if pads.iter().all(|&p| p >= 0) => {
            return Ok(pad_constant(cx, [x, y], pads, value))
        }
        PadMode::Constant => "MN_PAD_CONSTANT",
        PadMode::Reflect => "MN_PAD_REFLECT",
        PadMode::Edge => "MN_PAD_EDGE",
        PadMode::Wrap => "MN_PAD_WRAP",
    };
    let p = Params::new("mn_pad_params_t")
        .konst("mode", mode)
        .int("rank", xs.len())
        .ints("x_dims", i64s(xs))
        .ints("y_dims", i64s(ys))
        .ints("pads", pads.get(..xs.len()).unwrap_or(pads).to_vec())
        .float("value", value);
    Ok(vec![Call::new("mn_pad_f32", p, vec![cx.arg(x), cx.arg(y)])])
}

/// Constant-mode Pad without cropping: fill the output with `value`, then copy the input
/// inside it.
fn pad_constant(cx: &Cx, [x, y]: [TensorId; 2], pads: &[i64], value: f32) -> Vec<Call> {
    let (xs, ys) = (cx.shape(x), cx.shape(y));
    let yst = i64s(&strides(ys));
    let off: i64 = (0..xs.len()).map(|d| pads[d] * yst[d]).sum();
    let fill = Call {
        kernel: "mn_fill_f32",
        params: None,
        args: vec![cx.arg(y), Arg::Int(numel(ys) as i64), Arg::Float(value)],
    };
    let mut calls = vec![fill];
    if numel(xs) > 0 {
        calls.push(copy(cx, [x, y], xs, dense(xs, 0), (off, yst)));
    }
    calls
}

pub(super) fn gather(cx: &mut Cx, axis: usize, indices: &[i64]) -> Result<Vec<Call>, LowerError> {
    let (x, y) = cx.x_y()?;
    let xs = cx.shape(x);
    let idx: Vec<i32> = indices.iter().map(|&i| i as i32).collect();
    let n_idx = idx.len();
    let table = cx.st.int_table(&format!("{}_indices", cx.node.name), idx);
    let p = Params::new("mn_gather_params_t")
        .int("outer", numel(&xs[..axis]))
        .int("axis_len", xs[axis])
        .int("inner", numel(&xs[axis + 1..]))
        .int("n_indices", n_idx);
    Ok(vec![Call::new(
        "mn_gather_f32",
        p,
        vec![cx.arg(x), Arg::Buf(table), cx.arg(y)],
    )])
}
