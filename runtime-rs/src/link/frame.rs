//! Frames on the wire: the 20-byte little-endian header, encoding a frame whose payload
//! is in place ([`seal`]) and checking received bytes ([`decode`]), as `mn_link_header`,
//! `mn_link_encode` and `mn_link_decode` in `runtime-c/src/mn_link.c`.

use super::{auth, crc, Key, LinkConfig};

/// Bytes of a frame header (`MESHNN_FRAME_HEADER_BYTES`).
pub const HEADER_BYTES: usize = 20;
/// Bytes of an authenticated frame's tag (`MESHNN_FRAME_TAG_BYTES`, Ascon-AEAD128's full tag).
pub const TAG_BYTES: usize = 16;
/// Bytes of a deployment key (`MESHNN_LINK_KEY_BYTES`).
pub const KEY_BYTES: usize = 16;
/// `version` of a CRC-only frame.
pub const VERSION_CRC: u8 = 1;
/// `version` of an authenticated frame.
pub const VERSION_AUTH: u8 = 2;

/// The header fields of a frame (`meshnn_frame_t` without its payload). `last_word` is
/// the CRC of a CRC-only frame and the sender's epoch of an authenticated one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub src: u8,
    pub dst: u8,
    pub reserved: u8,
    pub tensor: u16,
    pub frag_index: u16,
    pub frag_count: u16,
    pub len: u16,
    pub seq: u32,
    pub last_word: u32,
}

impl Header {
    /// The 20 wire bytes (`mn_link_header`).
    pub fn to_bytes(&self) -> [u8; HEADER_BYTES] {
        let mut h = [0u8; HEADER_BYTES];
        h[0] = self.version;
        h[1] = self.src;
        h[2] = self.dst;
        h[3] = self.reserved;
        h[4..6].copy_from_slice(&self.tensor.to_le_bytes());
        h[6..8].copy_from_slice(&self.frag_index.to_le_bytes());
        h[8..10].copy_from_slice(&self.frag_count.to_le_bytes());
        h[10..12].copy_from_slice(&self.len.to_le_bytes());
        h[12..16].copy_from_slice(&self.seq.to_le_bytes());
        h[16..20].copy_from_slice(&self.last_word.to_le_bytes());
        h
    }

    /// The fields of 20 wire bytes.
    pub fn from_bytes(h: &[u8; HEADER_BYTES]) -> Header {
        let u16le = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]);
        let u32le = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
        Header {
            version: h[0],
            src: h[1],
            dst: h[2],
            reserved: h[3],
            tensor: u16le(4),
            frag_index: u16le(6),
            frag_count: u16le(8),
            len: u16le(10),
            seq: u32le(12),
            last_word: u32le(16),
        }
    }
}

/// Why received bytes are not a frame (`mn_link_decode`'s return codes 1..5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DecodeError {
    /// Fewer bytes than a header.
    Truncated = 1,
    /// A `len` field beyond the payload of a frame.
    Oversized = 2,
    /// More or fewer bytes than header, `len` and tag.
    Length = 3,
    /// Another frame version (the other format, or garbage).
    Version = 4,
    /// A CRC-only frame whose CRC does not match.
    Crc = 5,
}

/// Check `wire` (one received frame) as `mn_link_decode` does: its size, length field,
/// version and, for CRC-only frames, its CRC (an authenticated frame's tag is checked on
/// acceptance, with the key). Returns its header; the payload is `wire[HEADER_BYTES..]
/// [..len]`, followed by the tag when authenticated.
pub fn decode(cfg: &LinkConfig, wire: &[u8]) -> Result<Header, DecodeError> {
    let Some(head) = wire
        .get(..HEADER_BYTES)
        .and_then(|h| <&[u8; HEADER_BYTES]>::try_from(h).ok())
    else {
        return Err(DecodeError::Truncated);
    };
    let h = Header::from_bytes(head);
    if u32::from(h.len) > cfg.payload() {
        return Err(DecodeError::Oversized);
    }
    if wire.len() != cfg.frame_bytes(u32::from(h.len)) {
        return Err(DecodeError::Length);
    }
    if h.version != cfg.version() {
        return Err(DecodeError::Version);
    }
    if !cfg.auth && crc::frame_crc(&h, payload(wire, &h)) != h.last_word {
        return Err(DecodeError::Crc);
    }
    Ok(h)
}

/// The payload bytes of a frame with header `h` in `wire` (empty when they are not all there).
pub fn payload<'a>(wire: &'a [u8], h: &Header) -> &'a [u8] {
    wire.get(HEADER_BYTES..HEADER_BYTES + usize::from(h.len))
        .unwrap_or(&[])
}

/// Turn `buf`, whose plaintext payload of `h.len` bytes is already at
/// `buf[HEADER_BYTES..]`, into a frame ready to send: write the header (with the CRC of a
/// CRC-only frame; an authenticated frame's `h.last_word` is the sender's epoch), encrypt
/// the payload in place and append the tag. Returns the frame's byte count, or None (buf
/// unchanged) when authenticated without a key, or `h.len` does not fit the frame or `buf`.
pub fn seal(cfg: &LinkConfig, h: &Header, key: Option<&Key>, buf: &mut [u8]) -> Option<usize> {
    let n = cfg.frame_bytes(u32::from(h.len));
    if u32::from(h.len) > cfg.payload() || buf.len() < n {
        return None;
    }
    let frame = &mut buf[..n];
    if cfg.auth {
        let key = key?;
        let head = h.to_bytes();
        let (start, tag) = frame.split_at_mut(n - TAG_BYTES);
        let t = auth::seal(key, &head, &mut start[HEADER_BYTES..]);
        tag.copy_from_slice(&t);
        start[..HEADER_BYTES].copy_from_slice(&head);
    } else {
        let with_crc = Header {
            last_word: crc::frame_crc(h, &frame[HEADER_BYTES..]),
            ..*h
        };
        frame[..HEADER_BYTES].copy_from_slice(&with_crc.to_bytes());
    }
    Some(n)
}
