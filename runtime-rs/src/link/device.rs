//! [`DeviceLink`]: everything one device's generated glue needs to send and receive cut
//! tensors, the Rust form of `templates/c/link_glue.c.j2`, in two halves: the constant
//! [`LinkTable`] (the device's id, the link settings and its receive table; C's
//! `static const` tables) and the changing [`LinkState`] (fragment bitmaps, hold
//! buffers, the frame buffer, per-tensor state; C's glue statics), whose `new()` is all
//! zeros. Generated code keeps the table in flash (a `const`) and the state in its
//! `Device` value, so a `static` device lands in `.bss`, and passes the table to each
//! call; [`DeviceLink`] owns both for code that wants one value.
//!
//! Per inference: `begin`, then `receive` whenever frames may have arrived and `ready`
//! before a received tensor is used (true once it is complete, or its wait is over and
//! its fallback applied; `wake_us` says how long after the start of the inference to
//! check again), `send` for each tensor this device produces for others.

use super::frame::{self, Header, HEADER_BYTES, TAG_BYTES};
use super::rx::{fragment_len, span, Fallback, Rx, RxMut, RxRun, RxState, RxView};
use super::{Hal, LinkConfig};

/// The constant half of a device's link: its id `self_id`, the link settings and the
/// `NRX` tensors it receives (fragment counts, bitmap and hold-buffer offsets computed).
#[derive(Clone, Copy, Debug)]
pub struct LinkTable<const NRX: usize> {
    self_id: u8,
    cfg: LinkConfig,
    rx: [Rx; NRX],
    /// Bytes of fragment bitmaps and floats of hold buffers the tensors need.
    got: usize,
    hold: usize,
}

impl<const NRX: usize> LinkTable<NRX> {
    /// The table of device `self_id` receiving the tensors `rx`. Panics (at compile time
    /// when evaluated in a `const` or `static`) when a float32 tensor is not whole floats or
    /// `cfg.mtu` leaves no payload.
    pub const fn new(self_id: u8, cfg: LinkConfig, rx: [Rx; NRX]) -> Self {
        assert!(cfg.payload() > 0, "LinkConfig: the MTU leaves no payload");
        let mut rx = rx;
        let (mut got, mut hold, mut i) = (0usize, 0usize, 0usize);
        while i < NRX {
            assert!(
                rx[i].bytes % 4 == 0 || rx[i].zero_point.is_some(),
                "Rx: a float32 tensor's bytes must be whole floats"
            );
            rx[i].frag_count = cfg.frags(rx[i].bytes);
            rx[i].got_offset = got;
            rx[i].hold_offset = hold;
            got += (rx[i].frag_count as usize).div_ceil(8);
            if let Fallback::Hold = rx[i].fallback {
                hold += (rx[i].bytes as usize).div_ceil(4);
            }
            i += 1;
        }
        LinkTable {
            self_id,
            cfg,
            rx,
            got,
            hold,
        }
    }

    /// This device's link id.
    pub fn self_id(&self) -> u8 {
        self.self_id
    }
    /// The link settings.
    pub fn config(&self) -> &LinkConfig {
        &self.cfg
    }
}

/// The changing half of a device's link: per received tensor its state, `GOT` bytes of
/// fragment bitmaps and `HOLD` floats of hold buffers (sums over the tensors), a frame
/// buffer of `MTU` bytes (at least `cfg.mtu`), the inference and its start. Every
/// method takes the device's [`LinkTable`]: always the same one.
#[derive(Debug)]
pub struct LinkState<const NRX: usize, const GOT: usize, const HOLD: usize, const MTU: usize> {
    rx: [RxRun; NRX],
    got: [u8; GOT],
    hold: [f32; HOLD],
    buf: [u8; MTU],
    seq: u32,
    start_us: u32,
}

