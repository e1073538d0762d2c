//! The link layer's rules, case by case: runtime-c/tests/test_link.c ported, with the same
//! expected tensors, states and counts, for authenticated frames (MTU 64 minus the 20-byte
//! header and the 16-byte tag: 28 payload bytes = 7 floats per frame) and CRC-only frames
//! (44 bytes = 11 floats). A 25-float tensor (100 bytes) goes from device 1 to device 2 as tensor 7 of
//! inference 5: 4 fragments of 7, 7, 7, 4 floats, or 3 of 11, 11, 3. The receiving arena
//! has guard floats on both sides that must never change.
use meshnn_runtime::link::{
    frame, DeviceLink, Fallback, Hal, Header, Key, LinkConfig, NoLink, Rx, RxState, RxView,
    HEADER_BYTES, TAG_BYTES,
};
use std::collections::VecDeque;

const N: usize = 25;
const GUARD: usize = 3;
const GUARD_VALUE: f32 = -55.0;
const KEY_A: Key = [
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
];
const KEY_B: Key = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
static MEAN: [f32; N] = {
    let mut m = [0.0; N];
    let mut i = 0;
    while i < N {
        m[i] = 0.5 * i as f32;
        i += 1;
    }
    m
};

/// A HAL that records what is sent, delivers an inbox, and has a settable clock, key and epoch.
struct TestHal {
    sent: Vec<Vec<u8>>,
    inbox: VecDeque<Vec<u8>>,
    now: u32,
    key: Option<Key>,
    epoch: u32,
}

impl TestHal {
    fn new() -> Self {
        TestHal {
            sent: Vec::new(),
            inbox: VecDeque::new(),
            now: 0,
            key: Some(KEY_A),
            epoch: 3,
        }
    }
}

impl Hal for TestHal {
    fn send(&mut self, frame: &[u8]) -> bool {
        self.sent.push(frame.to_vec());
        true
    }
    fn poll(&mut self, _self_id: u8, buf: &mut [u8]) -> Option<usize> {
        let f = self.inbox.pop_front()?;
        buf[..f.len()].copy_from_slice(&f);
        Some(f.len())
    }
    fn now_us(&mut self) -> u32 {
        self.now
    }
    fn key(&mut self) -> Option<Key> {
        self.key
    }
    fn epoch(&mut self) -> u32 {
        self.epoch
    }
}

fn config(auth: bool) -> LinkConfig {
    LinkConfig {
        mtu: 64,
        auth,
        deadline_us: 20000,
        probe_us: 1000,
        down_after: 2,
    }
}

type Receiver = DeviceLink<1, 1, N, 64>;

/// One test scene (C's setup()): the frames device 1 sent, and device 2 expecting them.
struct Scene {
    cfg: LinkConfig,
    hal: TestHal,
    src: Vec<f32>,
    sent: Vec<Vec<u8>>,
    link: Receiver,
    arena: Vec<f32>,
}

impl Scene {
    fn new(auth: bool, fallback: Fallback) -> Scene {
        Scene::with_epoch(auth, fallback, 3)
    }

    fn with_epoch(auth: bool, fallback: Fallback, epoch: u32) -> Scene {
        let cfg = config(auth);
        let mut hal = TestHal::new();
        hal.epoch = epoch;
        let src: Vec<f32> = (1..=N).map(|i| i as f32).collect();
        let mut sender: DeviceLink<0, 0, 0, 64> = DeviceLink::new(1, cfg, []);
        sender.begin(&mut hal, 5);
        assert_eq!(sender.send(&mut hal, 2, 7, &src), 0, "every frame queued");
        let sent = std::mem::take(&mut hal.sent);
        let mut link = Receiver::new(2, cfg, [Rx::new(7, 1, (N * 4) as u32, GUARD, fallback)]);
        link.begin(&mut hal, 5);
        let mut arena = vec![GUARD_VALUE; GUARD + N + GUARD];
        arena[GUARD..GUARD + N].fill(-99.0);
        Scene {
            cfg,
            hal,
            src,
            sent,
            link,
            arena,
        }
    }

