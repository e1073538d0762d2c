//! The fixed-point form of a real requantisation scale, the compiler's port of runtime-c's
//! `mn_requant_from_scale` (`runtime-c/src/mn_requant_from_scale_s8.c`):
//! M = mult * 2^(shift - 31) with mult a Q31 fraction in [2^30, 2^31) rounded half away
//! from zero, or 0 for a scale below 2^-32; and its table word (`Requant::word`).
//! `compiler/tests/int8.rs` checks both against the C functions.

/// `mn_requant_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    pub mult: i32,
    pub shift: i32,
}

/// `MN_REQUANT_MIN_SHIFT` / `MN_REQUANT_MAX_SHIFT` in mn_kernels_s8.h.
pub const MIN_SHIFT: i32 = -31;
pub const MAX_SHIFT: i32 = 15;

/// The `Requant` nearest to `scale`; `None` when it is NaN, negative or >= 2^15 (as the C
/// function returns -1).
pub fn requant_from_scale(scale: f64) -> Option<Requant> {
    if !(0.0..32768.0).contains(&scale) {
        return None;
    }
    let zero = Requant { mult: 0, shift: 0 };
    let Some((m, mut e)) = frexp(scale) else {
        return Some(zero); // 0 or subnormal: far below 2^MIN_SHIFT
    };
    let mut r = (m * 2147483648.0).round();
    if r >= 2147483648.0 {
        r = 1073741824.0;
        e += 1;
    }
    if e < MIN_SHIFT {
        return Some(zero);
    }
    if e > MAX_SHIFT {
        return None;
    }
    Some(Requant {
        mult: r as i32,
        shift: e,
    })
}

impl Requant {
    /// The per-channel table word (`mn_requant_word_t`, the port of runtime-c's
    /// `mn_requant_pack`): bits 31..6 `mult` rounded half up to a multiple of 64, bits 5..0
    /// `shift - MIN_SHIFT`; a `mult` rounded up to 2^31 becomes 2^30 with `shift + 1`.
    /// `None` when that shift passes `MAX_SHIFT`. Exact for the multiplier of a float32
    /// scale (its low seven bits are 0), which is every scale meshnn requantises by.
    pub fn word(self) -> Option<i32> {
        let mut mult = (self.mult as u32).wrapping_add(32) & !63;
        let mut shift = self.shift;
        if mult == 0x8000_0000 {
            mult = 0x4000_0000;
            shift += 1;
        }
        (shift <= MAX_SHIFT).then(|| (mult | (shift - MIN_SHIFT) as u32) as i32)
    }
}

/// C's frexp for a normal positive double: (m, e) with x = m * 2^e, m in [0.5, 1);
/// `None` for 0 and subnormals.
fn frexp(x: f64) -> Option<(f64, i32)> {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        return None;
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    Some((m, exp - 1022))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_scales() {
        // 0.5 = 2^30 * 2^(0 - 31): mult 2^30, shift 0.
        assert_eq!(
            requant_from_scale(0.5),
            Some(Requant {
                mult: 1 << 30,
                shift: 0
            })
        );
        // 1.0 = 0.5 * 2^1.
        assert_eq!(
            requant_from_scale(1.0),
            Some(Requant {
                mult: 1 << 30,
                shift: 1
            })
        );
        // 0.75 = 0.75 * 2^0: mult = 0.75 * 2^31.
        assert_eq!(
            requant_from_scale(0.75),
            Some(Requant {
                mult: 1610612736,
                shift: 0
            })
        );
        assert_eq!(requant_from_scale(0.0), Some(Requant { mult: 0, shift: 0 }));
        assert_eq!(
            requant_from_scale(1e-12),
            Some(Requant { mult: 0, shift: 0 })
        );
        assert_eq!(requant_from_scale(-1.0), None);
        assert_eq!(requant_from_scale(f64::NAN), None);
        assert_eq!(requant_from_scale(32768.0), None);
    }

    #[test]
    fn table_words_by_hand() {
        let word = |mult, shift| Requant { mult, shift }.word();
        // 0.75: 0x60000000, shift 0 + 31 below it.
        assert_eq!(word(0x6000_0000, 0), Some(0x6000_0000 | 31));
        // low six bits 32 round up, 31 down
        assert_eq!(word(0x4000_0020, -3), Some(0x4000_0040 | 28));
        assert_eq!(word(0x4000_001F, -3), Some(0x4000_0000 | 28));
        // 2^31 - 1 carries into 2^30 with shift + 1, refused past the largest shift
        assert_eq!(word(i32::MAX, 3), Some(0x4000_0000 | 35));
        assert_eq!(word(i32::MAX, MAX_SHIFT), None);
        assert_eq!(word(0, 0), Some(31));
        // float32 0.1's multiplier (mantissa 0xCCCCCD << 7) is exact
        let r = requant_from_scale(0.1f32 as f64).unwrap();
        assert_eq!((r.mult, r.shift), (0x6666_6680, -3));
        assert_eq!(r.word(), Some(0x6666_6680 | 28));
    }
}
