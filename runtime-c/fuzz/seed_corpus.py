"""Write a few valid frame streams as a starting corpus for fuzz_link (run by the Makefile)."""
import os, struct, sys, zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
PAYLOAD = 44  # MTU 64 - 20-byte header (tests/meshnn_config.h)


def frame(src, dst, tensor, idx, count, seq, payload):
    hdr = struct.pack("<BBBBHHHHI", 1, src, dst, 0, tensor, idx, count, len(payload), seq)
    crc = zlib.crc32(hdr + b"\0\0\0\0" + payload) & 0xFFFFFFFF
    return hdr + struct.pack("<I", crc) + payload


data = bytes(range(100))
frames = [frame(1, 2, 7, i, 3, 5, data[i * PAYLOAD:(i + 1) * PAYLOAD]) for i in range(3)]
frames.append(frame(3, 2, 9, 0, 1, 5, bytes(16)))
for k, order in enumerate([[0, 1, 2, 3], [2, 0, 3], [1, 1, 3]]):
    blob = b"".join(bytes([len(frames[i])]) + frames[i] for i in order)
    open(os.path.join(out, "seed%d" % k), "wb").write(blob)