    fn fp(&self) -> usize {
        self.cfg.payload() as usize / 4
    }
    fn nf(&self) -> usize {
        N.div_ceil(self.fp())
    }
    fn accept(&mut self, wire: &[u8]) -> bool {
        self.link.accept(&mut self.hal, wire, &mut self.arena)
    }
    fn accept_sent(&mut self, i: usize) -> bool {
        let f = self.sent[i].clone();
        self.accept(&f)
    }
    fn finish(&mut self) -> RxState {
        self.link.finish(0, &mut self.arena)
    }
    fn begin(&mut self, seq: u32) {
        self.link.begin(&mut self.hal, seq);
    }
    fn dst(&self) -> &[f32] {
        self.assert_guards();
        &self.arena[GUARD..GUARD + N]
    }
    fn dst_mut(&mut self) -> &mut [f32] {
        &mut self.arena[GUARD..GUARD + N]
    }
    fn rx(&self) -> RxView<'_> {
        self.link.rx(0).unwrap()
    }
    fn wait(&self, deadline: u32, probe: u32, down_after: u32) -> u32 {
        self.rx().wait_us(deadline, probe, down_after)
    }
    fn assert_guards(&self) {
        assert!(
            self.arena[..GUARD].iter().all(|&v| v == GUARD_VALUE),
            "guard before the tensor"
        );
        assert!(
            self.arena[GUARD + N..].iter().all(|&v| v == GUARD_VALUE),
            "guard after the tensor"
        );
    }
    fn untouched(&self) -> bool {
        self.rx().n_got() == 0 && self.dst().iter().all(|&v| v == -99.0)
    }

    /// Sent frame `i` as its sender built it before protection: header and clear payload.
    fn plain_frame(&self, i: usize) -> (Header, Vec<u8>) {
        let w = &self.sent[i];
        let h = frame::decode(&self.cfg, w).expect("sent frames decode");
        let mut p = frame::payload(w, &h).to_vec();
        if self.cfg.auth {
            let head: [u8; HEADER_BYTES] = w[..HEADER_BYTES].try_into().unwrap();
            let tag: [u8; TAG_BYTES] = w[w.len() - TAG_BYTES..].try_into().unwrap();
            assert!(
                meshnn_runtime::link::auth::open(&KEY_A, &head, &mut p, &tag),
                "sent frame opens"
            );
        }
        (h, p)
    }

    /// A frame the legitimate sender (or an attacker holding `key`) could have sent:
    /// header `h` (epoch 3) and clear payload `p`, sealed or given its CRC. `h.len` may
    /// differ from `p.len()` (then the payload is cut or zero-padded to it).
    fn valid_with(&self, h: &Header, p: &[u8], key: &Key) -> Vec<u8> {
        let mut buf = vec![0u8; 200];
        let n = usize::from(h.len).min(p.len());
        buf[HEADER_BYTES..HEADER_BYTES + n].copy_from_slice(&p[..n]);
        let h = Header {
            last_word: if self.cfg.auth { 3 } else { 0 },
            ..*h
        };
        let cfg = LinkConfig {
            mtu: 200,
            ..self.cfg
        }; // room for deliberately oversized frames
        let n = frame::seal(&cfg, &h, Some(key), &mut buf).expect("sealed");
        buf.truncate(n);
        buf
    }
    fn valid(&self, h: &Header, p: &[u8]) -> Vec<u8> {
        self.valid_with(h, p, &KEY_A)
    }
}

fn both(test: impl Fn(bool)) {
    test(true);
    test(false);
}

#[test]
fn fragmentation_counts_the_tag() {
    both(|auth| {
        let s = Scene::new(auth, Fallback::Zero);
        let (fp, nf) = (s.fp(), s.nf());
        assert_eq!((nf, fp), if auth { (4, 7) } else { (3, 11) });
        assert_eq!(s.sent.len(), nf);
        let last_len = (N - (nf - 1) * fp) * 4;
        let tag = if auth { TAG_BYTES } else { 0 };
        assert_eq!(s.sent[0].len(), HEADER_BYTES + fp * 4 + tag);
        assert_eq!(s.sent[nf - 1].len(), HEADER_BYTES + last_len + tag);
        let h = s.plain_frame(1).0;
        assert_eq!(
            (h.frag_count, h.frag_index, h.src, h.dst, h.tensor, h.seq),
            (nf as u16, 1, 1, 2, 7, 5)
        );
    });
}

#[test]
fn in_order_and_reordered_frames_complete_the_tensor_exactly() {
    both(|auth| {
        let mut s = Scene::new(auth, Fallback::Zero);
        for i in 0..s.nf() {
            assert!(s.accept_sent(i), "accept in order");
        }
        assert_eq!(s.link.state(0), RxState::Complete);
        assert_eq!(s.dst(), &s.src[..]);

        let mut s = Scene::new(auth, Fallback::Zero);
        let nf = s.nf();
        assert!(s.accept_sent(nf - 1), "last first");
        for i in 0..nf - 1 {
            assert!(s.accept_sent(i), "reordered");
        }
        assert_eq!(s.finish(), RxState::Complete);
        assert_eq!(s.dst(), &s.src[..]);
    });
}

#[test]
fn duplicates_and_corrupt_frames_are_dropped() {
    both(|auth| {
        let mut s = Scene::new(auth, Fallback::Zero);
        assert!(s.accept_sent(0));
        assert!(!s.accept_sent(0), "duplicate");
        assert_eq!(s.rx().n_got(), 1);

        let mut s = Scene::new(auth, Fallback::Zero);
        let mut f = s.sent[1].clone();
        f[HEADER_BYTES + 3] ^= 0x10;
        assert!(!s.accept(&f), "corrupt CRC/tag");
        assert!(s.untouched());
    });
}

