//! Twin of runtime-c/src/mn_requant_s8.c, mn_requant_from_scale_s8.c and of the rounding
//! helpers of `internal/mn_kernels_s8_internal.h`: a real scale as a Q31 multiplier and
//! shift, its one-word table form, and round-half-to-even of the exact scaled value.

/// A real scale `M = mult * 2^(shift - 31)` (`mn_requant_t`): `mult` is a Q31 fraction in
/// `[2^30, 2^31)`, or 0 for a scale that rounds every `i32` accumulator to 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Requant {
    pub mult: i32,
    /// In `REQUANT_MIN_SHIFT..=REQUANT_MAX_SHIFT`.
    pub shift: i32,
}

/// `MN_REQUANT_MIN_SHIFT`: scales below `2^-32` become a zero multiplier.
pub const REQUANT_MIN_SHIFT: i32 = -31;
/// `MN_REQUANT_MAX_SHIFT`: scales from `2^15` on are refused.
pub const REQUANT_MAX_SHIFT: i32 = 15;

/// The [`Requant`] nearest to `scale` (`mn_requant_from_scale`; mult rounded half away
/// from zero), or `None` when `scale` is NaN, negative or `>= 2^15` (outside `[0, 2^15)`).
pub fn requant_from_scale(scale: f64) -> Option<Requant> {
    if !(0.0..32768.0).contains(&scale) {
        return None;
    }
    let (m, mut e) = libm::frexp(scale);
    let mut r = libm::round(m * 2147483648.0);
    if r >= 2147483648.0 {
        r = 1073741824.0;
        e += 1;
    }
    if scale == 0.0 || e < REQUANT_MIN_SHIFT {
        return Some(Requant { mult: 0, shift: 0 });
    }
    if e > REQUANT_MAX_SHIFT {
        return None;
    }
    Some(Requant {
        mult: r as i32,
        shift: e,
    })
}

/// One entry of a per-channel requantisation table (`mn_requant_word_t`): a [`Requant`]
/// in one word, bits 31..6 `mult` with its low six bits cleared, bits 5..0 `shift -
/// REQUANT_MIN_SHIFT`. Exact for every scale of float32 precision (ONNX's scales: a
/// 24-bit mantissa leaves the low seven bits of `mult` 0).
pub type RequantWord = i32;

/// `rq` as a table word (`mn_requant_pack`): `mult` rounded half up to a multiple of 64 (a
/// `mult` that rounds up to `2^31` becomes `2^30` with `shift + 1`); `None` when that
/// shift passes [`REQUANT_MAX_SHIFT`].
pub fn requant_pack(rq: &Requant) -> Option<RequantWord> {
    let mut mult = (rq.mult as u32).wrapping_add(32) & !63;
    let mut shift = rq.shift;
    if mult == 0x8000_0000 {
        mult = 0x4000_0000;
        shift += 1;
    }
    if shift > REQUANT_MAX_SHIFT {
        return None;
    }
    Some((mult | (shift - REQUANT_MIN_SHIFT) as u32) as i32)
}

/// The [`Requant`] of a table word (`mn_requant_unpack`, [`requant_pack`]'s inverse).
#[inline(always)]
pub fn requant_unpack(w: RequantWord) -> Requant {
    Requant {
        mult: (w as u32 & !63) as i32,
        shift: (w as u32 & 63) as i32 + REQUANT_MIN_SHIFT,
    }
}

/// Output channel `c`'s requantisation from a table of one word (`per_channel` 0) or one
/// word per channel (`mn_requant_of`).
#[inline(always)]
pub(crate) fn requant_of(rq: &[RequantWord], per_channel: i32, c: usize) -> Requant {
    requant_unpack(rq[if per_channel != 0 { c } else { 0 }])
}

/// `round(acc * M / count)`, half to even on the exact value (`mn_requant_apply`;
/// `count >= 1`).
pub fn requant_apply(rq: &Requant, acc: i32, count: i32) -> i32 {
    rq_scale(*rq, acc, count)
}

/// The right shift that goes with `rq`: `M = mult / 2^bits`.
#[inline(always)]
fn rq_bits(rq: Requant) -> u32 {
    (31 - rq.shift) as u32
}

/// `round(v / (count * 2^t))` rounded half to even, exactly, saturated at `±2^30`
/// (`mn_rq_round`: `|v| < 2^62`, `t <= 63`, `count >= 1`).
#[inline(always)]
fn rq_round(v: i64, t: u32, count: i32) -> i32 {
    let u = v.unsigned_abs();
    let q = u >> t;
    let rem = if t > 0 { u & ((1u64 << t) - 1) } else { 0 };
    let half = if t > 0 { 1u64 << (t - 1) } else { 0 };
    let quot = q / count as u64;
    let d = 2 * (q % count as u64) as i64 - count as i64;
    let up = if d > 0 {
        true
    } else if d == 0 {
        rem > 0 || quot & 1 == 1
    } else if d == -1 && t > 0 {
        rem > half || (rem == half && quot & 1 == 1)
    } else {
        false
    };
    let r = (quot + up as u64).min(0x4000_0000) as i32;
    if v >= 0 {
        r
    } else {
        -r
    }
}

