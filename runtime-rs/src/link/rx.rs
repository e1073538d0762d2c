//! Reception of one tensor (`mn_rx_t` and the `mn_link_rx_*` functions of
//! `runtime-c/src/mn_link.c`): which frames a tensor accepts, copying fragments into the
//! arena, the replay window, the fallbacks at the deadline, and adaptive waiting.
//!
//! A received tensor is two values: its constant table entry [`Rx`] (in flash) and its
//! state [`RxRun`] (all zeros at start-up, so it can live in `.bss`), seen together as
//! [`RxView`] or [`RxMut`]. Neither holds a pointer: the fragment bitmap, hold buffer and
//! arena span are slices its owner ([`super::LinkState`]) hands in.

use super::frame::Header;

/// How much of a tensor arrived (`meshnn_rx_state_t`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxState {
    /// Every fragment arrived before the deadline.
    Complete = 0,
    /// Some fragments arrived; the rest got the fallback.
    Partial = 1,
    /// Nothing arrived; the whole tensor is the fallback.
    Fallback = 2,
}

/// What replaces the elements of a received tensor that did not arrive by the deadline
/// (`mn_fallback_t`).
#[derive(Clone, Copy, Debug)]
pub enum Fallback {
    /// Zeros (models trained with failout expect this).
    Zero,
    /// The last value received for that element (0 before any arrived).
    Hold,
    /// The per-element mean over calibration data (in flash; bytes/4 floats).
    Mean(&'static [f32]),
    /// The same for an int8 tensor ([`Rx::int8`]): the means quantised with the
    /// tensor's scale and zero point (in flash; one byte per element).
    MeanI8(&'static [i8]),
}

/// One tensor a device receives, the constant half of `mn_rx_t`: which tensor, from
/// whom, how big, where it goes and its fallback, and (set by [`super::LinkTable::new`]
/// from the link's payload size) its fragment count and where its fragment bitmap and
/// hold buffer start. A device's receive table of these lives in flash; what changes per
/// inference is an [`RxRun`].
#[derive(Clone, Copy, Debug)]
pub struct Rx {
    pub(crate) tensor: u16,
    pub(crate) src: u8,
    pub(crate) bytes: u32,
    pub(crate) arena_offset: usize,
    pub(crate) fallback: Fallback,
    pub(crate) frag_count: u16,
    pub(crate) got_offset: usize,
    pub(crate) hold_offset: usize,
    /// None: float32 elements; Some(zero point): int8 elements (`mn_rx_t.zero`).
    pub(crate) zero_point: Option<i8>,
}

impl Rx {
    /// Tensor `tensor` of `bytes` bytes (whole floats) from device `src`, received into the
    /// arena at float `arena_offset`, with `fallback` for what does not arrive; for an
    /// int8 tensor add [`Rx::int8`].
    pub const fn new(
        tensor: u16,
        src: u8,
        bytes: u32,
        arena_offset: usize,
        fallback: Fallback,
    ) -> Rx {
        Rx {
            tensor,
            src,
            bytes,
            arena_offset,
            fallback,
            frag_count: 0,
            got_offset: 0,
            hold_offset: 0,
            zero_point: None,
        }
    }

    /// The tensor is int8 (one byte per element, `bytes` need not be whole floats, its
    /// span in the arena is `bytes` rounded up to whole floats) with zero point
    /// `zero_point`, which the ZERO fallback writes (the integer meaning 0.0).
    pub const fn int8(mut self, zero_point: i8) -> Rx {
        self.zero_point = Some(zero_point);
        self
    }

    /// Fragments the tensor is cut into.
    pub fn frag_count(&self) -> u16 {
        self.frag_count
    }
    /// Floats of arena the tensor spans (an int8 tensor's bytes rounded up).
    pub fn floats(&self) -> usize {
        (self.bytes as usize).div_ceil(4)
    }
    /// Bytes of the fragment bitmap.
    pub fn got_bytes(&self) -> usize {
        usize::from(self.frag_count).div_ceil(8)
    }
    /// Floats of the hold buffer (0 unless the fallback is HOLD; an int8 tensor's bytes
    /// rounded up).
    pub fn hold_floats(&self) -> usize {
        match self.fallback {
            Fallback::Hold => self.floats(),
            _ => 0,
        }
    }

    /// Whether a well-formed frame with header `h` (version, length and CRC already
    /// checked) of inference `seq` for device `self_id` belongs to this tensor, with a
    /// fragment index, count and length that fit it (`rx_target`; `payload`: bytes per frame).
    pub fn matches(&self, self_id: u8, seq: u32, h: &Header, payload: u32) -> bool {
        if h.dst != self_id || h.seq != seq || h.tensor != self.tensor || h.src != self.src {
            return false;
        }
        if h.frag_count != self.frag_count || h.frag_index >= self.frag_count {
            return false;
        }
        u32::from(h.len) == fragment_len(self.bytes, h.frag_index, payload)
    }
}

/// The reception state of one tensor, the changing half of `mn_rx_t`: all zeros before
/// the first inference ([`RxRun::new`]), so a device's link state can live in `.bss`.
#[derive(Clone, Copy, Debug)]
pub struct RxRun {
    n_got: u16,
    done: bool,
    /// Meaningful once `done` ([`RxView::final_state`]); `Complete` (0) before.
    state: RxState,
    missed: u8,
    usual_us: u32,
    win_epoch: u32,
    win_seq: u32,
}

impl RxRun {
    /// Nothing received yet, no history (every byte zero).
    pub const fn new() -> RxRun {
        RxRun {
            n_got: 0,
            done: false,
            state: RxState::Complete,
            missed: 0,
            usual_us: 0,
            win_epoch: 0,
            win_seq: 0,
        }
    }
}

impl Default for RxRun {
    fn default() -> Self {
        RxRun::new()
    }
}

/// One received tensor as it stands: its table entry and its state (read only).
#[derive(Clone, Copy, Debug)]
pub struct RxView<'a> {
    pub(crate) rx: &'a Rx,
    pub(crate) run: &'a RxRun,
}

impl RxView<'_> {
    /// Fragments the tensor is cut into.
    pub fn frag_count(&self) -> u16 {
        self.rx.frag_count
    }
    /// Floats of the tensor.
    pub fn floats(&self) -> usize {
        self.rx.floats()
    }
    /// Fragments received in this inference.
    pub fn n_got(&self) -> u16 {
        self.run.n_got
    }
    /// Consecutive inferences in which no fragment arrived (saturates at 255).
    pub fn missed(&self) -> u8 {
        self.run.missed
    }
    /// When the tensor usually is complete, in µs from the start of the inference (0: unknown).
    pub fn usual_us(&self) -> u32 {
        self.run.usual_us
    }
    /// Finished for this inference (fallback applied; late fragments are not copied).
    pub fn done(&self) -> bool {
        self.run.done
    }