#[test]
fn frames_with_one_wrong_field_are_dropped() {
    both(|auth| {
        let mut s = Scene::new(auth, Fallback::Zero);
        let nf = s.nf() as u16;
        let (h0, p0) = s.plain_frame(0);
        let (hl, pl) = s.plain_frame(s.nf() - 1);
        let last_len = hl.len;
        let version = if auth { 2 } else { 1 };
        let cases: Vec<(&str, Header, &[u8])> = vec![
            (
                "wrong version",
                Header {
                    version: version ^ 3,
                    ..h0
                },
                &p0,
            ),
            ("another destination", Header { dst: 3, ..h0 }, &p0),
            ("stale sequence number", Header { seq: 4, ..h0 }, &p0),
            ("future sequence number", Header { seq: 6, ..h0 }, &p0),
            ("unknown tensor", Header { tensor: 8, ..h0 }, &p0),
            ("unexpected source", Header { src: 0, ..h0 }, &p0),
            (
                "fragment index out of range",
                Header {
                    frag_index: nf,
                    ..h0
                },
                &p0,
            ),
            (
                "fragment count mismatch",
                Header {
                    frag_count: nf + 1,
                    ..h0
                },
                &p0,
            ),
            (
                "length beyond the tensor",
                Header {
                    len: last_len + 4,
                    ..hl
                },
                &pl,
            ),
            (
                "oversized length",
                Header {
                    len: s.cfg.payload() as u16 + 4,
                    ..h0
                },
                &p0,
            ),
        ];
        for (what, h, p) in cases {
            let f = s.valid(&h, p);
            assert!(!s.accept(&f), "{what} dropped");
        }
        assert!(s.untouched(), "tensor untouched by bad frames");
        // The unchanged frame, resealed the same way, is accepted: the cases above failed
        // on their one field.
        let f = s.valid(&h0, &p0);
        assert!(s.accept(&f), "the unchanged frame accepted");
    });
}

#[test]
fn wire_format_rejects_truncated_oversized_trailing_and_corrupt_bytes() {
    both(|auth| {
        let s = Scene::new(auth, Fallback::Zero);
        let nf = s.nf();
        let w = &s.sent[nf - 1];
        let last_len = (N - (nf - 1) * s.fp()) * 4;
        assert_eq!(
            w.len(),
            HEADER_BYTES + last_len + if auth { TAG_BYTES } else { 0 }
        );
        let h = frame::decode(&s.cfg, w).unwrap();
        assert_eq!((h.seq, usize::from(h.len)), (5, last_len));
        if auth {
            assert_eq!(h.last_word, 3, "epoch on the wire");
        }
        assert_eq!(
            frame::decode(&s.cfg, &w[..w.len() - 1]),
            Err(frame::DecodeError::Length)
        );
        assert_eq!(
            frame::decode(&s.cfg, &w[..10]),
            Err(frame::DecodeError::Truncated)
        );
        let mut long = w.clone();
        long.push(0);
        assert_eq!(
            frame::decode(&s.cfg, &long),
            Err(frame::DecodeError::Length)
        );
        let mut big = w.clone();
        big[10] = 0xFF;
        assert_eq!(
            frame::decode(&s.cfg, &big),
            Err(frame::DecodeError::Oversized)
        );
        let mut other = w.clone();
        other[0] ^= 3;
        assert_eq!(
            frame::decode(&s.cfg, &other),
            Err(frame::DecodeError::Version)
        );
        if !auth {
            let mut bad = s.sent[2].clone();
            bad[25] ^= 1;
            assert_eq!(frame::decode(&s.cfg, &bad), Err(frame::DecodeError::Crc));
        }
    });
}

/// The CRC-32 of this target's table layout: the CRC catalogue's check value of
/// "123456789" (CRC-32/ISO-HDLC, 0xCBF43926) and Python's `zlib.crc32` of 1000 bytes
/// (7 i + 3) mod 256, i < 1000 (0x17BC2A46); the empty input gives 0.
#[test]
fn crc32_check_values() {
    use meshnn_runtime::link::crc::crc32;
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    let bytes: Vec<u8> = (0..1000).map(|i| (i * 7 + 3) as u8).collect();
    assert_eq!(crc32(&bytes), 0x17BC_2A46);
}

/// The frame CRC is zlib.crc32 of the 20 wire header bytes (crc field 0) and the payload:
/// for the last frame (1->2, tensor 7, frag 2/3, len 12, seq 5, 23.0 24.0 25.0) Python's
/// zlib.crc32 gives 0x3B889549 (as in runtime-c/tests/test_link.c).
#[test]
fn the_frame_crc_is_zlibs() {
    let s = Scene::new(false, Fallback::Zero);
    let h = frame::decode(&s.cfg, &s.sent[2]).unwrap();
    assert_eq!(h.last_word, 0x3B88_9549);
    assert_eq!(
        meshnn_runtime::link::crc::frame_crc(&h, frame::payload(&s.sent[2], &h)),
        0x3B88_9549
    );
}

