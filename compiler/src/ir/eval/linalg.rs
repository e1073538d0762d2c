//! Matrix products (float32): MatMul (numpy.matmul: 1-D operands promoted, batch axes
//! broadcast) and Gemm. Same summation order as the C reference kernels (`mn_matmul_f32`,
//! `mn_gemm_f32`): one float accumulator per output element, over k in order.

use super::arith::unary_value;
use super::index::bcast_map;
use super::Operands;
use crate::ir::{Activation, Data, Op, UnaryKind};

/// A 1-D MatMul operand as a matrix: `[k]` is `[1, k]` on the left, `[k, 1]` on the right.
fn as_matrix(s: &[usize], left: bool) -> Vec<usize> {
    match (s, left) {
        ([k], true) => vec![1, *k],
        ([k], false) => vec![*k, 1],
        _ => s.to_vec(),
    }
}

/// The two innermost axes of a matrix shape (rank >= 2), and its batch axes.
fn split_matrix(s: &[usize]) -> Option<(&[usize], usize, usize)> {
    let r = s.len().checked_sub(2)?;
    Some((&s[..r], s[r], s[r + 1]))
}

/// numpy broadcast of two batch shapes (right-aligned); `None` when incompatible.
fn broadcast_batch(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let at = |s: &[usize], d: usize| (d + s.len()).checked_sub(rank).map_or(1, |i| s[i]);
    (0..rank)
        .map(|d| match (at(a, d), at(b, d)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect()
}

pub(super) fn matmul(a: &Operands) -> Option<Vec<Data>> {
    let (ta, tb) = (a.inputs.first()?, a.inputs.get(1)?);
    let (Data::F32(x), Data::F32(y)) = (a.datas.first()?, a.datas.get(1)?) else {
        return None;
    };
    let (a2, b2) = (as_matrix(&ta.shape, true), as_matrix(&tb.shape, false));
    let ((ab, m, k), (bb, k2, n)) = (split_matrix(&a2)?, split_matrix(&b2)?);
    if k != k2 {
        return None;
    }
    let batch = broadcast_batch(ab, bb)?;
    let (ma, mb) = (bcast_map(ab, &batch)?, bcast_map(bb, &batch)?);
    if ma.len() * m * n != a.out.numel() {
        return None;
    }
    let mut r = Vec::with_capacity(a.out.numel());
    for (ia, ib) in ma.iter().zip(&mb) {
        let (oa, ob) = ((*ia)? * m * k, (*ib)? * k * n);
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f32;
                for kk in 0..k {
                    acc += x.get(oa + i * k + kk)? * y.get(ob + kk * n + j)?;
                }
                r.push(acc);
            }
        }
    }
    a.one(Some(Data::F32(r)))
}

/// y = act(alpha * A' B' + beta * C), C broadcast to [m, n].
pub(super) fn gemm(a: &Operands, op: &Op) -> Option<Vec<Data>> {
    let &Op::Gemm {
        alpha,
        beta,
        trans_a,
        trans_b,
        act,
    } = op
    else {
        return None;
    };
    let (ta, tb) = (a.inputs.first()?, a.inputs.get(1)?);
    let (Data::F32(x), Data::F32(y)) = (a.datas.first()?, a.datas.get(1)?) else {
        return None;
    };
    let (&[a0, a1], &[b0, b1]) = (ta.shape.as_slice(), tb.shape.as_slice()) else {
        return None;
    };
    let (m, k) = if trans_a { (a1, a0) } else { (a0, a1) };
    let (kb, n) = if trans_b { (b1, b0) } else { (b0, b1) };
    if kb != k || m * n != a.out.numel() {
        return None;
    }
    // Element strides of A'[i][kk] and B'[kk][j] in the stored arrays.
    let (a_si, a_sk) = if trans_a { (1, m) } else { (k, 1) };
    let (b_sk, b_sj) = if trans_b { (1, k) } else { (n, 1) };
    let c = match (a.inputs.get(2), a.datas.get(2)) {
        (Some(tc), Some(Data::F32(c))) => Some((c, bcast_map(&tc.shape, &[m, n])?)),
        (None, _) => None,
        _ => return None,
    };
    let mut r = Vec::with_capacity(m * n);
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for kk in 0..k {
                acc += x.get(i * a_si + kk * a_sk)? * y.get(kk * b_sk + j * b_sj)?;
            }
            let mut v = alpha * acc;
            if let Some((c, map)) = &c {
                v += beta * c.get((*map.get(i * n + j)?)?)?;
            }
            r.push(activate(act, v));
        }
    }
    a.one(Some(Data::F32(r)))
}

/// A fused activation applied to one value (as `mn_act_apply` does at run time).
fn activate(act: Activation, v: f32) -> f32 {
    match act {
        Activation::None => v,
        Activation::Relu => unary_value(UnaryKind::Relu, v),
        Activation::LeakyRelu { alpha } => unary_value(UnaryKind::LeakyRelu { alpha }, v),
        Activation::Clip { min, max } => unary_value(UnaryKind::Clip { min, max }, v),
        Activation::HardSigmoid { alpha, beta } => {
            unary_value(UnaryKind::HardSigmoid { alpha, beta }, v)
        }
        Activation::HardSwish => unary_value(UnaryKind::HardSwish, v),
        Activation::Swish { alpha } => unary_value(UnaryKind::Swish { alpha }, v),
    }
}
