//! Recognise the LayerNorm decomposition PyTorch exports at opset < 17 and replace it with
//! one `Op::Norm` (LayerNormalization):
//!
//! ```text
//! m = ReduceMean(x, axes = [k..r), keepdims)   d = Sub(x, m)
//! v = ReduceMean(Pow(d, 2), same axes)         s = Sqrt(Add(v, eps))
//! y = Div(d, s)                                out = Add(Mul(y, gamma), beta)
//! ```
//!
//! The final Mul and Add are optional (without Mul the scale is ones); `eps` is a constant
//! scalar (either Add operand), `gamma` and `beta` constants with one value per element of
//! the normalised shape x.shape[k..]. Every intermediate tensor must be used only inside
//! the pattern and not be a graph output.

use super::PassError;
use crate::ir::{
    Activation, BinaryKind, DType, Data, Graph, NodeId, NormAffine, NormKind, Op, ReduceKind,
    Tensor, TensorId, UnaryKind,
};

pub fn run(g: &mut Graph) -> Result<(), PassError> {
    let mut i = 0;
    while i < g.nodes.len() {
        match find(g, i) {
            Some(m) => {
                i = replace(g, m);
            }
            None => i += 1,
        }
    }
    g.compact_tensors();
    Ok(())
}

/// A matched pattern ending at the Div node.
struct Match {
    x: TensorId,
    axis: usize,
    epsilon: f32,
    scale: Option<TensorId>,
    bias: Option<TensorId>,
    /// Every node of the pattern (the last one becomes the LayerNormalization).
    nodes: Vec<NodeId>,
    out: TensorId,
}

/// The pattern whose Div is node `div`, if it matches.
fn find(g: &Graph, div: NodeId) -> Option<Match> {
    // Only a Div can end the pattern: check that before building the maps.
    let (&d, &s) = binary_ins(&g.nodes[div].op, BinaryKind::Div, &g.nodes[div].inputs)?;
    let producers = g.producers();
    let consumers = g.consumers();
    let node = |t: TensorId| producers[t].map(|n| (n, &g.nodes[n]));
    let (sub, sub_n) = node(d)?;
    let (&x, &m) = binary_ins(&sub_n.op, BinaryKind::Sub, &sub_n.inputs)?;
    let (mean1, mean1_n) = node(m)?;
    let axis = trailing_mean(g, &mean1_n.op, x)?;
    (mean1_n.inputs == [x]).then_some(())?;
    let (sqrt, sqrt_n) = node(s)?;
    (sqrt_n.op == Op::Unary(UnaryKind::Sqrt)).then_some(())?;
    let (add, add_n) = node(sqrt_n.inputs[0])?;
    let (&a0, &a1) = binary_ins(&add_n.op, BinaryKind::Add, &add_n.inputs)?;
    let (v, epsilon) = match (scalar(g, a0), scalar(g, a1)) {
        (None, Some(e)) => (a0, e),
        (Some(e), None) => (a1, e),
        _ => return None,
    };
    let (mean2, mean2_n) = node(v)?;
    (trailing_mean(g, &mean2_n.op, mean2_n.inputs[0])? == axis).then_some(())?;
    let (pow, pow_n) = node(mean2_n.inputs[0])?;
    let (&base, &two) = binary_ins(&pow_n.op, BinaryKind::Pow, &pow_n.inputs)?;
    (base == d && scalar(g, two) == Some(2.0)).then_some(())?;
    let mut nodes = vec![mean1, sub, pow, mean2, add, sqrt, div];
    let only_inside = |t: TensorId, users: &[NodeId]| {
        !g.outputs.contains(&t) && consumers[t].iter().all(|c| users.contains(c))
    };
    let inner_ok = only_inside(m, &[sub])
        && only_inside(d, &[pow, div])
        && only_inside(pow_n.outputs[0], &[mean2])
        && only_inside(v, &[add])
        && only_inside(add_n.outputs[0], &[sqrt])
        && only_inside(s, &[div]);
    inner_ok.then_some(())?;
    let inner: usize = g.tensors[x].shape[axis..].iter().product();
    let mut out = g.nodes[div].outputs[0];
    let mut affine = |kind: BinaryKind, out: &mut TensorId| -> Option<TensorId> {
        let [c] = consumers[*out].as_slice() else {
            return None;
        };
        let (&a, &b) = binary_ins(&g.nodes[*c].op, kind, &g.nodes[*c].inputs)?;
        let p = if a == *out { b } else { a };
        let fits = (a == *out || b == *out)
            && p != *out
            && !g.outputs.contains(out)
            && per_element(g, p, x, axis, inner)
            && g.tensors[g.nodes[*c].outputs[0]].shape == g.tensors[x].shape;
        fits.then(|| {
            nodes.push(*c);
            *out = g.nodes[*c].outputs[0];
            p
        })
    };
    let scale = affine(BinaryKind::Mul, &mut out);
    let bias = scale.and_then(|_| affine(BinaryKind::Add, &mut out));
    Some(Match {
        x,
        axis,
        epsilon,
        scale,
        bias,
        nodes,
        out,
    })
}

