//! CRC-only frames (`auth = "off"`, version 1): the frame CRC is the CRC-32 (IEEE 802.3,
//! as zlib's `crc32()`) of the 20 header bytes with the crc field taken as 0, then the
//! payload (`mn_link_crc` in `runtime-c/src/mn_link.c`), computed with `crc32fast`.
//! It detects accidental corruption only: anyone can compute it for a forged frame.

use super::frame::Header;

/// The CRC of a frame with header `h` (its `last_word` ignored) and `payload`.
pub fn frame_crc(h: &Header, payload: &[u8]) -> u32 {
    let head = Header { last_word: 0, ..*h }.to_bytes();
    let mut c = crc32fast::Hasher::new();
    c.update(&head);
    c.update(payload);
    c.finalize()
}
