//! runtime-c's Ascon-AEAD128 (`runtime-c/src/mn_ascon.c`) against an independent
//! implementation, RustCrypto's `ascon-aead` (the SP 800-232 Ascon-AEAD128, checked against
//! a designers' known-answer vector in `meshnn::link`'s unit tests), on seeded random keys,
//! nonces, associated data (0..=48 bytes) and messages (0..=96 bytes: every partial-block
//! length over several blocks): the ciphertexts and tags must be identical, the C side
//! must decrypt them, and must reject (with a zeroed output) a single flipped bit of
//! ciphertext, tag, associated data or nonce. The C runs in a probe
//! (tests/common/ascon_probe.c) compiled with `cc`.

mod common;
use ascon_aead::aead::{AeadInOut, KeyInit};
use ascon_aead::{AsconAead128, AsconAead128Key, AsconAead128Nonce};
use common::repo_root;
use std::io::Write;
use std::process::{Command, Stdio};

const CASES: usize = 20_000;

/// splitmix64: the seeded random stream of the cases.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Case {
    key: Vec<u8>,
    nonce: Vec<u8>,
    ad: Vec<u8>,
    pt: Vec<u8>,
    ct: Vec<u8>,
    tag: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng(0x6d65_7368_6e6e);
    (0..CASES)
        .map(|_| {
            let (key, nonce) = (rng.bytes(16), rng.bytes(16));
            let ad_len = (rng.next() % 49) as usize;
            let pt_len = (rng.next() % 97) as usize;
            let (ad, pt) = (rng.bytes(ad_len), rng.bytes(pt_len));
            let k: [u8; 16] = key.clone().try_into().unwrap();
            let n: [u8; 16] = nonce.clone().try_into().unwrap();
            let cipher = AsconAead128::new(&AsconAead128Key::from(k));
            let mut ct = pt.clone();
            let tag = cipher
                .encrypt_inout_detached(&AsconAead128Nonce::from(n), &ad, ct.as_mut_slice().into())
                .unwrap()
                .to_vec();
            Case {
                key,
                nonce,
                ad,
                pt,
                ct,
                tag,
            }
        })
        .collect()
}

fn build_probe(dir: &std::path::Path) -> std::path::PathBuf {
    let rt = repo_root().join("runtime-c");
    let exe = dir.join("ascon_probe");
    let out = Command::new(meshnn::tools::host_build::cc())
        .args([
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
        ])
        .arg(format!("-I{}", rt.join("include").display()))
        .arg(rt.join("src/mn_ascon.c"))
        .arg(repo_root().join("compiler/tests/common/ascon_probe.c"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn run_probe(exe: &std::path::Path, input: &str) -> Vec<String> {
    let mut child = Command::new(exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "probe failed: {:?}", out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// `bytes` with bit `bit` (mod its length in bits) flipped.
fn flip(bytes: &[u8], bit: u64) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let i = (bit % (8 * b.len() as u64)) as usize;
    b[i / 8] ^= 1 << (i % 8);
    b
}

#[test]
fn c_ascon_matches_rustcrypto_on_random_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_probe(dir.path());
    let cases = cases();
    let mut input = String::new();
    for c in &cases {
        let (k, n, a) = (hex(&c.key), hex(&c.nonce), hex(&c.ad));
        input += &format!("E {k} {n} {a} {}\n", hex(&c.pt));
        input += &format!("D {k} {n} {a} {} {}\n", hex(&c.ct), hex(&c.tag));
    }
    let lines = run_probe(&exe, &input);
    assert_eq!(lines.len(), 2 * cases.len());
    for (i, c) in cases.iter().enumerate() {
        let want = format!("{} {}", hex(&c.ct), hex(&c.tag));
        assert_eq!(
            lines[2 * i],
            want,
            "case {i}: encryption differs from RustCrypto"
        );
        assert_eq!(
            lines[2 * i + 1],
            format!("ok {}", hex(&c.pt)),
            "case {i}: decryption"
        );
    }
}

#[test]
fn c_ascon_rejects_every_kind_of_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_probe(dir.path());
    let mut rng = Rng(42);
    let cases = cases();
    let mut input = String::new();
    for c in cases.iter().take(5_000) {
        let (k, n, a) = (hex(&c.key), hex(&c.nonce), hex(&c.ad));
        let (ct, tag) = (hex(&c.ct), hex(&c.tag));
        let ct_tag: Vec<u8> = [c.ct.clone(), c.tag.clone()].concat();
        let bad = flip(&ct_tag, rng.next());
        let (bad_ct, bad_tag) = bad.split_at(c.ct.len());
        input += &format!("D {k} {n} {a} {} {}\n", hex(bad_ct), hex(bad_tag));
        input += &format!(
            "D {k} {} {a} {ct} {tag}\n",
            hex(&flip(&c.nonce, rng.next()))
        );
        input += &format!("D {} {n} {a} {ct} {tag}\n", hex(&flip(&c.key, rng.next())));
        if !c.ad.is_empty() {
            input += &format!("D {k} {n} {} {ct} {tag}\n", hex(&flip(&c.ad, rng.next())));
        }
    }
    for (i, line) in run_probe(&exe, &input).iter().enumerate() {
        assert_eq!(
            line, "fail",
            "tampered case (line {i}) accepted or output not zeroed"
        );
    }
}
