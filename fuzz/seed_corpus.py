"""Write the starting corpora of meshnn's fuzz targets (run by scripts/fuzz_smoke.sh and
scripts/fuzz_long.sh): python3 fuzz/seed_corpus.py fuzz/corpus

  import_onnx  the repository's fixture models (tests/models, tests/fixtures/errors) up to
               MAX_MODEL bytes, so mutations stay fast, and the ONNX backend node-test models
               (one per operator case, generated into tests/.backend-data by
               tests/conformance/gen_backend_data.py when absent, as the conformance test does);
  deploy_toml  the repository's deployments and small variations written for the fixed model
               tests/models/two_input.onnx (inputs imu_wrist, imu_chest);
  npy          small .npy files (float32, other dtypes, Fortran order, version 2) and .npz
               archives (stored and deflated) shaped like two_input's data set.

Inputs kept from findings (fuzz/regressions/<target>/) are copied in as well."""
import glob, io, os, shutil, subprocess, sys

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


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz/corpus")
    for name, seed in [("import_onnx", seed_import_onnx), ("deploy_toml", seed_deploy_toml), ("npy", seed_npy)]:
        d = target_dir(out, name)
        seed(d)
        copy_files(glob.glob(os.path.join(ROOT, "fuzz/regressions", name, "*")), d)
        print("%s: %d seeds in %s" % (name, len(os.listdir(d)), d))


if __name__ == "__main__":
    main()
