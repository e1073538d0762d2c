//! The link frame protocol on the Rust side, in one place (the C side is
//! `runtime-c/include/meshnn_link.h`): header and tag sizes, payload rounding, fragments
//! and frames per inference, and parsing, authenticating and reassembling recorded
//! frames. Pure: no IO.
//!
//! A frame is a 20-byte little-endian header, `len` payload bytes and, when
//! authenticated, a 16-byte Ascon-AEAD128 tag:
//! `version u8 | src u8 | dst u8 | reserved u8 | tensor u16 | frag_index u16 |
//! frag_count u16 | len u16 | seq u32 | crc u32 (version 1) or epoch u32 (version 2)`.
//! Authenticated frames (version 2) carry the payload encrypted under the deployment key
//! with the header as associated data and the nonce of [`nonce`].

use ascon_aead::aead::{AeadInOut, KeyInit};
use ascon_aead::{AsconAead128, AsconAead128Key, AsconAead128Nonce, Tag};
use std::collections::BTreeMap;

/// Bytes of a link frame header (`MESHNN_FRAME_HEADER_BYTES`).
pub const LINK_HEADER_BYTES: usize = 20;

/// Bytes of the tag of an authenticated frame (`MESHNN_FRAME_TAG_BYTES`): Ascon-AEAD128's
/// full 128-bit tag, untruncated.
pub const LINK_TAG_BYTES: usize = 16;

/// Bytes of a deployment key (`MESHNN_LINK_KEY_BYTES`).
pub const LINK_KEY_BYTES: usize = 16;

/// A deployment key.
pub type LinkKey = [u8; LINK_KEY_BYTES];

/// How frames are protected (`[link] auth` in deploy.toml).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Auth {
    /// Ascon-AEAD128 (NIST SP 800-232): encrypted payload, authenticated header, 16-byte
    /// tag, replay window. The default.
    Ascon128,
    /// CRC-32 only: no protection against forgery, replay or eavesdropping (unsafe).
    Off,
}

impl Auth {
    /// The deploy.toml spelling.
    pub fn name(self) -> &'static str {
        match self {
            Auth::Ascon128 => "ascon128",
            Auth::Off => "off",
        }
    }

    /// The variant spelled `name` in deploy.toml.
    pub fn from_name(name: &str) -> Option<Auth> {
        [Auth::Ascon128, Auth::Off]
            .into_iter()
            .find(|a| a.name() == name)
    }

    /// The frame `version` byte of this format (`MESHNN_FRAME_VERSION`).
    pub fn version(self) -> u8 {
        match self {
            Auth::Ascon128 => 2,
            Auth::Off => 1,
        }
    }

    /// Bytes a frame carries besides its payload: the header, and the tag.
    pub fn overhead(self) -> usize {
        match self {
            Auth::Ascon128 => LINK_HEADER_BYTES + LINK_TAG_BYTES,
            Auth::Off => LINK_HEADER_BYTES,
        }
    }
}

/// The frame layout of a link: its MTU and its protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framing {
    pub mtu_bytes: usize,
    pub auth: Auth,
}

/// Most fragments one tensor may be cut into: the header numbers them in 16 bits
/// (`frag_count` in `meshnn_link.h`).
pub const MAX_FRAGMENTS: u64 = u16::MAX as u64;

impl Framing {
    /// Payload bytes per frame (whole floats; `MESHNN_FRAME_PAYLOAD`).
    pub fn payload(&self) -> usize {
        (self.mtu_bytes.saturating_sub(self.auth.overhead()) / 4 * 4).max(4)
    }

    /// The smallest MTU that leaves room for one float of payload.
    pub fn min_mtu(auth: Auth) -> usize {
        auth.overhead() + 4
    }

    /// The smallest `mtu_bytes` at which a tensor of `bytes` needs at most
    /// [`MAX_FRAGMENTS`].
    pub fn min_mtu_for(auth: Auth, bytes: u64) -> u64 {
        bytes.div_ceil(MAX_FRAGMENTS).div_ceil(4) * 4 + auth.overhead() as u64
    }

    /// Frames one tensor of `bytes` is cut into (at least one).
    pub fn fragments(&self, bytes: u64) -> u64 {
        bytes.div_ceil(self.payload() as u64).max(1)
    }

