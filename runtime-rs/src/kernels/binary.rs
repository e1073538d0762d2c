//! Broadcasting binary operations `y = act(a OP b)`: the twin of
//! runtime-c/src/mn_binary_f32.c (contract: `mn_binary_f32` in
//! runtime-c/include/mn_kernels.h).

use super::act::{
    Act, ACT_CLIP, ACT_HARD_SIGMOID, ACT_HARD_SWISH, ACT_LEAKY_RELU, ACT_RELU, ACT_SWISH,
};
use super::util::{max_nan, Odometer};
use super::MAX_DIMS;

/// `MN_ADD`: `a + b`.
pub const ADD: i32 = 0;
/// `MN_SUB`: `a - b`.
pub const SUB: i32 = 1;
/// `MN_MUL`: `a * b`.
pub const MUL: i32 = 2;
/// `MN_DIV`: `a / b`.
pub const DIV: i32 = 3;
/// `MN_FMOD`: C `fmodf` (the sign of `a`).
pub const FMOD: i32 = 4;
/// `MN_MIN`: NaN in either operand gives NaN.
pub const MIN: i32 = 5;
/// `MN_MAX`: NaN in either operand gives NaN.
pub const MAX: i32 = 6;
/// `MN_EQUAL`: `a == b` as 1.0 / 0.0.
pub const EQUAL: i32 = 7;
/// `MN_LESS`: `a < b`.
pub const LESS: i32 = 8;
/// `MN_LESS_EQUAL`: `a <= b`.
pub const LESS_EQUAL: i32 = 9;
/// `MN_GREATER`: `a > b`.
pub const GREATER: i32 = 10;
/// `MN_GREATER_EQUAL`: `a >= b`.
pub const GREATER_EQUAL: i32 = 11;
/// `MN_AND`: both non-zero.
pub const AND: i32 = 12;
/// `MN_OR`: either non-zero.
pub const OR: i32 = 13;
/// `MN_XOR`: exactly one non-zero.
pub const XOR: i32 = 14;
/// `MN_MOD`: `fmodf`, then the sign of `b` (Python / numpy mod).
pub const MOD: i32 = 15;
/// `MN_POW`: `powf(a, b)`.
pub const POW: i32 = 16;

/// Parameters of [`binary_f32`] (`mn_binary_params_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryParams {
    /// One of the binary kinds ([`ADD`] ..= [`POW`]).
    pub kind: i32,
    pub rank: i32,
    /// Output shape `dims[..rank]`.
    pub dims: [i32; MAX_DIMS],
    /// Element strides of `a` per output axis (0 on broadcast axes).
    pub a_strides: [i32; MAX_DIMS],
    /// Element strides of `b` per output axis (0 on broadcast axes).
    pub b_strides: [i32; MAX_DIMS],
    /// Applied to the arithmetic kinds (not to comparisons and logic).
    pub act: Act,
}

/// Broadcasting `y = act(a OP b)` over an output of shape `dims[..rank]`; element
/// `(i_0..)` of `a` is `a[sum(i_d * a_strides[d])]`, likewise `b`; `y` is dense
/// (`mn_binary_f32`).
pub fn binary_f32(p: &BinaryParams, a: &[f32], b: &[f32], y: &mut [f32]) {
    let rank = p.rank as usize;
    let outer = rank.saturating_sub(1);
    let dims = &p.dims[..rank];
    let (Some(_), Some(mut od)) = (Odometer::start(dims), Odometer::start(&dims[..outer])) else {
        return; // an empty tensor
    };
    let last = |s: &[i32; MAX_DIMS]| if rank > 0 { s[rank - 1] } else { 0 };
    let len = if rank > 0 { dims[rank - 1] as usize } else { 1 };
    let (sa, sb) = (last(&p.a_strides), last(&p.b_strides));
    let (mut a_off, mut b_off, mut y_off) = (0i32, 0i32, 0usize);
    loop {
        let row = Row {
            a,
            a_off,
            sa,
            b,
            b_off,
            sb,
        };
        binary_row(p, &row, &mut y[y_off..y_off + len]);
        y_off += len;
        if !od.next(&p.a_strides, &mut a_off, Some((&p.b_strides, &mut b_off))) {
            break;
        }
    }
}

/// The operands of one innermost row: `a[a_off + i * sa]`, `b[b_off + i * sb]`.
struct Row<'a> {
    a: &'a [f32],
    a_off: i32,
    sa: i32,
    b: &'a [f32],
    b_off: i32,
    sb: i32,
}

