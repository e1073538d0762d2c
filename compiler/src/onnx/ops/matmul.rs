//! MatMul — <https://onnx.ai/onnx/operators/onnx__MatMul.html>
//!
//! No attributes. numpy.matmul semantics: 1-D operands are promoted (and the added axis
//! removed from the result), batch axes broadcast. Opsets 1+.

use crate::ir::Op;
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

/// numpy.matmul output shape.
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let a2: Vec<usize> = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let b2: Vec<usize> = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (ra, rb) = (a2.len(), b2.len());
    let (m, k) = (a2[ra - 2], a2[ra - 1]);
    let (k2, n) = (b2[rb - 2], b2[rb - 1]);
    if k != k2 {
        return None;
    }
    let mut out = broadcast(&[&a2[..ra - 2], &b2[..rb - 2]])?;
    if a.len() != 1 {
        out.push(m);
    }
    if b.len() != 1 {
        out.push(n);
    }
    Some(out)
}

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let a = ctx.float_input(0)?;
    let b = ctx.float_input(1)?;
    let shape = matmul_shape(&a.shape, &b.shape).ok_or_else(|| {
        ctx.shape_err(format!(
            "shapes {:?} and {:?} are not matmul-compatible",
            a.shape, b.shape
        ))
    })?;
    Ok(Built::new(
        Op::MatMul,
        vec![0, 1],
        vec![OutSpec::new(a.dtype, shape)],
    ))
}

#[cfg(test)]
mod tests {
    use super::matmul_shape;

    #[test]
    fn numpy_matmul_shapes() {
        assert_eq!(matmul_shape(&[3, 4], &[4, 5]), Some(vec![3, 5]));
        assert_eq!(matmul_shape(&[4], &[4, 5]), Some(vec![5]));
        assert_eq!(matmul_shape(&[2, 3, 4], &[4]), Some(vec![2, 3]));
        assert_eq!(
            matmul_shape(&[2, 1, 3, 4], &[5, 4, 6]),
            Some(vec![2, 5, 3, 6])
        );
        assert_eq!(matmul_shape(&[4], &[4]), Some(vec![]));
        assert_eq!(matmul_shape(&[3, 4], &[5, 6]), None);
    }
}
