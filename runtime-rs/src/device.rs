//! Types shared by every generated device (the Rust twin of `runtime-c/include/meshnn.h`):
//! the outcome of one inference and the state of each tensor the device received.
//! [`Status`] has the layout of C's `meshnn_status_t`, so a host bridge can return it
//! to C unchanged.

/// Received tensors reported per status (`MESHNN_MAX_RX`).
pub const MAX_RX: usize = 16;

/// Outcome of one inference step (`meshnn_result_t`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Completed normally (`MESHNN_OK`).
    Ok = 0,
    /// The inference could not run (`MESHNN_ERROR`).
    Error = 1,
    /// Poll again: waiting for tensors from other devices (`MESHNN_WAITING`).
    Waiting = 2,
    /// Completed, but a received tensor was partly or wholly its fallback
    /// (`MESHNN_DEGRADED`).
    Degraded = 3,
}

/// What happened to one received tensor in one inference (`meshnn_rx_state_t`): the
/// link's own type.
pub use crate::link::RxState;

/// Status returned by a device's `poll` and `step` (`meshnn_status_t`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub result: Outcome,
    /// Received tensors reported in `rx`.
    pub n_rx: u16,
    /// The state of each (the device's first [`MAX_RX`] received tensors).
    pub rx: [RxState; MAX_RX],
}

impl Status {
    /// A status with `result` and no received tensors.
    pub const fn new(result: Outcome) -> Status {
        Status {
            result,
            n_rx: 0,
            rx: [RxState::Complete; MAX_RX],
        }
    }

    /// The status of a finished inference whose received tensors ended in `states`:
    /// [`Outcome::Degraded`] when any did not arrive whole, else [`Outcome::Ok`].
    pub fn finished(states: &[RxState]) -> Status {
        let mut s = Status::new(Outcome::Ok);
        for (k, &state) in states.iter().enumerate() {
            if let Some(slot) = s.rx.get_mut(k) {
                *slot = state;
                s.n_rx += 1;
            }
            if state != RxState::Complete {
                s.result = Outcome::Degraded;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_meshnn_status_t() {
        // int32_t result; uint16_t n_rx; uint8_t rx[16]: 4 + 2 + 16 bytes, 4-aligned.
        assert_eq!(core::mem::size_of::<Status>(), 24);
        assert_eq!(core::mem::offset_of!(Status, n_rx), 4);
        assert_eq!(core::mem::offset_of!(Status, rx), 6);
        assert_eq!(Outcome::Degraded as i32, 3);
        assert_eq!(RxState::Fallback as u8, 2);
    }

    #[test]
    fn any_tensor_not_whole_degrades() {
        let ok = Status::finished(&[RxState::Complete, RxState::Complete]);
        assert_eq!((ok.result, ok.n_rx), (Outcome::Ok, 2));
        let bad = Status::finished(&[RxState::Complete, RxState::Partial]);
        assert_eq!(
            (bad.result, bad.rx[1]),
            (Outcome::Degraded, RxState::Partial)
        );
        // More than MAX_RX tensors: the first MAX_RX are reported, all count.
        let mut many = [RxState::Complete; MAX_RX + 1];
        many[MAX_RX] = RxState::Fallback;
        let s = Status::finished(&many);
        assert_eq!((s.result, s.n_rx as usize), (Outcome::Degraded, MAX_RX));
    }
}