/// One innermost row (`y.len()` elements) of kind `p.kind`, activation included. The
/// arithmetic kinds get the dense and broadcast loops of [`Row::map`] (the ones LLVM
/// vectorises); the kinds that call libm or yield bools, the one strided loop of
/// [`Row::map_strided`] (less code on a device, where flash is small).
fn binary_row(p: &BinaryParams, r: &Row, y: &mut [f32]) {
    let truth = |c: bool| if c { 1.0 } else { 0.0 };
    match p.kind {
        ADD => r.map(y, |u, v| u + v),
        SUB => r.map(y, |u, v| u - v),
        MUL => r.map(y, |u, v| u * v),
        DIV => r.map(y, |u, v| u / v),
        MIN => r.map(y, min_nan),
        MAX => r.map(y, max_nan),
        POW => r.map_strided(y, libm::powf),
        FMOD => r.map_strided(y, libm::fmodf),
        MOD => r.map_strided(y, mod_floor),
        // Comparisons and logic: no activation applies to a bool.
        EQUAL => return r.map_strided(y, |u, v| truth(u == v)),
        LESS => return r.map_strided(y, |u, v| truth(u < v)),
        LESS_EQUAL => return r.map_strided(y, |u, v| truth(u <= v)),
        GREATER => return r.map_strided(y, |u, v| truth(u > v)),
        GREATER_EQUAL => return r.map_strided(y, |u, v| truth(u >= v)),
        AND => return r.map_strided(y, |u, v| truth(u != 0.0 && v != 0.0)),
        OR => return r.map_strided(y, |u, v| truth(u != 0.0 || v != 0.0)),
        _ => return r.map_strided(y, |u, v| truth((u != 0.0) != (v != 0.0))), // XOR
    }
    act_in_place(&p.act, y);
}

impl Row<'_> {
    /// `y[i] = f(a_i, b_i)`, with the dense and scalar-broadcast patterns as loops of
    /// their own (the ones LLVM vectorises).
    #[inline(always)]
    fn map(&self, y: &mut [f32], f: impl Fn(f32, f32) -> f32) {
        let len = y.len();
        let (a0, b0) = (self.a_off as usize, self.b_off as usize);
        match (self.sa, self.sb) {
            (1, 1) => {
                let (a, b) = (&self.a[a0..a0 + len], &self.b[b0..b0 + len]);
                for ((y, &u), &v) in y.iter_mut().zip(a).zip(b) {
                    *y = f(u, v);
                }
            }
            (1, 0) => {
                let v = self.b[b0];
                for (y, &u) in y.iter_mut().zip(&self.a[a0..a0 + len]) {
                    *y = f(u, v);
                }
            }
            (0, 1) => {
                let u = self.a[a0];
                for (y, &v) in y.iter_mut().zip(&self.b[b0..b0 + len]) {
                    *y = f(u, v);
                }
            }
            _ => self.map_strided(y, f),
        }
    }

    /// `y[i] = f(a[a_off + i * sa], b[b_off + i * sb])`.
    #[inline(always)]
    fn map_strided(&self, y: &mut [f32], f: impl Fn(f32, f32) -> f32) {
        for (i, y) in (0i32..).zip(y.iter_mut()) {
            let u = self.a[(self.a_off + i * self.sa) as usize];
            *y = f(u, self.b[(self.b_off + i * self.sb) as usize]);
        }
    }
}

/// `y[i] = act(y[i])`, the kind chosen once so each case is a loop of its own.
fn act_in_place(act: &Act, y: &mut [f32]) {
    #[inline(always)]
    fn with_kind(act: &Act, kind: i32, y: &mut [f32]) {
        let a = Act { kind, ..*act };
        for v in y {
            *v = a.apply(*v);
        }
    }
    match act.kind {
        ACT_RELU => with_kind(act, ACT_RELU, y),
        ACT_LEAKY_RELU => with_kind(act, ACT_LEAKY_RELU, y),
        ACT_CLIP => with_kind(act, ACT_CLIP, y),
        ACT_HARD_SIGMOID => with_kind(act, ACT_HARD_SIGMOID, y),
        ACT_HARD_SWISH => with_kind(act, ACT_HARD_SWISH, y),
        ACT_SWISH => with_kind(act, ACT_SWISH, y),
        _ => {} // ACT_NONE
    }
}

/// min where a NaN operand gives NaN (as onnxruntime's Min; `max_nan` is Max's)
/// (`mn_min_nan`).
#[inline(always)]
fn min_nan(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        a + b
    } else if b < a {
        b
    } else {
        a
    }
}

/// `a mod b` with the sign of `b` (Python / numpy) (`mn_mod_floor`).
#[inline(always)]
fn mod_floor(a: f32, b: f32) -> f32 {
    let r = libm::fmodf(a, b);
    if r != 0.0 && ((r < 0.0) != (b < 0.0)) {
        r + b
    } else {
        r
    }
}
