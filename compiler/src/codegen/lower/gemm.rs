//! Gemm (reference `mn_gemm_f32`, or `mn_gemm_fast_f32` on operands packed at compile
//! time, see [`kernels::packed_gemm`]) and MatMul (`mn_matmul_f32`, batched).

use super::{i64s, Arg, Buf, Call, Cx, LowerError, Params};
use crate::ir::layout::broadcast_strides;
use crate::ir::{Activation, Op, TensorId};
use crate::kernels::{self, PackedGemm};

pub(super) fn gemm(cx: &mut Cx) -> Result<Vec<Call>, LowerError> {
    let Op::Gemm { trans_a, act, .. } = cx.node.op else {
        return Err(cx.err("internal: not a Gemm node"));
    };
    let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let ys = cx.shape(y);
    let (m, n) = (ys[0], ys[1]);
    let a_s = cx.shape(a);
    let k = if trans_a { a_s[0] } else { a_s[1] };
    let p = Params::new("mn_gemm_params_t")
        .int("m", m)
        .int("n", n)
        .int("k", k)
        .int("trans_a", trans_a);
    if let Some(packed) = kernels::packed_gemm(cx.g, cx.node) {
        return Ok(vec![fast_gemm(cx, p, &act, packed, [a, b, y])]);
    }
    let (c, csm, csn) = match cx.node.inputs.get(2) {
        Some(&c) => {
            let st = broadcast_strides(cx.shape(c), 2);
            (cx.arg(c), st[0], st[1])
        }
        None => (Arg::Buf(Buf::Null), 0, 0),
    };
    let Op::Gemm {
        alpha,
        beta,
        trans_b,
        ..
    } = cx.node.op
    else {
        return Err(cx.err("internal: not a Gemm node"));
    };
    let p = p
        .int("trans_b", trans_b)
        .float("alpha", alpha)
        .float("beta", beta)
        .int("c_stride_m", csm)
        .int("c_stride_n", csn)
        .act(&act);
    Ok(vec![Call::new(
        "mn_gemm_f32",
        p,
        vec![cx.arg(a), cx.arg(b), c, cx.arg(y)],
    )])
}

/// `mn_gemm_fast_f32`: alpha, beta, trans_b and C's broadcast are in the packed operands.
fn fast_gemm(
    cx: &mut Cx,
    p: Params,
    act: &Activation,
    packed: PackedGemm,
    [a, b, y]: [TensorId; 3],
) -> Call {
    let p = p
        .int("trans_b", 0)
        .float("alpha", 1.0)
        .float("beta", 1.0)
        .int("c_stride_m", 0)
        .int("c_stride_n", 1)
        .act(act);
    let hint = format!("{}_packed", cx.g.tensors[b].name);
    let bp = cx.st.float_table(&hint, packed.b);
    let bias = match packed.bias {
        Some(v) => cx.st.float_table(&format!("{}_bias", cx.node.name), v),
        None => Buf::Null,
    };
    Call::new(
        "mn_gemm_fast_f32",
        p,
        vec![cx.arg(a), Arg::Buf(bp), Arg::Buf(bias), cx.arg(y)],
    )
}

/// A 1-D operand of MatMul as a matrix: `[k]` is `[1, k]` on the left, `[k, 1]` on the right.
fn as_matrix(s: &[usize], left: bool) -> Vec<usize> {
    match (s, left) {
        ([k], true) => vec![1, *k],
        ([k], false) => vec![*k, 1],
        _ => s.to_vec(),
    }
}

pub(super) fn matmul(cx: &Cx) -> Result<Vec<Call>, LowerError> {
    let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
    let a2 = as_matrix(cx.shape(a), true);
    let b2 = as_matrix(cx.shape(b), false);
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let n = b2[b2.len() - 1];
    let ab = &a2[..a2.len() - 2];
    let bb = &b2[..b2.len() - 2];
    let rank = ab.len().max(bb.len());
    cx.rank_ok(rank)?;
    // Batch dims: right-aligned, the larger of the two (broadcast checked at import).
    let at = |s: &[usize], d: usize| (d + s.len()).checked_sub(rank).map_or(1, |i| s[i]);
    let batch: Vec<usize> = (0..rank).map(|d| at(ab, d).max(at(bb, d))).collect();
    let mat_strides = |bs: &[usize], mat: usize| -> Vec<i64> {
        broadcast_strides(bs, rank)
            .iter()
            .map(|&s| (s * mat) as i64)
            .collect()
    };
    let p = Params::new("mn_matmul_params_t")
        .int("m", m)
        .int("n", n)
        .int("k", k)
        .int("batch_rank", rank)
        .ints("batch_dims", i64s(&batch))
        .ints("a_strides", mat_strides(ab, m * k))
        .ints("b_strides", mat_strides(bb, k * n));
    Ok(vec![Call::new(
        "mn_matmul_f32",
        p,
        vec![cx.arg(a), cx.arg(b), cx.arg(y)],
    )])
}