    /// How much arrived so far (`mn_link_rx_state`).
    pub fn state(&self) -> RxState {
        if self.run.n_got == self.rx.frag_count {
            RxState::Complete
        } else if self.run.n_got > 0 {
            RxState::Partial
        } else {
            RxState::Fallback
        }
    }

    /// The state at the end of the inference: the one [`RxMut::finish`] returned once
    /// finished, else [`RxView::state`].
    pub fn final_state(&self) -> RxState {
        if self.run.done {
            self.run.state
        } else {
            self.state()
        }
    }

    /// How long after the start of an inference this tensor is waited for: the probe
    /// window while its sender counts as down (nothing arrived in the last `down_after`
    /// inferences, nor yet in this one), else `deadline_us` (`mn_link_rx_wait_us`).
    pub fn wait_us(&self, deadline_us: u32, probe_us: u32, down_after: u32) -> u32 {
        let run = self.run;
        let down = down_after > 0 && u32::from(run.missed) >= down_after && run.n_got == 0;
        if !down {
            return deadline_us;
        }
        let mut window = probe_us;
        if run.usual_us > 0 {
            let usual = run.usual_us.min(deadline_us);
            window = window.max(usual.wrapping_add(usual / 4)); // wraps as in C
        }
        window.min(deadline_us)
    }
}

/// One received tensor to update: its table entry and its state.
#[derive(Debug)]
pub struct RxMut<'a> {
    pub(crate) rx: &'a Rx,
    pub(crate) run: &'a mut RxRun,
}