#[test]
fn fallbacks_zero_mean_and_hold() {
    both(|auth| {
        // Everything lost, ZERO: all zeros, FALLBACK.
        let mut s = Scene::new(auth, Fallback::Zero);
        assert_eq!(s.finish(), RxState::Fallback);
        assert!(s.dst().iter().all(|&v| v == 0.0));

        // Fragment 1 lost, MEAN: its floats get the calibration means.
        let mut s = Scene::new(auth, Fallback::Mean(&MEAN));
        for i in (0..s.nf()).filter(|&i| i != 1) {
            assert!(s.accept_sent(i));
        }
        assert_eq!(s.finish(), RxState::Partial);
        let fp = s.fp();
        assert_eq!(&s.dst()[..fp], &s.src[..fp]);
        assert_eq!(&s.dst()[fp..2 * fp], &MEAN[fp..2 * fp]);
        assert_eq!(&s.dst()[2 * fp..], &s.src[2 * fp..]);

        // HOLD: a complete inference is remembered; the next one loses everything and
        // gets the previous values.
        let mut s = Scene::new(auth, Fallback::Hold);
        for i in 0..s.nf() {
            assert!(s.accept_sent(i));
        }
        assert_eq!(s.finish(), RxState::Complete);
        s.dst_mut().fill(-1.0);
        s.begin(6);
        assert_eq!(s.finish(), RxState::Fallback);
        assert_eq!(s.dst(), &s.src[..]);
        assert_eq!(s.link.state(0), RxState::Fallback);
    });
}

#[test]
fn late_fragments_of_a_finished_tensor_are_not_copied() {
    both(|auth| {
        let mut s = Scene::new(auth, Fallback::Zero);
        assert!(s.accept_sent(0));
        assert_eq!(s.finish(), RxState::Partial);
        s.dst_mut().fill(-7.0); // the buffer now holds another tensor
        for i in 1..s.sent.len() {
            assert!(!s.accept_sent(i), "late fragment refused");
        }
        let fp = s.fp();
        assert!(s.dst()[fp..].iter().all(|&v| v == -7.0), "buffer untouched");
        assert_eq!(s.rx().n_got(), 1);
        assert_eq!(
            s.link.state(0),
            RxState::Partial,
            "the state at the deadline stays"
        );
    });
}

#[test]
fn adaptive_waiting() {
    both(|auth| {
        // down_after 2, probe 1000 us, deadline 20000 us.
        let mut s = Scene::new(auth, Fallback::Zero);
        assert_eq!(s.wait(20000, 1000, 2), 20000, "up sender: whole deadline");
        s.finish();
        s.begin(5);
        assert_eq!(
            (s.rx().missed(), s.wait(20000, 1000, 2)),
            (1, 20000),
            "one miss is not down"
        );
        s.finish();
        s.begin(5);
        assert_eq!(
            s.wait(20000, 1000, 2),
            1000,
            "two misses: probe window only"
        );
        assert_eq!(s.wait(20000, 1000, 0), 20000, "down_after 0 always waits");
        // A fragment within the probe window: the rest is waited for until the deadline.
        assert!(s.accept_sent(1));
        assert_eq!(s.wait(20000, 1000, 2), 20000, "back within the probe");
        for i in (0..s.sent.len()).filter(|&i| i != 1) {
            assert!(s.accept_sent(i), "the rest accepted");
        }
        assert_eq!(s.finish(), RxState::Complete);
        assert_eq!(s.dst(), &s.src[..]);
        assert_eq!(s.rx().missed(), 0, "up again");
        // Down again; a late fragment of the finished inference marks the sender up.
        for _ in 0..2 {
            s.begin(5);
            s.finish();
        }
        assert_eq!(s.rx().missed(), 2, "down again");
        assert!(!s.accept_sent(0));
        assert_eq!(s.rx().missed(), 0, "a late fragment marks the sender up");
        s.begin(5);
        assert_eq!(
            s.wait(20000, 1000, 2),
            20000,
            "waits the whole deadline again"
        );
        // The learned window: 5/4 of the usual time, at least probe_us, at most the deadline.
        s.link.arrived_at(0, 8000);
        for _ in 0..2 {
            s.begin(5);
            s.finish();
        }
        s.begin(5);
        assert_eq!(s.wait(20000, 1000, 2), 10000, "5/4 x 8000");
        assert_eq!(s.wait(20000, 12000, 2), 12000, "never below probe_us");
        assert_eq!(s.wait(9000, 1000, 2), 9000, "never beyond the deadline");
        s.link.arrived_at(0, 4000);
        assert_eq!(
            s.rx().usual_us(),
            7500,
            "an earlier time is followed slowly"
        );
        s.link.arrived_at(0, 9000);
        assert_eq!(s.rx().usual_us(), 9000, "a later time at once");
        // A corrupt late frame changes nothing (checked before it counts).
        for _ in 0..2 {
            s.begin(5);
            s.finish();
        }
        let missed = s.rx().missed();
        let mut f = s.sent[0].clone();
        f[HEADER_BYTES] ^= 1;
        assert!(missed >= 2 && !s.accept(&f));
        assert_eq!(s.rx().missed(), missed);
    });
}