impl<const NRX: usize, const GOT: usize, const HOLD: usize, const MTU: usize>
    LinkState<NRX, GOT, HOLD, MTU>
{
    /// The state for `table` before the first inference: every byte zero. Panics (at
    /// compile time when evaluated in a `const` or `static`) when `GOT`, `HOLD` or `MTU`
    /// are too small for the table.
    pub const fn new(table: &LinkTable<NRX>) -> Self {
        assert!(
            MTU >= table.cfg.mtu as usize,
            "DeviceLink: MTU is smaller than cfg.mtu"
        );
        assert!(
            table.got <= GOT,
            "DeviceLink: GOT is smaller than the fragment bitmaps"
        );
        assert!(
            table.hold <= HOLD,
            "DeviceLink: HOLD is smaller than the hold buffers"
        );
        LinkState {
            rx: [RxRun::new(); NRX],
            got: [0; GOT],
            hold: [0.0; HOLD],
            buf: [0; MTU],
            seq: 0,
            start_us: 0,
        }
    }

    /// Received tensor `i` of `t` with its state, to update.
    fn rx_mut<'a>(&'a mut self, t: &'a LinkTable<NRX>, i: usize) -> Option<RxMut<'a>> {
        Some(RxMut {
            rx: t.rx.get(i)?,
            run: self.rx.get_mut(i)?,
        })
    }

    /// Start inference `seq`: forget what was received (the replay windows and the
    /// adaptive-waiting history are kept) and start its clock (`link_begin`).
    pub fn begin(&mut self, t: &LinkTable<NRX>, hal: &mut impl Hal, seq: u32) {
        self.seq = seq;
        if NRX > 0 {
            self.start_us = hal.now_us();
            for (rx, run) in t.rx.iter().zip(self.rx.iter_mut()) {
                RxMut { rx, run }.reset(span(&mut self.got, rx.got_offset, rx.got_bytes()));
            }
        }
    }

    /// Take every frame that arrived and copy the fragments it accepts into the received
    /// tensors in `arena` (`link_receive`).
    pub fn receive(&mut self, t: &LinkTable<NRX>, hal: &mut impl Hal, arena: &mut [f32]) {
        if NRX == 0 {
            return;
        }
        while let Some(n) = hal.poll(t.self_id, &mut self.buf) {
            let _ = self.accept_buffered(t, hal, n, arena);
        }
    }

    /// Offer one received frame (its wire bytes) to the received tensors: true when its
    /// fragment was copied into `arena`; false, changing nothing, when it is not for this
    /// device, inference or a tensor it receives, is malformed (size, version, CRC or tag,
    /// fragment index, count, length), a duplicate, older than the tensor's replay window,
    /// or of a finished tensor (which only marks its sender up). `mn_link_decode` and
    /// `mn_link_rx_accept` together.
    pub fn accept(
        &mut self,
        t: &LinkTable<NRX>,
        hal: &mut impl Hal,
        wire: &[u8],
        arena: &mut [f32],
    ) -> bool {
        let Some(dst) = self.buf.get_mut(..wire.len()) else {
            return false; // longer than any frame of this link
        };
        dst.copy_from_slice(wire);
        self.accept_buffered(t, hal, wire.len(), arena)
    }

    /// [`LinkState::accept`] of the `n` bytes in the frame buffer.
    fn accept_buffered(
        &mut self,
        t: &LinkTable<NRX>,
        hal: &mut impl Hal,
        n: usize,
        arena: &mut [f32],
    ) -> bool {
        let payload = t.cfg.payload();
        let Some(wire) = self.buf.get_mut(..n) else {
            return false; // a HAL that claims more bytes than the buffer holds
        };
        let Ok(h) = frame::decode(&t.cfg, wire) else {
            return false;
        };
        let Some(k) =
            t.rx.iter()
                .position(|r| r.tensor == h.tensor && r.src == h.src)
        else {
            return false;
        };
        let (rx, Some(run)) = (&t.rx[k], self.rx.get_mut(k)) else {
            return false;
        };
        let mut r = RxMut { rx, run };
        if !rx.matches(t.self_id, self.seq, &h, payload) {
            return false;
        }
        let (head, rest) = wire.split_at_mut(HEADER_BYTES);
        let (plain, tag) = rest.split_at_mut(usize::from(h.len));
        if t.cfg.auth && !open_fresh(hal, &mut r, &h, head, plain, tag) {
            return false;
        }
        let got = span(&mut self.got, rx.got_offset, rx.got_bytes());
        let data = span(arena, rx.arena_offset, rx.floats());
        r.store(h.frag_index, plain, payload, got, data)
    }

    /// Whether received tensor `i` may be used now: true once it is complete or its wait
    /// (the deadline, or the probe window while its sender is down) is over, its fallback
    /// then applied to what did not arrive (`link_ready`). True for an index it does not have.
    pub fn ready(
        &mut self,
        t: &LinkTable<NRX>,
        hal: &mut impl Hal,
        i: usize,
        arena: &mut [f32],
    ) -> bool {
        let start_us = self.start_us;
        let Some(mut r) = self.rx_mut(t, i) else {
            return true;
        };
        if r.view().done() {
            return true;
        }
        let elapsed = hal.now_us().wrapping_sub(start_us);
        let complete = r.view().n_got() == r.view().frag_count();
        if complete {
            r.arrived_at(elapsed);
        }
        let cfg = &t.cfg;
        let wait = r
            .view()
            .wait_us(cfg.deadline_us, cfg.probe_us, cfg.down_after);
        if complete || elapsed >= wait {
            self.finish(t, i, arena);
            return true;
        }
        false
    }

    /// End the wait for received tensor `i` now: apply its fallback to what did not arrive
    /// and return its state (`mn_link_rx_finish`; [`LinkState::ready`] calls it).
    pub fn finish(&mut self, t: &LinkTable<NRX>, i: usize, arena: &mut [f32]) -> RxState {
        let payload = t.cfg.payload();
        let (Some(rx), Some(run)) = (t.rx.get(i), self.rx.get_mut(i)) else {
            return RxState::Complete;
        };
        let got = span(&mut self.got, rx.got_offset, rx.got_bytes());
        let hold = span(&mut self.hold, rx.hold_offset, rx.hold_floats());
        let data = span(arena, rx.arena_offset, rx.floats());
        RxMut { rx, run }.finish(payload, got, hold, data)
    }

    /// How much of received tensor `i` arrived: final once it is ready (`link_state`).
    pub fn state(&self, t: &LinkTable<NRX>, i: usize) -> RxState {
        self.rx(t, i).map_or(RxState::Complete, |r| r.final_state())
    }

    /// How long after the start of the inference the next unfinished tensor's wait ends
    /// (u32::MAX when none is waited for): when to call [`LinkState::ready`] at the latest
    /// (`link_wake_us`).
    pub fn wake_us(&self, t: &LinkTable<NRX>) -> u32 {
        let cfg = &t.cfg;
        t.rx.iter()
            .zip(self.rx.iter())
            .map(|(rx, run)| RxView { rx, run })
            .filter(|r| !r.done())
            .map(|r| r.wait_us(cfg.deadline_us, cfg.probe_us, cfg.down_after))
            .min()
            .unwrap_or(u32::MAX)
    }

    /// Fragment and send `data` as tensor `tensor` of inference `seq` to `dst`; returns
    /// the number of frames refused (no key, or the HAL said no) (`mn_link_send_tensor`).
    pub fn send(
        &mut self,
        t: &LinkTable<NRX>,
        hal: &mut impl Hal,
        dst: u8,
        tensor: u16,
        data: &[f32],
    ) -> u32 {
        let bytes = (data.len() * 4) as u32;
        self.send_with(t, hal, dst, tensor, bytes, |b0, body| {
            let src = data.get(b0 / 4..).unwrap_or(&[]);
            for (c, v) in body.chunks_exact_mut(4).zip(src) {
                c.copy_from_slice(&v.to_le_bytes());
            }
        })
    }

    /// [`LinkState::send`] for an int8 tensor: one byte per element.
    pub fn send_i8(
        &mut self,
        t: &LinkTable<NRX>,
        hal: &mut impl Hal,
        dst: u8,
        tensor: u16,
        data: &[i8],
    ) -> u32 {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        self.send_with(t, hal, dst, tensor, bytes.len() as u32, |b0, body| {
            let src = bytes.get(b0..).unwrap_or(&[]);
            let n = body.len().min(src.len());
            body[..n].copy_from_slice(&src[..n]);
        })
    }

    /// Fragment a tensor of `bytes` bytes and send it; `fill(b0, body)` writes the
    /// payload bytes from byte `b0` of the tensor into a frame's `body`.
    fn send_with(
        &mut self,
        t: &LinkTable<NRX>,
        hal: &mut impl Hal,
        dst: u8,
        tensor: u16,
        bytes: u32,
        fill: impl Fn(usize, &mut [u8]),
    ) -> u32 {
        let payload = t.cfg.payload();
        let count = t.cfg.frags(bytes).max(1);
        let mut refused = 0;
        for i in 0..count {
            let len = fragment_len(bytes, i, payload);
            let b0 = usize::from(i) * payload as usize;
            let Some(body) = self.buf.get_mut(HEADER_BYTES..HEADER_BYTES + len as usize) else {
                refused += 1;
                continue;
            };
            fill(b0, body);
            let mut h = Header {
                version: t.cfg.version(),
                src: t.self_id,
                dst,
                reserved: 0,
                tensor,
                frag_index: i,
                frag_count: count,
                len: len as u16,
                seq: self.seq,
                last_word: 0,
            };
            let key = if t.cfg.auth { hal.key() } else { None };
            if t.cfg.auth && key.is_some() {
                h.last_word = hal.epoch();
            }
            match frame::seal(&t.cfg, &h, key.as_ref(), &mut self.buf) {
                Some(n) if hal.send(&self.buf[..n]) => {}
                _ => refused += 1,
            }
        }
        refused
    }

    /// The inference being received (the `seq` of the last [`LinkState::begin`]).
    pub fn seq(&self) -> u32 {
        self.seq
    }
    /// Received tensor `i` of `t` as it stands (its counters, for tests and diagnostics).
    pub fn rx<'a>(&'a self, t: &'a LinkTable<NRX>, i: usize) -> Option<RxView<'a>> {
        Some(RxView {
            rx: t.rx.get(i)?,
            run: self.rx.get(i)?,
        })
    }
    /// Learn that received tensor `i` was seen complete `elapsed_us` after the start of
    /// the inference ([`RxMut::arrived_at`]; [`LinkState::ready`] calls it).
    pub fn arrived_at(&mut self, t: &LinkTable<NRX>, i: usize, elapsed_us: u32) {
        if let Some(mut r) = self.rx_mut(t, i) {
            r.arrived_at(elapsed_us);
        }
    }
}

