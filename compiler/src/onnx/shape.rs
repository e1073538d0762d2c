//! Shape helpers shared by the operator files.

/// Largest element count the importer accepts for one tensor (guards allocations and
/// arithmetic against absurd shapes in malformed models).
pub const MAX_ELEMENTS: usize = 1 << 31;

/// Largest value the generated C and the runtime hold in an `int32_t` (sizes, offsets,
/// strides, steps, pads): attributes and tensor byte sizes above it are rejected.
pub const MAX_C_INT: usize = i32::MAX as usize;

/// Element count of `shape`, or `None` when it overflows or exceeds [`MAX_ELEMENTS`].
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
}

/// Numpy-style broadcast of several shapes; `None` when incompatible.
pub fn broadcast(shapes: &[&[usize]]) -> Option<Vec<usize>> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; rank];
    for s in shapes {
        let off = rank - s.len();
        for (i, &d) in s.iter().enumerate() {
            let o = &mut out[off + i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return None;
            }
        }
    }
    Some(out)
}

/// Normalises a possibly negative axis against `rank`.
pub fn norm_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        Some(a as usize)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast(&[&[2, 1, 4], &[3, 1]]), Some(vec![2, 3, 4]));
        assert_eq!(broadcast(&[&[2, 3], &[4]]), None);
        assert_eq!(broadcast(&[&[], &[5]]), Some(vec![5]));
    }

    #[test]
    fn axis_normalisation() {
        assert_eq!(norm_axis(-1, 4), Some(3));
        assert_eq!(norm_axis(4, 4), None);
        assert_eq!(norm_axis(-5, 4), None);
    }
}
