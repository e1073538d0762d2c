//! Lowering: each IR node becomes one or more runtime kernel calls with constant
//! parameter blocks. Produces plain data (C text per step) for the templates.

use super::c_syntax::{float_lit, Params};
use crate::ir::{
    Activation, BinaryKind, Graph, Node, Op, PoolKind, ReduceKind, TensorId, UnaryKind,
    VariadicKind,
};

/// Highest rank the strided kernels take (`MN_MAX_DIMS` in mn_kernels.h).
pub const MAX_DIMS: usize = 8;

/// Something the emitter cannot express with the runtime kernels.
#[derive(Debug, thiserror::Error)]
#[error("cannot generate code for node '{node}' ({op}): {detail}")]
pub struct LowerError {
    pub node: String,
    pub op: String,
    pub detail: String,
}

/// Where each tensor lives, as a C pointer expression.
pub trait Storage {
    fn ptr(&self, t: TensorId) -> String;
    /// Register a constant int32 array (e.g. Gather indices) and return its symbol.
    fn int_table(&mut self, hint: &str, values: Vec<i32>) -> String;
    /// For a tensor received from another device: a C expression that is true when it
    /// arrived whole this inference. None for local tensors.
    fn arrived(&self, _t: TensorId) -> Option<String> {
        None
    }
    /// Register a constant float array (e.g. packed weights) and return its symbol.
    fn float_table(&mut self, hint: &str, values: Vec<f32>) -> String;
    /// The planned scratch buffer of `node` (see `fast::scratch_bytes`).
    fn scratch(&self, node: &Node) -> String;
}

/// One kernel invocation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Call {
    /// Kernel function, e.g. `mn_conv2d_f32`.
    pub kernel: &'static str,
    /// Parameter struct type and initialiser (empty for kernels without one).
    pub params_type: String,
    pub params_init: String,
    /// Arguments after the parameter pointer.
    pub args: Vec<String>,
    /// Statements that prepare arguments, run just before the call.
    pub pre: Vec<String>,
}

impl Call {
    fn new(kernel: &'static str, p: Params, args: Vec<String>) -> Self {
        Call {
            kernel,
            params_type: p.ty().to_string(),
            params_init: p.init(),
            args,
            pre: Vec::new(),
        }
    }
}

/// Runtime source file that defines `kernel`.
pub fn kernel_file(kernel: &str) -> String {
    format!("{kernel}.c")
}

/// Runtime files a kernel's file needs besides its own (internal helpers it calls).
pub fn kernel_deps(kernel: &str) -> &'static [&'static str] {
    match kernel {
        "mn_conv2d_fast_f32" | "mn_conv2d_dw_f32" => &["mn_conv_pad_f32", "mn_act_store_f32"],
        _ => &[],
    }
}

fn strides(shape: &[usize]) -> Vec<i64> {
    let mut s = vec![0i64; shape.len()];
    let mut acc = 1i64;
    for i in (0..shape.len()).rev() {
        s[i] = acc;
        acc *= shape[i] as i64;
    }
    s
}

/// Strides of `shape` broadcast (numpy rules, right-aligned) to a rank-`rank` output:
/// axes of size 1 or missing get stride 0.
fn broadcast_strides(shape: &[usize], rank: usize) -> Vec<i64> {
    let own = strides(shape);
    let pad = rank - shape.len().min(rank);
    (0..rank)
        .map(|d| {
            if d < pad {
                0
            } else {
                let k = d - pad;
                if shape[k] == 1 {
                    0
                } else {
                    own[k]
                }
            }
        })
        .collect()
}

fn dims_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&x| x as i64).collect()
}

