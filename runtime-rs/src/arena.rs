//! Disjoint views of a device's arena for one kernel call, without `unsafe`.
//!
//! Generated code keeps every activation in one `[f32; N]` arena (the memory plan gives
//! each tensor a fixed span). A kernel call borrows the spans it writes mutably and the
//! spans it reads shared; [`split`] hands out exactly those views, cutting the arena with
//! `split_at_mut` around the written spans (sorted by offset). The memory plan never lets
//! a read span overlap a written one within a call; if it did (a meshnn bug), `split`
//! panics naming both spans instead of aliasing them.

/// The first `n` values of an int8 tensor held in a span of the arena (`split` views
/// are float spans; an int8 tensor takes one byte per element at the span's start).
///
/// # Panics
/// When the span holds fewer than `n` bytes (a meshnn bug).
pub fn i8s(span: &[f32], n: usize) -> &[i8] {
    &bytemuck::cast_slice::<f32, i8>(span)[..n]
}

/// The first `n` values of an int8 tensor in a written span (see [`i8s`]).
pub fn i8s_mut(span: &mut [f32], n: usize) -> &mut [i8] {
    &mut bytemuck::cast_slice_mut::<f32, i8>(span)[..n]
}

/// A span of the arena: offset and length, in floats.
pub type Span = (usize, usize);

/// Views of `arena` for one call: `outs` mutable, `ins` shared, each in the order given.
/// Inputs may overlap each other; outputs overlap nothing.
///
/// # Panics
/// When a span lies outside the arena, an output overlaps another output, or an input
/// overlaps an output (only a meshnn bug can cause either).
pub fn split<'a, const M: usize, const N: usize>(
    arena: &'a mut [f32],
    outs: [Span; M],
    ins: [Span; N],
) -> ([&'a mut [f32]; M], [&'a [f32]; N]) {
    check(arena.len(), &outs, &ins);
    let mut order = [0usize; M];
    for (k, o) in order.iter_mut().enumerate() {
        *o = k;
    }
    order.sort_unstable_by_key(|&k| outs[k].0);
    let mut out_views: [&'a mut [f32]; M] = core::array::from_fn(|_| Default::default());
    let mut in_views: [&'a [f32]; N] = [&[]; N];
    let (mut rest, mut base) = (arena, 0);
    for &k in &order {
        let (off, len) = outs[k];
        let (gap, tail) = rest.split_at_mut(off - base);
        let (out, tail) = tail.split_at_mut(len);
        take_inputs(gap, base, &ins, &mut in_views);
        out_views[k] = out;
        (rest, base) = (tail, off + len);
    }
    take_inputs(rest, base, &ins, &mut in_views);
    (out_views, in_views)
}

/// Give every input lying inside `gap` (which starts at arena float `base`) its view.
fn take_inputs<'a, const N: usize>(
    gap: &'a mut [f32],
    base: usize,
    ins: &[Span; N],
    views: &mut [&'a [f32]; N],
) {
    let gap: &'a [f32] = gap;
    for (view, &(off, len)) in views.iter_mut().zip(ins) {
        if off >= base && off + len <= base + gap.len() {
            *view = &gap[off - base..off - base + len];
        }
    }
}

/// Whether two spans share a float (an empty span shares none).
fn overlap(a: Span, b: Span) -> bool {
    a.0 < b.0 + b.1 && b.0 < a.0 + a.1
}

fn check(floats: usize, outs: &[Span], ins: &[Span]) {
    for &(off, len) in outs.iter().chain(ins) {
        assert!(
            off.checked_add(len).is_some_and(|end| end <= floats),
            "meshnn bug: arena span {off}..{} lies outside the arena of {floats} floats",
            off.saturating_add(len)
        );
    }
    for (k, &o) in outs.iter().enumerate() {
        for &p in &outs[k + 1..] {
            assert!(
                !overlap(o, p),
                "meshnn bug: output spans {}..{} and {}..{} of one call overlap",
                o.0,
                o.0 + o.1,
                p.0,
                p.0 + p.1
            );
        }
        for &i in ins {
            assert!(
                !overlap(o, i),
                "meshnn bug: input span {}..{} overlaps output span {}..{} of the same call",
                i.0,
                i.0 + i.1,
                o.0,
                o.0 + o.1
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arena() -> [f32; 16] {
        core::array::from_fn(|i| i as f32)
    }

    #[test]
    fn views_see_their_spans() {
        let mut a = arena();
        let ([y, z], [x, w]) = split(&mut a, [(10, 3), (2, 2)], [(5, 4), (0, 2)]);
        assert_eq!(x, &[5.0, 6.0, 7.0, 8.0]);
        assert_eq!(w, &[0.0, 1.0]);
        assert_eq!(y, &[10.0, 11.0, 12.0]);
        assert_eq!(z, &[2.0, 3.0]);
        y[0] = -1.0;
        z[1] = -2.0;
        assert_eq!((a[10], a[3]), (-1.0, -2.0));
    }

    #[test]
    fn inputs_may_overlap_each_other_and_touch_outputs() {
        let mut a = arena();
        let ([y], [x0, x1]) = split(&mut a, [(4, 4)], [(0, 4), (2, 2)]);
        assert_eq!((x0.len(), x1, y.len()), (4, &[2.0, 3.0][..], 4));
        // Spans next to the end of the arena and empty spans.
        let ([e], [t]) = split(&mut a, [(16, 0)], [(8, 8)]);
        assert_eq!((e.len(), t[7]), (0, 15.0));
    }

    #[test]
    #[should_panic(expected = "input span 3..6 overlaps output span 5..7")]
    fn an_input_overlapping_an_output_panics() {
        let mut a = arena();
        let _ = split(&mut a, [(5, 2)], [(3, 3)]);
    }

    #[test]
    #[should_panic(expected = "output spans 0..4 and 3..5 of one call overlap")]
    fn overlapping_outputs_panic() {
        let mut a = arena();
        let _ = split(&mut a, [(0, 4), (3, 2)], []);
    }

    #[test]
    #[should_panic(expected = "lies outside the arena of 16 floats")]
    fn a_span_past_the_end_panics() {
        let mut a = arena();
        let _ = split(&mut a, [], [(10, 7)]);
    }
}
