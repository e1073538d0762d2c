//! Compile-time evaluation of IR operators on constant inputs.
//!
//! Single entry point [`eval`]: one match arm per operator, each calling the evaluator of
//! its family. `movement` covers the data-movement operators (Reshape, Transpose, Concat,
//! Split, Slice, Gather, Pad, Expand, Identity) for float32 and int64 data; `arith` the
//! arithmetic ones (Binary, Variadic, Reduce, Where for both; Unary and Softmax for
//! float32, Neg/Abs/Sign/Not for int64 too; bool data is int64 0 / 1); `recurrent` RNN,
//! GRU and LSTM (float32); `norm` the normalisations (Norm, BatchNorm; float32); `linalg`
//! the matrix products (MatMul, Gemm; float32); `window` Conv, pooling and global pooling
//! on float32, any number of spatial axes; `quant` QuantizeLinear and DequantizeLinear.
//! Never panics: malformed inputs give `None`.

mod arith;
mod index;
mod linalg;
mod movement;
mod norm;
pub mod quant;
mod recurrent;
#[cfg(test)]
mod tests;
mod window;

use crate::ir::{Data, Op, Tensor};
use window::Win;

/// Most bytes one folded node may materialise (its outputs together): 64 MiB, far above
/// any microcontroller's flash. A node whose outputs are larger is not folded; it stays
/// in the graph and runs on the device (where the planner's size limits apply).
pub const MAX_FOLD_BYTES: usize = 64 << 20;
/// Most bytes all folded constants of one model may hold together (the importer and
/// `passes::fold_constants` each stop folding beyond it): 256 MiB.
pub const MAX_FOLD_TOTAL_BYTES: usize = 256 << 20;

/// The bytes `outputs` would hold as constants (8 per element: data is float32 or int64
/// in memory), `None` when above [`MAX_FOLD_BYTES`] or overflowing.
pub fn fold_bytes(outputs: &[Tensor]) -> Option<usize> {
    outputs
        .iter()
        .try_fold(0usize, |sum, t| {
            let numel = t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
            sum.checked_add(numel.checked_mul(8)?)
        })
        .filter(|&b| b <= MAX_FOLD_BYTES)
}

/// Data per output when every input is constant and `op` can be evaluated; else `None`
/// (also when the outputs would hold more than [`MAX_FOLD_BYTES`]).
pub fn eval(op: &Op, inputs: &[&Tensor], outputs: &[Tensor]) -> Option<Vec<Data>> {
    fold_bytes(outputs)?;
    let a = Operands::new(inputs, outputs)?;
    match op {
        Op::Identity | Op::Reshape => movement::copy(&a),
        Op::Transpose { perm } => movement::transpose(&a, perm),
        Op::Slice { starts, steps } => movement::slice(&a, starts, steps),
        Op::Gather {
            axis,
            indices,
            indices_shape,
        } => movement::gather(&a, *axis, indices, indices_shape),
        Op::Expand => movement::expand(&a),
        Op::Pad { pads, value, mode } => movement::pad(&a, pads, *value, *mode),
        Op::Concat { axis } => movement::concat(&a, *axis),
        Op::Split { axis, sizes } => movement::split(&a, *axis, sizes),
        Op::Binary { kind, .. } => arith::binary(&a, *kind),
        Op::Variadic { kind } => arith::variadic(&a, *kind),
        Op::Unary(u) => arith::unary(&a, *u),
        Op::ClipRange { has_min, has_max } => arith::clip_range(&a, *has_min, *has_max),
        Op::Where => arith::where_(&a),
        Op::Softmax {
            axis,
            log,
            coerce_2d,
        } => arith::softmax(&a, *axis, *log, *coerce_2d),
        Op::Reduce { kind, axes, .. } => arith::reduce(&a, *kind, axes),
        Op::Recurrent(r) => recurrent::recurrent(&a, r),
        Op::Norm {
            axis,
            groups,
            epsilon,
            affine,
            ..
        } => norm::norm(&a, *axis, *groups, *epsilon, *affine, outputs.len()),
        Op::BatchNorm { epsilon } => norm::batchnorm(&a, *epsilon),
        Op::MatMul => linalg::matmul(&a),
        Op::Gemm { .. } => linalg::gemm(&a, op),
        Op::Conv { group, act, .. } => window::conv(&a, &Win::of(op, &a)?, *group, *act),
        Op::Pool {
            kind,
            count_include_pad,
            ..
        } => window::pool(&a, &Win::of(op, &a)?, *kind, *count_include_pad),
        Op::GlobalPool { kind } => window::global_pool(&a, *kind),
        Op::Quantize(q) => quant::quantize(&a, q),
        Op::Dequantize(q) => quant::dequantize(&a, q),
        Op::ConstOnly => None,
    }
}

/// What an evaluator reads: the input tensors, their data (each consistent with its
/// tensor's shape) and the first output (its shape is the result's).
struct Operands<'a> {
    inputs: &'a [&'a Tensor],
    datas: Vec<&'a Data>,
    out: &'a Tensor,
}

impl<'a> Operands<'a> {
    /// `None` when an input is not constant, its data does not fill its shape, or there is
    /// no output.
    fn new(inputs: &'a [&'a Tensor], outputs: &'a [Tensor]) -> Option<Operands<'a>> {
        let datas: Vec<&Data> = inputs
            .iter()
            .map(|t| t.data.as_ref())
            .collect::<Option<_>>()?;
        if inputs.iter().zip(&datas).any(|(t, d)| d.len() != t.numel()) {
            return None;
        }
        Some(Operands {
            inputs,
            datas,
            out: outputs.first()?,
        })
    }
    /// The first input tensor.
    fn t(&self) -> Option<&'a Tensor> {
        self.inputs.first().copied()
    }
    /// The first input's data.
    fn x(&self) -> Option<&'a Data> {
        self.datas.first().copied()
    }
    /// A single-output result.
    fn one(&self, d: Option<Data>) -> Option<Vec<Data>> {
        d.map(|d| vec![d])
    }
}