/// `round(acc * M / count)` (`mn_rq_scale`).
#[inline(always)]
pub(crate) fn rq_scale(rq: Requant, acc: i32, count: i32) -> i32 {
    rq_round(acc as i64 * rq.mult as i64, rq_bits(rq), count)
}

/// `(a as i64 * b as i64) as u64` for `b >= 0` from four 16 x 16 -> 32 products
/// (`mn_mul_s32_by16`): exact, and shorter on ARMv6-M (no 32 x 32 -> 64 multiply there;
/// the plain product calls `__aeabi_lmul`).
#[inline(always)]
#[cfg_attr(
    not(all(target_arch = "arm", not(target_feature = "thumb2"))),
    allow(dead_code) // elsewhere only the test calls it
)]
pub(crate) fn mul_s32_by16(a: i32, b: i32) -> u64 {
    let (ua, ub) = (a as u32, b as u32);
    let (al, ah, bl, bh) = (ua & 0xFFFF, ua >> 16, ub & 0xFFFF, ub >> 16);
    let mid = u64::from(al * bh) + u64::from(ah * bl);
    let r = (u64::from(ah * bh) << 32)
        .wrapping_add(mid << 16)
        .wrapping_add(u64::from(al * bl));
    if a < 0 {
        r.wrapping_sub(u64::from(ub) << 32)
    } else {
        r
    }
}

/// The product's bits (`mn_mul_s32`): [`mul_s32_by16`] on ARMv6-M, the plain product
/// elsewhere.
#[inline(always)]
fn mul_s32(a: i32, b: i32) -> u64 {
    #[cfg(all(target_arch = "arm", not(target_feature = "thumb2")))]
    {
        mul_s32_by16(a, b)
    }
    #[cfg(not(all(target_arch = "arm", not(target_feature = "thumb2"))))]
    {
        (i64::from(a) * i64::from(b)) as u64
    }
}

/// `rq_scale(rq, acc, 1)`'s constants for one [`Requant`] (`mn_rq_fast_t`, see
/// `mn_kernels_s8_internal.h`): with `s = -1 - shift` in `[1, 30]` the high word of
/// `acc * mult` plus `2^31 + 2^(s-1)`, shifted by `s`, rounds half up; an exact tie is
/// taken to even. Other scales fall back to [`rq_scale`].
#[derive(Clone, Copy)]
pub(crate) struct RqFast {
    mult: i32,
    s: u32,
    add: u32,
    mask: u32,
    sub: i32,
    rq: Requant,
}

impl RqFast {
    /// `mn_rq_fast_init`.
    #[inline(always)]
    pub(crate) fn new(rq: Requant) -> Self {
        let s = if rq.mult != 0 { -1 - rq.shift } else { 0 };
        if s >= 1 {
            let s = s as u32;
            RqFast {
                mult: rq.mult,
                s,
                add: 0x8000_0000 + (1u32 << (s - 1)),
                mask: (1u32 << s) - 1,
                sub: 1i32 << (31 - s),
                rq,
            }
        } else {
            RqFast {
                mult: rq.mult,
                s: 0,
                add: 0,
                mask: 0,
                sub: 0,
                rq,
            }
        }
    }

    /// `mn_rq_fast`: `rq_scale(rq, acc, 1)`.
    #[inline(always)]
    pub(crate) fn apply(&self, acc: i32) -> i32 {
        if self.s == 0 {
            return rq_scale(self.rq, acc, 1);
        }
        let u = mul_s32(acc, self.mult);
        let v = ((u >> 32) as u32).wrapping_add(self.add);
        let q = (v >> self.s) as i32 - self.sub;
        if (v & self.mask) | u as u32 == 0 {
            q - (q & 1)
        } else {
            q
        }
    }
}

/// `clamp(zp + v, lo, hi)` as an `i8` (`mn_rq_clamp`).
#[inline(always)]
pub(crate) fn rq_clamp(v: i32, zp: i32, lo: i32, hi: i32) -> i8 {
    let y = v + zp;
    (if y < lo {
        lo
    } else if y > hi {
        hi
    } else {
        y
    }) as i8
}

