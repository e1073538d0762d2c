//! Data-movement operators: every output element is copied from one input element (or is
//! a fill value), so each is an index map handed to [`pick`].

use super::index::{bcast_map, concat_data, dot, index_map, pick, strides};
use super::Operands;
use crate::ir::layout::pad_source;
use crate::ir::{Data, PadMode};

/// Identity and Reshape: the data unchanged.
pub(super) fn copy(a: &Operands) -> Option<Vec<Data>> {
    let d = a.x()?;
    (d.len() == a.out.numel()).then(|| vec![d.clone()])
}

pub(super) fn transpose(a: &Operands, perm: &[usize]) -> Option<Vec<Data>> {
    let t = a.t()?;
    if perm.len() != t.shape.len() {
        return None;
    }
    let st = strides(&t.shape);
    let ist: Vec<usize> = perm
        .iter()
        .map(|&p| st.get(p).copied())
        .collect::<Option<_>>()?;
    let map = index_map(&a.out.shape, |o| Some(dot(o, &ist)));
    a.one(pick(a.x()?, &map, 0.0))
}

pub(super) fn slice(a: &Operands, starts: &[i64], steps: &[i64]) -> Option<Vec<Data>> {
    let t = a.t()?;
    let st = strides(&t.shape);
    let out = &a.out.shape;
    if starts.len() != st.len() || steps.len() != st.len() || out.len() != st.len() {
        return None;
    }
    let map = index_map(out, |o| {
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
    a.one(pick(a.x()?, &map, 0.0))
}

pub(super) fn gather(
    a: &Operands,
    axis: usize,
    indices: &[i64],
    indices_shape: &[usize],
) -> Option<Vec<Data>> {
    let t = a.t()?;
    let st = strides(&t.shape);
    let ir = indices_shape.len();
    let ist = strides(indices_shape);
    let map = index_map(&a.out.shape, |o| {
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
    a.one(pick(a.x()?, &map, 0.0))
}

pub(super) fn expand(a: &Operands) -> Option<Vec<Data>> {
    let map = bcast_map(&a.t()?.shape, &a.out.shape)?;
    a.one(pick(a.x()?, &map, 0.0))
}

/// Pad: elements outside the input take `value` (constant mode) or the element `mode`
/// maps them to.
pub(super) fn pad(a: &Operands, pads: &[i64], value: f32, mode: PadMode) -> Option<Vec<Data>> {
    let t = a.t()?;
    let r = t.shape.len();
    if pads.len() != 2 * r || a.out.shape.len() != r {
        return None;
    }
    if mode != PadMode::Constant && t.shape.contains(&0) {
        return None;
    }
    let st = strides(&t.shape);
    let map = index_map(&a.out.shape, |o| {
        let mut s = 0;
        for k in 0..r {
            let i = pad_source(mode, o[k] as i64 - pads[k], t.shape[k])?;
            s += i * st[k];
        }
        Some(s)
    });
    a.one(pick(a.x()?, &map, value))
}

pub(super) fn concat(a: &Operands, axis: usize) -> Option<Vec<Data>> {
    let outer: usize = a.out.shape.get(..axis)?.iter().product();
    let mut chunks = Vec::new();
    for t in a.inputs {
        chunks.push(t.shape.get(axis..)?.iter().product::<usize>());
    }
    // Index into a virtual concatenation of all inputs' data.
    let mut base = Vec::new();
    let mut acc = 0;
    for d in &a.datas {
        base.push(acc);
        acc += d.len();
    }
    let mut map = Vec::with_capacity(a.out.numel());
    for o in 0..outer {
        for (chunk, b) in chunks.iter().zip(&base) {
            map.extend((0..*chunk).map(|i| Some(b + o * chunk + i)));
        }
    }
    let all = concat_data(&a.datas)?;
    a.one(pick(&all, &map, 0.0))
}

pub(super) fn split(a: &Operands, axis: usize, sizes: &[usize]) -> Option<Vec<Data>> {
    let t = a.t()?;
    let outer: usize = t.shape.get(..axis)?.iter().product();
    let inner: usize = t.shape.get(axis + 1..)?.iter().product();
    let dim = *t.shape.get(axis)?;
    let mut res = Vec::new();
    let mut off = 0;
    for &s in sizes {
        let mut map = Vec::with_capacity(outer * s * inner);
        for o in 0..outer {
            for k in 0..s {
                map.extend((0..inner).map(|i| Some((o * dim + off + k) * inner + i)));
            }
        }
        res.push(pick(a.x()?, &map, 0.0)?);
        off += s;
    }
    Some(res)
}
