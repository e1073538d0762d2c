//! Tests of the compile-time evaluator, one per operator family.

#![allow(clippy::cloned_ref_to_slice_refs)]

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

/// Float data of `d`, which must be float32.
fn floats(d: Data) -> Vec<f32> {
    d.as_f32().expect("float32 data").to_vec()
}

/// `got` equals `want` within 1e-6 relative (NaN matches NaN, infinities exactly).
fn close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let ok = (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= 1e-6 * w.abs().max(1.0);
        assert!(ok, "{got:?} vs {want:?}");
    }
}

fn unary1(u: UnaryKind, x: &[f32]) -> Vec<f32> {
    floats(one(Op::Unary(u), &[f(&[x.len()], x)], &[x.len()]))
}

#[test]
fn unary_math_values() {
    // Expected values from Python's math module.
    close(
        &unary1(UnaryKind::Erf, &[0., 1., -0.5]),
        &[0., 0.842_700_8, -0.520_499_9],
    );
    close(&unary1(UnaryKind::Reciprocal, &[4., -0.5]), &[0.25, -2.]);
    close(&unary1(UnaryKind::Neg, &[3., -0.]), &[-3., 0.]);
    close(&unary1(UnaryKind::Abs, &[-3., 2.]), &[3., 2.]);
    close(
        &unary1(UnaryKind::Exp, &[0., 1.]),
        &[1., std::f32::consts::E],
    );
    close(
        &unary1(UnaryKind::Log, &[0., std::f32::consts::E, -1.]),
        &[f32::NEG_INFINITY, 1., f32::NAN],
    );
    close(
        &unary1(UnaryKind::Sin, &[0., std::f32::consts::FRAC_PI_2]),
        &[0., 1.],
    );
    close(&unary1(UnaryKind::Cos, &[0.]), &[1.]);
    close(&unary1(UnaryKind::Floor, &[-1.5, 1.5]), &[-2., 1.]);
    close(&unary1(UnaryKind::Ceil, &[-1.5, 1.5]), &[-1., 2.]);
    // Half to even.
    close(
        &unary1(UnaryKind::Round, &[0.5, 1.5, 2.5, -2.5, 2.6]),
        &[0., 2., 2., -2., 3.],
    );
    close(
        &unary1(UnaryKind::Sign, &[-3., 0., 2., f32::NAN]),
        &[-1., 0., 1., f32::NAN],
    );
}

#[test]
fn unary_activation_values() {
    // Expected values from Python's math module.
    close(
        &unary1(UnaryKind::Softplus, &[0., 100.]),
        &[std::f32::consts::LN_2, 100.],
    );
    close(&unary1(UnaryKind::Mish, &[1., 0.]), &[0.865_098_4, 0.]);
    close(
        &unary1(UnaryKind::Gelu { tanh: false }, &[1., 0.]),
        &[0.841_344_7, 0.],
    );
    close(&unary1(UnaryKind::Gelu { tanh: true }, &[1.]), &[0.841_192]);
    close(
        &unary1(UnaryKind::Elu { alpha: 2. }, &[-1., 3.]),
        &[-1.264_241_1, 3.],
    );
    let selu = UnaryKind::Selu {
        alpha: 1.673_263_2,
        gamma: 1.050_701,
    };
    close(&unary1(selu, &[-1., 2.]), &[-1.111_330_7, 2.101_402]);
    close(&unary1(UnaryKind::Softsign, &[3., -1.]), &[0.75, -0.5]);
}

#[test]
fn unary_on_integers_and_bool() {
    let x = i(&[3], &[-4, 0, 5]);
    let run1 = |u| one(Op::Unary(u), &[x.clone()], &[3]);
    assert_eq!(run1(UnaryKind::Neg), Data::I64(vec![4, 0, -5]));
    assert_eq!(run1(UnaryKind::Abs), Data::I64(vec![4, 0, 5]));
    assert_eq!(run1(UnaryKind::Sign), Data::I64(vec![-1, 0, 1]));
    assert_eq!(run1(UnaryKind::Not), Data::I64(vec![0, 1, 0]));
    // No integer Exp: left unevaluated.
    assert_eq!(run(Op::Unary(UnaryKind::Exp), &[x], &[&[3]]), None);
}

fn bin(kind: BinaryKind) -> Op {
    Op::Binary {
        kind,
        act: Activation::None,
    }
}