/// `round(da * ra + db * rb)`, one rounding of the exact sum (`mn_rq_sum2`; past 22 bits
/// of exponent difference the finer term is floored first).
pub(crate) fn rq_sum2(ra: Requant, da: i32, rb: Requant, db: i32) -> i32 {
    let (mut pa, mut pb) = (da as i64 * ra.mult as i64, db as i64 * rb.mult as i64);
    let (mut ta, mut tb) = (rq_bits(ra), rq_bits(rb));
    if rb.mult == 0 {
        return rq_round(pa, ta, 1);
    }
    if ra.mult == 0 {
        return rq_round(pb, tb, 1);
    }
    if ta < tb {
        core::mem::swap(&mut pa, &mut pb);
        core::mem::swap(&mut ta, &mut tb);
    }
    let mut d = ta - tb;
    if d > 22 {
        pa >>= d - 22; // arithmetic: floor, as mn_floor_shift
        ta -= d - 22;
        d = 22;
    }
    rq_round(pa + (pb << d), ta, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_calculated_scales_and_ties() {
        // 0.75 = 0.75 * 2^0; 0.1 = 0.8 * 2^-3 with mult round(0.8 * 2^31 = 1717986918.4).
        let r34 = requant_from_scale(0.75).unwrap();
        let r01 = requant_from_scale(0.1).unwrap();
        assert_eq!((r34.mult, r34.shift), (1610612736, 0));
        assert_eq!((r01.mult, r01.shift), (1717986918, -3));
        // acc * 0.75: 1.5 -> 2, 4.5 -> 4, -1.5 -> -2, 5.25 -> 5; / 3: 2.5 -> 2, 3.5 -> 4.
        for (acc, count, want) in [
            (2, 1, 2),
            (6, 1, 4),
            (-2, 1, -2),
            (7, 1, 5),
            (10, 3, 2),
            (14, 3, 4),
        ] {
            assert_eq!(
                requant_apply(&r34, acc, count),
                want,
                "{acc} * 0.75 / {count}"
            );
        }
        // 0.1's multiplier is slightly below 0.1: 5 * 0.1 rounds to 0, 15 * 0.1 to 1.
        assert_eq!(requant_apply(&r01, 5, 1), 0);
        assert_eq!(requant_apply(&r01, 15, 1), 1);
        assert_eq!(requant_from_scale(-1.0), None);
        assert_eq!(requant_from_scale(f64::NAN), None);
        assert_eq!(requant_from_scale(32768.0), None);
        assert_eq!(
            requant_from_scale(1e-12),
            Some(Requant { mult: 0, shift: 0 })
        );
    }

    /// The fast requantisation and the 16-bit product against `rq_scale` and `i64` on
    /// every shift, ties (mult 2^30), extremes and seeded random values.
    #[test]
    fn fast_requant_equals_rq_scale() {
        let mut st = 12345u32;
        let mut next = || {
            st ^= st << 13;
            st ^= st >> 17;
            st ^= st << 5;
            st
        };
        let accs = [
            0,
            1,
            -1,
            2,
            -2,
            3,
            -3,
            i32::MAX,
            i32::MIN,
            1 << 30,
            -(1 << 30),
            12345,
        ];
        for shift in REQUANT_MIN_SHIFT..=REQUANT_MAX_SHIFT {
            for t in 0..300 {
                let mult = match t % 3 {
                    0 => 1 << 30,
                    1 => i32::MAX,
                    _ => (1 << 30) | (next() >> 2) as i32,
                };
                let rq = Requant { mult, shift };
                let f = RqFast::new(rq);
                for i in 0..=accs.len() {
                    let acc = accs
                        .get(i)
                        .copied()
                        .unwrap_or(next() as i32 >> (next() % 24));
                    if shift >= 0 && !(-65535..=65535).contains(&acc) {
                        continue; // |acc * M| >= 2^31: outside the contract
                    }
                    assert_eq!(f.apply(acc), rq_scale(rq, acc, 1), "{acc} {rq:?}");
                }
                let (a, b) = (next() as i32, (next() >> 1) as i32);
                assert_eq!(mul_s32_by16(a, b), (i64::from(a) * i64::from(b)) as u64);
            }
        }
        for a in [0, 1, -1, 65535, -65536, i32::MAX, i32::MIN] {
            for b in [0, 1, 65535, 65536, 1 << 30, i32::MAX] {
                assert_eq!(mul_s32_by16(a, b), (i64::from(a) * i64::from(b)) as u64);
            }
        }
    }

    #[test]
    fn two_scale_sum_rounds_once() {
        let (a, b) = (
            requant_from_scale(0.5).unwrap(),
            requant_from_scale(0.25).unwrap(),
        );
        // 1*0.5 + 2*0.25 = 1; 0.5 -> 0; 1.5 -> 2; -0.5 -> 0; 2.75 -> 3.
        for (da, db, want) in [(1, 2, 1), (1, 0, 0), (3, 0, 2), (1, -4, 0), (5, 1, 3)] {
            assert_eq!(rq_sum2(a, da, b, db), want, "{da} {db}");
        }
    }
}
