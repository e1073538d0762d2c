//! The link layer, Rust (meshnn_runtime::link) against C (runtime-c's mn_link*.c, built by
//! build.rs with c/meshnn_config.h: authenticated frames, MESHNN_LINK_AUTH 1, MTU 92 = 56
//! payload bytes per frame, and the test HAL of c/link_hal.c). CRC-only frames are checked
//! against zlib values in runtime-rs/tests/link.rs; the C build has one frame format.
//!
//! Same inputs, same frames byte for byte; each side accepts the other's frames; seeded
//! random frame sequences (drops, duplicates, reorders, bit flips, stale and old-epoch
//! frames, garbage, late frames after some deadlines) leave identical tensors, states and
//! counters on both sides. And CHal (feature c-hal) carries frames through the C HAL.
use meshnn_runtime::link::{CHal, DeviceLink, Fallback, Hal, Key, LinkConfig, Rx, RxState};
use meshnn_runtime_diff::Rng;
use std::sync::Mutex;

/// The C side has global state (the HAL, the receiver): one test at a time.
static C_SIDE: Mutex<()> = Mutex::new(());

const MTU: usize = 92;
const CFG: LinkConfig = LinkConfig {
    mtu: MTU as u32,
    auth: true,
    deadline_us: 20000,
    probe_us: 1000,
    down_after: 2,
};

extern "C" {
    fn mn_link_send_tensor(
        src: u8,
        dst: u8,
        tensor: u16,
        seq: u32,
        data: *const u8,
        bytes: u32,
    ) -> i32;
    fn diff_set_now(now: u32);
    fn diff_set_epoch(epoch: u32);
    fn diff_set_key(key: *const u8);
    fn diff_sent_count() -> i32;
    fn diff_sent(i: i32, buf: *mut u8, cap: u32) -> u32;
    fn diff_sent_clear();
    fn diff_inbox_push(buf: *const u8, n: u32) -> i32;
    fn diff_rx_init(self_id: u8, n: i32);
    fn diff_rx_add(
        i: i32,
        tensor: u16,
        src: u8,
        bytes: u32,
        fallback: i32,
        data: *mut f32,
        hold: *mut f32,
        mean: *const u8,
        zero: u8,
    ) -> i32;
    fn diff_rx_begin(seq: u32);
    fn diff_rx_offer(buf: *const u8, n: u32) -> i32;
    fn diff_rx_finish(i: i32) -> i32;
    fn diff_rx_state(i: i32) -> i32;
    fn diff_rx_wait_us(i: i32) -> u32;
    fn diff_rx_arrived_at(i: i32, elapsed: u32);
    fn diff_rx_counters(i: i32, out: *mut u32);
    fn mn_crc32(crc: u32, p: *const u8, n: u32) -> u32;
}

/// The C HAL's settings.
fn c_hal(key: Option<&Key>, epoch: u32, now: u32) {
    // SAFETY: diff_set_key copies 16 bytes from a valid 16-byte key, or takes NULL.
    unsafe {
        diff_set_key(key.map_or(std::ptr::null(), |k| k.as_ptr()));
        diff_set_epoch(epoch);
        diff_set_now(now);
    }
}

/// The frames C sends for `data` (mn_link_send_tensor), and its refused count.
fn c_send(src: u8, dst: u8, tensor: u16, seq: u32, data: &[f32]) -> (Vec<Vec<u8>>, i32) {
    // SAFETY: data holds data.len() floats, which is the byte count passed / 4.
    let refused = unsafe {
        diff_sent_clear();
        mn_link_send_tensor(
            src,
            dst,
            tensor,
            seq,
            data.as_ptr().cast(),
            (data.len() * 4) as u32,
        )
    };
    (c_sent(), refused)
}

/// The frames C sends for an int8 tensor `data` (one byte per element).
fn c_send_i8(src: u8, dst: u8, tensor: u16, seq: u32, data: &[i8]) -> Vec<Vec<u8>> {
    // SAFETY: data holds data.len() bytes, the byte count passed.
    let refused = unsafe {
        diff_sent_clear();
        mn_link_send_tensor(
            src,
            dst,
            tensor,
            seq,
            data.as_ptr().cast(),
            data.len() as u32,
        )
    };
    assert_eq!(refused, 0);
    c_sent()
}