    /// Bytes on air to send a tensor of `payload` bytes: the payload plus one header
    /// (and tag) per fragment.
    pub fn wire_bytes(&self, payload: u64) -> u64 {
        payload + self.fragments(payload) * self.auth.overhead() as u64
    }

    /// Link frames one loss-free inference sends: every cut tensor, given as its bytes
    /// and its number of receiving devices, fragmented once per receiver.
    pub fn frames_per_inference(&self, cut: impl IntoIterator<Item = (u64, usize)>) -> u64 {
        cut.into_iter()
            .map(|(bytes, receivers)| self.fragments(bytes) * receivers as u64)
            .sum()
    }

    /// RAM the link layer needs besides the frame buffers: the receive scratch buffer
    /// an authenticated fragment is decrypted into before it is accepted.
    pub fn scratch_bytes(&self) -> u64 {
        match self.auth {
            Auth::Ascon128 => self.payload() as u64,
            Auth::Off => 0,
        }
    }
}

/// One link frame as recorded (header fields of meshnn_link.h, then the payload, in
/// clear once authenticated).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub src: u8,
    pub dst: u8,
    pub tensor: u16,
    pub frag_index: u16,
    pub frag_count: u16,
    pub seq: u32,
    pub payload: Vec<u8>,
}

/// The 16-byte nonce of an authenticated frame: `src | dst | tensor | frag_index | seq |
/// epoch | 0 0`, little endian (as `frame_nonce` in `runtime-c/src/mn_link_auth.c`).
pub fn nonce(header: &[u8; LINK_HEADER_BYTES]) -> [u8; 16] {
    let mut n = [0u8; 16];
    n[0] = header[1]; // src
    n[1] = header[2]; // dst
    n[2..4].copy_from_slice(&header[4..6]); // tensor
    n[4..6].copy_from_slice(&header[6..8]); // frag_index
    n[6..10].copy_from_slice(&header[12..16]); // seq
    n[10..14].copy_from_slice(&header[16..20]); // epoch
    n
}

/// Encrypt `payload` in place under `key` for the frame with this header; returns the tag.
pub fn seal(key: &LinkKey, header: &[u8; LINK_HEADER_BYTES], payload: &mut [u8]) -> [u8; 16] {
    let cipher = AsconAead128::new(&AsconAead128Key::from(*key));
    let tag = cipher
        .encrypt_inout_detached(
            &AsconAead128Nonce::from(nonce(header)),
            header,
            payload.into(),
        )
        .expect("Ascon-AEAD128 encrypts any frame-sized payload");
    tag.into()
}

/// Check `tag` and decrypt `payload` in place; false (payload unspecified) when the frame
/// is not authentic under `key`.
pub fn open(
    key: &LinkKey,
    header: &[u8; LINK_HEADER_BYTES],
    payload: &mut [u8],
    tag: &[u8],
) -> bool {
    let Ok(tag) = Tag::<AsconAead128>::try_from(tag) else {
        return false;
    };
    let cipher = AsconAead128::new(&AsconAead128Key::from(*key));
    cipher
        .decrypt_inout_detached(
            &AsconAead128Nonce::from(nonce(header)),
            header,
            payload.into(),
            &tag,
        )
        .is_ok()
}

/// Parse a recorded frame file: frames back to back, each a header then `len` bytes,
/// then, with a `key` (authenticated links), a tag that must be right: the payloads
/// are returned decrypted.
pub fn parse_frames(bytes: &[u8], key: Option<&LinkKey>) -> Result<Vec<Frame>, String> {
    let tag_bytes = if key.is_some() { LINK_TAG_BYTES } else { 0 };
    let mut v = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(h) = bytes.get(i..i + LINK_HEADER_BYTES) else {
            return Err(format!("truncated frame header at byte {i}"));
        };
        let header: [u8; LINK_HEADER_BYTES] = h.try_into().expect("slice of header size");
        let u16le = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]);
        let start = i + LINK_HEADER_BYTES;
        let end = start + u16le(10) as usize;
        let (Some(payload), Some(tag)) = (bytes.get(start..end), bytes.get(end..end + tag_bytes))
        else {
            return Err(format!("truncated frame payload at byte {i}"));
        };
        let mut payload = payload.to_vec();
        if let Some(key) = key {
            if !open(key, &header, &mut payload, tag) {
                return Err(format!(
                    "frame at byte {i} fails authentication (not sealed with this key)"
                ));
            }
        }
        v.push(Frame {
            src: h[1],
            dst: h[2],
            tensor: u16le(4),
            frag_index: u16le(6),
            frag_count: u16le(8),
            seq: u32::from_le_bytes([h[12], h[13], h[14], h[15]]),
            payload,
        });
        i = end + tag_bytes;
    }
    Ok(v)
}

