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
    assert_eq!(&y[..2], &[1., 1.]);
    assert!(y[2].is_nan());
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
