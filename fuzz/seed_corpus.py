"""Write the starting corpora of meshnn's fuzz targets (run by scripts/fuzz_smoke.sh and
scripts/fuzz_long.sh): python3 fuzz/seed_corpus.py fuzz/corpus

  import_onnx  the repository's fixture models (tests/models, tests/fixtures/errors) up to
               MAX_MODEL bytes, so mutations stay fast, and the ONNX backend node-test models
               (one per operator case, generated into tests/.backend-data by
               tests/conformance/gen_backend_data.py when absent, as the conformance test does);
  deploy_toml  the repository's deployments and small variations written for the fixed model
               tests/models/two_input.onnx (inputs imu_wrist, imu_chest);
  npy          small .npy files (float32, other dtypes, Fortran order, version 2) and .npz
               archives (stored and deflated) shaped like two_input's data set;
  rust_rx      record streams of fuzz_targets/rust_rx.rs for every frame format and MTU:
               every genuine frame in order and reversed, then the deadline; valid
               CRC-only frames written out byte by byte (zlib.crc32), and broken ones.

Inputs kept from findings (fuzz/regressions/<target>/) are copied in as well."""
import glob, io, os, shutil, struct, subprocess, sys, zlib

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MAX_MODEL = 64 * 1024


def target_dir(out, name):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    return d


