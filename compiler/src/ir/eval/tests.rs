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
    // A run-time input (no data): left to run time.
    let w = f(&[1, 1, 1], &[1.0]);
    assert_eq!(run(conv, &[out(&[1, 1, 1]), w], &[&[1, 1, 1]]), None);
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

/// NaN propagates through the folded activations as in onnxruntime: expectations printed by
/// onnxruntime 1.32 (CPU, opset 20) for input {NaN, -1, 2, inf, -inf}.
#[test]
fn activations_propagate_nan_like_onnxruntime() {
    let x = f(&[5], &[f32::NAN, -1., 2., f32::INFINITY, f32::NEG_INFINITY]);
    let inf = f32::INFINITY;
    let cases = [
        (UnaryKind::Relu, [f32::NAN, 0., 2., inf, 0.]),
        (
            UnaryKind::LeakyRelu { alpha: 0.1 },
            [f32::NAN, -0.1, 2., inf, -inf],
        ),
        (
            UnaryKind::Clip { min: 0., max: 1. },
            [f32::NAN, 0., 1., 1., 0.],
        ),
        (
            UnaryKind::HardSigmoid {
                alpha: 0.2,
                beta: 0.5,
            },
            [f32::NAN, 0.3, 0.9, 1., 0.],
        ),
    ];
    for (kind, want) in cases {
        let Data::F32(got) = one(Op::Unary(kind), std::slice::from_ref(&x), &[5]) else {
            panic!("{kind:?}: not float32")
        };
        for (g, w) in got.iter().zip(want) {
            let ok = (g.is_nan() && w.is_nan()) || *g == w || (g - w).abs() <= 1e-6;
            assert!(ok, "{kind:?}: got {got:?}, onnxruntime {want:?}");
        }
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
        mode: PadMode::Constant,
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

/// A recurrent op over input 1, hidden 1 with the given optional operands.
fn recurrent(cell: CellKind, direction: Direction, has: [bool; 4], outs: [bool; 3]) -> Op {
    Op::Recurrent(Recurrent {
        cell,
        direction,
        hidden: 1,
        batch_first: false,
        has_b: has[0],
        has_initial_h: has[1],
        has_initial_c: has[2],
        has_p: has[3],
        has_y: outs[0],
        has_y_h: outs[1],
        has_y_c: outs[2],
    })
}

fn assert_f32s_close(d: &Data, want: &[f32]) {
    let Data::F32(got) = d else {
        panic!("float32 expected")
    };
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
    }
}

// Expected values: the hand calculations of test_rnn / test_gru / test_lstm in
// runtime-c/tests/test_kernels.c (input 1, hidden 1, seq 2, batch 1).
#[test]
fn rnn_bidirectional_folds() {
    let op = recurrent(
        CellKind::Rnn,
        Direction::Bidirectional,
        [true, false, false, false],
        [true, true, false],
    );
    let ins = [
        f(&[2, 1, 1], &[1.0, 2.0]),
        f(&[2, 1, 1], &[0.5, 1.0]),
        f(&[2, 1, 1], &[-1.0, 0.0]),
        f(&[2, 2], &[0.1, 0.2, 0.0, 0.0]),
    ];
    let got = run(op, &ins, &[&[2, 2, 1, 1], &[2, 1, 1]]).expect("evaluates");
    assert_f32s_close(&got[0], &[0.6640368, 0.7615942, 0.5621447, 0.9640276]);
    assert_f32s_close(&got[1], &[0.5621447, 0.7615942]);
}

#[test]
fn gru_folds_with_and_without_linear_before_reset() {
    let ins = [
        f(&[2, 1, 1], &[1.0, -1.0]),
        f(&[1, 3, 1], &[1.0, 1.0, 1.0]),
        f(&[1, 3, 1], &[0.5, -0.5, 2.0]),
        f(&[1, 6], &[0.0, 0.0, 0.0, 0.0, 0.0, 0.5]),
    ];
    for (lbr, want) in [
        (false, [0.2434319, -0.185019]),
        (true, [0.2360416, -0.3844929]),
    ] {
        let cell = CellKind::Gru {
            linear_before_reset: lbr,
        };
        let op = recurrent(
            cell,
            Direction::Forward,
            [true, false, false, false],
            [true; 3],
        );
        let got = run(op, &ins, &[&[2, 1, 1, 1], &[1, 1, 1]]).expect("evaluates");
        assert_f32s_close(&got[0], &want);
        assert_f32s_close(&got[1], &want[1..]);
    }
}

#[test]
fn lstm_folds_with_peepholes_and_initial_state() {
    // Inputs X, W, R, initial_h, initial_c, P; outputs Y and Y_c (no Y_h).
    let op = recurrent(
        CellKind::Lstm,
        Direction::Forward,
        [false, true, true, true],
        [true, false, true],
    );
    let ins = [
        f(&[2, 1, 1], &[1.0, 0.5]),
        f(&[1, 4, 1], &[0.5, 1.0, -1.0, 2.0]),
        f(&[1, 4, 1], &[0.5; 4]),
        f(&[1, 1, 1], &[0.0]),
        f(&[1, 1, 1], &[1.0]),
        f(&[1, 3], &[0.1, 0.2, 0.3]),
    ];
    let got = run(op, &ins, &[&[2, 1, 1, 1], &[1, 1, 1]]).expect("evaluates");
    assert_eq!(got.len(), 2);
    assert_f32s_close(&got[0], &[0.5688027, 0.5717989]);
    assert_f32s_close(&got[1], &[1.05355]);
}

/// Every value of `got` (float32) within 1e-5 relative of `want`.
fn assert_f32(got: &Data, want: &[f32]) {
    let Data::F32(v) = got else {
        panic!("expected float32, got {got:?}")
    };
    assert_eq!(v.len(), want.len(), "{v:?} vs {want:?}");
    for (g, w) in v.iter().zip(want) {
        assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{v:?} vs {want:?}");
    }
}

#[test]
fn pow_float_and_int64_and_sqrt() {
    let pow = Op::Binary {
        kind: BinaryKind::Pow,
        act: Activation::None,
    };
    // 2^3 = 8, 9^0.5 = 3, (-2)^2 = 4, 4^-1 = 0.25.
    let x = f(&[4], &[2., 9., -2., 4.]);
    let y = f(&[4], &[3., 0.5, 2., -1.]);
    assert_f32(&one(pow.clone(), &[x, y], &[4]), &[8., 3., 4., 0.25]);
    // Broadcast int64: [2, 3] ^ [[0], [3]] = [[1, 1], [8, 27]]; a negative exponent and
    // an overflow are not evaluated.
    let (a, b) = (i(&[2], &[2, 3]), i(&[2, 1], &[0, 3]));
    assert_eq!(
        one(pow.clone(), &[a.clone(), b], &[2, 2]),
        Data::I64(vec![1, 1, 8, 27])
    );
    assert_eq!(run(pow.clone(), &[a, i(&[], &[-1])], &[&[2]]), None);
    assert_eq!(run(pow, &[i(&[], &[10]), i(&[], &[40])], &[&[]]), None);
    // Sqrt: 0, 0.25 -> 0.5, 16 -> 4; -1 -> NaN.
    let Data::F32(v) = one(
        Op::Unary(UnaryKind::Sqrt),
        &[f(&[4], &[0., 0.25, 16., -1.])],
        &[4],
    ) else {
        panic!()
    };
    assert_eq!(&v[..3], &[0., 0.5, 4.]);
    assert!(v[3].is_nan());
}

#[test]
fn reduce_every_kind() {
    // Rows [1 -2 3] and [4 5 -6] reduced over axis 1.
    let x = f(&[2, 3], &[1., -2., 3., 4., 5., -6.]);
    let red = |kind| Op::Reduce {
        kind,
        axes: vec![1],
        keepdims: false,
    };
    let cases: [(ReduceKind, [f32; 2]); 8] = [
        (ReduceKind::Sum, [2., 3.]),
        (ReduceKind::Min, [-2., -6.]),
        (ReduceKind::Prod, [-6., -120.]),
        (ReduceKind::SumSquare, [14., 77.]),
        (ReduceKind::L1, [6., 15.]),
        (ReduceKind::L2, [14f32.sqrt(), 77f32.sqrt()]),
        (ReduceKind::LogSum, [2f32.ln(), 3f32.ln()]),
        // ln(e + e^-2 + e^3) = 3.1328452, ln(e^4 + e^5 + e^-6) = 5.3132739
        (ReduceKind::LogSumExp, [3.132_845, 5.313_274]),
    ];
    for (kind, want) in cases {
        assert_f32(&one(red(kind), &[x.clone()], &[2]), &want);
    }
    // int64: sum, prod, L1 and sum of squares fold; L2, LogSum(Exp) do not.
    let xi = i(&[3], &[2, -3, 4]);
    let all = |kind| Op::Reduce {
        kind,
        axes: vec![0],
        keepdims: false,
    };
    assert_eq!(
        one(all(ReduceKind::Prod), &[xi.clone()], &[]),
        Data::I64(vec![-24])
    );
    assert_eq!(
        one(all(ReduceKind::L1), &[xi.clone()], &[]),
        Data::I64(vec![9])
    );
    assert_eq!(
        one(all(ReduceKind::SumSquare), &[xi.clone()], &[]),
        Data::I64(vec![29])
    );
    assert_eq!(
        one(all(ReduceKind::Min), &[xi.clone()], &[]),
        Data::I64(vec![-3])
    );
    assert_eq!(run(all(ReduceKind::L2), &[xi], &[&[]]), None);
}

#[test]
fn reduce_max_min_propagate_nan() {
    let x = f(&[3], &[1., f32::NAN, 3.]);
    for kind in [ReduceKind::Max, ReduceKind::Min] {
        let op = Op::Reduce {
            kind,
            axes: vec![0],
            keepdims: false,
        };
        let Data::F32(v) = one(op, &[x.clone()], &[]) else {
            panic!()
        };
        assert!(v[0].is_nan(), "{kind:?}");
    }
}

#[test]
fn layer_norm_with_statistics() {
    // Rows [1 3 1 3] (mean 2, variance 1) and [0 0 8 8] (mean 4, variance 16), epsilon 0:
    // normalised [-1 1 -1 1] and [-1 -1 1 1], times [1 2 3 4] plus [0 0 0 10].
    let op = Op::Norm {
        kind: NormKind::Layer,
        axis: 1,
        groups: 1,
        epsilon: 0.0,
        affine: NormAffine::PerElement,
    };
    let x = f(&[2, 4], &[1., 3., 1., 3., 0., 0., 8., 8.]);
    let scale = f(&[4], &[1., 2., 3., 4.]);
    let bias = f(&[4], &[0., 0., 0., 10.]);
    let outs = run(op, &[x, scale, bias], &[&[2, 4], &[2, 1], &[2, 1]]).expect("evaluates");
    assert_eq!(outs.len(), 3);
    assert_f32(&outs[0], &[-1., 2., -3., 14., -1., -2., 3., 14.]);
    assert_f32(&outs[1], &[2., 4.]);
    assert_f32(&outs[2], &[1., 0.25]);
}

#[test]
fn group_and_instance_norm() {
    // [1, C 4, 2] in 2 groups: {ch0, ch1} = [1 3 1 3] -> [-1 1 -1 1], {ch2, ch3} =
    // [0 0 8 8] -> [-1 -1 1 1] (epsilon 0).
    let x = f(&[1, 4, 2], &[1., 3., 1., 3., 0., 0., 8., 8.]);
    let gn = |affine| Op::Norm {
        kind: NormKind::Group,
        axis: 1,
        groups: 2,
        epsilon: 0.0,
        affine,
    };
    // Per channel (opset 21): scale [1 2 3 4], bias [0 1 0 1].
    let per_ch = [f(&[4], &[1., 2., 3., 4.]), f(&[4], &[0., 1., 0., 1.])];
    let ins = [x.clone(), per_ch[0].clone(), per_ch[1].clone()];
    let y = one(gn(NormAffine::PerChannel), &ins, &[1, 4, 2]);
    assert_f32(&y, &[-1., 1., -1., 3., -3., -3., 5., 5.]);
    // Per group (opset 18): scale [2 3], bias [0 1].
    let ins = [x, f(&[2], &[2., 3.]), f(&[2], &[0., 1.])];
    let y = one(gn(NormAffine::PerGroup), &ins, &[1, 4, 2]);
    assert_f32(&y, &[-2., 2., -2., 2., -2., -2., 4., 4.]);
    // Instance norm [1, 2, 2], epsilon 3: ch0 [1 3]: (x - 2) / sqrt(1 + 3) * 2 + 1 = [0 2];
    // ch1 [10 10] -> its bias, -1.
    let op = Op::Norm {
        kind: NormKind::Instance,
        axis: 1,
        groups: 2,
        epsilon: 3.0,
        affine: NormAffine::PerChannel,
    };
    let ins = [
        f(&[1, 2, 2], &[1., 3., 10., 10.]),
        f(&[2], &[2., 5.]),
        f(&[2], &[1., -1.]),
    ];
    assert_f32(&one(op, &ins, &[1, 2, 2]), &[0., 2., -1., -1.]);
}

#[test]
fn batchnorm_folds() {
    // As runtime-c's test: ch0 scale 4 / sqrt(3.99 + 0.01) = 2 -> 2 (x - 1) + 1;
    // ch1 0.5 / sqrt(0.24 + 0.01) = 1 -> (x - 4) - 1.
    let ins = [
        f(&[2, 2, 2], &[1., 2., 3., 4., 5., 6., 7., 8.]),
        f(&[2], &[4., 0.5]),
        f(&[2], &[1., -1.]),
        f(&[2], &[1., 4.]),
        f(&[2], &[3.99, 0.24]),
    ];
    let y = one(Op::BatchNorm { epsilon: 0.01 }, &ins, &[2, 2, 2]);
    assert_f32(&y, &[1., 3., -2., -1., 9., 11., 2., 3.]);
}

fn gemm(alpha: f32, beta: f32, trans_a: bool, trans_b: bool, act: Activation) -> Op {
    Op::Gemm {
        alpha,
        beta,
        trans_a,
        trans_b,
        act,
    }
}

#[test]
fn matmul_2d_and_1d_operands() {
    // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]].
    let a = f(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let b = f(&[2, 2], &[5.0, 6.0, 7.0, 8.0]);
    assert_eq!(
        one(Op::MatMul, &[a.clone(), b.clone()], &[2, 2]),
        Data::F32(vec![19.0, 22.0, 43.0, 50.0])
    );
    // [1,2] x B = [19,22]; A x [1,1] = [3,7]; [1,2].[3,4] = 11 (a scalar).
    let v = f(&[2], &[1.0, 2.0]);
    assert_eq!(
        one(Op::MatMul, &[v.clone(), b], &[2]),
        Data::F32(vec![19.0, 22.0])
    );
    assert_eq!(
        one(Op::MatMul, &[a, f(&[2], &[1.0, 1.0])], &[2]),
        Data::F32(vec![3.0, 7.0])
    );
    assert_eq!(
        one(Op::MatMul, &[v, f(&[2], &[3.0, 4.0])], &[]),
        Data::F32(vec![11.0])
    );
}

#[test]
fn matmul_broadcasts_batch_axes() {
    // A [2,1,1,2] (batches [1,0] and [0,1]) x B [3,2,1] (columns [1,1], [2,0], [0,3]):
    // out [2,3,1,1]: batch (i,j) = A_i . B_j.
    let a = f(&[2, 1, 1, 2], &[1.0, 0.0, 0.0, 1.0]);
    let b = f(&[3, 2, 1], &[1.0, 1.0, 2.0, 0.0, 0.0, 3.0]);
    assert_eq!(
        one(Op::MatMul, &[a, b], &[2, 3, 1, 1]),
        Data::F32(vec![1.0, 2.0, 0.0, 1.0, 0.0, 3.0])
    );
    // Incompatible batch axes or inner dimensions: None.
    let x = f(&[2, 1, 1], &[1.0, 2.0]);
    let y = f(&[3, 1, 1], &[1.0, 2.0, 3.0]);
    assert_eq!(run(Op::MatMul, &[x.clone(), y], &[&[3, 1, 1]]), None);
    assert_eq!(
        run(Op::MatMul, &[x, f(&[2], &[1.0, 2.0])], &[&[2, 1]]),
        None
    );
}

#[test]
fn gemm_transposes_alpha_beta_bias_and_activation() {
    // A' = [[1,2],[3,4]] stored transposed; B' = [[1,0],[0,-1]] stored transposed.
    let at = f(&[2, 2], &[1.0, 3.0, 2.0, 4.0]);
    let bt = f(&[2, 2], &[1.0, 0.0, 0.0, -1.0]);
    // A'B' = [[1,-2],[3,-4]]; 2 * that + 0.5 * C with C = [10, 20] broadcast over rows.
    let c = f(&[2], &[10.0, 20.0]);
    let op = gemm(2.0, 0.5, true, true, Activation::None);
    assert_eq!(
        one(op, &[at.clone(), bt.clone(), c.clone()], &[2, 2]),
        Data::F32(vec![7.0, 6.0, 11.0, 2.0])
    );
    let relu = gemm(2.0, 0.0, true, true, Activation::Relu);
    assert_eq!(
        one(relu, &[at.clone(), bt.clone()], &[2, 2]),
        Data::F32(vec![2.0, 0.0, 6.0, 0.0])
    );
    // Non-rectangular: A [1,3] x B [3,2] with C [1,1].
    let a = f(&[1, 3], &[1.0, 2.0, 3.0]);
    let b = f(&[3, 2], &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let op = gemm(1.0, 1.0, false, false, Activation::None);
    assert_eq!(
        one(op.clone(), &[a.clone(), b, f(&[1, 1], &[-1.0])], &[1, 2]),
        Data::F32(vec![3.0, 4.0])
    );
    // Inner dimensions that differ: None, not a panic.
    assert_eq!(run(op, &[a, at], &[&[1, 2]]), None);
}

fn window_op(conv: bool, kernel: &[usize], strides: &[usize], pads: &[usize]) -> Op {
    let n = kernel.len();
    if conv {
        Op::Conv {
            kernel: kernel.to_vec(),
            strides: strides.to_vec(),
            dilations: vec![1; n],
            pads: pads.to_vec(),
            group: 1,
            act: Activation::None,
        }
    } else {
        Op::Pool {
            kind: PoolKind::Avg,
            kernel: kernel.to_vec(),
            strides: strides.to_vec(),
            dilations: vec![1; n],
            pads: pads.to_vec(),
            count_include_pad: false,
        }
    }
}

const ONE_TO_8: [f32; 8] = [1., 2., 3., 4., 5., 6., 7., 8.];

#[test]
fn conv_2d_and_3d() {
    // X 3x3 = 1..9, W = [[1, 0], [0, 1]]: y = x[i][j] + x[i+1][j+1] + bias 0.5.
    let x = f(&[1, 1, 3, 3], &[1., 2., 3., 4., 5., 6., 7., 8., 9.]);
    let w = f(&[1, 1, 2, 2], &[1., 0., 0., 1.]);
    let b = f(&[1], &[0.5]);
    let op = window_op(true, &[2, 2], &[1, 1], &[0; 4]);
    assert_eq!(
        one(op, &[x, w, b], &[1, 1, 2, 2]),
        Data::F32(vec![6.5, 8.5, 12.5, 14.5])
    );
    // 3-D: X 2x2x2 = 1..8, W of ones, pad 1 in front, stride 2: window o covers {2o-1, 2o}
    // per axis, only o inside, so y = x.
    let x = f(&[1, 1, 2, 2, 2], &ONE_TO_8);
    let w = f(&[1, 1, 2, 2, 2], &[1.; 8]);
    let op = window_op(true, &[2, 2, 2], &[2, 2, 2], &[1, 1, 1, 0, 0, 0]);
    assert_eq!(
        one(op, &[x.clone(), w.clone()], &[1, 1, 2, 2, 2]),
        Data::F32(ONE_TO_8.to_vec())
    );
    // A fused activation is left to run time.
    let relu = Op::Conv {
        kernel: vec![2, 2, 2],
        strides: vec![1; 3],
        dilations: vec![1; 3],
        pads: vec![0; 6],
        group: 1,
        act: Activation::Relu,
    };
    assert_eq!(run(relu, &[x, w], &[&[1, 1, 1, 1, 1]]), None);
}

#[test]
fn conv_groups_and_dilation() {
    // Depthwise, group 2: channel 0 {1, 2} * 2, channel 1 {3, 4} * 3.
    let x = f(&[1, 2, 1, 1, 2], &[1., 2., 3., 4.]);
    let w = f(&[2, 1, 1, 1, 1], &[2., 3.]);
    let op = Op::Conv {
        kernel: vec![1, 1, 1],
        strides: vec![1; 3],
        dilations: vec![1; 3],
        pads: vec![0; 6],
        group: 2,
        act: Activation::None,
    };
    assert_eq!(
        one(op, &[x, w], &[1, 2, 1, 1, 2]),
        Data::F32(vec![2., 4., 9., 12.])
    );
    // 1-D, x = 1..5, k 2, dilation 3, w = {1, 10}: x0 + 10 x3 = 41, x1 + 10 x4 = 52.
    let x = f(&[1, 1, 5], &[1., 2., 3., 4., 5.]);
    let w = f(&[1, 1, 2], &[1., 10.]);
    let op = Op::Conv {
        kernel: vec![2],
        strides: vec![1],
        dilations: vec![3],
        pads: vec![0, 0],
        group: 1,
        act: Activation::None,
    };
    assert_eq!(one(op, &[x, w], &[1, 1, 2]), Data::F32(vec![41., 52.]));
}

#[test]
fn pool_3d_pads_and_count_include_pad() {
    // k 2, stride 2, pads 1 on both sides of 2x2x2 = 1..8: each window holds one input
    // (x itself) among 8 taps, all inside the padded extent [-1, 3).
    let x = f(&[1, 1, 2, 2, 2], &ONE_TO_8);
    let avg = window_op(false, &[2, 2, 2], &[2, 2, 2], &[1; 6]);
    assert_eq!(
        one(avg.clone(), &[x.clone()], &[1, 1, 2, 2, 2]),
        Data::F32(ONE_TO_8.to_vec())
    );
    let Op::Pool {
        kernel,
        strides,
        dilations,
        pads,
        ..
    } = avg
    else {
        unreachable!()
    };
    let incl = Op::Pool {
        kind: PoolKind::Avg,
        kernel: kernel.clone(),
        strides: strides.clone(),
        dilations: dilations.clone(),
        pads: pads.clone(),
        count_include_pad: true,
    };
    let eighths: Vec<f32> = ONE_TO_8.iter().map(|v| v / 8.0).collect();
    assert_eq!(
        one(incl, &[x.clone()], &[1, 1, 2, 2, 2]),
        Data::F32(eighths)
    );
    // One 2x2x2 window: max 8, mean 4.5.
    let whole = |kind| Op::Pool {
        kind,
        kernel: vec![2; 3],
        strides: vec![1; 3],
        dilations: vec![1; 3],
        pads: vec![0; 6],
        count_include_pad: false,
    };
    assert_eq!(
        one(whole(PoolKind::Max), &[x.clone()], &[1, 1, 1, 1, 1]),
        Data::F32(vec![8.])
    );
    assert_eq!(
        one(whole(PoolKind::Avg), &[x], &[1, 1, 1, 1, 1]),
        Data::F32(vec![4.5])
    );
}

#[test]
fn maxpool_nan_as_onnxruntime() {
    // [NaN, 1, 0, NaN], k 2: [NaN, 1] -> 1, [1, 0] -> 1, [0, NaN] -> NaN.
    let x = f(&[1, 1, 4], &[f32::NAN, 1., 0., f32::NAN]);
    let op = Op::Pool {
        kind: PoolKind::Max,
        kernel: vec![2],
        strides: vec![1],
        dilations: vec![1],
        pads: vec![0, 0],
        count_include_pad: false,
    };
    let Data::F32(y) = one(op, &[x], &[1, 1, 3]) else {
        panic!("float result")
    };
    assert!(y[0].is_nan() && y[2].is_nan(), "{y:?}");
    assert_eq!(y[1], 1.);
}

#[test]
fn global_pool_any_rank() {
    // Two channels of 2x1x1 spatial: {1, 2} and {3, 4}.
    let x = f(&[1, 2, 2, 1, 1], &[1., 2., 3., 4.]);
    let max = Op::GlobalPool {
        kind: PoolKind::Max,
    };
    let avg = Op::GlobalPool {
        kind: PoolKind::Avg,
    };
    assert_eq!(
        one(max, &[x.clone()], &[1, 2, 1, 1, 1]),
        Data::F32(vec![2., 4.])
    );
    assert_eq!(one(avg, &[x], &[1, 2, 1, 1, 1]), Data::F32(vec![1.5, 3.5]));
}

#[test]
fn clip_range_bounds_as_operands() {
    let x = f(&[3], &[-2., 0.5, 3.]);
    let lo = f(&[], &[0.]);
    let hi = f(&[], &[1.]);
    let both = Op::ClipRange {
        has_min: true,
        has_max: true,
    };
    let only_max = Op::ClipRange {
        has_min: false,
        has_max: true,
    };
    assert_eq!(
        one(both, &[x.clone(), lo, hi.clone()], &[3]),
        Data::F32(vec![0., 0.5, 1.])
    );
    assert_eq!(one(only_max, &[x, hi], &[3]), Data::F32(vec![-2., 0.5, 1.]));
}

#[test]
fn pad_reflect_edge_wrap() {
    // [1 2 3] padded 2 before, 3 after (numpy.pad's reflect, edge and wrap).
    let x = f(&[3], &[1., 2., 3.]);
    let pad = |mode| Op::Pad {
        pads: vec![2, 3],
        value: 0.,
        mode,
    };
    let cases = [
        (PadMode::Reflect, [3., 2., 1., 2., 3., 2., 1., 2.]),
        (PadMode::Edge, [1., 1., 1., 2., 3., 3., 3., 3.]),
        (PadMode::Wrap, [2., 3., 1., 2., 3., 1., 2., 3.]),
    ];
    for (mode, want) in cases {
        assert_eq!(one(pad(mode), &[x.clone()], &[8]), Data::F32(want.to_vec()));
    }
    // Cropping: pads -1 before, +2 after, value 7: [2 3 7 7].
    let crop = Op::Pad {
        pads: vec![-1, 2],
        value: 7.,
        mode: PadMode::Constant,
    };
    assert_eq!(one(crop, &[x], &[4]), Data::F32(vec![2., 3., 7., 7.]));
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
