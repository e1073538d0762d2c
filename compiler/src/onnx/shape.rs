//! Shape helpers shared by the operator files.

/// Largest element count the importer accepts for one tensor (guards allocations and
/// arithmetic against absurd shapes in malformed models).
pub const MAX_ELEMENTS: usize = 1 << 31;

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

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Spatial output sizes and explicit pads for Conv and pooling windows.
///
/// `auto_pad`: NOTSET uses `pads` (begin.., end..); SAME_UPPER / SAME_LOWER /
/// VALID follow the ONNX spec. `ceil_mode` (pools only) rounds up, dropping a last window
/// that would start in the right padding. Returns `Err(detail)` on impossible shapes.
pub struct Window<'a> {
    pub input: &'a [usize],
    pub kernel: &'a [usize],
    pub strides: &'a [usize],
    pub dilations: &'a [usize],
    pub pads: &'a [usize],
    pub auto_pad: &'a str,
    pub ceil_mode: bool,
}

pub fn window_output(w: &Window) -> Result<(Vec<usize>, Vec<usize>), String> {
    let n = w.input.len();
    if w.kernel.len() != n
        || w.strides.len() != n
        || w.dilations.len() != n
        || w.pads.len() != 2 * n
    {
        return Err(format!(
            "kernel {:?}, strides {:?}, dilations {:?} and pads {:?} do not match {} spatial axes",
            w.kernel, w.strides, w.dilations, w.pads, n
        ));
    }
    let mut out = vec![0; n];
    let mut pads = vec![0; 2 * n];
    for i in 0..n {
        let (inp, k, s, d) = (w.input[i], w.kernel[i], w.strides[i], w.dilations[i]);
        if k == 0 || s == 0 || d == 0 {
            return Err("kernel, strides and dilations must be positive".into());
        }
        let ek = (k - 1) * d + 1;
        match w.auto_pad {
            "SAME_UPPER" | "SAME_LOWER" => {
                let o = inp.div_ceil(s);
                let total = ((o.max(1) - 1) * s + ek).saturating_sub(inp);
                let small = total / 2;
                let (b, e) = if w.auto_pad == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
                out[i] = o;
                pads[i] = b;
                pads[n + i] = e;
            }
            "VALID" => {
                if inp < ek {
                    return Err(format!(
                        "axis {i}: window {ek} is larger than the input {inp} with VALID padding"
                    ));
                }
                out[i] = (inp - ek) / s + 1;
            }
            "NOTSET" | "" => {
                let (b, e) = (w.pads[i], w.pads[n + i]);
                let padded = inp + b + e;
                if padded < ek {
                    return Err(format!(
                        "axis {i}: window {ek} is larger than the padded input {padded}"
                    ));
                }
                let mut o = if w.ceil_mode {
                    (padded - ek).div_ceil(s) + 1
                } else {
                    (padded - ek) / s + 1
                };
                if w.ceil_mode && (o - 1) * s >= inp + b {
                    o -= 1;
                }
                out[i] = o;
                pads[i] = b;
                pads[n + i] = e;
            }
            other => return Err(format!("unknown auto_pad '{other}'")),
        }
    }
    Ok((out, pads))
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

    #[test]
    fn pool_ceil_mode_drops_window_in_padding() {
        // in 5, k 2, s 2, no pads: floor -> 2, ceil -> 3 (window at 4 starts inside).
        let w = Window {
            input: &[5],
            kernel: &[2],
            strides: &[2],
            dilations: &[1],
            pads: &[0, 0],
            auto_pad: "NOTSET",
            ceil_mode: true,
        };
        assert_eq!(window_output(&w).map(|r| r.0), Ok(vec![3]));
        // in 4, k 1, s 2, pads (0,1): ceil gives 3 windows, the last starts at 4 = in+pb -> 2.
        let w = Window {
            input: &[4],
            kernel: &[1],
            strides: &[2],
            pads: &[0, 1],
            ..w
        };
        assert_eq!(window_output(&w).map(|r| r.0), Ok(vec![2]));
    }
}