fn act_init(a: &Activation) -> String {
    let (kind, alpha, lo, hi) = match *a {
        Activation::None => ("MN_ACT_NONE", 0.0, 0.0, 0.0),
        Activation::Relu => ("MN_ACT_RELU", 0.0, 0.0, 0.0),
        Activation::LeakyRelu { alpha } => ("MN_ACT_LEAKY_RELU", alpha, 0.0, 0.0),
        Activation::Clip { min, max } => ("MN_ACT_CLIP", 0.0, min, max),
    };
    format!(
        "{{ .kind = {kind}, .alpha = {}, .lo = {}, .hi = {} }}",
        float_lit(alpha),
        float_lit(lo),
        float_lit(hi)
    )
}

struct Lower<'a, S: Storage> {
    g: &'a Graph,
    node: &'a Node,
    st: &'a mut S,
}

impl<'a, S: Storage> Lower<'a, S> {
    fn err(&self, detail: impl Into<String>) -> LowerError {
        LowerError {
            node: self.node.name.clone(),
            op: self.node.onnx_op.clone(),
            detail: detail.into(),
        }
    }
    fn shape(&self, t: TensorId) -> &'a [usize] {
        &self.g.tensors[t].shape
    }
    fn input(&self, i: usize) -> Result<TensorId, LowerError> {
        self.node
            .inputs
            .get(i)
            .copied()
            .ok_or_else(|| self.err(format!("missing input {i}")))
    }
    fn output(&self, i: usize) -> Result<TensorId, LowerError> {
        self.node
            .outputs
            .get(i)
            .copied()
            .ok_or_else(|| self.err(format!("missing output {i}")))
    }
    fn rank_ok(&self, r: usize) -> Result<(), LowerError> {
        if r > MAX_DIMS {
            Err(self.err(format!(
                "rank {r} exceeds the runtime's limit of {MAX_DIMS} dimensions"
            )))
        } else {
            Ok(())
        }
    }
    fn p(&self, t: TensorId) -> String {
        self.st.ptr(t)
    }

    fn lower(&mut self) -> Result<Vec<Call>, LowerError> {
        let node = self.node;
        match &node.op {
            Op::Conv { act, .. } => {
                let (x, w, y) = (self.input(0)?, self.input(1)?, self.output(0)?);
                let c = super::fast::conv_geom(self.g, node).ok_or_else(|| {
                    self.err("only 1-D and 2-D convolutions are supported".to_string())
                })?;
                let b = match node.inputs.get(2) {
                    Some(&b) => self.p(b),
                    None => "NULL".into(),
                };
                let p = Params::new("mn_conv_params_t")
                    .int("n", c.n as i64)
                    .int("c_in", c.c_in as i64)
                    .int("in_h", c.in_h as i64)
                    .int("in_w", c.in_w as i64)
                    .int("c_out", c.c_out as i64)
                    .int("out_h", c.out_h as i64)
                    .int("out_w", c.out_w as i64)
                    .int("k_h", c.k_h as i64)
                    .int("k_w", c.k_w as i64)
                    .int("stride_h", c.stride_h as i64)
                    .int("stride_w", c.stride_w as i64)
                    .int("dil_h", c.dil_h as i64)
                    .int("dil_w", c.dil_w as i64)
                    .int("pad_top", c.pad_top as i64)
                    .int("pad_left", c.pad_left as i64)
                    .int("group", c.group as i64)
                    .raw("act", act_init(act));
                if let Some(kernel) = super::fast::conv_kernel(self.g, node) {
                    let scratch = if super::fast::scratch_bytes(self.g, node) > 0 {
                        self.st.scratch(node)
                    } else {
                        "NULL".into()
                    };
                    let w = match super::fast::packed_conv_weights(self.g, node) {
                        Some(packed) => self
                            .st
                            .float_table(&format!("{}_packed", self.g.tensors[w].name), packed),
                        None => self.p(w),
                    };
                    return Ok(vec![Call::new(
                        kernel,
                        p,
                        vec![self.p(x), w, b, scratch, self.p(y)],
                    )]);
                }
                Ok(vec![Call::new(
                    "mn_conv2d_f32",
                    p,
                    vec![self.p(x), self.p(w), b, self.p(y)],
                )])
            }
            Op::Gemm {
                alpha,
                beta,
                trans_a,
                trans_b,
                act,
            } => {
                let (a, b, y) = (self.input(0)?, self.input(1)?, self.output(0)?);
                let ys = self.shape(y);
                let (m, n) = (ys[0], ys[1]);
                let a_s = self.shape(a);
                let k = if *trans_a { a_s[0] } else { a_s[1] };
                if let Some(packed) = super::fast::packed_gemm(self.g, node) {
                    // alpha, beta, trans_b and C's broadcast are in the packed operands.
                    let p = Params::new("mn_gemm_params_t")
                        .int("m", m as i64)
                        .int("n", n as i64)
                        .int("k", k as i64)
                        .int("trans_a", *trans_a as i64)
                        .int("trans_b", 0)
                        .float("alpha", 1.0)
                        .float("beta", 1.0)
                        .int("c_stride_m", 0)
                        .int("c_stride_n", 1)
                        .raw("act", act_init(act));
                    let bp = self
                        .st
                        .float_table(&format!("{}_packed", self.g.tensors[b].name), packed.b);
                    let bias = match packed.bias {
                        Some(v) => self.st.float_table(&format!("{}_bias", node.name), v),
                        None => "NULL".into(),
                    };
                    return Ok(vec![Call::new(
                        "mn_gemm_fast_f32",
                        p,
                        vec![self.p(a), bp, bias, self.p(y)],
                    )]);
                }
                let (c, csm, csn) = match node.inputs.get(2) {
                    Some(&c) => {
                        let cs = self.shape(c);
                        let st = broadcast_strides(cs, 2);
                        (self.p(c), st[0], st[1])
                    }
                    None => ("NULL".into(), 0, 0),
                };
                let p = Params::new("mn_gemm_params_t")
                    .int("m", m as i64)
                    .int("n", n as i64)
                    .int("k", k as i64)
                    .int("trans_a", *trans_a as i64)
                    .int("trans_b", *trans_b as i64)
                    .float("alpha", *alpha)
                    .float("beta", *beta)
                    .int("c_stride_m", csm)
                    .int("c_stride_n", csn)
                    .raw("act", act_init(act));
                Ok(vec![Call::new(
                    "mn_gemm_f32",
                    p,
                    vec![self.p(a), self.p(b), c, self.p(y)],
                )])
            }
            Op::MatMul => {
                let (a, b, y) = (self.input(0)?, self.input(1)?, self.output(0)?);
                let (sa, sb) = (self.shape(a).to_vec(), self.shape(b).to_vec());
                let a2 = if sa.len() == 1 {
                    vec![1, sa[0]]
                } else {
                    sa.clone()
                };
                let b2 = if sb.len() == 1 {
                    vec![sb[0], 1]
                } else {
                    sb.clone()
                };
                let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
                let n = b2[b2.len() - 1];
                let ab = &a2[..a2.len() - 2];
                let bb = &b2[..b2.len() - 2];
                let rank = ab.len().max(bb.len());
                self.rank_ok(rank)?;
                let mut batch = vec![1usize; rank];
                for d in 0..rank {
                    let da = if d + ab.len() >= rank {
                        ab[d + ab.len() - rank]
                    } else {
                        1
                    };
                    let db = if d + bb.len() >= rank {
                        bb[d + bb.len() - rank]
                    } else {
                        1
                    };
                    batch[d] = da.max(db);
                }
                let mat_strides = |bs: &[usize], mat: usize| -> Vec<i64> {
                    broadcast_strides(bs, rank)
                        .iter()
                        .map(|s| s * mat as i64)
                        .collect()
                };
                let p = Params::new("mn_matmul_params_t")
                    .int("m", m as i64)
                    .int("n", n as i64)
                    .int("k", k as i64)
                    .int("batch_rank", rank as i64)
                    .ints("batch_dims", &pad8(dims_i64(&batch)))
                    .ints("a_strides", &pad8(mat_strides(ab, m * k)))
                    .ints("b_strides", &pad8(mat_strides(bb, k * n)));
                Ok(vec![Call::new(
                    "mn_matmul_f32",
                    p,
                    vec![self.p(a), self.p(b), self.p(y)],
                )])
            }
            Op::Binary { kind, act } => {
                let (a, b, y) = (self.input(0)?, self.input(1)?, self.output(0)?);
                let code = match kind {
                    BinaryKind::Add => "MN_ADD",
                    BinaryKind::Sub => "MN_SUB",
                    BinaryKind::Mul => "MN_MUL",
                    BinaryKind::Div => "MN_DIV",
                };
                Ok(vec![self.binary(code, a, b, y, *act)?])
            }
            Op::Unary(u) => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let (kind, alpha, beta) = match *u {
                    UnaryKind::Relu => ("MN_RELU", 0.0, 0.0),
                    UnaryKind::LeakyRelu { alpha } => ("MN_LEAKY_RELU", alpha, 0.0),
                    UnaryKind::Clip { min, max } => ("MN_CLIP", min, max),
                    UnaryKind::Sigmoid => ("MN_SIGMOID", 0.0, 0.0),
                    UnaryKind::Tanh => ("MN_TANH", 0.0, 0.0),
                    UnaryKind::HardSigmoid { alpha, beta } => ("MN_HARD_SIGMOID", alpha, beta),
                    UnaryKind::HardSwish => ("MN_HARD_SWISH", 0.0, 0.0),
                };
                Ok(vec![self.unary(kind, alpha, beta, x, y)])
            }
            Op::Pool {
                kind,
                kernel,
                strides,
                dilations,
                pads,
                count_include_pad,
            } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let (xs, ys) = (self.shape(x), self.shape(y));
                let nd = kernel.len();
                let sp = |v: &[usize], d2: usize| -> usize {
                    if nd == 1 {
                        if d2 == 0 {
                            1
                        } else {
                            v[0]
                        }
                    } else {
                        v[d2]
                    }
                };
                if nd != 1 && nd != 2 {
                    return Err(
                        self.err(format!("{nd}-D pooling (only 1-D and 2-D are supported)"))
                    );
                }
                let (pb, pe) = (&pads[..nd], &pads[nd..]);
                let zero = |v: &[usize], d2: usize| -> usize {
                    if nd == 1 {
                        if d2 == 0 {
                            0
                        } else {
                            v[0]
                        }
                    } else {
                        v[d2]
                    }
                };
                let p = Params::new("mn_pool_params_t")
                    .raw("kind", pool_kind(*kind))
                    .int("channels", (xs[0] * xs[1]) as i64)
                    .int("in_h", sp(&xs[2..], 0) as i64)
                    .int("in_w", sp(&xs[2..], 1) as i64)
                    .int("out_h", sp(&ys[2..], 0) as i64)
                    .int("out_w", sp(&ys[2..], 1) as i64)
                    .int("k_h", sp(kernel, 0) as i64)
                    .int("k_w", sp(kernel, 1) as i64)
                    .int("stride_h", sp(strides, 0) as i64)
                    .int("stride_w", sp(strides, 1) as i64)
                    .int("dil_h", sp(dilations, 0) as i64)
                    .int("dil_w", sp(dilations, 1) as i64)
                    .int("pad_top", zero(pb, 0) as i64)
                    .int("pad_left", zero(pb, 1) as i64)
                    .int("pad_bottom", zero(pe, 0) as i64)
                    .int("pad_right", zero(pe, 1) as i64)
                    .int("count_include_pad", *count_include_pad as i64);
                let fast = node.kernels == crate::ir::KernelSet::Fast
                    && super::fast::pool_fast_ok(
                        pads,
                        dilations,
                        &[sp(&xs[2..], 0), sp(&xs[2..], 1)],
                        &[sp(&ys[2..], 0), sp(&ys[2..], 1)],
                        &[sp(kernel, 0), sp(kernel, 1)],
                        &[sp(strides, 0), sp(strides, 1)],
                    );
                Ok(vec![Call::new(
                    if fast {
                        "mn_pool2d_fast_f32"
                    } else {
                        "mn_pool2d_f32"
                    },
                    p,
                    vec![self.p(x), self.p(y)],
                )])
            }
            Op::GlobalPool { kind } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let xs = self.shape(x);
                let p = Params::new("mn_global_pool_params_t")
                    .raw("kind", pool_kind(*kind))
                    .int("channels", (xs[0] * xs[1]) as i64)
                    .int("size", xs[2..].iter().product::<usize>() as i64);
                Ok(vec![Call::new(
                    "mn_global_pool_f32",
                    p,
                    vec![self.p(x), self.p(y)],
                )])
            }
            Op::BatchNorm { epsilon } => {
                let x = self.input(0)?;
                let xs = self.shape(x);
                let p = Params::new("mn_batchnorm_params_t")
                    .int("n", xs[0] as i64)
                    .int("channels", xs.get(1).copied().unwrap_or(1) as i64)
                    .int("size", xs.iter().skip(2).product::<usize>() as i64)
                    .float("epsilon", *epsilon);
                let mut args = Vec::new();
                for i in 0..5 {
                    args.push(self.p(self.input(i)?));
                }
                args.push(self.p(self.output(0)?));
                Ok(vec![Call::new("mn_batchnorm_f32", p, args)])
            }
            Op::Reshape => Ok(Vec::new()), // a view: same buffer (see plan::memory)
            Op::Transpose { perm } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let xst = strides(self.shape(x));
                let ys = self.shape(y);
                self.rank_ok(ys.len())?;
                let xs: Vec<i64> = perm.iter().map(|&p| xst[p]).collect();
                Ok(vec![self.copy(x, y, ys, 0, &xs, 0, &strides(ys))])
            }
            Op::Concat { axis } => {
                let y = self.output(0)?;
                let ys = self.shape(y);
                self.rank_ok(ys.len())?;
                let yst = strides(ys);
                let mut calls = Vec::new();
                let mut at = 0i64;
                for &x in &node.inputs {
                    let xs = self.shape(x);
                    if xs.iter().product::<usize>() > 0 {
                        calls.push(self.copy(x, y, xs, 0, &strides(xs), at * yst[*axis], &yst));
                    }
                    at += xs[*axis] as i64;
                }
                Ok(calls)
            }
            Op::Split { axis, sizes } => {
                let x = self.input(0)?;
                let xs = self.shape(x);
                self.rank_ok(xs.len())?;
                let xst = strides(xs);
                let mut calls = Vec::new();
                let mut at = 0i64;
                for (i, &y) in node.outputs.iter().enumerate() {
                    let ys = self.shape(y);
                    if ys.iter().product::<usize>() > 0 {
                        calls.push(self.copy(x, y, ys, at * xst[*axis], &xst, 0, &strides(ys)));
                    }
                    at += sizes.get(i).copied().unwrap_or(0) as i64;
                }
                Ok(calls)
            }
            Op::Slice { starts, steps } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let xst = strides(self.shape(x));
                let ys = self.shape(y);
                self.rank_ok(ys.len())?;
                if ys.iter().product::<usize>() == 0 {
                    return Ok(Vec::new());
                }
                let off: i64 = starts.iter().zip(&xst).map(|(s, st)| s * st).sum();
                let xs: Vec<i64> = steps.iter().zip(&xst).map(|(s, st)| s * st).collect();
                Ok(vec![self.copy(x, y, ys, off, &xs, 0, &strides(ys))])
            }
            Op::Expand => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let ys = self.shape(y);
                self.rank_ok(ys.len())?;
                let xs = broadcast_strides(self.shape(x), ys.len());
                Ok(vec![self.copy(x, y, ys, 0, &xs, 0, &strides(ys))])
            }
            Op::Pad { pads, value } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let (xs, ys) = (self.shape(x), self.shape(y));
                self.rank_ok(ys.len())?;
                let yst = strides(ys);
                let off: i64 = (0..xs.len()).map(|d| pads[d] as i64 * yst[d]).sum();
                let fill = Call {
                    kernel: "mn_fill_f32",
                    params_type: String::new(),
                    params_init: String::new(),
                    pre: Vec::new(),
                    args: vec![
                        self.p(y),
                        ys.iter().product::<usize>().to_string(),
                        float_lit(*value),
                    ],
                };
                let mut calls = vec![fill];
                if xs.iter().product::<usize>() > 0 {
                    calls.push(self.copy(x, y, xs, 0, &strides(xs), off, &yst));
                }
                Ok(calls)
            }
            Op::Gather { axis, indices, .. } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let xs = self.shape(x);
                let idx: Vec<i32> = indices.iter().map(|&i| i as i32).collect();
                let n_idx = idx.len();
                let table = self.st.int_table(&format!("{}_indices", node.name), idx);
                let p = Params::new("mn_gather_params_t")
                    .int("outer", xs[..*axis].iter().product::<usize>() as i64)
                    .int("axis_len", xs[*axis] as i64)
                    .int("inner", xs[axis + 1..].iter().product::<usize>() as i64)
                    .int("n_indices", n_idx as i64);
                Ok(vec![Call::new(
                    "mn_gather_f32",
                    p,
                    vec![self.p(x), table, self.p(y)],
                )])
            }
            Op::Softmax {
                axis,
                log,
                coerce_2d,
            } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let xs = self.shape(x);
                let outer: usize = xs[..*axis].iter().product();
                let (len, inner) = if *coerce_2d {
                    (xs[*axis..].iter().product::<usize>(), 1)
                } else {
                    (xs[*axis], xs[axis + 1..].iter().product::<usize>())
                };
                let p = Params::new("mn_softmax_params_t")
                    .int("outer", outer as i64)
                    .int("axis_len", len as i64)
                    .int("inner", inner as i64)
                    .int("log", *log as i64);
                Ok(vec![Call::new(
                    "mn_softmax_f32",
                    p,
                    vec![self.p(x), self.p(y)],
                )])
            }
            Op::Reduce { kind, axes, .. } => {
                let (x, y) = (self.input(0)?, self.output(0)?);
                let xs = self.shape(x);
                self.rank_ok(xs.len())?;
                let kept: Vec<usize> = xs
                    .iter()
                    .enumerate()
                    .map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
                    .collect();
                let kst = strides(&kept);
                let ys: Vec<i64> = (0..xs.len())
                    .map(|d| if axes.contains(&d) { 0 } else { kst[d] })
                    .collect();
                let count: usize = axes.iter().map(|&a| xs[a]).product();
                let p = Params::new("mn_reduce_params_t")
                    .raw(
                        "kind",
                        if *kind == ReduceKind::Mean {
                            "MN_REDUCE_MEAN"
                        } else {
                            "MN_REDUCE_MAX"
                        }
                        .into(),
                    )
                    .int("rank", xs.len() as i64)
                    .ints("dims", &pad8(dims_i64(xs)))
                    .ints("y_strides", &pad8(ys))
                    .int("y_size", kept.iter().product::<usize>() as i64)
                    .int("count", count as i64);
                Ok(vec![Call::new(
                    "mn_reduce_f32",
                    p,
                    vec![self.p(x), self.p(y)],
                )])
            }
            Op::Variadic { kind } => {
                let y = self.output(0)?;
                let ys = self.shape(y).to_vec();
                self.rank_ok(ys.len())?;
                // Redundant copies from other devices: average the ones that arrived.
                let same_shape = node.inputs.iter().all(|&x| self.shape(x) == ys.as_slice());
                let remote = node.inputs.iter().any(|&x| self.st.arrived(x).is_some());
                if *kind == VariadicKind::Mean && same_shape && remote {
                    let n = node.inputs.len();
                    let mut pre = vec![
                        format!("const float *xs[{n}];"),
                        format!("int32_t arrived[{n}];"),
                    ];
                    for (k, &x) in node.inputs.iter().enumerate() {
                        pre.push(format!("xs[{k}] = {};", self.p(x)));
                        pre.push(format!(
                            "arrived[{k}] = {};",
                            self.st.arrived(x).unwrap_or_else(|| "1".into())
                        ));
                    }
                    let p = Params::new("mn_mean_arrived_params_t")
                        .int("n", n as i64)
                        .int("size", ys.iter().product::<usize>() as i64);
                    let mut call = Call::new(
                        "mn_mean_arrived_f32",
                        p,
                        vec!["xs".into(), "arrived".into(), self.p(y)],
                    );
                    call.pre = pre;
                    return Ok(vec![call]);
                }
                let x0 = self.input(0)?;
                let xs0 = broadcast_strides(self.shape(x0), ys.len());
                let mut calls = vec![self.copy(x0, y, &ys, 0, &xs0, 0, &strides(&ys))];
                for &x in &node.inputs[1..] {
                    calls.push(self.binary("MN_ADD", y, x, y, Activation::None)?);
                }
                if *kind == VariadicKind::Mean && node.inputs.len() > 1 {
                    calls.push(self.unary("MN_SCALE", 1.0 / node.inputs.len() as f32, 0.0, y, y));
                }
                Ok(calls)
            }
            Op::Identity | Op::ConstOnly => {
                Err(self.err("internal: node should have been removed by canonicalisation"))
            }
        }
    }

    fn binary(
        &self,
        kind: &str,
        a: TensorId,
        b: TensorId,
        y: TensorId,
        act: Activation,
    ) -> Result<Call, LowerError> {
        let ys = self.shape(y);
        self.rank_ok(ys.len())?;
        let r = ys.len();
        let p = Params::new("mn_binary_params_t")
            .raw("kind", kind.into())
            .int("rank", r as i64)
            .ints("dims", &pad8(dims_i64(ys)))
            .ints("a_strides", &pad8(broadcast_strides(self.shape(a), r)))
            .ints("b_strides", &pad8(broadcast_strides(self.shape(b), r)))
            .raw("act", act_init(&act));
        Ok(Call::new(
            "mn_binary_f32",
            p,
            vec![self.p(a), self.p(b), self.p(y)],
        ))
    }

    fn unary(&self, kind: &str, alpha: f32, beta: f32, x: TensorId, y: TensorId) -> Call {
        let p = Params::new("mn_unary_params_t")
            .raw("kind", kind.into())
            .int("size", self.g.tensors[y].numel() as i64)
            .float("alpha", alpha)
            .float("beta", beta);
        Call::new("mn_unary_f32", p, vec![self.p(x), self.p(y)])
    }

    #[allow(clippy::too_many_arguments)]
    fn copy(
        &self,
        x: TensorId,
        y: TensorId,
        dims: &[usize],
        x_off: i64,
        xs: &[i64],
        y_off: i64,
        ys: &[i64],
    ) -> Call {
        let p = Params::new("mn_copy_params_t")
            .int("rank", dims.len() as i64)
            .ints("dims", &pad8(dims_i64(dims)))
            .int("x_offset", x_off)
            .ints("x_strides", &pad8(xs.to_vec()))
            .int("y_offset", y_off)
            .ints("y_strides", &pad8(ys.to_vec()));
        Call::new("mn_copy_f32", p, vec![self.p(x), self.p(y)])
    }
}

fn pool_kind(k: PoolKind) -> String {
    if k == PoolKind::Max {
        "MN_POOL_MAX".into()
    } else {
        "MN_POOL_AVG".into()
    }
}

/// Arrays in parameter structs are printed with at least one element (`{0}` for rank 0).
fn pad8(mut v: Vec<i64>) -> Vec<i64> {
    if v.is_empty() {
        v.push(0);
    }
    v
}

/// Lower one node to kernel calls.
pub fn lower_node<S: Storage>(g: &Graph, node: &Node, st: &mut S) -> Result<Vec<Call>, LowerError> {
    Lower { g, node, st }.lower()
}
