//! The link layer: how devices exchange cut tensors, byte-compatible with runtime-c
//! (`runtime-c/include/meshnn_link.h` is the reference for the wire format and the rules;
//! a frame sent by a Rust device is accepted by a C device and the other way round).
//!
//! A tensor is sent as one or more frames; each carries at most [`LinkConfig::payload`]
//! bytes (the MTU minus the 20-byte header and, when authenticated, the 16-byte tag,
//! whole floats only). Two formats, chosen per deployment ([`LinkConfig::auth`], `[link]
//! auth` in deploy.toml):
//!
//! * authenticated (version 2, the default): `version u8 | src u8 | dst u8 | reserved u8
//!   | tensor u16 | frag_index u16 | frag_count u16 | len u16 | seq u32 | epoch u32 |
//!   ciphertext[len] | tag[16]`, little endian; the payload is encrypted and the header
//!   authenticated with Ascon-AEAD128 under the deployment key ([`auth`]); the nonce is
//!   `src | dst | tensor | frag_index | seq | epoch | 0 0`. A receiver accepts a frame only
//!   if its tag is right, its seq is the inference being received and its (epoch, seq) is
//!   not older than the last one accepted for that tensor (the replay window);
//! * CRC-only (version 1, `auth = "off"`, UNSAFE: anyone in range can forge, replay and
//!   read frames): the same header with a CRC-32 (IEEE) of header (crc field 0) and payload
//!   in place of the epoch, and no tag ([`crc`]).
//!
//! The payload is the tensor's elements: little-endian float32, or one byte each for an
//! int8 tensor of a quantised model ([`Rx::int8`], [`LinkState::send_i8`]; scale and zero
//! point are known to both ends at compile time). Fragments, hold and mean work on bytes;
//! the ZERO fallback of an int8 tensor is its zero point.
//!
//! Fragments are accepted in any order and copied straight into the destination tensor
//! in the device's arena; at the deadline every element that did not arrive gets its
//! tensor's [`Fallback`] ([`RxState`] says how much arrived). Adaptive waiting: a tensor
//! of which nothing arrived in the last `down_after` inferences is waited for only a probe
//! window (5/4 of when it is usually complete, at least `probe_us`, at most the deadline).
//!
//! Layout: [`frame`] (header, encode/decode), [`crc`], [`auth`], [`rx`] (reception of
//! one tensor: acceptance, replay window, fallbacks, adaptive waiting), [`device`]
//! (what one device's generated glue needs: the constant [`LinkTable`], the changing
//! [`LinkState`], both in one [`DeviceLink`]), [`hal`] (the platform:
//! [`Hal`], [`NoLink`]) and, with the `c-hal` feature, `c_hal` (a [`Hal`] over the
//! C harness' HAL). No allocation, no global state.

pub mod auth;
#[cfg(feature = "c-hal")]
pub mod c_hal;
pub mod crc;
pub mod device;
pub mod frame;
pub mod hal;
pub mod rx;

#[cfg(feature = "c-hal")]
pub use c_hal::CHal;
pub use device::{DeviceLink, LinkState, LinkTable};
pub use frame::{DecodeError, Header, HEADER_BYTES, KEY_BYTES, TAG_BYTES};
pub use hal::{Hal, NoLink};
pub use rx::{Fallback, Rx, RxMut, RxRun, RxState, RxView};

/// A deployment key (`MESHNN_LINK_KEY_BYTES` bytes).
pub type Key = [u8; KEY_BYTES];

/// The link settings of a deployment (`meshnn_config.h` in C): `mtu` bytes per frame,
/// authenticated frames or CRC-only (`auth`), how long a tensor is waited for
/// (`deadline_us`), the shortest probe window (`probe_us`, `MESHNN_PROBE_US`) and after
/// how many inferences without a fragment a sender counts as down (`down_after`,
/// `MESHNN_DOWN_AFTER`; 0: never, always wait until the deadline).
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    pub mtu: u32,
    pub auth: bool,
    pub deadline_us: u32,
    pub probe_us: u32,
    pub down_after: u32,
}

impl LinkConfig {
    /// The frame `version` byte (`MESHNN_FRAME_VERSION`): 2 authenticated, 1 CRC-only.
    pub const fn version(&self) -> u8 {
        if self.auth {
            frame::VERSION_AUTH
        } else {
            frame::VERSION_CRC
        }
    }

    /// Tag bytes per frame (`MESHNN_FRAME_TAG_BYTES`): 16 authenticated, else 0.
    pub const fn tag_bytes(&self) -> u32 {
        if self.auth {
            TAG_BYTES as u32
        } else {
            0
        }
    }

    /// Payload bytes per frame (`MESHNN_FRAME_PAYLOAD`): what the MTU leaves after the
    /// header and tag, whole floats only (0 when the MTU is too small for one float).
    pub const fn payload(&self) -> u32 {
        self.mtu
            .saturating_sub(HEADER_BYTES as u32 + self.tag_bytes())
            / 4
            * 4
    }

    /// Frames a tensor of `bytes` bytes needs (`MN_LINK_FRAGS`; 0 for an empty tensor,
    /// and when the MTU leaves no payload).
    pub const fn frags(&self, bytes: u32) -> u16 {
        let p = self.payload();
        if p == 0 {
            return 0;
        }
        (bytes as u64).div_ceil(p as u64) as u16
    }

    /// Wire bytes of a frame carrying `len` payload bytes.
    pub const fn frame_bytes(&self, len: u32) -> usize {
        HEADER_BYTES + len as usize + self.tag_bytes() as usize
    }
}
