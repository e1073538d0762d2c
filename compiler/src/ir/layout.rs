//! Row-major layout arithmetic shared by shape inference, constant folding, kernel choice
//! and lowering: strides, numpy broadcasting of strides, 1-D spatial attributes seen as
//! 2-D, the output size and padding of a Conv or pooling window, and the coordinate Pad
//! reads in each mode.

use super::PadMode;

/// Row-major strides of a shape, in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Strides of `shape` broadcast (numpy rules, right-aligned) to a rank-`rank` output:
/// axes of size 1 or missing get stride 0.
pub fn broadcast_strides(shape: &[usize], rank: usize) -> Vec<usize> {
    let own = strides(shape);
    let pad = rank - shape.len().min(rank);
    (0..rank)
        .map(|d| match d.checked_sub(pad) {
            Some(k) if shape[k] != 1 => own[k],
            _ => 0,
        })
        .collect()
}

/// The input coordinate that Pad reads for coordinate `j` (the output's minus the begin
/// pad) along an axis of `n` elements (as `mn_pad_f32` in runtime-c): `j` itself inside
/// [0, n); outside, `None` in constant mode (the fill value), else the mirrored (reflect,
/// edge not repeated), clamped (edge) or wrapped coordinate. `None` also for n = 0.
pub fn pad_source(mode: PadMode, j: i64, n: usize) -> Option<usize> {
    let n = i64::try_from(n).ok().filter(|&n| n > 0)?;
    if (0..n).contains(&j) {
        return Some(j as usize);
    }
    let i = match mode {
        PadMode::Constant => return None,
        PadMode::Edge => j.clamp(0, n - 1),
        PadMode::Wrap => j.rem_euclid(n),
        PadMode::Reflect => {
            let period = 2 * (n - 1);
            if period == 0 {
                0
            } else {
                let k = j.rem_euclid(period);
                if k < n {
                    k
                } else {
                    period - k
                }
            }
        }
    };
    Some(i as usize)
}

/// A 1-D or 2-D spatial value as `[h, w]`: a 1-D `[w]` becomes `[fill, w]`. `None` for
/// other lengths.
pub fn as_2d(v: &[usize], fill: usize) -> Option<[usize; 2]> {
    match *v {
        [w] => Some([fill, w]),
        [h, w] => Some([h, w]),
        _ => None,
    }
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
    fn strides_and_broadcast() {
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(strides(&[2, 0, 3]), vec![0, 3, 1]);
        assert_eq!(broadcast_strides(&[3, 1], 3), vec![0, 1, 0]);
        assert_eq!(broadcast_strides(&[], 2), vec![0, 0]);
        assert_eq!(as_2d(&[5], 1), Some([1, 5]));
        assert_eq!(as_2d(&[4, 5], 1), Some([4, 5]));
        assert_eq!(as_2d(&[1, 2, 3], 1), None);
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

/// How a normalisation (`Op::Norm`) sees its input: `outer` × `groups` blocks of `inner`
/// elements, each normalised on its own; element `i` of block `g` uses scale/bias value
/// `(g * inner + i) / affine_div`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormBlocks {
    pub outer: usize,
    pub groups: usize,
    pub inner: usize,
    pub affine_div: usize,
}

/// The blocks of a normalisation of `shape` from axis `axis` in `groups` groups. `None`
/// when the axis is out of range or the groups do not divide the normalised elements (or
/// the channels, for a per-channel affine).
pub fn norm_blocks(
    shape: &[usize],
    axis: usize,
    groups: usize,
    affine: crate::ir::NormAffine,
) -> Option<NormBlocks> {
    use crate::ir::NormAffine;
    let outer: usize = shape.get(..axis)?.iter().product();
    let total: usize = shape.get(axis..)?.iter().product();
    if groups == 0 || !total.is_multiple_of(groups) {
        return None;
    }
    let inner = total / groups;
    let affine_div = match affine {
        NormAffine::PerElement => 1,
        NormAffine::PerGroup => inner,
        NormAffine::PerChannel => shape.get(axis + 1..)?.iter().product(),
    };
    Some(NormBlocks {
        outer,
        groups,
        inner,
        affine_div: affine_div.max(1),
    })
}