/// What the C HAL recorded, as wire bytes.
fn c_sent() -> Vec<Vec<u8>> {
    // SAFETY: diff_sent writes at most `cap` (= buf.len()) bytes into buf.
    unsafe {
        (0..diff_sent_count())
            .map(|i| {
                let mut buf = vec![0u8; MTU];
                let n = diff_sent(i, buf.as_mut_ptr(), MTU as u32);
                buf.truncate(n as usize);
                buf
            })
            .collect()
    }
}

/// A Rust HAL that records frames, with a fixed key and epoch.
struct RecHal {
    sent: Vec<Vec<u8>>,
    key: Option<Key>,
    epoch: u32,
}

impl Hal for RecHal {
    fn send(&mut self, frame: &[u8]) -> bool {
        self.sent.push(frame.to_vec());
        true
    }
    fn poll(&mut self, _self_id: u8, _buf: &mut [u8]) -> Option<usize> {
        None
    }
    fn now_us(&mut self) -> u32 {
        0
    }
    fn key(&mut self) -> Option<Key> {
        self.key
    }
    fn epoch(&mut self) -> u32 {
        self.epoch
    }
}

/// The frames Rust sends for `data` (DeviceLink::send of device `src`), and its refused count.
fn rust_send(
    src: u8,
    dst: u8,
    tensor: u16,
    seq: u32,
    data: &[f32],
    key: Option<Key>,
    epoch: u32,
) -> (Vec<Vec<u8>>, u32) {
    let mut hal = RecHal {
        sent: Vec::new(),
        key,
        epoch,
    };
    let mut link: DeviceLink<0, 0, 0, MTU> = DeviceLink::new(src, CFG, []);
    link.begin(&mut hal, seq);
    let refused = link.send(&mut hal, dst, tensor, data);
    (hal.sent, refused)
}

fn key_of(rng: &mut Rng) -> Key {
    std::array::from_fn(|_| rng.next_u64() as u8)
}

#[test]
fn rust_and_c_send_byte_identical_frames() {
    let _c = C_SIDE.lock().unwrap();
    let mut rng = Rng::new(11);
    for case in 0..200 {
        let floats = match case % 5 {
            0 => 0,
            1 => 14,
            2 => 15,
            _ => rng.int(1, 200) as usize,
        };
        let data = rng.floats(floats);
        let key = key_of(&mut rng);
        let (epoch, seq) = (rng.next_u64() as u32, rng.next_u64() as u32);
        let (src, dst, tensor) = (
            rng.int(0, 255) as u8,
            rng.int(0, 255) as u8,
            rng.int(0, 65535) as u16,
        );
        c_hal(Some(&key), epoch, 0);
        let (c, c_refused) = c_send(src, dst, tensor, seq, &data);
        let (r, r_refused) = rust_send(src, dst, tensor, seq, &data, Some(key), epoch);
        assert_eq!((c_refused, r_refused), (0, 0));
        assert_eq!(
            r.len(),
            floats.div_ceil(14).max(1),
            "case {case}: fragments"
        );
        assert_eq!(r, c, "case {case}: {floats} floats, frames differ");
    }
    // No key: both refuse every frame and send nothing.
    c_hal(None, 1, 0);
    let (c, c_refused) = c_send(1, 2, 3, 4, &[1.0; 30]);
    let (r, r_refused) = rust_send(1, 2, 3, 4, &[1.0; 30], None, 1);
    assert!(c.is_empty() && r.is_empty());
    assert_eq!((c_refused, r_refused), (3, 3));
}

/// One receiving device, on both sides: tensor 7 from 1 (25 floats, ZERO), tensor 9 from
/// 3 (60 floats, HOLD), tensor 11 from 1 (3 floats, MEAN), at arena offsets 2, 30, 95.
struct Both {
    rust: DeviceLink<3, 3, 60, MTU>,
    hal: RecHal,
    arena: Vec<f32>,
    c_arena: Vec<f32>,
    _c_hold: Vec<f32>,
}

const TENSORS: [(u16, u8, usize, usize); 3] = [(7, 1, 25, 2), (9, 3, 60, 30), (11, 1, 3, 95)];
const ARENA: usize = 100;