/// The two inputs of a plain (no fused activation) binary node of `kind`.
fn binary_ins<'a>(
    op: &Op,
    kind: BinaryKind,
    inputs: &'a [TensorId],
) -> Option<(&'a TensorId, &'a TensorId)> {
    match (op, inputs) {
        (
            Op::Binary {
                kind: k,
                act: Activation::None,
            },
            [a, b],
        ) if *k == kind => Some((a, b)),
        _ => None,
    }
}

/// The first axis of a ReduceMean of `x` over its trailing axes, keeping dimensions.
fn trailing_mean(g: &Graph, op: &Op, x: TensorId) -> Option<usize> {
    let Op::Reduce {
        kind: ReduceKind::Mean,
        axes,
        keepdims: true,
    } = op
    else {
        return None;
    };
    let rank = g.tensors[x].shape.len();
    let first = *axes.first()?;
    (*axes == (first..rank).collect::<Vec<_>>()).then_some(first)
}

/// The value of a constant float32 scalar (one element).
fn scalar(g: &Graph, t: TensorId) -> Option<f32> {
    match &g.tensors[t].data {
        Some(Data::F32(v)) if v.len() == 1 => Some(v[0]),
        _ => None,
    }
}

/// A constant float32 tensor with one value per element of x.shape[axis..] (its shape,
/// right-aligned to x, is 1 before `axis`).
fn per_element(g: &Graph, p: TensorId, x: TensorId, axis: usize, inner: usize) -> bool {
    let (pt, xs) = (&g.tensors[p], &g.tensors[x].shape);
    let Some(lead) = xs.len().checked_sub(pt.shape.len()) else {
        return false;
    };
    let ones_before_axis = pt
        .shape
        .iter()
        .enumerate()
        .all(|(i, &d)| lead + i >= axis || d == 1);
    pt.dtype == DType::F32 && pt.is_const() && pt.numel() == inner && ones_before_axis
}

