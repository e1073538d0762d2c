//! Authenticated frames (version 2): the payload is encrypted and the 20 header bytes
//! authenticated with Ascon-AEAD128 (NIST SP 800-232, RustCrypto `ascon-aead`) under the
//! deployment key, with the full 16-byte tag, as `mn_link_seal` / `mn_link_open` in
//! `runtime-c/src/mn_link_auth.c`. The nonce is `src | dst | tensor u16 | frag_index u16 |
//! seq u32 | epoch u32 | 0 0` (little endian): unique per frame as long as a device sends
//! a given (dst, tensor, fragment) at most once per (epoch, seq) (`meshnn_link.h` says why).

use super::frame::{HEADER_BYTES, TAG_BYTES};
use super::Key;
use ascon_aead::aead::{AeadInOut, KeyInit};
use ascon_aead::{AsconAead128, AsconAead128Key, AsconAead128Nonce, Tag};

/// The nonce of the frame with wire header `head` (`frame_nonce` in C).
pub fn nonce(head: &[u8; HEADER_BYTES]) -> [u8; 16] {
    let mut n = [0u8; 16];
    n[0] = head[1]; // src
    n[1] = head[2]; // dst
    n[2..4].copy_from_slice(&head[4..6]); // tensor
    n[4..6].copy_from_slice(&head[6..8]); // frag_index
    n[6..10].copy_from_slice(&head[12..16]); // seq
    n[10..14].copy_from_slice(&head[16..20]); // epoch
    n
}

/// Encrypt `payload` in place under `key` for the frame with wire header `head` (its
/// epoch in the last four bytes); returns the tag.
pub fn seal(key: &Key, head: &[u8; HEADER_BYTES], payload: &mut [u8]) -> [u8; TAG_BYTES] {
    let cipher = AsconAead128::new(&AsconAead128Key::from(*key));
    // Ascon-AEAD128 refuses only messages beyond 2^64 bytes; a frame is a few hundred.
    match cipher.encrypt_inout_detached(&AsconAead128Nonce::from(nonce(head)), head, payload.into())
    {
        Ok(tag) => tag.into(),
        Err(_) => [0; TAG_BYTES],
    }
}

/// Check `tag` and decrypt `payload` in place; false (payload then unspecified: use it
/// only after true) when the frame is not authentic under `key`.
pub fn open(
    key: &Key,
    head: &[u8; HEADER_BYTES],
    payload: &mut [u8],
    tag: &[u8; TAG_BYTES],
) -> bool {
    let cipher = AsconAead128::new(&AsconAead128Key::from(*key));
    cipher
        .decrypt_inout_detached(
            &AsconAead128Nonce::from(nonce(head)),
            head,
            payload.into(),
            &Tag::<AsconAead128>::from(*tag),
        )
        .is_ok()
}