/// A device's link as one value: its [`LinkTable`] and its [`LinkState`], with the
/// state's methods (tests, fuzzing, and code that does not care where the table lives;
/// generated devices keep the table in flash instead).
#[derive(Debug)]
pub struct DeviceLink<const NRX: usize, const GOT: usize, const HOLD: usize, const MTU: usize> {
    table: LinkTable<NRX>,
    state: LinkState<NRX, GOT, HOLD, MTU>,
}

impl<const NRX: usize, const GOT: usize, const HOLD: usize, const MTU: usize>
    DeviceLink<NRX, GOT, HOLD, MTU>
{
    /// The link of device `self_id` receiving the tensors `rx`. Panics (at compile time
    /// when evaluated in a `const` or `static`) when `GOT`, `HOLD` or `MTU` are too small
    /// for them, a float32 tensor is not whole floats, or `cfg.mtu` leaves no payload.
    pub const fn new(self_id: u8, cfg: LinkConfig, rx: [Rx; NRX]) -> Self {
        let table = LinkTable::new(self_id, cfg, rx);
        let state = LinkState::new(&table);
        DeviceLink { table, state }
    }

    /// [`LinkState::begin`].
    pub fn begin(&mut self, hal: &mut impl Hal, seq: u32) {
        self.state.begin(&self.table, hal, seq);
    }
    /// [`LinkState::receive`].
    pub fn receive(&mut self, hal: &mut impl Hal, arena: &mut [f32]) {
        self.state.receive(&self.table, hal, arena);
    }
    /// [`LinkState::accept`].
    pub fn accept(&mut self, hal: &mut impl Hal, wire: &[u8], arena: &mut [f32]) -> bool {
        self.state.accept(&self.table, hal, wire, arena)
    }
    /// [`LinkState::ready`].
    pub fn ready(&mut self, hal: &mut impl Hal, i: usize, arena: &mut [f32]) -> bool {
        self.state.ready(&self.table, hal, i, arena)
    }
    /// [`LinkState::finish`].
    pub fn finish(&mut self, i: usize, arena: &mut [f32]) -> RxState {
        self.state.finish(&self.table, i, arena)
    }
    /// [`LinkState::state`].
    pub fn state(&self, i: usize) -> RxState {
        self.state.state(&self.table, i)
    }
    /// [`LinkState::wake_us`].
    pub fn wake_us(&self) -> u32 {
        self.state.wake_us(&self.table)
    }
    /// [`LinkState::send`].
    pub fn send(&mut self, hal: &mut impl Hal, dst: u8, tensor: u16, data: &[f32]) -> u32 {
        self.state.send(&self.table, hal, dst, tensor, data)
    }
    /// [`LinkState::send_i8`].
    pub fn send_i8(&mut self, hal: &mut impl Hal, dst: u8, tensor: u16, data: &[i8]) -> u32 {
        self.state.send_i8(&self.table, hal, dst, tensor, data)
    }
    /// This device's link id.
    pub fn self_id(&self) -> u8 {
        self.table.self_id
    }
    /// The link settings.
    pub fn config(&self) -> &LinkConfig {
        &self.table.cfg
    }
    /// [`LinkState::seq`].
    pub fn seq(&self) -> u32 {
        self.state.seq()
    }
    /// [`LinkState::rx`].
    pub fn rx(&self, i: usize) -> Option<RxView<'_>> {
        self.state.rx(&self.table, i)
    }
    /// [`LinkState::arrived_at`].
    pub fn arrived_at(&mut self, i: usize, elapsed_us: u32) {
        self.state.arrived_at(&self.table, i, elapsed_us);
    }
}

/// The authenticated half of acceptance: reject a replay (older than the tensor's
/// window), check the tag and decrypt `plain` in place under the HAL's key, then move the
/// window. False when the frame must be dropped (no key, replay, forged or tampered).
fn open_fresh(
    hal: &mut impl Hal,
    r: &mut RxMut<'_>,
    h: &Header,
    head: &[u8],
    plain: &mut [u8],
    tag: &[u8],
) -> bool {
    // h.last_word is the sender's epoch in an authenticated frame.
    if r.is_replay(h.last_word, h.seq) {
        return false;
    }
    let (Ok(head), Ok(tag)) = (
        <&[u8; HEADER_BYTES]>::try_from(head),
        <&[u8; TAG_BYTES]>::try_from(tag),
    ) else {
        return false;
    };
    let Some(key) = hal.key() else {
        return false;
    };
    if !super::auth::open(&key, head, plain, tag) {
        return false;
    }
    r.advance_window(h.last_word, h.seq);
    true
}
