//! Bytes → the Rust link layer's receive path (`meshnn_runtime::link::DeviceLink::receive`,
//! through a HAL that hands over the input's frames), for a device receiving three
//! tensors. The first byte picks the frame format (bit 0: authenticated) and the MTU
//! (bits 1-2: 48, 64, 92, 128 bytes); then records:
//!   0x00..0x7B  n: the next n bytes arrive as one frame;
//!   0x7C        a new inference (seq 5 or 6, from the next byte);
//!   0x7D        the clock advances by the next byte × 200 µs, then every tensor is asked
//!               whether it is ready (deadlines, probe windows, fallbacks);
//!   0x7E        every tensor is finished now;
//!   0x7F..0xFF  a genuine frame (sealed by DeviceLink::send with the deployment key,
//!               index from the byte), then m and m bytes XORed into its first bytes.
//! Checks: no panic; the guard floats around the tensors never change; on authenticated
//! links every tensor element is its initial value, 0, its calibration mean or the
//! genuine value (nothing an attacker without the key sends gets in).
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshnn_runtime::link::{DeviceLink, Fallback, Hal, Key, LinkConfig, Rx};
use std::collections::VecDeque;

const KEY: Key = *b"meshnn-fuzz-key!";
const MTU: usize = 128;
const GUARD: usize = 8;
const GUARD_BITS: u32 = 0x7FC0_1234; // a NaN no kernel or fallback writes
const INITIAL: f32 = -99.0;
/// (tensor, src, floats); arena: GUARD | t0 | GUARD | t1 | GUARD | t2 | GUARD.
const TENSORS: [(u16, u8, usize); 3] = [(7, 1, 25), (9, 3, 4), (11, 1, 10)];
static MEAN: [f32; 10] = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5];

fn offset(t: usize) -> usize {
    GUARD + TENSORS[..t].iter().map(|x| x.2 + GUARD).sum::<usize>()
}

fn genuine_value(t: usize, i: usize) -> f32 {
    (100 * t + i) as f32 + 0.25
}

/// Frames from the input, a settable clock, the deployment key; records what is sent.
struct FuzzHal {
    inbox: VecDeque<Vec<u8>>,
    sent: Vec<Vec<u8>>,
    now: u32,
}

impl Hal for FuzzHal {
    fn send(&mut self, frame: &[u8]) -> bool {
        self.sent.push(frame.to_vec());
        true
    }
    fn poll(&mut self, _self_id: u8, buf: &mut [u8]) -> Option<usize> {
        let f = self.inbox.pop_front()?;
        let n = f.len().min(buf.len());
        buf[..n].copy_from_slice(&f[..n]);
        Some(f.len()) // a longer frame than the buffer claims its true length
    }
    fn now_us(&mut self) -> u32 {
        self.now
    }
    fn key(&mut self) -> Option<Key> {
        Some(KEY)
    }
    fn epoch(&mut self) -> u32 {
        1
    }
}

/// The genuine frames of inference 5: the three tensors, sent by their devices.
fn genuine(cfg: LinkConfig, hal: &mut FuzzHal) -> Vec<Vec<u8>> {
    for (t, &(tensor, src, floats)) in TENSORS.iter().enumerate() {
        let data: Vec<f32> = (0..floats).map(|i| genuine_value(t, i)).collect();
        let mut sender: DeviceLink<0, 0, 0, MTU> = DeviceLink::new(src, cfg, []);
        sender.begin(hal, 5);
        sender.send(hal, 2, tensor, &data);
    }
    std::mem::take(&mut hal.sent)
}

fn check(arena: &[f32], auth: bool) {
    for t in 0..=TENSORS.len() {
        let g = if t == 0 {
            0
        } else {
            offset(t - 1) + TENSORS[t - 1].2
        };
        assert!(
            arena[g..g + GUARD]
                .iter()
                .all(|v| v.to_bits() == GUARD_BITS),
            "a guard float changed"
        );
    }
    if !auth {
        return;
    }
    for (t, &(_, _, floats)) in TENSORS.iter().enumerate() {
        for (i, &v) in arena[offset(t)..offset(t) + floats].iter().enumerate() {
            let mean = if t == 2 { MEAN[i] } else { 0.0 };
            assert!(
                v == INITIAL || v == 0.0 || v == mean || v == genuine_value(t, i),
                "tensor {t}[{i}] = {v}: not a value the key holders sent"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let cfg = LinkConfig {
        mtu: [48, 64, 92, 128][usize::from(mode >> 1) & 3],
        auth: mode & 1 == 1,
        deadline_us: 20000,
        probe_us: 1000,
        down_after: 2,
    };
    let mut hal = FuzzHal {
        inbox: VecDeque::new(),
        sent: Vec::new(),
        now: 0,
    };
    let genuine = genuine(cfg, &mut hal);
    let fallbacks = [Fallback::Zero, Fallback::Hold, Fallback::Mean(&MEAN)];
    let rx = std::array::from_fn(|t| {
        let (tensor, src, floats) = TENSORS[t];
        Rx::new(tensor, src, (floats * 4) as u32, offset(t), fallbacks[t])
    });
    let mut link: DeviceLink<3, 8, 4, MTU> = DeviceLink::new(2, cfg, rx);
    let mut arena = vec![f32::from_bits(GUARD_BITS); offset(2) + TENSORS[2].2 + GUARD];
    for t in 0..TENSORS.len() {
        arena[offset(t)..offset(t) + TENSORS[t].2].fill(INITIAL);
    }
    link.begin(&mut hal, 5);
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let arg = rest.first().copied().unwrap_or(0);
        match op {
            0x00..=0x7B => {
                let n = usize::from(op).min(rest.len());
                hal.inbox.push_back(rest[..n].to_vec());
                rest = &rest[n..];
                link.receive(&mut hal, &mut arena);
            }
            0x7C => {
                rest = rest.get(1..).unwrap_or(&[]);
                link.begin(&mut hal, 5 + u32::from(arg & 1));
            }
            0x7D => {
                rest = rest.get(1..).unwrap_or(&[]);
                hal.now = hal.now.wrapping_add(u32::from(arg) * 200);
                for t in 0..TENSORS.len() {
                    link.ready(&mut hal, t, &mut arena);
                }
                let _ = link.wake_us();
            }
            0x7E => {
                for t in 0..TENSORS.len() {
                    link.finish(t, &mut arena);
                }
            }
            _ => {
                let mut f = genuine[usize::from(op & 0x7F) % genuine.len()].clone();
                let m = usize::from(arg);
                let mask = rest.get(1..1 + m).unwrap_or(&[]);
                rest = rest.get(1 + m..).unwrap_or(&[]);
                for (b, x) in f.iter_mut().zip(mask) {
                    *b ^= x;
                }
                hal.inbox.push_back(f);
                link.receive(&mut hal, &mut arena);
            }
        }
        check(&arena, cfg.auth);
        for t in 0..TENSORS.len() {
            let _ = link.state(t);
        }
    }
});