#[test]
fn the_glue_waits_until_complete_or_the_deadline() {
    both(|auth| {
        let mut s = Scene::new(auth, Fallback::Zero);
        s.hal.now = 1000;
        s.begin(5);
        assert_eq!(s.link.wake_us(), 20000);
        s.hal.inbox.extend(s.sent[..2].iter().cloned());
        s.link.receive(&mut s.hal, &mut s.arena);
        assert_eq!(s.link.state(0), RxState::Partial);
        s.hal.now = 1000 + 19999;
        assert!(
            !s.link.ready(&mut s.hal, 0, &mut s.arena),
            "before the deadline"
        );
        s.hal.inbox.extend(s.sent[2..].iter().cloned());
        s.link.receive(&mut s.hal, &mut s.arena);
        assert!(s.link.ready(&mut s.hal, 0, &mut s.arena), "complete");
        assert_eq!(
            (s.link.state(0), s.rx().usual_us()),
            (RxState::Complete, 19999)
        );
        assert_eq!(s.dst(), &s.src[..]);
        assert_eq!(s.link.wake_us(), u32::MAX, "nothing left to wait for");
        // Next inference: nothing arrives; ready at the deadline, with the clock wrapping.
        s.hal.now = u32::MAX - 100;
        s.begin(6);
        s.hal.now = 19898; // 19999 us elapsed
        assert!(!s.link.ready(&mut s.hal, 0, &mut s.arena));
        s.hal.now = 19899;
        assert!(s.link.ready(&mut s.hal, 0, &mut s.arena), "deadline passed");
        assert_eq!(s.link.state(0), RxState::Fallback);
        assert!(s.dst().iter().all(|&v| v == 0.0));
        // Index out of range: ready, complete (as the C glue of a device without rx).
        assert!(s.link.ready(&mut s.hal, 1, &mut s.arena));
        assert_eq!(s.link.state(1), RxState::Complete);
    });
}

#[test]
fn a_device_without_links_sends_nothing_and_waits_for_nothing() {
    let mut link: DeviceLink<0, 0, 0, 64> = DeviceLink::new(4, config(true), []);
    let mut arena = [1.0f32; 4];
    link.begin(&mut NoLink, 0);
    link.receive(&mut NoLink, &mut arena);
    assert_eq!(
        link.send(&mut NoLink, 1, 2, &[1.0; 10]),
        2,
        "both frames refused (no key)"
    );
    let mut crc: DeviceLink<0, 0, 0, 64> = DeviceLink::new(4, config(false), []);
    assert_eq!(
        crc.send(&mut NoLink, 1, 2, &[1.0; 12]),
        2,
        "both frames lost"
    );
    assert_eq!(link.wake_us(), u32::MAX);
    assert_eq!(arena, [1.0; 4]);
}

#[test]
fn an_empty_tensor_is_one_empty_frame() {
    both(|auth| {
        let mut hal = TestHal::new();
        let mut link: DeviceLink<0, 0, 0, 64> = DeviceLink::new(1, config(auth), []);
        assert_eq!(link.send(&mut hal, 2, 9, &[]), 0);
        assert_eq!(hal.sent.len(), 1);
        let h = frame::decode(&config(auth), &hal.sent[0]).unwrap();
        assert_eq!((h.len, h.frag_count, h.frag_index), (0, 1, 0));
    });
}

// ---- attacks on authenticated frames: none may change the tensor or its state ----

/// What an attacker without the key sends: every header field right (spoofed source,
/// sniffed seq and epoch), payload 1000.0f, sealed under `key`.
fn forged(s: &Scene, frag: usize, key: &Key) -> Vec<u8> {
    let (h, p) = s.plain_frame(frag);
    let chosen: Vec<u8> = p.chunks(4).flat_map(|_| 1000.0f32.to_le_bytes()).collect();
    s.valid_with(&h, &chosen, key)
}

#[test]
fn the_payload_is_encrypted_on_air() {
    let s = Scene::new(true, Fallback::Zero);
    let clear: Vec<u8> = s.src[..7].iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_ne!(&s.sent[0][HEADER_BYTES..HEADER_BYTES + 28], &clear[..]);
    assert_eq!(s.plain_frame(0).1, clear, "and decrypts to the tensor");
}

#[test]
fn forged_and_wrong_key_frames_are_rejected() {
    let mut s = Scene::new(true, Fallback::Zero);
    for i in 0..s.nf() {
        let mut f = forged(&s, i, &KEY_B);
        assert!(!s.accept(&f), "wrong-key frame");
        let t = f.len() - TAG_BYTES;
        f[t..].fill(0);
        assert!(!s.accept(&f), "forged frame (zero tag)");
        f[t..].copy_from_slice(&s.sent[i][t..]);
        assert!(
            !s.accept(&f),
            "forged frame (legitimate tag, chosen payload)"
        );
    }
    assert!(s.untouched());
    for i in 0..s.nf() {
        assert!(
            s.accept_sent(i),
            "legitimate frame accepted after forgeries"
        );
    }
    assert_eq!(s.finish(), RxState::Complete);
    assert_eq!(s.dst(), &s.src[..]);
}

