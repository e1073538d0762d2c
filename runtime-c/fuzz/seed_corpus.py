"""Write a few record streams as a starting corpus for fuzz_link (run by the Makefile).

Records (see fuzz_link.c): 0x80 | k = genuine fragment k of tensor 7 (0x84: tensor 9)
followed by a mask length and mask bytes; 0x00..0x7F = that many raw wire bytes."""
import os, struct, sys, zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def genuine(k, mask=b""):
    return bytes([0x80 | k, len(mask)]) + mask


def raw_v1(src, dst, tensor, idx, count, seq, payload):
    """An unauthenticated (version 1, CRC) frame: must be rejected by this build."""
    hdr = struct.pack("<BBBBHHHHI", 1, src, dst, 0, tensor, idx, count, len(payload), seq)
    crc = zlib.crc32(hdr + b"\0\0\0\0" + payload) & 0xFFFFFFFF
    f = hdr + struct.pack("<I", crc) + payload
    return bytes([len(f)]) + f


seeds = [
    genuine(0) + genuine(1) + genuine(2) + genuine(3) + genuine(4),
    genuine(3) + genuine(0) + genuine(0) + genuine(4),
    genuine(1, bytes(20) + b"\x01") + genuine(1),
    genuine(2, b"\x00" * 10 + b"\x80") + genuine(4, bytes(30) + b"\x10"),
    raw_v1(1, 2, 7, 0, 4, 5, bytes(28)) + genuine(0),
]
for k, blob in enumerate(seeds):
    open(os.path.join(out, "seed%d" % k), "wb").write(blob)
