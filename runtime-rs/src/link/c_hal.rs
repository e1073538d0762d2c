//! [`CHal`]: a [`Hal`] over the C link HAL, for host runs of Rust devices inside the
//! C harness and simulator (feature `c-hal`). The C side is
//! `runtime-c/src/mn_link_wire.c`: wire bytes in and out of the platform's
//! `meshnn_link_send` / `meshnn_link_poll`, and the key and epoch of `meshnn_link_key` /
//! `meshnn_link_epoch` (none on CRC-only builds). The C build's `MESHNN_LINK_AUTH` and
//! `MESHNN_MTU_BYTES` must match the Rust device's [`super::LinkConfig`].
#![allow(unsafe_code)]

use super::{Hal, Key};

extern "C" {
    fn meshnn_link_send_wire(buf: *const u8, n: u32) -> i32;
    fn meshnn_link_poll_wire(self_id: u8, buf: *mut u8, cap: u32) -> u32;
    fn meshnn_link_key_wire(key: *mut u8) -> i32;
    fn meshnn_link_epoch_wire() -> u32;
    fn meshnn_now_us() -> u32;
}

/// The link HAL of the C harness the Rust device is linked into.
#[derive(Clone, Copy, Debug, Default)]
pub struct CHal;

impl Hal for CHal {
    fn send(&mut self, frame: &[u8]) -> bool {
        let Ok(n) = u32::try_from(frame.len()) else {
            return false;
        };
        // SAFETY: meshnn_link_send_wire reads exactly `n` bytes from `buf`, which is
        // `frame`'s valid, initialised memory, and keeps no pointer to it.
        unsafe { meshnn_link_send_wire(frame.as_ptr(), n) == 0 }
    }

    fn poll(&mut self, self_id: u8, buf: &mut [u8]) -> Option<usize> {
        let cap = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        // SAFETY: meshnn_link_poll_wire writes at most `cap` bytes to `buf`, which is
        // valid for `buf.len()` >= `cap` bytes, and keeps no pointer to it.
        let n = unsafe { meshnn_link_poll_wire(self_id, buf.as_mut_ptr(), cap) };
        (n > 0).then_some(n as usize)
    }

    fn now_us(&mut self) -> u32 {
        // SAFETY: a C function without arguments or pointers.
        unsafe { meshnn_now_us() }
    }

    fn key(&mut self) -> Option<Key> {
        let mut key = [0u8; 16];
        // SAFETY: meshnn_link_key_wire writes exactly 16 bytes to `key` (16 bytes long)
        // and keeps no pointer to it.
        let have = unsafe { meshnn_link_key_wire(key.as_mut_ptr()) };
        (have != 0).then_some(key)
    }

    fn epoch(&mut self) -> u32 {
        // SAFETY: a C function without arguments or pointers.
        unsafe { meshnn_link_epoch_wire() }
    }
}