#[test]
fn every_bit_flip_and_truncation_is_rejected() {
    both(|auth| {
        let mut s = Scene::new(auth, Fallback::Zero);
        let w = s.sent[s.nf() - 1].clone();
        for bit in 0..w.len() * 8 {
            let mut f = w.clone();
            f[bit / 8] ^= 1 << (bit % 8);
            assert!(!s.accept(&f), "bit {bit} flipped");
        }
        for cut in 0..w.len() {
            assert!(!s.accept(&w[..cut]), "cut at {cut}");
        }
        assert!(s.untouched());
    });
    // A shortened length field with consistent bytes (last 4 payload bytes dropped).
    let mut s = Scene::new(true, Fallback::Zero);
    let mut f = s.sent[0].clone();
    let len = u16::from_le_bytes([f[10], f[11]]) - 4;
    f[10..12].copy_from_slice(&len.to_le_bytes());
    f.drain(HEADER_BYTES + usize::from(len)..HEADER_BYTES + usize::from(len) + 4);
    assert!(!s.accept(&f));
    assert!(s.untouched());
}

#[test]
fn without_a_key_nothing_is_sent_or_accepted() {
    let mut s = Scene::new(true, Fallback::Zero);
    s.hal.key = None;
    let mut sender: DeviceLink<0, 0, 0, 64> = DeviceLink::new(1, s.cfg, []);
    sender.begin(&mut s.hal, 5);
    assert_eq!(sender.send(&mut s.hal, 2, 7, &s.src), s.nf() as u32);
    assert!(s.hal.sent.is_empty());
    assert!(!s.accept_sent(0));
    assert!(s.untouched());
}

#[test]
fn replays_are_rejected() {
    // Recorded by the attacker in the sender's previous boot (epoch 2), same seq.
    let old = Scene::with_epoch(true, Fallback::Zero, 2).sent[0].clone();
    let mut s = Scene::new(true, Fallback::Zero);
    assert!(s.accept_sent(1), "current frame accepted");
    assert!(!s.accept_sent(1), "duplicate");
    assert!(!s.accept(&old), "frame of an earlier epoch");
    assert_eq!(s.rx().n_got(), 1);
    assert_eq!(s.dst()[0], -99.0);
    s.begin(6);
    assert!(
        !s.accept_sent(0),
        "frame of inference 5 replayed into inference 6"
    );
    assert_eq!(s.rx().n_got(), 0);
    // Before anything of epoch 3 was accepted, the epoch-2 frame was fine.
    let mut fresh = Scene::new(true, Fallback::Zero);
    assert!(fresh.accept(&old));
}

#[test]
fn three_forged_frames_leave_the_tensor_untouched() {
    let mut s = Scene::new(true, Fallback::Zero);
    for k in 0..3 {
        let f = forged(&s, k % s.nf(), &KEY_B);
        assert!(!s.accept(&f));
    }
    assert!(s.untouched());
    for i in 0..s.nf() {
        assert!(
            s.accept_sent(i),
            "genuine fragments all accepted afterwards"
        );
    }
}

// ---- construction ----

const CFG_CONST: LinkConfig = LinkConfig {
    mtu: 64,
    auth: true,
    deadline_us: 20000,
    probe_us: 1000,
    down_after: 2,
};

/// Generated code may build its link at compile time (a `static`).
static STATIC_LINK: Receiver =
    DeviceLink::new(2, CFG_CONST, [Rx::new(7, 1, 100, 0, Fallback::Hold)]);

#[test]
fn a_link_builds_at_compile_time_with_its_fragment_counts() {
    let r = STATIC_LINK.rx(0).unwrap();
    assert_eq!((r.frag_count(), r.n_got(), r.done()), (4, 0, false));
    assert_eq!(CFG_CONST.payload(), 28);
    assert_eq!(CFG_CONST.frags(100), 4);
    assert_eq!(config(false).frags(100), 3);
    assert_eq!(config(false).frags(0), 0);
    assert_eq!(
        LinkConfig {
            mtu: 39,
            ..CFG_CONST
        }
        .payload(),
        0
    );
    assert_eq!(
        LinkConfig {
            mtu: 39,
            ..CFG_CONST
        }
        .frags(100),
        0
    );
}

#[test]
#[should_panic(expected = "GOT is smaller")]
fn too_small_a_bitmap_is_refused() {
    // 100 bytes at 4 per frame: 25 fragments, 4 bitmap bytes.
    let cfg = LinkConfig {
        mtu: 40,
        ..CFG_CONST
    };
    let _: DeviceLink<1, 3, 0, 64> =
        DeviceLink::new(2, cfg, [Rx::new(7, 1, 100, 0, Fallback::Zero)]);
}

#[test]
#[should_panic(expected = "HOLD is smaller")]
fn too_small_a_hold_buffer_is_refused() {
    let _: DeviceLink<1, 1, 24, 64> =
        DeviceLink::new(2, CFG_CONST, [Rx::new(7, 1, 100, 0, Fallback::Hold)]);
}

#[test]
#[should_panic(expected = "MTU leaves no payload")]
fn an_mtu_without_payload_is_refused() {
    let cfg = LinkConfig {
        mtu: 39,
        ..CFG_CONST
    };
    let _: DeviceLink<0, 0, 0, 64> = DeviceLink::new(2, cfg, []);
}

#[test]
#[should_panic(expected = "MTU is smaller than cfg.mtu")]
fn a_frame_buffer_below_the_mtu_is_refused() {
    let _: DeviceLink<0, 0, 0, 48> = DeviceLink::new(2, CFG_CONST, []);
}