/// Replaces the pattern by one node at the position of its last node; returns the index
/// to continue scanning from.
fn replace(g: &mut Graph, m: Match) -> NodeId {
    let last = *m.nodes.iter().max().unwrap_or(&0);
    let scale = m.scale.unwrap_or_else(|| {
        let shape = g.tensors[m.x].shape[m.axis..].to_vec();
        let n = shape.iter().product();
        g.add_tensor(Tensor {
            name: format!("{}_ln_scale", g.nodes[last].name),
            dtype: DType::F32,
            shape,
            data: Some(Data::F32(vec![1.0; n])),
            quant: None,
        })
    });
    let mut inputs = vec![m.x, scale];
    inputs.extend(m.bias);
    let n = &mut g.nodes[last];
    n.op = Op::Norm {
        kind: NormKind::Layer,
        axis: m.axis,
        groups: 1,
        epsilon: m.epsilon,
        affine: NormAffine::PerElement,
    };
    n.onnx_op = "LayerNormalization".into();
    n.inputs = inputs;
    n.outputs = vec![m.out];
    let mut gone: Vec<NodeId> = m.nodes.into_iter().filter(|&k| k != last).collect();
    gone.sort_unstable();
    for &k in gone.iter().rev() {
        g.nodes.remove(k);
    }
    last + 1 - gone.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{eval::eval, Node};
    use crate::passes::verify::verify;

    fn tensor(g: &mut Graph, name: &str, shape: &[usize], data: Option<Vec<f32>>) -> TensorId {
        g.add_tensor(Tensor {
            name: name.into(),
            dtype: DType::F32,
            shape: shape.to_vec(),
            data: data.map(Data::F32),
            quant: None,
        })
    }

    fn node(g: &mut Graph, op: Op, inputs: Vec<TensorId>, outputs: Vec<TensorId>) {
        let name = format!("n{}", g.nodes.len());
        g.nodes.push(Node {
            name,
            onnx_op: op.kind_name().into(),
            op,
            inputs,
            outputs,
            kernels: Default::default(),
        });
    }

    fn bin(kind: BinaryKind) -> Op {
        Op::Binary {
            kind,
            act: Activation::None,
        }
    }

    /// PyTorch's opset-13 LayerNorm over the last `norm_rank` axes of x [2, 3, 4], with the
    /// gamma/beta tail when `affine`; returns the graph and its output.
    fn decomposed(norm_rank: usize, affine: bool) -> Graph {
        let mut g = Graph::default();
        let shape = [2usize, 3, 4];
        let axes: Vec<usize> = (3 - norm_rank..3).collect();
        let kept: Vec<usize> = (0..3)
            .map(|d| if axes.contains(&d) { 1 } else { shape[d] })
            .collect();
        let inner: usize = shape[3 - norm_rank..].iter().product();
        let x = tensor(&mut g, "x", &shape, None);
        g.inputs.push(x);
        let mean = || Op::Reduce {
            kind: ReduceKind::Mean,
            axes: axes.clone(),
            keepdims: true,
        };
        let [m, d, p, v, a, s, y] =
            ["m", "d", "p", "v", "a", "s", "y"].map(|n| tensor(&mut g, n, &[0], None));
        for (t, sh) in [(m, &kept), (v, &kept), (a, &kept), (s, &kept)] {
            g.tensors[t].shape = sh.clone();
        }
        for t in [d, p, y] {
            g.tensors[t].shape = shape.to_vec();
        }
        let two = tensor(&mut g, "two", &[], Some(vec![2.0]));
        let eps = tensor(&mut g, "eps", &[], Some(vec![1e-5]));
        node(&mut g, mean(), vec![x], vec![m]);
        node(&mut g, bin(BinaryKind::Sub), vec![x, m], vec![d]);
        node(&mut g, bin(BinaryKind::Pow), vec![d, two], vec![p]);
        node(&mut g, mean(), vec![p], vec![v]);
        node(&mut g, bin(BinaryKind::Add), vec![v, eps], vec![a]);
        node(&mut g, Op::Unary(UnaryKind::Sqrt), vec![a], vec![s]);
        node(&mut g, bin(BinaryKind::Div), vec![d, s], vec![y]);
        let mut out = y;
        if affine {
            let gamma: Vec<f32> = (0..inner).map(|k| 0.5 + k as f32 * 0.25).collect();
            let beta: Vec<f32> = (0..inner).map(|k| k as f32 - 3.0).collect();
            let gamma = tensor(&mut g, "gamma", &shape[3 - norm_rank..], Some(gamma));
            let beta = tensor(&mut g, "beta", &shape[3 - norm_rank..], Some(beta));
            let (ym, yb) = (
                tensor(&mut g, "ym", &shape, None),
                tensor(&mut g, "out", &shape, None),
            );
            node(&mut g, bin(BinaryKind::Mul), vec![gamma, y], vec![ym]);
            node(&mut g, bin(BinaryKind::Add), vec![ym, beta], vec![yb]);
            out = yb;
        }
        g.outputs.push(out);
        g
    }

    /// The graph's output for input values `x`, every node evaluated in order.
    fn evaluate(g: &Graph, x: &[f32]) -> Vec<f32> {
        let mut g = g.clone();
        g.tensors[g.inputs[0]].data = Some(Data::F32(x.to_vec()));
        for n in g.nodes.clone() {
            let ins: Vec<&Tensor> = n.inputs.iter().map(|&t| &g.tensors[t]).collect();
            let outs: Vec<Tensor> = n.outputs.iter().map(|&t| g.tensors[t].clone()).collect();
            let datas = eval(&n.op, &ins, &outs).expect("evaluates");
            for (&t, d) in n.outputs.iter().zip(datas) {
                g.tensors[t].data = Some(d);
            }
        }
        g.tensors[g.outputs[0]]
            .data
            .clone()
            .expect("output")
            .to_f32()
    }

    fn fused_matches_unfused(norm_rank: usize, affine: bool) {
        let g = decomposed(norm_rank, affine);
        let x: Vec<f32> = (0..24).map(|k| ((k * 7) % 11) as f32 * 0.3 - 1.0).collect();
        let want = evaluate(&g, &x);
        let mut fused = g.clone();
        run(&mut fused).unwrap();
        verify(&fused).unwrap();
        assert_eq!(fused.nodes.len(), 1, "{:?}", fused.nodes);
        let Op::Norm { axis, epsilon, .. } = fused.nodes[0].op else {
            panic!("{:?}", fused.nodes[0].op)
        };
        assert_eq!((axis, epsilon), (3 - norm_rank, 1e-5));
        assert_eq!(fused.nodes[0].inputs.len(), if affine { 3 } else { 2 });
        let got = evaluate(&fused, &x);
        for (a, b) in got.iter().zip(&want) {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn fuses_last_axis_with_gamma_beta() {
        fused_matches_unfused(1, true);
    }

    #[test]
    fn fuses_two_axes_without_affine() {
        fused_matches_unfused(2, false);
    }

    #[test]
    fn leaves_a_pattern_whose_inner_tensor_is_used_elsewhere() {
        let mut g = decomposed(1, true);
        // The mean is also a graph output: nothing may be fused.
        let m = g.find_tensor("m").unwrap();
        g.outputs.push(m);
        let before = g.clone();
        run(&mut g).unwrap();
        verify(&g).unwrap();
        assert_eq!(g.nodes.len(), before.nodes.len());
    }

    #[test]
    fn leaves_an_exponent_other_than_two() {
        let mut g = decomposed(1, false);
        let two = g.find_tensor("two").unwrap();
        g.tensors[two].data = Some(Data::F32(vec![3.0]));
        run(&mut g).unwrap();
        assert_eq!(g.nodes.len(), 7);
    }
}