#[test]
fn mod_signs() {
    let a = i(&[4], &[-7, 7, -7, 7]);
    let b = i(&[4], &[3, -3, -3, 3]);
    // Python: -7 % 3 = 2, 7 % -3 = -2, -7 % -3 = -1, 7 % 3 = 1.
    assert_eq!(
        one(
            bin(BinaryKind::Mod { fmod: false }),
            &[a.clone(), b.clone()],
            &[4]
        ),
        Data::I64(vec![2, -2, -1, 1])
    );
    // C fmod: the dividend's sign.
    assert_eq!(
        one(bin(BinaryKind::Mod { fmod: true }), &[a.clone(), b], &[4]),
        Data::I64(vec![-1, 1, -1, 1])
    );
    assert_eq!(
        run(
            bin(BinaryKind::Mod { fmod: false }),
            &[a, i(&[], &[0])],
            &[&[4]]
        ),
        None,
        "modulo by zero"
    );
    let x = f(&[2], &[-7.5, 7.5]);
    let y = f(&[], &[2.]);
    let fmod = one(
        bin(BinaryKind::Mod { fmod: true }),
        &[x.clone(), y.clone()],
        &[2],
    );
    assert_eq!(fmod, Data::F32(vec![-1.5, 1.5]));
    let pymod = one(bin(BinaryKind::Mod { fmod: false }), &[x, y], &[2]);
    assert_eq!(pymod, Data::F32(vec![0.5, 1.5]));
}

#[test]
fn comparisons_give_bool_and_nan_compares_false() {
    let x = f(&[3], &[1., 2., f32::NAN]);
    let two = f(&[], &[2.]);
    let cmp = |k| one(bin(k), &[x.clone(), two.clone()], &[3]);
    assert_eq!(cmp(BinaryKind::Equal), Data::I64(vec![0, 1, 0]));
    assert_eq!(cmp(BinaryKind::Less), Data::I64(vec![1, 0, 0]));
    assert_eq!(cmp(BinaryKind::LessOrEqual), Data::I64(vec![1, 1, 0]));
    assert_eq!(cmp(BinaryKind::Greater), Data::I64(vec![0, 0, 0]));
    assert_eq!(cmp(BinaryKind::GreaterOrEqual), Data::I64(vec![0, 1, 0]));
    let n = i(&[2], &[5, -1]);
    assert_eq!(
        one(bin(BinaryKind::Greater), &[n, i(&[1], &[0])], &[2]),
        Data::I64(vec![1, 0])
    );
}

#[test]
fn logic_broadcasts() {
    let a = i(&[2, 1], &[0, 1]);
    let b = i(&[2], &[0, 1]);
    let logic = |k| one(bin(k), &[a.clone(), b.clone()], &[2, 2]);
    assert_eq!(logic(BinaryKind::And), Data::I64(vec![0, 0, 0, 1]));
    assert_eq!(logic(BinaryKind::Or), Data::I64(vec![0, 1, 1, 1]));
    assert_eq!(logic(BinaryKind::Xor), Data::I64(vec![0, 1, 1, 0]));
}

#[test]
fn variadic_min_max_propagate_nan() {
    let a = f(&[3], &[1., 5., f32::NAN]);
    let b = f(&[], &[3.]);
    let c = f(&[3], &[0., 9., 1.]);
    let min = Op::Variadic {
        kind: VariadicKind::Min,
    };
    let max = Op::Variadic {
        kind: VariadicKind::Max,
    };
    let ins = [a, b, c];
    close(&floats(one(min, &ins, &[3])), &[0., 3., f32::NAN]);
    close(&floats(one(max, &ins, &[3])), &[3., 9., f32::NAN]);
    let m = one(
        Op::Variadic {
            kind: VariadicKind::Max,
        },
        &[i(&[2], &[4, -2]), i(&[], &[0])],
        &[2],
    );
    assert_eq!(m, Data::I64(vec![4, 0]));
}

#[test]
fn where_broadcasts_condition_and_operands() {
    let c = i(&[2, 1], &[1, 0]);
    let x = f(&[2], &[1., 2.]);
    let y = f(&[], &[-1.]);
    assert_eq!(
        one(Op::Where, &[c.clone(), x, y], &[2, 2]),
        Data::F32(vec![1., 2., -1., -1.])
    );
    let xi = i(&[1], &[7]);
    let yi = i(&[2, 2], &[1, 2, 3, 4]);
    assert_eq!(
        one(Op::Where, &[c, xi, yi], &[2, 2]),
        Data::I64(vec![7, 7, 3, 4])
    );
}

#[test]
fn reduce_max_of_an_empty_bool_set_is_false() {
    let mut x = i(&[2, 0], &[]);
    x.dtype = DType::Bool;
    let mut y = out(&[2, 1]);
    y.dtype = DType::Bool;
    let op = Op::Reduce {
        kind: ReduceKind::Max,
        axes: vec![1],
        keepdims: true,
    };
    assert_eq!(eval(&op, &[&x], &[y]), Some(vec![Data::I64(vec![0, 0])]));
}