/// A HAL that claims more bytes than the frame buffer holds, or delivers an arena that
/// is too short: nothing panics, nothing outside the arena is touched.
#[test]
fn a_lying_hal_or_a_short_arena_does_not_panic() {
    struct Liar(u32);
    impl Hal for Liar {
        fn send(&mut self, _f: &[u8]) -> bool {
            true
        }
        fn poll(&mut self, _id: u8, _buf: &mut [u8]) -> Option<usize> {
            self.0 = self.0.checked_sub(1)?;
            Some(10_000)
        }
        fn now_us(&mut self) -> u32 {
            0
        }
        fn key(&mut self) -> Option<Key> {
            Some(KEY_A)
        }
        fn epoch(&mut self) -> u32 {
            3
        }
    }
    let mut link: Receiver =
        DeviceLink::new(2, config(false), [Rx::new(7, 1, 100, 20, Fallback::Zero)]);
    let mut arena = vec![5.0f32; 30]; // the tensor would need floats 20..45
    link.begin(&mut Liar(3), 5);
    link.receive(&mut Liar(3), &mut arena);
    let s = Scene::new(false, Fallback::Zero);
    for f in &s.sent {
        assert!(link.accept(&mut Liar(0), f, &mut arena));
    }
    assert_eq!(link.finish(0, &mut arena), RxState::Complete);
    assert_eq!(&arena[20..], &s.src[..10]);
    assert!(arena[..20].iter().all(|&v| v == 5.0));
}

// ---- int8 payloads (runtime-c/tests/test_link.c, test_int8): one byte per element ----

/// Elements of the int8 tensor: 61 bytes, not whole floats (3 fragments of 28, 28, 5
/// bytes authenticated, 2 of 44, 17 CRC-only).
const N8: usize = 61;
/// Its zero point: what the ZERO fallback writes (never byte 0).
const ZP8: i8 = -5;
static MEAN8: [i8; N8] = {
    let mut m = [0i8; N8];
    let mut i = 0;
    while i < N8 {
        m[i] = i as i8 - 30;
        i += 1;
    }
    m
};

/// The int8 tensor sent as tensor 9 of inference 5 (-128, -123, ... wrapping).
fn src8(first: bool) -> Vec<i8> {
    (0..N8)
        .map(|i| {
            if first {
                (i as i32 * 5 - 128) as i8
            } else {
                (100 - i as i32) as i8
            }
        })
        .collect()
}

/// Device 1 sends `src` (int8) to device 2; device 2 receives it into floats 1..17 of an
/// arena of 18 floats (16 floats = 64 bytes hold the 61; the 3 bytes after the tensor and
/// the floats around it are guards).
struct Scene8 {
    hal: TestHal,
    sent: Vec<Vec<u8>>,
    link: DeviceLink<1, 1, 16, 64>,
    arena: Vec<f32>,
}

impl Scene8 {
    fn new(auth: bool, fallback: Fallback, src: &[i8]) -> Scene8 {
        let cfg = config(auth);
        let mut hal = TestHal::new();
        let rx = Rx::new(9, 1, N8 as u32, 1, fallback).int8(ZP8);
        let mut s = Scene8 {
            sent: Scene8::send(&mut hal, cfg, src),
            hal,
            link: DeviceLink::new(2, cfg, [rx]),
            arena: vec![f32::from_bits(0x6363_6363); 18],
        };
        s.link.begin(&mut s.hal, 5);
        s
    }
    fn send(hal: &mut TestHal, cfg: LinkConfig, src: &[i8]) -> Vec<Vec<u8>> {
        let mut sender: DeviceLink<0, 0, 0, 64> = DeviceLink::new(1, cfg, []);
        sender.begin(hal, 5);
        assert_eq!(sender.send_i8(hal, 2, 9, src), 0, "every frame queued");
        std::mem::take(&mut hal.sent)
    }
    fn accept(&mut self, i: usize) -> bool {
        let f = self.sent[i].clone();
        self.link.accept(&mut self.hal, &f, &mut self.arena)
    }
    fn accept_wire(&mut self, f: &[u8]) -> bool {
        self.link.accept(&mut self.hal, f, &mut self.arena)
    }
    fn finish(&mut self) -> RxState {
        self.link.finish(0, &mut self.arena)
    }
    /// The tensor's 61 bytes, after checking every guard byte is still 0x63.
    fn dst(&self) -> Vec<i8> {
        let bytes: Vec<u8> = self.arena.iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert!(bytes[..4].iter().all(|&b| b == 0x63), "guard before");
        assert!(bytes[4 + N8..].iter().all(|&b| b == 0x63), "guard after");
        bytes[4..4 + N8].iter().map(|&b| b as i8).collect()
    }
}