/// Reassemble the tensors of a frame list: (dst, tensor id) → float32 values, fragments
/// in `frag_index` order.
pub fn tensors_of(frames: &[Frame]) -> BTreeMap<(u8, u16), Vec<f32>> {
    let mut parts: BTreeMap<(u8, u16), BTreeMap<u16, &[u8]>> = BTreeMap::new();
    for f in frames {
        parts
            .entry((f.dst, f.tensor))
            .or_default()
            .insert(f.frag_index, &f.payload);
    }
    parts
        .into_iter()
        .map(|(k, frags)| {
            let bytes: Vec<u8> = frags.values().flat_map(|p| p.iter().copied()).collect();
            let vals = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            (k, vals)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame written out by hand: version 1, src 2, dst 3, reserved 0, tensor 0x0105,
    /// frag 1 of 2, len 4, seq 0x01020304, crc 0xdeadbeef, payload 1.0f32.
    fn hand_frame() -> Vec<u8> {
        vec![
            1, 2, 3, 0, // version, src, dst, reserved
            0x05, 0x01, // tensor 0x0105
            1, 0, // frag_index 1
            2, 0, // frag_count 2
            4, 0, // len 4
            0x04, 0x03, 0x02, 0x01, // seq
            0xef, 0xbe, 0xad, 0xde, // crc
            0x00, 0x00, 0x80, 0x3f, // 1.0f32
        ]
    }

    const OFF: fn(usize) -> Framing = |mtu_bytes| Framing {
        mtu_bytes,
        auth: Auth::Off,
    };
    const AUTH: fn(usize) -> Framing = |mtu_bytes| Framing {
        mtu_bytes,
        auth: Auth::Ascon128,
    };

    #[test]
    fn header_is_twenty_bytes_and_payload_whole_floats() {
        assert_eq!(hand_frame().len() - 4, LINK_HEADER_BYTES);
        // 64 - 20 = 44 bytes: 11 floats.
        assert_eq!(OFF(64).payload(), 44);
        // 35 - 20 = 15 bytes: rounded down to 12.
        assert_eq!(OFF(35).payload(), 12);
        // Never below one float.
        assert_eq!(OFF(8).payload(), 4);
        assert_eq!(OFF(251).payload(), 228);
    }

    #[test]
    fn authenticated_frames_carry_a_sixteen_byte_tag() {
        // 64 - 20 - 16 = 28 bytes: 7 floats (runtime-c/tests/test_link.c counts the same).
        assert_eq!(AUTH(64).payload(), 28);
        assert_eq!(AUTH(244).payload(), 208);
        assert_eq!(Framing::min_mtu(Auth::Ascon128), 40);
        assert_eq!(Framing::min_mtu(Auth::Off), 24);
        // 100 bytes at 28 per frame: 4 frames, 100 + 4 * 36 bytes on air.
        assert_eq!(AUTH(64).fragments(100), 4);
        assert_eq!(AUTH(64).wire_bytes(100), 244);
        assert_eq!(OFF(64).wire_bytes(100), 160);
        assert_eq!(AUTH(64).scratch_bytes(), 28);
        assert_eq!(OFF(64).scratch_bytes(), 0);
    }

    #[test]
    fn the_smallest_mtu_keeps_fragments_within_16_bits() {
        // 800 KiB: 819 200 / 65 535 = 12.5 bytes per frame -> 16 (whole floats) + 20.
        assert_eq!(Framing::min_mtu_for(Auth::Off, 819_200), 36);
        assert_eq!(OFF(36).fragments(819_200), 51_200);
        assert!(OFF(35).fragments(819_200) > MAX_FRAGMENTS); // 12-byte payloads: 68 267
        assert_eq!(Framing::min_mtu_for(Auth::Off, 100), 24);
        assert_eq!(Framing::min_mtu_for(Auth::Ascon128, 819_200), 52);
        assert_eq!(AUTH(52).fragments(819_200), 51_200);
    }

    #[test]
    fn fragments_and_frames_per_inference() {
        // 100 bytes at 44 per frame: 3 frames; an empty tensor still sends one.
        assert_eq!(OFF(64).fragments(100), 3);
        assert_eq!(OFF(64).fragments(44), 1);
        assert_eq!(OFF(64).fragments(0), 1);
        // 3 frames to two devices + 1 frame to one device.
        assert_eq!(OFF(64).frames_per_inference([(100, 2), (40, 1)]), 7);
    }

    /// The first Ascon-AEAD128 known-answer vectors with a payload of the designers'
    /// LWC_AEAD_KAT_128_128.txt (github.com/ascon/ascon-c, crypto_aead/asconaead128):
    /// Count 34 (PT 20, AD empty: CT E8DD576ABA1CD3E6FC704DE02AEDB79588, in
    /// runtime-c/tests/ascon_aead128_kat.txt), through the cipher [`seal`] uses.
    #[test]
    fn the_rust_cipher_is_sp_800_232_ascon_aead128() {
        let key: LinkKey = std::array::from_fn(|i| i as u8);
        let nonce: [u8; 16] = std::array::from_fn(|i| 16 + i as u8);
        let cipher = AsconAead128::new(&AsconAead128Key::from(key));
        let mut msg = vec![0x20u8];
        let tag = cipher
            .encrypt_inout_detached(
                &AsconAead128Nonce::from(nonce),
                b"",
                msg.as_mut_slice().into(),
            )
            .unwrap();
        let mut ct = msg.clone();
        ct.extend_from_slice(&tag);
        let hex: String = ct.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, "E8DD576ABA1CD3E6FC704DE02AEDB79588");
    }

    #[test]
    fn sealed_frames_parse_back_and_tampered_ones_fail() {
        let key = [7u8; 16];
        let mut f = hand_frame();
        f[0] = 2;
        let header: [u8; 20] = f[..20].try_into().unwrap();
        let tag = seal(&key, &header, &mut f[20..24]);
        assert_ne!(f[20..24], [0x00, 0x00, 0x80, 0x3f], "payload encrypted");
        f.extend_from_slice(&tag);
        let frames = parse_frames(&f, Some(&key)).unwrap();
        assert_eq!(frames[0].payload, vec![0x00, 0x00, 0x80, 0x3f]);
        for byte in 0..f.len() {
            let mut bad = f.clone();
            bad[byte] ^= 1;
            assert!(
                parse_frames(&bad, Some(&key)).is_err(),
                "byte {byte} flipped"
            );
        }
        assert!(parse_frames(&f, Some(&[8u8; 16])).is_err(), "wrong key");
        assert!(
            parse_frames(&f[..f.len() - 1], Some(&key)).is_err(),
            "truncated tag"
        );
    }

    #[test]
    fn parses_a_hand_built_frame() {
        let frames = parse_frames(&hand_frame(), None).unwrap();
        assert_eq!(
            frames,
            vec![Frame {
                src: 2,
                dst: 3,
                tensor: 0x0105,
                frag_index: 1,
                frag_count: 2,
                seq: 0x0102_0304,
                payload: vec![0, 0, 0x80, 0x3f],
            }]
        );
    }

    #[test]
    fn truncated_frames_are_errors() {
        let f = hand_frame();
        assert_eq!(
            parse_frames(&f[..10], None).unwrap_err(),
            "truncated frame header at byte 0"
        );
        let mut two = f.clone();
        two.extend_from_slice(&f[..22]);
        assert_eq!(
            parse_frames(&two, None).unwrap_err(),
            "truncated frame payload at byte 24"
        );
    }

    #[test]
    fn reassembles_fragments_in_index_order() {
        let frame = |frag_index, v: f32| Frame {
            src: 0,
            dst: 1,
            tensor: 7,
            frag_index,
            frag_count: 2,
            seq: 0,
            payload: v.to_le_bytes().to_vec(),
        };
        let t = tensors_of(&[frame(1, 2.0), frame(0, 1.0)]);
        assert_eq!(t.len(), 1);
        assert_eq!(t[&(1, 7)], vec![1.0, 2.0]);
    }
}
