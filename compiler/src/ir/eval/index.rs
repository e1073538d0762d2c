//! Index maps shared by the evaluators: for each output element, the flat index of the
//! input element it reads (`None`: a fill value).

use crate::ir::Data;

pub(super) use crate::ir::layout::strides;

pub(super) fn dot(a: &[usize], b: &[usize]) -> usize {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// For every output element (row-major over `shape`), `f(multi_index)`.
pub(super) fn index_map(
    shape: &[usize],
    mut f: impl FnMut(&[usize]) -> Option<usize>,
) -> Vec<Option<usize>> {
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
pub(super) fn bcast_map(from: &[usize], to: &[usize]) -> Option<Vec<Option<usize>>> {
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
pub(super) fn pick(d: &Data, map: &[Option<usize>], fill: f32) -> Option<Data> {
    Some(match d {
        Data::F32(v) => Data::F32(gather_elems(v, map, fill)?),
        Data::I64(v) => Data::I64(gather_elems(v, map, fill as i64)?),
    })
}

fn gather_elems<T: Copy>(v: &[T], map: &[Option<usize>], fill: T) -> Option<Vec<T>> {
    map.iter()
        .map(|m| match m {
            Some(i) => v.get(*i).copied(),
            None => Some(fill),
        })
        .collect()
}

/// All of `ds` end to end; `None` when their element types differ.
pub(super) fn concat_data(ds: &[&Data]) -> Option<Data> {
    Some(match ds.first()? {
        Data::F32(_) => Data::F32(concat_elems(ds, Data::as_f32)?),
        Data::I64(_) => Data::I64(concat_elems(ds, Data::as_i64)?),
    })
}

fn concat_elems<T: Copy>(ds: &[&Data], elems: fn(&Data) -> Option<&[T]>) -> Option<Vec<T>> {
    let mut v = Vec::new();
    for d in ds {
        v.extend_from_slice(elems(d)?);
    }
    Some(v)
}