#[test]
fn int8_fragments_on_bytes_and_reorders_exactly() {
    both(|auth| {
        let src = src8(true);
        let mut s = Scene8::new(auth, Fallback::Zero, &src);
        let fp = config(auth).payload() as usize;
        assert_eq!(s.sent.len(), if auth { 3 } else { 2 });
        assert_eq!(s.sent[0].len(), config(auth).frame_bytes(fp as u32));
        let last = N8 - (s.sent.len() - 1) * fp;
        assert_eq!(
            s.sent.last().unwrap().len(),
            config(auth).frame_bytes(last as u32)
        );
        for i in (0..s.sent.len()).rev() {
            assert!(s.accept(i), "reordered fragment {i} accepted");
        }
        assert_eq!(s.finish(), RxState::Complete);
        assert_eq!(s.dst(), src);
    });
}

#[test]
fn int8_bad_frames_are_dropped() {
    both(|auth| {
        let src = src8(true);
        let mut s = Scene8::new(auth, Fallback::Zero, &src);
        let fp = config(auth).payload() as usize;
        assert!(s.accept(0) && !s.accept(0), "duplicate ignored");
        // Reuse the float scene's helpers to build frames with one wrong field.
        let helper = Scene::new(auth, Fallback::Zero);
        let plain = |i: usize| {
            let w = &s.sent[i];
            let h = frame::decode(&helper.cfg, w).expect("sent frames decode");
            let mut p = frame::payload(w, &h).to_vec();
            if auth {
                let head: [u8; HEADER_BYTES] = w[..HEADER_BYTES].try_into().unwrap();
                let tag: [u8; TAG_BYTES] = w[w.len() - TAG_BYTES..].try_into().unwrap();
                assert!(meshnn_runtime::link::auth::open(
                    &KEY_A, &head, &mut p, &tag
                ));
            }
            (h, p)
        };
        let nf = s.sent.len();
        let (h1, p1) = plain(1);
        let (hl, pl) = plain(nf - 1);
        let mut corrupt = s.sent[1].clone();
        corrupt[HEADER_BYTES] ^= 1;
        let bad = [
            corrupt,
            helper.valid(
                &Header {
                    len: hl.len - 1,
                    ..hl
                },
                &pl,
            ), // truncated
            helper.valid(
                &Header {
                    len: hl.len + 1,
                    ..hl
                },
                &pl,
            ), // oversized
            helper.valid(&Header { seq: 4, ..h1 }, &p1), // stale
            helper.valid(&Header { seq: 6, ..h1 }, &p1), // future
            helper.valid(&Header { src: 3, ..h1 }, &p1), // foreign source
            helper.valid(&Header { dst: 4, ..h1 }, &p1), // another device
            helper.valid(&Header { tensor: 7, ..h1 }, &p1), // another tensor
        ];
        for (k, f) in bad.iter().enumerate() {
            assert!(!s.accept_wire(f), "bad frame {k} dropped");
        }
        assert_eq!(s.link.rx(0).unwrap().n_got(), 1);
        let d = s.dst();
        assert_eq!(&d[..fp], &src[..fp]);
        assert!(d[fp..].iter().all(|&b| b as u8 == 0x63), "untouched");
    });
}

#[test]
fn int8_fallbacks_zero_point_mean_and_hold() {
    both(|auth| {
        let src = src8(true);
        let fp = config(auth).payload() as usize;
        // ZERO = the zero point: fragment 1 lost, then everything lost.
        let mut s = Scene8::new(auth, Fallback::Zero, &src);
        for i in (0..s.sent.len()).filter(|&i| i != 1) {
            assert!(s.accept(i));
        }
        assert_eq!(s.finish(), RxState::Partial);
        let d = s.dst();
        let hi = (2 * fp).min(N8);
        assert_eq!(&d[..fp], &src[..fp]);
        assert!(d[fp..hi].iter().all(|&v| v == ZP8), "lost -> zero point -5");
        assert_eq!(&d[hi..], &src[hi..]);
        let mut s = Scene8::new(auth, Fallback::Zero, &src);
        assert_eq!(s.finish(), RxState::Fallback);
        assert_eq!(s.dst(), vec![ZP8; N8]);

        // MEAN: fragment 0 lost gets the quantised means.
        let mut s = Scene8::new(auth, Fallback::MeanI8(&MEAN8), &src);
        for i in 1..s.sent.len() {
            assert!(s.accept(i));
        }
        assert_eq!(s.finish(), RxState::Partial);
        let d = s.dst();
        assert_eq!(&d[..fp], &MEAN8[..fp]);
        assert_eq!(&d[fp..], &src[fp..]);

        // HOLD: inference 5 complete; inference 6 only fragment 0 (new values) arrives.
        let mut s = Scene8::new(auth, Fallback::Hold, &src);
        for i in 0..s.sent.len() {
            assert!(s.accept(i));
        }
        assert_eq!(s.finish(), RxState::Complete);
        let next = src8(false);
        s.sent = Scene8::send(&mut s.hal, config(auth), &next);
        s.link.begin(&mut s.hal, 5);
        s.arena[1..17].fill(f32::from_bits(0x6363_6363));
        assert!(s.accept(0));
        assert_eq!(s.finish(), RxState::Partial);
        let d = s.dst();
        assert_eq!(&d[..fp], &next[..fp], "fresh fragment 0");
        assert_eq!(&d[fp..], &src[fp..], "last good bytes elsewhere");
    });
}
