//! The platform a device's link runs on (the Rust form of the C HAL of `meshnn_link.h`):
//! porting to a new radio means implementing [`Hal`]; nothing else touches the hardware.

use super::Key;

/// The radio, clock and key store of one device.
pub trait Hal {
    /// Queue one frame (its wire bytes, as mn_link_encode writes them) for the device named
    /// in its header; true when queued, false when lost. Must not block for long.
    fn send(&mut self, frame: &[u8]) -> bool;
    /// If a frame addressed to `self_id` arrived: copy its wire bytes to `buf`, return the
    /// count; else None at once.
    fn poll(&mut self, self_id: u8, buf: &mut [u8]) -> Option<usize>;
    /// A free-running microsecond clock (wrap-around is fine).
    fn now_us(&mut self) -> u32;
    /// The 16-byte deployment key of authenticated links; None: the device then sends and
    /// accepts nothing.
    fn key(&mut self) -> Option<Key>;
    /// A boot counter (`meshnn_link_epoch`): a value this device never used before with
    /// this key, fixed until the next reset; authenticated links only.
    fn epoch(&mut self) -> u32;
}

/// The HAL of a device that talks to nobody: every frame is lost, none arrives, the
/// clock stands at 0, there is no key.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLink;

impl Hal for NoLink {
    fn send(&mut self, _frame: &[u8]) -> bool {
        false
    }
    fn poll(&mut self, _self_id: u8, _buf: &mut [u8]) -> Option<usize> {
        None
    }
    fn now_us(&mut self) -> u32 {
        0
    }
    fn key(&mut self) -> Option<Key> {
        None
    }
    fn epoch(&mut self) -> u32 {
        0
    }
}