impl Both {
    fn new(key: Key) -> Both {
        let mean: &'static [f32] = Box::leak(
            (0..3)
                .map(|i| 0.5 + i as f32)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let fallbacks = [Fallback::Zero, Fallback::Hold, Fallback::Mean(mean)];
        let rx = std::array::from_fn(|i| {
            let (tensor, src, floats, off) = TENSORS[i];
            Rx::new(tensor, src, (floats * 4) as u32, off, fallbacks[i])
        });
        let mut b = Both {
            rust: DeviceLink::new(2, CFG, rx),
            hal: RecHal {
                sent: Vec::new(),
                key: Some(key),
                epoch: 0,
            },
            arena: vec![-3.0; ARENA],
            c_arena: vec![-3.0; ARENA],
            _c_hold: vec![0.0; 60],
        };
        // SAFETY: the C receiver keeps pointers into c_arena, _c_hold and the leaked mean;
        // all live (never reallocated) as long as `b`, and every test uses the C receiver
        // only while it holds `b` and the C_SIDE lock.
        unsafe {
            diff_rx_init(2, 3);
            for (i, &(tensor, src, floats, off)) in TENSORS.iter().enumerate() {
                let data = b.c_arena.as_mut_ptr().add(off);
                let hold = if i == 1 {
                    b._c_hold.as_mut_ptr()
                } else {
                    std::ptr::null_mut()
                };
                let mean = if i == 2 {
                    mean.as_ptr().cast()
                } else {
                    std::ptr::null()
                };
                assert_eq!(
                    diff_rx_add(
                        i as i32,
                        tensor,
                        src,
                        (floats * 4) as u32,
                        i as i32,
                        data,
                        hold,
                        mean,
                        0
                    ),
                    0
                );
            }
        }
        b
    }

    fn begin(&mut self, seq: u32) {
        self.rust.begin(&mut self.hal, seq);
        // SAFETY: resets the C receiver set up in new().
        unsafe { diff_rx_begin(seq) };
    }

    /// Offer one frame to both; they must agree on accepting it.
    fn offer(&mut self, wire: &[u8], what: &str) -> bool {
        let r = self.rust.accept(&mut self.hal, wire, &mut self.arena);
        // SAFETY: wire is valid for wire.len() bytes.
        let c = unsafe { diff_rx_offer(wire.as_ptr(), wire.len() as u32) } == 1;
        assert_eq!(r, c, "{what}: Rust accepted {r}, C {c}");
        r
    }

    fn finish(&mut self, i: usize) {
        let r = self.rust.finish(i, &mut self.arena);
        // SAFETY: i < 3, a tensor of the C receiver.
        let c = unsafe { diff_rx_finish(i as i32) };
        assert_eq!(r as i32, c, "finish {i}");
    }

    fn arrived_at(&mut self, i: usize, elapsed: u32) {
        self.rust.arrived_at(i, elapsed);
        // SAFETY: i < 3.
        unsafe { diff_rx_arrived_at(i as i32, elapsed) };
    }

    /// Tensors (bit for bit, and the whole arena), states, counters and waits agree.
    fn assert_same(&self, what: &str) {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&self.arena),
            bits(&self.c_arena),
            "{what}: arenas differ"
        );
        for i in 0..3 {
            let r = self.rust.rx(i).unwrap();
            let mut c = [0u32; 4];
            // SAFETY: c has room for the 4 counters; i < 3.
            let (c_state, c_wait) = unsafe {
                diff_rx_counters(i as i32, c.as_mut_ptr());
                (diff_rx_state(i as i32), diff_rx_wait_us(i as i32))
            };
            let rust = [
                u32::from(r.n_got()),
                u32::from(r.missed()),
                u32::from(r.done()),
                r.usual_us(),
            ];
            assert_eq!(rust, c, "{what}: tensor {i}: n_got, missed, done, usual_us");
            assert_eq!(r.state() as i32, c_state, "{what}: tensor {i}: state");
            assert_eq!(
                r.wait_us(20000, 1000, 2),
                c_wait,
                "{what}: tensor {i}: wait"
            );
        }
    }
}

#[test]
fn each_side_accepts_the_others_frames() {
    let _c = C_SIDE.lock().unwrap();
    let key: Key = [0x5a; 16];
    let mut rng = Rng::new(3);
    let data: Vec<Vec<f32>> = TENSORS.iter().map(|t| rng.floats(t.2)).collect();
    for c_sends in [true, false] {
        let mut b = Both::new(key);
        b.begin(8);
        for (i, &(tensor, src, _, off)) in TENSORS.iter().enumerate() {
            c_hal(Some(&key), 4, 0);
            let frames = if c_sends {
                c_send(src, 2, tensor, 8, &data[i]).0
            } else {
                rust_send(src, 2, tensor, 8, &data[i], Some(key), 4).0
            };
            for f in frames.iter().rev() {
                assert!(b.offer(f, "genuine frame"));
            }
            b.finish(i);
            assert_eq!(&b.arena[off..off + data[i].len()], &data[i][..]);
        }
        assert!((0..3).all(|i| b.rust.state(i) == RxState::Complete));
        b.assert_same(if c_sends { "C frames" } else { "Rust frames" });
    }
}

