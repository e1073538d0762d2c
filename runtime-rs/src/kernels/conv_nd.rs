//! Grouped, dilated, padded N-d convolution (reference; meshnn uses it for 3-D and wider
//! windows): the twin of `runtime-c/src/mn_conv_nd_f32.c`; the contract is
//! `mn_conv_nd_f32` in `runtime-c/include/mn_kernels.h`.
//!
//! The window of one output position (its in-bounds taps and their input offsets) is
//! found once and reused by every output channel of its group; windows of more than
//! `ND_TAPS` taps find each tap's offset per channel instead. Both sum over taps, then
//! input channels, from the bias.

use super::util::{prod, window_base, window_tap_offset};
use super::{Act, MAX_DIMS};

/// Windows up to this many taps are resolved once per output position (`MN_ND_TAPS`).
const ND_TAPS: usize = 512;

/// Parameters of the N-d convolution (`mn_conv_nd_params_t`): `nd` spatial axes
/// (`1 <= nd <= MAX_DIMS - 2`); x `[n, c_in, in..]`, w `[c_out, c_in / group, k..]`,
/// y `[n, c_out, out..]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvNdParams {
    pub n: i32,
    pub c_in: i32,
    pub c_out: i32,
    pub group: i32,
    pub nd: i32,
    pub r#in: [i32; MAX_DIMS],
    pub out: [i32; MAX_DIMS],
    pub k: [i32; MAX_DIMS],
    pub strides: [i32; MAX_DIMS],
    pub dilations: [i32; MAX_DIMS],
    pub pads: [i32; MAX_DIMS],
    pub act: Act,
}

/// The sizes one call works with.
struct NdSizes {
    nd: usize,
    cin_g: usize,
    cout_g: usize,
    in_size: usize,
    out_size: usize,
    taps: usize,
}

impl NdSizes {
    fn of(p: &ConvNdParams) -> Self {
        let nd = p.nd as usize;
        NdSizes {
            nd,
            cin_g: (p.c_in / p.group) as usize,
            cout_g: (p.c_out / p.group) as usize,
            in_size: prod(&p.r#in[..nd]) as usize,
            out_size: prod(&p.out[..nd]) as usize,
            taps: prod(&p.k[..nd]) as usize,
        }
    }
}

/// N-d convolution (`mn_conv_nd_f32`): output position `o` reads input positions
/// `o_d * strides[d] - pads[d] + i_d * dilations[d]`; positions outside the input
/// contribute zero; grouping and the activation as in `conv2d_f32`.
pub fn conv_nd_f32(p: &ConvNdParams, x: &[f32], w: &[f32], b: Option<&[f32]>, y: &mut [f32]) {
    let s = NdSizes::of(p);
    let mut off = [0i32; ND_TAPS];
    let mut tap = [0usize; ND_TAPS];
    for n in 0..p.n as usize {
        let xn = &x[n * p.c_in as usize * s.in_size..];
        let yn = &mut y[n * p.c_out as usize * s.out_size..];
        for o in 0..s.out_size {
            let base = window_base(s.nd, &p.out, &p.strides, &p.pads, o as i32);
            if s.taps > ND_TAPS {
                large_window(p, &s, xn, w, b, yn, o, &base);
                continue;
            }
            let mut count = 0;
            for t in 0..s.taps {
                if let Some(at) =
                    window_tap_offset(s.nd, &p.r#in, &p.k, &p.dilations, &base, t as i32)
                {
                    off[count] = at;
                    tap[count] = t;
                    count += 1;
                }
            }
            let window = (&off[..count], &tap[..count]);
            for g in 0..p.group as usize {
                let xg = &xn[g * s.cin_g * s.in_size..];
                position(p, &s, xg, w, b, yn, g * s.cout_g, o, window);
            }
        }
    }
}

/// Output channels `oc0 .. oc0 + cout_g` of one group at output position `o`, from the
/// in-bounds taps `tap[j]` at input offsets `off[j]`.
#[allow(clippy::too_many_arguments)]
fn position(
    p: &ConvNdParams,
    s: &NdSizes,
    xg: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    oc0: usize,
    o: usize,
    (off, tap): (&[i32], &[usize]),
) {
    for oc in oc0..oc0 + s.cout_g {
        let woc = &w[oc * s.cin_g * s.taps..];
        let mut acc = b.map_or(0.0, |b| b[oc]);
        for (&at, &t) in off.iter().zip(tap) {
            for ic in 0..s.cin_g {
                acc += xg[ic * s.in_size + at as usize] * woc[ic * s.taps + t];
            }
        }
        y[oc * s.out_size + o] = p.act.apply(acc);
    }
}

/// Output position `o` of every group, each tap's offset found per output channel.
#[allow(clippy::too_many_arguments)]
fn large_window(
    p: &ConvNdParams,
    s: &NdSizes,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    o: usize,
    base: &[i32],
) {
    for oc in 0..p.c_out as usize {
        let xg = &x[(oc / s.cout_g) * s.cin_g * s.in_size..];
        let woc = &w[oc * s.cin_g * s.taps..];
        let mut acc = b.map_or(0.0, |b| b[oc]);
        for t in 0..s.taps {
            let Some(at) = window_tap_offset(s.nd, &p.r#in, &p.k, &p.dilations, base, t as i32)
            else {
                continue;
            };
            for ic in 0..s.cin_g {
                acc += xg[ic * s.in_size + at as usize] * woc[ic * s.taps + t];
            }
        }
        y[oc * s.out_size + o] = p.act.apply(acc);
    }
}
