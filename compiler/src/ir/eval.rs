//! Compile-time evaluation of IR operators on constant inputs.
//!
//! Single entry point [`eval`]. Covers the data-movement operators (Reshape, Transpose,
//! Concat, Split, Slice, Gather, Pad, Expand, Identity) for float32 and int64 data, and the
//! arithmetic ones (Binary, Variadic, Reduce for both; Unary and Softmax for float32).
//! Conv, Gemm, MatMul, pools and BatchNorm return `None` (left to run time).
//! Never panics: malformed inputs give `None`.

use crate::ir::layout::strides;
use crate::ir::{BinaryKind, Data, Op, PoolKind, ReduceKind, Tensor, UnaryKind, VariadicKind};

/// Data per output when every input is constant and `op` can be evaluated; else `None`.
pub fn eval(op: &Op, inputs: &[&Tensor], outputs: &[Tensor]) -> Option<Vec<Data>> {
    let datas: Vec<&Data> = inputs
        .iter()
        .map(|t| t.data.as_ref())
        .collect::<Option<_>>()?;
    for (t, d) in inputs.iter().zip(&datas) {
        if d.len() != t.numel() {
            return None;
        }
    }
    let out = outputs.first()?;
    let x = datas.first().copied();
    let one = |d: Option<Data>| d.map(|d| vec![d]);
    match op {
        Op::Identity | Op::Reshape => {
            let d = x?;
            (d.len() == out.numel()).then(|| vec![d.clone()])
        }
        Op::Transpose { perm } => {
            let t = inputs.first()?;
            if perm.len() != t.shape.len() {
                return None;
            }
            let st = strides(&t.shape);
            let ist: Vec<usize> = perm
                .iter()
                .map(|&p| st.get(p).copied())
                .collect::<Option<_>>()?;
            one(pick(
                x?,
                &index_map(&out.shape, |o| Some(dot(o, &ist))),
                0.0,
            ))
        }
        Op::Slice { starts, steps } => {
            let t = inputs.first()?;
            let st = strides(&t.shape);
            if starts.len() != st.len() || steps.len() != st.len() || out.shape.len() != st.len() {
                return None;
            }
            let map = index_map(&out.shape, |o| {
                let mut s: i64 = 0;
                for k in 0..o.len() {
                    let i = starts[k] + o[k] as i64 * steps[k];
                    if i < 0 || i as usize >= t.shape[k] {
                        return None;
                    }
                    s += i * st[k] as i64;
                }
                Some(s as usize)
            });
            one(pick(x?, &map, 0.0))
        }
        Op::Gather {
            axis,
            indices,
            indices_shape,
        } => {
            let t = inputs.first()?;
            let st = strides(&t.shape);
            let ir = indices_shape.len();
            let ist = strides(indices_shape);
            let axis = *axis;
            let map = index_map(&out.shape, |o| {
                let mut s = 0;
                for k in 0..axis {
                    s += o.get(k)? * st.get(k)?;
                }
                let flat = dot(o.get(axis..axis + ir)?, &ist);
                let j = usize::try_from(*indices.get(flat)?).ok()?;
                s += j * st.get(axis)?;
                for k in axis + 1..t.shape.len() {
                    s += o.get(k + ir - 1)? * st.get(k)?;
                }
                Some(s)
            });
            one(pick(x?, &map, 0.0))
        }
        Op::Expand => {
            let t = inputs.first()?;
            let map = bcast_map(&t.shape, &out.shape)?;
            one(pick(x?, &map, 0.0))
        }
        Op::Pad { pads, value } => {
            let t = inputs.first()?;
            let r = t.shape.len();
            if pads.len() != 2 * r || out.shape.len() != r {
                return None;
            }
            let st = strides(&t.shape);
            let map = index_map(&out.shape, |o| {
                let mut s = 0;
                for k in 0..r {
                    let i = o[k].checked_sub(pads[k])?;
                    if i >= t.shape[k] {
                        return None;
                    }
                    s += i * st[k];
                }
                Some(s)
            });
            one(pick(x?, &map, *value))
        }
        Op::Concat { axis } => {
            let outer: usize = out.shape.get(..*axis)?.iter().product();
            let mut parts: Vec<(usize, &Data)> = Vec::new();
            for (t, d) in inputs.iter().zip(&datas) {
                let chunk: usize = t.shape.get(*axis..)?.iter().product();
                parts.push((chunk, d));
            }
            let mut map = Vec::with_capacity(out.numel());
            // Index into a virtual concatenation of all inputs' data.
            let mut base = Vec::new();
            let mut acc = 0;
            for (_, d) in &parts {
                base.push(acc);
                acc += d.len();
            }
            for o in 0..outer {
                for ((chunk, _), b) in parts.iter().zip(&base) {
                    map.extend((0..*chunk).map(|i| Some(b + o * chunk + i)));
                }
            }
            let all = concat_data(&datas)?;
            one(pick(&all, &map, 0.0))
        }
        Op::Split { axis, sizes } => {
            let t = inputs.first()?;
            let outer: usize = t.shape.get(..*axis)?.iter().product();
            let inner: usize = t.shape.get(axis + 1..)?.iter().product();
            let dim = *t.shape.get(*axis)?;
            let mut res = Vec::new();
            let mut off = 0;
            for &s in sizes {
                let mut map = Vec::with_capacity(outer * s * inner);
                for o in 0..outer {
                    for a in 0..s {
                        map.extend((0..inner).map(|i| Some((o * dim + off + a) * inner + i)));
                    }
                }
                res.push(pick(x?, &map, 0.0)?);
                off += s;
            }
            Some(res)
        }
        Op::Binary { kind, .. } => {
            let (a, b) = (inputs.first()?, inputs.get(1)?);
            let ma = bcast_map(&a.shape, &out.shape)?;
            let mb = bcast_map(&b.shape, &out.shape)?;
            let k = *kind;
            one(zip_with(datas.first()?, datas.get(1)?, &ma, &mb, k))
        }
        Op::Variadic { kind } => {
            let mut acc = None;
            for (t, d) in inputs.iter().zip(&datas) {
                let m = bcast_map(&t.shape, &out.shape)?;
                let spread = pick(d, &m, 0.0)?;
                acc = Some(match acc {
                    None => spread,
                    Some(a) => {
                        let id: Vec<Option<usize>> = (0..out.numel()).map(Some).collect();
                        zip_with(&a, &spread, &id, &id, BinaryKind::Add)?
                    }
                });
            }
            let acc = acc?;
            match kind {
                VariadicKind::Sum => Some(vec![acc]),
                VariadicKind::Mean => {
                    let n = inputs.len();
                    Some(vec![match acc {
                        Data::F32(v) => Data::F32(v.iter().map(|x| x / n as f32).collect()),
                        Data::I64(v) => Data::I64(v.iter().map(|x| x / n as i64).collect()),
                    }])
                }
            }
        }
        Op::Unary(u) => match x? {
            Data::F32(v) => one(Some(Data::F32(v.iter().map(|&x| unary(*u, x)).collect()))),
            Data::I64(_) => None,
        },
        Op::Softmax {
            axis,
            log,
            coerce_2d,
        } => {
            let Data::F32(v) = x? else { return None };
            let t = inputs.first()?;
            let outer: usize = t.shape.get(..*axis)?.iter().product();
            let (n, inner) = if *coerce_2d {
                (t.shape.get(*axis..)?.iter().product::<usize>(), 1)
            } else {
                (
                    *t.shape.get(*axis)?,
                    t.shape.get(axis + 1..)?.iter().product::<usize>(),
                )
            };
            let mut r = v.clone();
            for o in 0..outer {
                for i in 0..inner {
                    let at = |k: usize| (o * n + k) * inner + i;
                    let m = (0..n).map(|k| v[at(k)]).fold(f32::NEG_INFINITY, f32::max);
                    let s: f32 = (0..n).map(|k| (v[at(k)] - m).exp()).sum();
                    for k in 0..n {
                        r[at(k)] = if *log {
                            v[at(k)] - m - s.ln()
                        } else {
                            (v[at(k)] - m).exp() / s
                        };
                    }
                }
            }
            one(Some(Data::F32(r)))
        }
        Op::Reduce { kind, axes, .. } => {
            let t = inputs.first()?;
            let kept: Vec<usize> = t
                .shape
                .iter()
                .enumerate()
                .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
                .collect();
            let n_out: usize = kept.iter().product();
            if n_out != out.numel() {
                return None;
            }
            let count: usize = axes
                .iter()
                .map(|&a| t.shape.get(a).copied())
                .product::<Option<usize>>()?;
            let kst = strides(&kept);
            let dst = index_map(&t.shape, |i| {
                Some(
                    i.iter()
                        .zip(&kept)
                        .zip(&kst)
                        .map(|((&i, &k), &s)| if k == 1 { 0 } else { i * s })
                        .sum(),
                )
            });
            Some(vec![match x? {
                Data::F32(v) => {
                    let init = if *kind == ReduceKind::Max {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    };
                    let mut r = vec![init; n_out];
                    for (val, d) in v.iter().zip(&dst) {
                        let o = r.get_mut((*d)?)?;
                        *o = if *kind == ReduceKind::Max {
                            o.max(*val)
                        } else {
                            *o + val
                        };
                    }
                    if *kind == ReduceKind::Mean {
                        r.iter_mut().for_each(|x| *x /= count.max(1) as f32);
                    }
                    Data::F32(r)
                }
                Data::I64(v) => {
                    let init = if *kind == ReduceKind::Max {
                        i64::MIN
                    } else {
                        0
                    };
                    let mut r = vec![init; n_out];
                    for (val, d) in v.iter().zip(&dst) {
                        let o = r.get_mut((*d)?)?;
                        *o = if *kind == ReduceKind::Max {
                            (*o).max(*val)
                        } else {
                            o.checked_add(*val)?
                        };
                    }
                    if *kind == ReduceKind::Mean {
                        r.iter_mut().for_each(|x| *x /= count.max(1) as i64);
                    }
                    Data::I64(r)
                }
            }])
        }
        Op::Conv { .. }
        | Op::Gemm { .. }
        | Op::MatMul
        | Op::Pool { .. }
        | Op::GlobalPool {
            kind: PoolKind::Max | PoolKind::Avg,
        }
        | Op::BatchNorm { .. }
        | Op::ConstOnly => None,
    }
}