def copy_files(paths, d, max_bytes=None):
    for p in sorted(paths):
        if max_bytes is None or os.path.getsize(p) <= max_bytes:
            shutil.copy(p, os.path.join(d, os.path.basename(p)))


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def seed_import_onnx(d):
    models = glob.glob(os.path.join(ROOT, "tests/models/*.onnx"))
    models += glob.glob(os.path.join(ROOT, "tests/fixtures/errors/*.onnx"))
    copy_files(models, d, MAX_MODEL)
    backend = os.path.join(ROOT, "tests/.backend-data")
    gen = os.path.join(ROOT, "tests/conformance/gen_backend_data.py")
    subprocess.run([sys.executable, gen, backend], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    for p in sorted(glob.glob(os.path.join(backend, "node/test_*/model.onnx"))):
        if os.path.getsize(p) <= MAX_MODEL:
            shutil.copy(p, os.path.join(d, os.path.basename(os.path.dirname(p)) + ".onnx"))


DEVICE = '[[device]]\nname = "{name}"\ntarget = "{target}"\ninputs = [{inputs}]\n{extra}\n'


def two_devices(link="", extra="", hub_extra=""):
    wrist = DEVICE.format(name="wrist", target="nrf52832", inputs='"imu_wrist"', extra="")
    chest = DEVICE.format(name="chest", target="nrf52840", inputs='"imu_chest"',
                          extra="outputs = true\n" + hub_extra)
    return link + wrist + chest + extra


def seed_deploy_toml(d):
    tomls = glob.glob(os.path.join(ROOT, "tests/fixtures/deploy/*.toml"))
    tomls += glob.glob(os.path.join(ROOT, "examples/*/*.toml"))
    copy_files(tomls, d)
    write(d, "ble.toml", two_devices('[link]\nprofile = "ble"\n'))
    write(d, "custom_link.toml", two_devices(
        "[link]\nbitrate_bps = 250000\nmtu_bytes = 32\nlatency_us = 2000\ndeadline_us = 80000\n"))
    write(d, "layer.toml", two_devices('[link]\nprofile = "hbc"\n[partition]\nstrategy = "layer"\n'
                                       "balance_tolerance = 0.5\n"))
    write(d, "manual.toml", two_devices(
        '[partition]\nstrategy = "manual"\n[partition.manual]\nwrist_conv = "wrist"\n'
        'wrist_relu = "wrist"\nwrist_gap = "wrist"\n'))
    write(d, "fallback.toml", two_devices(
        '[link]\nprofile = "hbc"\n', '[fallback]\ndefault = "hold"\nwrist_gap_out = "zero"\n'))
    write(d, "kernels.toml", two_devices(
        "", "", 'kernels = "reference"\nram_bytes = 65536\nflash_bytes = 524288\n'))
    three = two_devices('[link]\nprofile = "ble"\n') + DEVICE.format(
        name="ankle", target="rp2040", inputs="", extra='kernels = "fast"\n')
    write(d, "three.toml", three)
    write(d, "one.toml", DEVICE.format(name="solo", target="stm32l476",
                                       inputs='"imu_wrist", "imu_chest"', extra="outputs = true\n"))


def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def npz_bytes(arrays, compressed):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def seed_npy(d):
    rng = np.random.default_rng(0)
    write(d, "f32.npy", npy_bytes(rng.standard_normal((2, 3, 4)).astype(np.float32)))
    write(d, "scalar.npy", npy_bytes(np.float32(1.5)))
    write(d, "empty.npy", npy_bytes(np.zeros((0, 3), np.float32)))
    write(d, "f64.npy", npy_bytes(np.arange(6, dtype=np.float64)))
    write(d, "i64.npy", npy_bytes(np.arange(6, dtype=np.int64)))
    write(d, "fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 3), np.float32))))
    write(d, "v2.npy", npy_bytes(np.ones((4,), np.float32), version=(2, 0)))
    wrist = rng.standard_normal((2, 6, 64)).astype(np.float32)
    chest = rng.standard_normal((2, 6, 64)).astype(np.float32)
    y = np.array([0, 3], np.int64)
    for compressed in (False, True):
        tag = "deflated" if compressed else "stored"
        write(d, "data_%s.npz" % tag, npz_bytes({"imu_wrist": wrist, "imu_chest": chest, "y": y}, compressed))
        write(d, "ints_%s.npz" % tag, npz_bytes({"a": np.arange(4, dtype=np.uint8), "b": np.arange(3, dtype=np.int16),
                                                  "c": np.arange(2, dtype=np.int32)}, compressed))
    write(d, "x_only.npz", npz_bytes({"x": wrist[:1], "y": y[:1].astype(np.int32)}, False))
    write(d, "labels_2d.npz", npz_bytes({"imu_wrist": wrist, "imu_chest": chest, "y": y.reshape(2, 1)}, False))


# rust_rx: the target's tensors (tensor, src, floats), genuine values and MTUs.
RX_TENSORS = [(7, 1, 25), (9, 3, 4), (11, 1, 10)]
RX_MTUS = [48, 64, 92, 128]


def rx_crc_frame(mtu, t, frag, seq=5):
    """A CRC-only frame of tensor t's genuine values, as meshnn_link.h lays it out."""
    tensor, src, floats = RX_TENSORS[t]
    payload = (mtu - 20) // 4 * 4
    data = b"".join(struct.pack("<f", 100 * t + i + 0.25) for i in range(floats))
    count = -(-len(data) // payload)
    body = data[frag * payload:(frag + 1) * payload]
    head = struct.pack("<BBBBHHHHI", 1, src, 2, 0, tensor, frag, count, len(body), seq)
    crc = zlib.crc32(head + b"\0\0\0\0" + body)
    return head + struct.pack("<I", crc) + body


def seed_rust_rx(d):
    for mode in range(8):
        mtu, auth = RX_MTUS[(mode >> 1) & 3], mode & 1
        tag = "auth" if auth else "crc"
        in_order = bytes([mode]) + b"".join(bytes([0x80 + k, 0]) for k in range(24))
        write(d, "genuine_%s_%d.bin" % (tag, mtu), in_order + b"\x7d\xff")
        write(d, "reversed_%s_%d.bin" % (tag, mtu),
              bytes([mode]) + b"".join(bytes([0x80 + k, 0]) for k in reversed(range(24))) + b"\x7e")
        write(d, "tampered_%s_%d.bin" % (tag, mtu), bytes([mode, 0x81, 3, 0, 0, 1, 0x7d, 0x20]))
        if auth:
            continue
        frames = [rx_crc_frame(mtu, t, 0) for t in range(3)]
        frames = [f for f in frames if len(f) <= 0x7B]
        raw = bytes([mode]) + b"".join(bytes([len(f)]) + f for f in frames)
        write(d, "raw_crc_%d.bin" % mtu, raw + b"\x7c\x01" + raw[1:] + b"\x7d\x64")
        if frames:
            bad = bytearray(frames[0])
            bad[25] ^= 1
            write(d, "raw_bad_crc_%d.bin" % mtu, bytes([mode, len(bad)]) + bytes(bad) + bytes([5]) + frames[0][:5])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz/corpus")
    for name, seed in [("import_onnx", seed_import_onnx), ("deploy_toml", seed_deploy_toml), ("npy", seed_npy),
                       ("rust_rx", seed_rust_rx)]:
        d = target_dir(out, name)
        seed(d)
        copy_files(glob.glob(os.path.join(ROOT, "fuzz/regressions", name, "*")), d)
        print("%s: %d seeds in %s" % (name, len(os.listdir(d)), d))


if __name__ == "__main__":
    main()
