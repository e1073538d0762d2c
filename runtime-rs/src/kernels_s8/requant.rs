//! Twin of runtime-c/src/mn_requant_s8.c and of the rounding helpers of
//! `internal/mn_kernels_s8_internal.h`: a real scale as a Q31 multiplier and shift, and
//! round-half-to-even of the exact scaled value.

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