fn unary(u: UnaryKind, x: f32) -> f32 {
    match u {
        UnaryKind::Relu => x.max(0.0),
        UnaryKind::LeakyRelu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha * x
            }
        }
        UnaryKind::Clip { min, max } => x.max(min).min(max),
        UnaryKind::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryKind::Tanh => x.tanh(),
        UnaryKind::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
        UnaryKind::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
    }
}

fn dot(a: &[usize], b: &[usize]) -> usize {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// For every output element (row-major over `shape`), `f(multi_index)`.
fn index_map(shape: &[usize], mut f: impl FnMut(&[usize]) -> Option<usize>) -> Vec<Option<usize>> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        out.push(f(&idx));
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

/// Source index of each output element when `from` is numpy-broadcast to `to`.
fn bcast_map(from: &[usize], to: &[usize]) -> Option<Vec<Option<usize>>> {
    let off = to.len().checked_sub(from.len())?;
    for (i, &d) in from.iter().enumerate() {
        if d != 1 && d != to[off + i] {
            return None;
        }
    }
    let st = strides(from);
    Some(index_map(to, |o| {
        Some(
            from.iter()
                .enumerate()
                .map(|(i, &d)| if d == 1 { 0 } else { o[off + i] * st[i] })
                .sum(),
        )
    }))
}

/// Gathers `map` from `d`; a `None` entry is filled with `fill`. `None` if any index is out
/// of range.
fn pick(d: &Data, map: &[Option<usize>], fill: f32) -> Option<Data> {
    Some(match d {
        Data::F32(v) => Data::F32(
            map.iter()
                .map(|m| match m {
                    Some(i) => v.get(*i).copied(),
                    None => Some(fill),
                })
                .collect::<Option<_>>()?,
        ),
        Data::I64(v) => Data::I64(
            map.iter()
                .map(|m| match m {
                    Some(i) => v.get(*i).copied(),
                    None => Some(fill as i64),
                })
                .collect::<Option<_>>()?,
        ),
    })
}

fn concat_data(ds: &[&Data]) -> Option<Data> {
    match ds.first()? {
        Data::F32(_) => {
            let mut v = Vec::new();
            for d in ds {
                let Data::F32(x) = d else { return None };
                v.extend_from_slice(x);
            }
            Some(Data::F32(v))
        }
        Data::I64(_) => {
            let mut v = Vec::new();
            for d in ds {
                let Data::I64(x) = d else { return None };
                v.extend_from_slice(x);
            }
            Some(Data::I64(v))
        }
    }
}

fn zip_with(
    a: &Data,
    b: &Data,
    ma: &[Option<usize>],
    mb: &[Option<usize>],
    k: BinaryKind,
) -> Option<Data> {
    Some(match (a, b) {
        (Data::F32(a), Data::F32(b)) => Data::F32(
            ma.iter()
                .zip(mb)
                .map(|(i, j)| {
                    let (x, y) = (*a.get((*i)?)?, *b.get((*j)?)?);
                    Some(match k {
                        BinaryKind::Add => x + y,
                        BinaryKind::Sub => x - y,
                        BinaryKind::Mul => x * y,
                        BinaryKind::Div => x / y,
                    })
                })
                .collect::<Option<_>>()?,
        ),
        (Data::I64(a), Data::I64(b)) => Data::I64(
            ma.iter()
                .zip(mb)
                .map(|(i, j)| {
                    let (x, y) = (*a.get((*i)?)?, *b.get((*j)?)?);
                    match k {
                        BinaryKind::Add => x.checked_add(y),
                        BinaryKind::Sub => x.checked_sub(y),
                        BinaryKind::Mul => x.checked_mul(y),
                        // Integer division truncates toward zero (as onnxruntime does).
                        BinaryKind::Div => x.checked_div(y),
                    }
                })
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::eval;
    use crate::ir::*;

    fn t(shape: &[usize], data: Option<Data>) -> Tensor {
        Tensor {
            name: "t".into(),
            dtype: match data {
                Some(Data::I64(_)) => DType::I64,
                _ => DType::F32,
            },
            shape: shape.to_vec(),
            data,
            quant: None,
        }
    }
    fn f(shape: &[usize], v: &[f32]) -> Tensor {
        t(shape, Some(Data::F32(v.to_vec())))
    }
    fn i(shape: &[usize], v: &[i64]) -> Tensor {
        t(shape, Some(Data::I64(v.to_vec())))
    }
    fn out(shape: &[usize]) -> Tensor {
        t(shape, None)
    }
    fn run(op: Op, ins: &[Tensor], outs: &[&[usize]]) -> Option<Vec<Data>> {
        let refs: Vec<&Tensor> = ins.iter().collect();
        let outs: Vec<Tensor> = outs.iter().map(|s| out(s)).collect();
        eval(&op, &refs, &outs)
    }
    fn one(op: Op, ins: &[Tensor], shape: &[usize]) -> Data {
        run(op, ins, &[shape])
            .and_then(|v| v.into_iter().next())
            .expect("evaluates")
    }

    #[test]
    fn non_constant_or_unsupported_gives_none() {
        assert_eq!(run(Op::Identity, &[out(&[2])], &[&[2]]), None);
        let conv = Op::Conv {
            kernel: vec![1],
            strides: vec![1],
            dilations: vec![1],
            pads: vec![0, 0],
            group: 1,
            act: Activation::None,
        };
        let x = f(&[1, 1, 1], &[1.0]);
        assert_eq!(run(conv, &[x.clone(), x], &[&[1, 1, 1]]), None);
        // Inconsistent data length: None, not a panic.
        assert_eq!(run(Op::Reshape, &[f(&[3], &[1.0])], &[&[3]]), None);
    }

    #[test]
    fn reshape_identity_copy() {
        let x = i(&[2, 2], &[1, 2, 3, 4]);
        assert_eq!(
            one(Op::Reshape, &[x.clone()], &[4]),
            Data::I64(vec![1, 2, 3, 4])
        );
        assert_eq!(
            one(Op::Identity, &[x], &[2, 2]),
            Data::I64(vec![1, 2, 3, 4])
        );
    }

    #[test]
    fn transpose_2x3() {
        let x = f(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let d = one(Op::Transpose { perm: vec![1, 0] }, &[x], &[3, 2]);
        assert_eq!(d, Data::F32(vec![1., 4., 2., 5., 3., 6.]));
    }

    #[test]
    fn concat_and_split_axis1() {
        let a = i(&[2, 1], &[1, 2]);
        let b = i(&[2, 2], &[3, 4, 5, 6]);
        let d = one(Op::Concat { axis: 1 }, &[a, b], &[2, 3]);
        assert_eq!(d, Data::I64(vec![1, 3, 4, 2, 5, 6]));
        let x = f(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let parts = run(
            Op::Split {
                axis: 1,
                sizes: vec![2, 1],
            },
            &[x],
            &[&[2, 2], &[2, 1]],
        )
        .expect("split");
        assert_eq!(
            parts,
            vec![Data::F32(vec![1., 2., 4., 5.]), Data::F32(vec![3., 6.])]
        );
    }

    #[test]
    fn slice_negative_step() {
        // x = [0..6) as [2, 3]; rows reversed, columns 2,0.
        let x = i(&[2, 3], &[0, 1, 2, 3, 4, 5]);
        let op = Op::Slice {
            starts: vec![1, 2],
            steps: vec![-1, -2],
        };
        assert_eq!(one(op, &[x], &[2, 2]), Data::I64(vec![5, 3, 2, 0]));
    }

    #[test]
    fn gather_scalar_and_matrix_indices() {
        let x = i(&[3], &[10, 20, 30]);
        let op = Op::Gather {
            axis: 0,
            indices: vec![2],
            indices_shape: vec![],
        };
        assert_eq!(one(op, &[x], &[]), Data::I64(vec![30]));
        let x = f(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let op = Op::Gather {
            axis: 1,
            indices: vec![2, 0],
            indices_shape: vec![2],
        };
        assert_eq!(one(op, &[x], &[2, 2]), Data::F32(vec![3., 1., 6., 4.]));
    }

    #[test]
    fn binary_broadcast_and_integer_division() {
        let a = f(&[2, 1], &[1., 2.]);
        let b = f(&[3], &[10., 20., 30.]);
        let op = Op::Binary {
            kind: BinaryKind::Add,
            act: Activation::None,
        };
        assert_eq!(
            one(op, &[a, b], &[2, 3]),
            Data::F32(vec![11., 21., 31., 12., 22., 32.])
        );
        let div = Op::Binary {
            kind: BinaryKind::Div,
            act: Activation::None,
        };
        let a = i(&[2], &[7, -7]);
        let b = i(&[], &[2]);
        assert_eq!(
            one(div.clone(), &[a.clone(), b], &[2]),
            Data::I64(vec![3, -3])
        );
        assert_eq!(
            run(div, &[a, i(&[], &[0])], &[&[2]]),
            None,
            "division by zero"
        );
    }

    #[test]
    fn unary_values() {
        let x = f(&[4], &[-2., -0.5, 0.5, 8.]);
        let d = one(Op::Unary(UnaryKind::Relu), &[x.clone()], &[4]);
        assert_eq!(d, Data::F32(vec![0., 0., 0.5, 8.]));
        let d = one(
            Op::Unary(UnaryKind::Clip { min: -1., max: 6. }),
            &[x.clone()],
            &[4],
        );
        assert_eq!(d, Data::F32(vec![-1., -0.5, 0.5, 6.]));
        let d = one(
            Op::Unary(UnaryKind::LeakyRelu { alpha: 0.1 }),
            &[x.clone()],
            &[4],
        );
        assert_eq!(d, Data::F32(vec![-0.2, -0.05, 0.5, 8.]));
        let d = one(Op::Unary(UnaryKind::HardSwish), &[x], &[4]);
        // x * clamp(x/6 + 0.5, 0, 1)
        let want = [-2. * (1. / 6.), -0.5 * (5. / 12.), 0.5 * (7. / 12.), 8.];
        let Data::F32(v) = d else { panic!() };
        for (g, w) in v.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g} vs {w}");
        }
    }

    #[test]
    fn expand_and_pad() {
        let x = i(&[2, 1], &[1, 2]);
        assert_eq!(
            one(Op::Expand, &[x], &[2, 3]),
            Data::I64(vec![1, 1, 1, 2, 2, 2])
        );
        let x = f(&[1, 2], &[1., 2.]);
        let op = Op::Pad {
            pads: vec![0, 1, 1, 0],
            value: 9.,
        };
        assert_eq!(
            one(op, &[x], &[2, 3]),
            Data::F32(vec![9., 1., 2., 9., 9., 9.])
        );
    }

    #[test]
    fn variadic_mean_and_sum() {
        let a = f(&[2], &[1., 3.]);
        let b = f(&[], &[5.]);
        let mean = Op::Variadic {
            kind: VariadicKind::Mean,
        };
        assert_eq!(
            one(mean, &[a.clone(), b.clone()], &[2]),
            Data::F32(vec![3., 4.])
        );
        let sum = Op::Variadic {
            kind: VariadicKind::Sum,
        };
        assert_eq!(one(sum, &[a.clone(), b, a], &[2]), Data::F32(vec![7., 11.]));
    }

    #[test]
    fn reduce_mean_max() {
        let x = f(&[2, 3], &[1., 2., 3., 4., 5., 9.]);
        let op = Op::Reduce {
            kind: ReduceKind::Mean,
            axes: vec![1],
            keepdims: true,
        };
        assert_eq!(one(op, &[x.clone()], &[2, 1]), Data::F32(vec![2., 6.]));
        let op = Op::Reduce {
            kind: ReduceKind::Max,
            axes: vec![0],
            keepdims: false,
        };
        assert_eq!(one(op, &[x], &[3]), Data::F32(vec![4., 5., 9.]));
        let op = Op::Reduce {
            kind: ReduceKind::Max,
            axes: vec![0, 1],
            keepdims: false,
        };
        assert_eq!(
            one(op, &[i(&[2, 2], &[3, -1, 7, 2])], &[]),
            Data::I64(vec![7])
        );
    }

    #[test]
    fn softmax_axis_and_coerce_2d() {
        let x = f(&[1, 2, 2], &[0., 0., 0., (3f32).ln()]);
        // Along the last axis: [0.5, 0.5], [0.25, 0.75].
        let op = Op::Softmax {
            axis: 2,
            log: false,
            coerce_2d: false,
        };
        let Data::F32(v) = one(op, &[x.clone()], &[1, 2, 2]) else {
            panic!()
        };
        for (g, w) in v.iter().zip([0.5, 0.5, 0.25, 0.75]) {
            assert!((g - w).abs() < 1e-6);
        }
        // Coerced over axes 1.. : the 4 values are one row, exp sum = 6.
        let op = Op::Softmax {
            axis: 1,
            log: true,
            coerce_2d: true,
        };
        let Data::F32(v) = one(op, &[x], &[1, 2, 2]) else {
            panic!()
        };
        let want = [1. / 6., 1. / 6., 1. / 6., 0.5f32].map(|p| p.ln());
        for (g, w) in v.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }
}