/// Flip one random bit of `f`.
fn flip(rng: &mut Rng, f: &mut [u8]) {
    if !f.is_empty() {
        let bit = rng.int(0, f.len() as i32 * 8 - 1) as usize;
        f[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn random_frame_sequences_leave_identical_tensors_and_states() {
    let _c = C_SIDE.lock().unwrap();
    let mut rng = Rng::new(2024);
    let mut accepted = 0;
    let mut offered = 0;
    for run in 0..8 {
        let key = key_of(&mut rng);
        let mut b = Both::new(key);
        let mut epoch = [1u32, 0, 0, 1]; // per sender (devices 1 and 3)
        let mut stale: Vec<Vec<u8>> = Vec::new();
        for n in 1..=40u32 {
            // Inferences count up; now and then one is numbered back (a restarted hub):
            // its frames are older than the replay windows.
            let seq = if rng.int(0, 7) == 0 {
                n.saturating_sub(3)
            } else {
                n
            };
            let what = format!("run {run} inference {n} (seq {seq})");
            b.begin(seq);
            // The senders: each tensor sent (by C; Rust's frames must be the same), a
            // sender down for a while now and then, rebooting (new epoch) rarely.
            let mut frames = Vec::new();
            for (i, &(tensor, src, floats, _)) in TENSORS.iter().enumerate() {
                if rng.int(0, 9) == 0 {
                    epoch[usize::from(src)] += 1;
                }
                if (seq / 7 + i as u32) % 4 == 3 {
                    continue; // this sender is out of range for a few inferences
                }
                let data: Vec<f32> = rng.floats(floats).iter().map(|v| v * 100.0).collect();
                let e = epoch[usize::from(src)];
                c_hal(Some(&key), e, 0);
                let (c, _) = c_send(src, 2, tensor, seq, &data);
                assert_eq!(
                    rust_send(src, 2, tensor, seq, &data, Some(key), e).0,
                    c,
                    "{what}: frames"
                );
                // An attacker's recording of an earlier boot, replayed now.
                if rng.int(0, 5) == 0 && e > 1 {
                    c_hal(Some(&key), e - 1, 0);
                    frames.extend(c_send(src, 2, tensor, seq, &data).0);
                }
                frames.extend(c);
            }
            // The radio: drops, duplicates, bit flips, truncations, old frames, garbage,
            // then a shuffle.
            let mut air = Vec::new();
            for f in frames {
                match rng.int(0, 19) {
                    0..=2 => {}
                    3..=4 => {
                        air.push(f.clone());
                        air.push(f);
                    }
                    5..=6 => {
                        let mut g = f.clone();
                        flip(&mut rng, &mut g);
                        air.push(g);
                        air.push(f);
                    }
                    7 => {
                        let cut = rng.int(0, f.len() as i32 - 1) as usize;
                        air.push(f[..cut].to_vec());
                    }
                    _ => air.push(f),
                }
            }
            for _ in 0..rng.int(0, 3) {
                if !stale.is_empty() {
                    air.push(stale[rng.int(0, stale.len() as i32 - 1) as usize].clone());
                }
            }
            if rng.int(0, 3) == 0 {
                let n = rng.int(0, MTU as i32 + 4) as usize;
                air.push((0..n).map(|_| rng.next_u64() as u8).collect());
            }
            for i in (1..air.len()).rev() {
                let j = rng.int(0, i as i32) as usize;
                air.swap(i, j);
            }
            // Deadlines: some tensors finish partway (later frames are late), the rest at
            // the end; a complete tensor teaches its arrival time.
            let cut = rng.int(0, air.len() as i32) as usize;
            for (k, f) in air.iter().enumerate() {
                if k == cut {
                    for i in 0..3 {
                        if rng.int(0, 1) == 0 {
                            b.finish(i);
                        }
                    }
                    b.assert_same(&what);
                }
                offered += 1;
                accepted += usize::from(b.offer(f, &what));
            }
            for i in 0..3 {
                let r = b.rust.rx(i).unwrap();
                if !r.done() {
                    if r.n_got() == r.frag_count() {
                        b.arrived_at(i, rng.int(100, 30000) as u32);
                    }
                    b.finish(i);
                }
            }
            b.assert_same(&what);
            stale.extend(air.into_iter().take(3));
        }
    }
    // The sequences exercised acceptance, not only rejection.
    eprintln!("{accepted} of {offered} accepted");
    assert!(
        accepted > 500 && accepted < offered,
        "{accepted} of {offered} accepted"
    );
}

#[test]
fn chal_carries_frames_through_the_c_hal() {
    let _c = C_SIDE.lock().unwrap();
    let key: Key = [0x17; 16];
    let mut rng = Rng::new(5);
    let data = rng.floats(25);
    // Out: a Rust device sends through CHal; the C HAL records exactly Rust's frames.
    c_hal(Some(&key), 9, 1234);
    let mut sender: DeviceLink<0, 0, 0, MTU> = DeviceLink::new(1, CFG, []);
    let mut hal = CHal;
    assert_eq!((hal.now_us(), hal.epoch(), hal.key()), (1234, 9, Some(key)));
    sender.begin(&mut hal, 6);
    // SAFETY: clears the C HAL's record.
    unsafe { diff_sent_clear() };
    assert_eq!(sender.send(&mut hal, 2, 7, &data), 0);
    let through_c = c_sent();
    assert_eq!(through_c, rust_send(1, 2, 7, 6, &data, Some(key), 9).0);
    // In: C frames queued in the C HAL reach a Rust receiver through CHal::poll.
    let mut rx: DeviceLink<1, 1, 0, MTU> =
        DeviceLink::new(2, CFG, [Rx::new(7, 1, 100, 0, Fallback::Zero)]);
    let mut arena = vec![0.0f32; 25];
    rx.begin(&mut hal, 6);
    for f in &through_c {
        // SAFETY: f is valid for f.len() bytes.
        assert_eq!(unsafe { diff_inbox_push(f.as_ptr(), f.len() as u32) }, 0);
    }
    rx.receive(&mut hal, &mut arena);
    assert!(rx.ready(&mut hal, 0, &mut arena));
    assert_eq!(rx.state(0), RxState::Complete);
    assert_eq!(arena, data);
    // No key in the C HAL: CHal has none either, and nothing goes out.
    c_hal(None, 9, 0);
    assert_eq!(hal.key(), None);
    assert_eq!(sender.send(&mut hal, 2, 7, &data), 2);
}

/// The C CRC-32 (`mn_crc32`, this host's slicing tables) of `bytes`, continuing `crc`.
fn c_crc32(crc: u32, bytes: &[u8]) -> u32 {
    // SAFETY: bytes is valid for bytes.len() bytes; mn_crc32 only reads them.
    unsafe { mn_crc32(crc, bytes.as_ptr(), bytes.len() as u32) }
}

/// Rust's CRC-32 (the `crc` crate, this target's table) equals C's on random buffers of
/// every length 0..=600 (each tail of each slicing loop), and C's CRC continued over a
/// split buffer equals Rust's of the whole.
#[test]
fn crc32_equals_c_on_random_buffers() {
    let mut rng = Rng::new(12);
    for n in 0..=600usize {
        let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
        let rust = meshnn_runtime::link::crc::crc32(&bytes);
        assert_eq!(rust, c_crc32(0, &bytes), "length {n}");
        let cut = if n == 0 {
            0
        } else {
            rng.next_u64() as usize % n
        };
        assert_eq!(
            rust,
            c_crc32(c_crc32(0, &bytes[..cut]), &bytes[cut..]),
            "length {n}, cut {cut}"
        );
    }
}

/// int8 tensors (one byte per element, lengths not whole floats): C and Rust send the same
/// frames, and random frame sequences leave the same bytes in both arenas with the ZERO
/// fallback (the zero point, -7), HOLD (last good bytes) and MEAN (quantised means).
#[test]
fn int8_tensors_agree_with_c() {
    let _c = C_SIDE.lock().unwrap();
    // tensor, src, bytes, arena offset (floats), fallback (C enum), zero point
    const T8: [(u16, u8, usize, usize, i32); 3] =
        [(21, 1, 61, 1, 0), (22, 3, 30, 20, 1), (23, 1, 10, 30, 2)];
    const ZP: i8 = -7;
    static MEAN8: [i8; 10] = [-128, -7, 0, 1, 2, 3, 50, 100, 127, -1];
    let key: Key = [0x33; 16];
    let mut rng = Rng::new(77);
    let fallbacks = [Fallback::Zero, Fallback::Hold, Fallback::MeanI8(&MEAN8)];
    let rx = std::array::from_fn(|i| {
        let (tensor, src, bytes, off, _) = T8[i];
        Rx::new(tensor, src, bytes as u32, off, fallbacks[i]).int8(ZP)
    });
    let mut rust: DeviceLink<3, 3, 8, MTU> = DeviceLink::new(2, CFG, rx);
    let mut hal = RecHal {
        sent: Vec::new(),
        key: Some(key),
        epoch: 0,
    };
    let mut arena = vec![f32::from_bits(0x5555_5555); 40];
    let mut c_arena = arena.clone();
    let mut c_hold = vec![0f32; 8];
    // SAFETY: the C receiver keeps pointers into c_arena and c_hold (never reallocated,
    // alive until the end of this test, which holds the C_SIDE lock) and the static MEAN8.
    unsafe {
        diff_rx_init(2, 3);
        for (i, &(tensor, src, bytes, off, fb)) in T8.iter().enumerate() {
            let hold = if fb == 1 {
                c_hold.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            };
            let mean = if fb == 2 {
                MEAN8.as_ptr().cast()
            } else {
                std::ptr::null()
            };
            let data = c_arena.as_mut_ptr().add(off);
            let zero = ZP as u8;
            assert_eq!(
                diff_rx_add(
                    i as i32,
                    tensor,
                    src,
                    bytes as u32,
                    fb,
                    data,
                    hold,
                    mean,
                    zero
                ),
                0
            );
        }
    }
    let (mut accepted, mut degraded) = (0, [0usize; 3]);
    for seq in 1..=30u32 {
        rust.begin(&mut hal, seq);
        // SAFETY: resets the C receiver set up above.
        unsafe { diff_rx_begin(seq) };
        let mut air = Vec::new();
        for &(tensor, src, bytes, _, _) in &T8 {
            let data: Vec<i8> = (0..bytes).map(|_| rng.next_u64() as i8).collect();
            c_hal(Some(&key), 1, 0);
            let c = c_send_i8(src, 2, tensor, seq, &data);
            let mut sender: DeviceLink<0, 0, 0, MTU> = DeviceLink::new(src, CFG, []);
            hal.epoch = 1;
            sender.begin(&mut hal, seq);
            assert_eq!(sender.send_i8(&mut hal, 2, tensor, &data), 0);
            assert_eq!(
                std::mem::take(&mut hal.sent),
                c,
                "seq {seq}: int8 frames differ"
            );
            for f in c {
                match rng.int(0, 9) {
                    0..=2 => {} // lost
                    3 => {
                        let mut g = f.clone();
                        flip(&mut rng, &mut g);
                        air.push(g);
                    }
                    4 => {
                        air.push(f.clone());
                        air.push(f);
                    }
                    _ => air.push(f),
                }
            }
        }
        for i in (1..air.len()).rev() {
            let j = rng.int(0, i as i32) as usize;
            air.swap(i, j);
        }
        for f in &air {
            let r = rust.accept(&mut hal, f, &mut arena);
            // SAFETY: f is valid for f.len() bytes.
            let c = unsafe { diff_rx_offer(f.as_ptr(), f.len() as u32) } == 1;
            assert_eq!(r, c, "seq {seq}: acceptance differs");
            accepted += usize::from(r);
        }
        for i in 0..3 {
            let r = rust.finish(i, &mut arena);
            degraded[i] += usize::from(r != RxState::Complete);
            // SAFETY: i < 3, a tensor of the C receiver.
            assert_eq!(
                r as i32,
                unsafe { diff_rx_finish(i as i32) },
                "seq {seq}: state {i}"
            );
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&arena), bits(&c_arena), "seq {seq}: arenas differ");
    }
    // Both acceptance and every fallback were exercised.
    assert!(accepted > 30, "{accepted} fragments accepted");
    assert!(
        degraded.iter().all(|&n| n > 3),
        "inferences with a fallback per tensor: {degraded:?}"
    );
}
