//! The link frame protocol on the Rust side, in one place (the C side is
//! `runtime-c/include/meshnn_link.h`): header size, payload rounding, fragments and frames
//! per inference, and parsing and reassembling recorded frames. Pure: no IO.
//!
//! A frame is a 20-byte little-endian header then `len` payload bytes:
//! `version u8 | src u8 | dst u8 | reserved u8 | tensor u16 | frag_index u16 |
//! frag_count u16 | len u16 | seq u32 | crc u32`.

use std::collections::BTreeMap;

/// Bytes of a link frame header (`MESHNN_FRAME_HEADER_BYTES`).
pub const LINK_HEADER_BYTES: usize = 20;

/// Payload bytes per frame at `mtu_bytes` (whole floats; `MESHNN_FRAME_PAYLOAD`).
pub fn frame_payload(mtu_bytes: usize) -> usize {
    (mtu_bytes.saturating_sub(LINK_HEADER_BYTES) / 4 * 4).max(4)
}

/// Most fragments one tensor may be cut into: the header numbers them in 16 bits
/// (`frag_count` in `meshnn_link.h`).
pub const MAX_FRAGMENTS: u64 = u16::MAX as u64;

/// The smallest `mtu_bytes` at which a tensor of `bytes` needs at most [`MAX_FRAGMENTS`].
pub fn min_mtu_for(bytes: u64) -> u64 {
    bytes.div_ceil(MAX_FRAGMENTS).div_ceil(4) * 4 + LINK_HEADER_BYTES as u64
}

/// Frames one tensor of `bytes` is cut into at `mtu_bytes` (at least one).
pub fn fragments(bytes: u64, mtu_bytes: usize) -> u64 {
    bytes.div_ceil(frame_payload(mtu_bytes) as u64).max(1)
}

/// Bytes on air to send a tensor of `payload` bytes: the payload plus one header per
/// fragment.
pub fn wire_bytes(payload: u64, mtu_bytes: usize) -> u64 {
    payload + fragments(payload, mtu_bytes) * LINK_HEADER_BYTES as u64
}

/// Link frames one loss-free inference sends: every cut tensor, given as its bytes and
/// its number of receiving devices, fragmented to the frame payload once per receiver.
pub fn frames_per_inference(cut: impl IntoIterator<Item = (u64, usize)>, mtu_bytes: usize) -> u64 {
    cut.into_iter()
        .map(|(bytes, receivers)| fragments(bytes, mtu_bytes) * receivers as u64)
        .sum()
}

/// One link frame as recorded (header fields of meshnn_link.h, then the payload).
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

/// Parse a recorded frame file: frames back to back, each a header then `len` bytes.
pub fn parse_frames(bytes: &[u8]) -> Result<Vec<Frame>, String> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(h) = bytes.get(i..i + LINK_HEADER_BYTES) else {
            return Err(format!("truncated frame header at byte {i}"));
        };
        let u16le = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]);
        let start = i + LINK_HEADER_BYTES;
        let Some(payload) = bytes.get(start..start + u16le(10) as usize) else {
            return Err(format!("truncated frame payload at byte {i}"));
        };
        v.push(Frame {
            src: h[1],
            dst: h[2],
            tensor: u16le(4),
            frag_index: u16le(6),
            frag_count: u16le(8),
            seq: u32::from_le_bytes([h[12], h[13], h[14], h[15]]),
            payload: payload.to_vec(),
        });
        i = start + payload.len();
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

    #[test]
    fn header_is_twenty_bytes_and_payload_whole_floats() {
        assert_eq!(hand_frame().len() - 4, LINK_HEADER_BYTES);
        // 64 - 20 = 44 bytes: 11 floats.
        assert_eq!(frame_payload(64), 44);
        // 35 - 20 = 15 bytes: rounded down to 12.
        assert_eq!(frame_payload(35), 12);
        // Never below one float.
        assert_eq!(frame_payload(8), 4);
        assert_eq!(frame_payload(251), 228);
    }

    #[test]
    fn the_smallest_mtu_keeps_fragments_within_16_bits() {
        // 800 KiB: 819 200 / 65 535 = 12.5 bytes per frame -> 16 (whole floats) + 20.
        assert_eq!(min_mtu_for(819_200), 36);
        assert_eq!(fragments(819_200, 36), 51_200);
        assert!(fragments(819_200, 35) > MAX_FRAGMENTS); // 12-byte payloads: 68 267
        assert_eq!(min_mtu_for(100), 24);
    }

    #[test]
    fn fragments_and_frames_per_inference() {
        // 100 bytes at 44 per frame: 3 frames; an empty tensor still sends one.
        assert_eq!(fragments(100, 64), 3);
        assert_eq!(fragments(44, 64), 1);
        assert_eq!(fragments(0, 64), 1);
        // 3 frames to two devices + 1 frame to one device.
        assert_eq!(frames_per_inference([(100, 2), (40, 1)], 64), 7);
    }

    #[test]
    fn parses_a_hand_built_frame() {
        let frames = parse_frames(&hand_frame()).unwrap();
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
            parse_frames(&f[..10]).unwrap_err(),
            "truncated frame header at byte 0"
        );
        let mut two = f.clone();
        two.extend_from_slice(&f[..22]);
        assert_eq!(
            parse_frames(&two).unwrap_err(),
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
