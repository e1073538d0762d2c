//! Add, Sub, Mul, Div — <https://onnx.ai/onnx/operators/onnx__Add.html> (and Sub/Mul/Div),
//! and Pow <https://onnx.ai/onnx/operators/onnx__Pow.html> (C `powf`: a negative base with
//! a non-integer exponent gives NaN; a constant integer exponent of a float32 base is read
//! as float32).
//!
//! Attributes: none from opset 7: inputs A, B with numpy broadcasting. Opsets 1–6 (legacy
//! form): `broadcast` (0: shapes must be equal; 1: B is broadcast onto A) and `axis` (with
//! broadcast, where B's shape aligns in A; absent: suffix alignment, as numpy);
//! `consumed_inputs` (< 6) ignored. The legacy alignment is expressed by viewing B with
//! trailing 1s appended (`Built::with_view`). Float32 at run time, float32 or int64 when
//! both inputs are constant. [`broadcasting`] also builds Mod, the comparisons and logic.

use crate::ir::{Activation, BinaryKind, DType, Op};
use crate::onnx::ctx::{Built, NodeCtx, OutSpec};
use crate::onnx::error::ImportError;
use crate::onnx::shape::broadcast;

pub fn build(ctx: &NodeCtx) -> Result<Built, ImportError> {
    let kind = match ctx.op_type {
        "Add" => BinaryKind::Add,
        "Sub" => BinaryKind::Sub,
        "Mul" => BinaryKind::Mul,
        "Pow" => BinaryKind::Pow,
        _ => BinaryKind::Div,
    };
    broadcasting(ctx, kind, &[DType::F32])
}

/// A binary operator `kind` with numpy broadcasting (the legacy `broadcast`/`axis` form
/// below opset 7): both inputs of one element type, which must be one of `runtime` unless
/// both are constant. The output is bool for comparisons and logic, else the inputs' type.
pub(super) fn broadcasting(
    ctx: &NodeCtx,
    kind: BinaryKind,
    runtime: &[DType],
) -> Result<Built, ImportError> {
    let a = ctx.input(0)?;
    let b = ctx.input(1)?;
    let float_exponent = kind == BinaryKind::Pow
        && a.dtype == DType::F32
        && b.is_const()
        && matches!(b.dtype, DType::I64 | DType::I32 | DType::I8 | DType::U8);
    if a.dtype != b.dtype && !float_exponent {
        return Err(ctx.shape_err(format!(
            "inputs have different element types ({} and {})",
            a.dtype.name(),
            b.dtype.name()
        )));
    }
    if !(a.is_const() && b.is_const()) {
        ctx.runtime_input(0, runtime)?;
        if !float_exponent {
            ctx.runtime_input(1, runtime)?;
        }
    }
    let out_dtype = if kind.is_bool_valued() {
        DType::Bool
    } else {
        a.dtype
    };
    let built = if ctx.opset < 7 {
        legacy(ctx, kind, out_dtype)?
    } else {
        numpy(ctx, kind, out_dtype)?
    };
    Ok(if float_exponent {
        built.with_float_const(1)
    } else {
        built
    })
}

/// Opsets 7+: numpy broadcasting.
fn numpy(ctx: &NodeCtx, kind: BinaryKind, out_dtype: DType) -> Result<Built, ImportError> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let shape = broadcast(&[&a.shape, &b.shape]).ok_or_else(|| {
        ctx.shape_err(format!(
            "shapes {:?} and {:?} do not broadcast",
            a.shape, b.shape
        ))
    })?;
    Ok(Built::new(
        Op::Binary {
            kind,
            act: Activation::None,
        },
        vec![0, 1],
        vec![OutSpec::new(out_dtype, shape)],
    ))
}

/// Opsets 1–6: `broadcast` / `axis`; the output has A's shape.
fn legacy(ctx: &NodeCtx, kind: BinaryKind, out_dtype: DType) -> Result<Built, ImportError> {
    let a = ctx.input(0)?;
    let b = ctx.input(1)?;
    let op = Op::Binary {
        kind,
        act: Activation::None,
    };
    let out = vec![OutSpec::new(out_dtype, a.shape.clone())];
    if ctx.int("broadcast", 0)? == 0 {
        if a.shape != b.shape {
            return Err(ctx.shape_err(format!(
                "shapes {:?} and {:?} differ and broadcast = 0 (opset {})",
                a.shape, b.shape, ctx.opset
            )));
        }
        return Ok(Built::new(op, vec![0, 1], out));
    }
    let (ra, rb) = (a.shape.len(), b.shape.len());
    if rb > ra {
        return Err(ctx.shape_err(format!(
            "B {:?} has a higher rank than A {:?} (broadcast = 1)",
            b.shape, a.shape
        )));
    }
    let axis = match ctx.int_opt("axis")? {
        Some(ax) => ctx.axis("axis", ax, ra.max(1))?,
        None => ra - rb,
    };
    if axis + rb > ra {
        return Err(ctx.attr_err(
            "axis",
            format!(
                "value {axis} does not fit B {:?} into A {:?}",
                b.shape, a.shape
            ),
        ));
    }
    let mut view = b.shape.clone();
    view.resize(ra - axis, 1);
    if broadcast(&[&a.shape, &view]).as_ref() != Some(&a.shape) {
        return Err(ctx.shape_err(format!(
            "B {:?} does not broadcast onto A {:?} at axis {axis}",
            b.shape, a.shape
        )));
    }
    Ok(Built::new(op, vec![0, 1], out).with_view(1, view))
}