impl RxMut<'_> {
    /// The tensor as it stands.
    pub fn view(&self) -> RxView<'_> {
        RxView {
            rx: self.rx,
            run: self.run,
        }
    }

    /// Forget what was received (start of an inference); the replay window is kept
    /// (`mn_link_rx_reset`).
    pub fn reset(&mut self, got: &mut [u8]) {
        got.fill(0);
        self.run.n_got = 0;
        self.run.done = false;
    }

    /// Whether an authenticated frame of (`epoch`, `seq`) is older than the last one this
    /// tensor accepted (a replay).
    pub fn is_replay(&self, epoch: u32, seq: u32) -> bool {
        let run = &self.run;
        epoch < run.win_epoch || (epoch == run.win_epoch && seq < run.win_seq)
    }

    /// Move the replay window to an authentic frame of (`epoch`, `seq`).
    pub fn advance_window(&mut self, epoch: u32, seq: u32) {
        self.run.win_epoch = epoch;
        self.run.win_seq = seq;
    }

    /// Copy fragment `index` (its bytes `plain`, little-endian floats) into `data` (this
    /// tensor's arena span) and mark it received; true, or false for a duplicate or a
    /// fragment of a finished tensor (too late: not copied, it only shows that the
    /// sender is up) (`rx_store`).
    pub fn store(
        &mut self,
        index: u16,
        plain: &[u8],
        payload: u32,
        got: &mut [u8],
        data: &mut [f32],
    ) -> bool {
        if self.run.done {
            self.run.missed = 0;
            return false;
        }
        let (byte, bit) = (usize::from(index / 8), 1u8 << (index % 8));
        let Some(mark) = got.get_mut(byte) else {
            return false;
        };
        if *mark & bit != 0 {
            return false; // duplicate
        }
        if self.rx.zero_point.is_some() {
            let b0 = usize::from(index) * payload as usize;
            copy_bytes(span(bytes_mut(data), b0, plain.len()), plain);
        } else {
            let e0 = usize::from(index) * (payload as usize / 4);
            for (d, c) in span(data, e0, plain.len() / 4)
                .iter_mut()
                .zip(plain.chunks_exact(4))
            {
                *d = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        *mark |= bit;
        self.run.n_got += 1;
        true
    }

    /// At the deadline: give every element whose fragment did not arrive its fallback
    /// value, remember the received ones in `hold` (HOLD), count a miss or clear the misses,
    /// and mark the tensor finished (`mn_link_rx_finish`).
    pub fn finish(
        &mut self,
        payload: u32,
        got: &[u8],
        hold: &mut [f32],
        data: &mut [f32],
    ) -> RxState {
        let rx = self.rx;
        self.run.done = true;
        if self.run.n_got > 0 {
            self.run.missed = 0;
        } else {
            self.run.missed = self.run.missed.saturating_add(1);
        }
        if let Some(zero) = rx.zero_point {
            finish_int8(rx, zero, payload, got, bytes_mut(hold), bytes_mut(data));
            self.run.state = self.view().state();
            return self.run.state;
        }
        for i in 0..rx.frag_count {
            let e0 = usize::from(i) * (payload as usize / 4);
            let n = fragment_len(rx.bytes, i, payload) as usize / 4;
            let dst = span(data, e0, n);
            let arrived = got
                .get(usize::from(i / 8))
                .is_some_and(|g| g & (1 << (i % 8)) != 0);
            if arrived {
                copy_floats(span(hold, e0, n), dst);
                continue;
            }
            match rx.fallback {
                Fallback::Zero => dst.fill(0.0),
                Fallback::Hold => {
                    dst.fill(0.0);
                    copy_floats(dst, span(hold, e0, n));
                }
                Fallback::Mean(mean) => {
                    dst.fill(0.0);
                    copy_floats(dst, mean.get(e0..).unwrap_or(&[]));
                }
                Fallback::MeanI8(_) => dst.fill(0.0), // int8 means on a float tensor: a generator bug
            }
        }
        self.run.state = self.view().state();
        self.run.state
    }

    /// Learn when the tensor usually is complete: it was seen complete `elapsed_us` after
    /// the start of the inference. A later time is followed at once, an earlier one by
    /// 1/8 of the difference (`mn_link_rx_arrived_at`).
    pub fn arrived_at(&mut self, elapsed_us: u32) {
        let run = &mut self.run;
        if elapsed_us >= run.usual_us {
            run.usual_us = elapsed_us;
        } else {
            run.usual_us -= (run.usual_us - elapsed_us) / 8;
        }
    }
}

/// Bytes of fragment `index` of a tensor of `bytes` bytes at `payload` bytes per frame.
pub(crate) fn fragment_len(bytes: u32, index: u16, payload: u32) -> u32 {
    let off = u32::from(index).wrapping_mul(payload);
    bytes.saturating_sub(off).min(payload)
}

/// `v[start..start + n]`, cut short where `v` ends (a generator bug, never a panic).
pub(crate) fn span<T>(v: &mut [T], start: usize, n: usize) -> &mut [T] {
    let len = v.len();
    let lo = start.min(len);
    let hi = start.saturating_add(n).min(len);
    &mut v[lo..hi]
}

/// Copy as many floats as both slices hold.
fn copy_floats(dst: &mut [f32], src: &[f32]) {
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
}

/// `mn_link_rx_finish` for an int8 tensor, on bytes: a fragment that arrived is
/// remembered in `hold`; one that did not gets its held bytes (HOLD), its quantised means
/// (MEAN) or the zero point `zero` in every byte (ZERO).
fn finish_int8(rx: &Rx, zero: i8, payload: u32, got: &[u8], hold: &mut [u8], data: &mut [u8]) {
    for i in 0..rx.frag_count {
        let b0 = usize::from(i) * payload as usize;
        let n = fragment_len(rx.bytes, i, payload) as usize;
        let dst = span(data, b0, n);
        let arrived = got
            .get(usize::from(i / 8))
            .is_some_and(|g| g & (1 << (i % 8)) != 0);
        if arrived {
            copy_bytes(span(hold, b0, n), dst);
            continue;
        }
        dst.fill(zero as u8);
        match rx.fallback {
            Fallback::Hold => copy_bytes(dst, span(hold, b0, n)),
            Fallback::MeanI8(mean) => {
                let mean: &[u8] = bytemuck::cast_slice(mean);
                copy_bytes(dst, mean.get(b0..).unwrap_or(&[]));
            }
            Fallback::Zero | Fallback::Mean(_) => {}
        }
    }
}

/// The bytes of a span of floats (an int8 tensor's storage in the arena).
fn bytes_mut(v: &mut [f32]) -> &mut [u8] {
    bytemuck::cast_slice_mut(v)
}

/// Copy as many bytes as both slices hold.
fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
}
