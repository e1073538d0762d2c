//! CRC-only frames (`auth = "off"`, version 1): the frame CRC is the CRC-32 (IEEE 802.3,
//! reflected polynomial 0xEDB88320, as zlib's `crc32()`) of the 20 header bytes with the
//! crc field taken as 0, then the payload (`mn_link_crc` in `runtime-c/src/mn_link.c`),
//! computed with the `crc` crate. It detects accidental corruption only: anyone can
//! compute it for a forged frame.
//!
//! The lookup table is chosen per target, like runtime-c's `mn_crc32.c` (slicing tables
//! on hosts, a small table on MCUs): slice-by-16 (16 tables, 16 KB of flash) on 64-bit
//! targets, where the look-ups of a step run in parallel; one 256-entry table (1 KB) on
//! 32-bit MCUs, whose single-issue cores gain little from more tables and where flash is
//! scarce.

use super::frame::Header;
use crc::{Crc, CRC_32_ISO_HDLC};

/// The table layout of this target (see the module documentation).
#[cfg(target_pointer_width = "64")]
type Tables = crc::Table<16>;
/// The table layout of this target (see the module documentation).
#[cfg(not(target_pointer_width = "64"))]
type Tables = crc::Table<1>;

/// CRC-32/ISO-HDLC (zlib's), its table computed at compile time into flash; a `static`,
/// so the table exists once however many call sites use it.
static CRC32: Crc<u32, Tables> = Crc::<u32, Tables>::new(&CRC_32_ISO_HDLC);

/// The CRC-32 of `bytes` (zlib's `crc32(0, bytes, len)`, runtime-c's `mn_crc32(0, ...)`).
pub fn crc32(bytes: &[u8]) -> u32 {
    CRC32.checksum(bytes)
}

/// The CRC of a frame with header `h` (its `last_word` ignored) and `payload`.
pub fn frame_crc(h: &Header, payload: &[u8]) -> u32 {
    let head = Header { last_word: 0, ..*h }.to_bytes();
    let mut c = CRC32.digest();
    c.update(&head);
    c.update(payload);
    c.finalize()
}

#[cfg(test)]
mod tests {
    use crc::{Crc, Table, CRC_32_ISO_HDLC};

    /// Bytes (7 i + 3) mod 256, i < 1000: long enough for every loop of each layout.
    fn pattern() -> [u8; 1000] {
        core::array::from_fn(|i| (i * 7 + 3) as u8)
    }

    /// Both table layouts (whichever target runs the tests) give the catalogue's check
    /// value of "123456789" and Python's `zlib.crc32` of the 1000-byte pattern.
    #[test]
    fn both_table_layouts_are_zlibs_crc32() {
        let one = Crc::<u32, Table<1>>::new(&CRC_32_ISO_HDLC);
        let sixteen = Crc::<u32, Table<16>>::new(&CRC_32_ISO_HDLC);
        assert_eq!(one.checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(sixteen.checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(one.checksum(&pattern()), 0x17BC_2A46);
        assert_eq!(sixteen.checksum(&pattern()), 0x17BC_2A46);
    }
}
