#!/usr/bin/env python3
"""Compare Soundstage's image-source engine with pyroomacoustics (PyPI) on the same shoebox.

  peers.py bench     time both at the same reach (all images within the IR length), report ratio
  peers.py validate  broadband RIR agreement: normalized cross-correlation, energy, octave levels, lag

Used by `make bench` / `make validate-ism`; never by `make test`. Conventions aligned: omni source
and receiver, c = 343 m/s, frequency-flat energy absorption alpha (reflection factor sqrt(1 - alpha)),
no air absorption, no high-pass; pyroomacoustics' amplitude is 1/r where Soundstage's is 1/(4 pi r),
so ours is scaled by 4 pi for the comparison. pyroomacoustics delays its RIR by half its
81-tap fractional-delay filter (40 samples); Soundstage adds no latency, so that offset is removed.
"""
import json, math, os, resource, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "soundstage")
C = 343.0
FS = 48000


def room_json(dims, alpha, src, mic, duration, max_order=None):
    # Image sources alone on both sides: no rays, no wave part.
    sim = {"sampleRate": FS, "duration": duration, "airAbsorption": False, "highpass": 0, "rays": 0, "wave": False}
    if max_order is not None:
        sim["maxOrder"] = max_order
    return {"name": "peer", "room": {"shoebox": dict(zip(["width", "length", "height"], dims))},
            "surfaces": {"all": {"absorption": alpha}},
            "speakers": [{"name": "S", "position": src, "directivity": "omni"}],
            "listener": {"position": mic}, "air": {"speedOfSound": C}, "simulation": sim}


def read_wav_float(path):
    # 32-bit float WAV (format 3): parse with numpy directly.
    data = open(path, "rb").read()
    pos = 12
    fmt = None
    while pos < len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = int.from_bytes(body[0:2], "little")
        if cid == b"data":
            assert fmt in (3, 0xFFFE), "expected float WAV"
            return np.frombuffer(body, dtype="<f4").astype(np.float64)
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def run_soundstage(dims, alpha, src, mic, duration, max_order=None, threads=None):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "peer.json")
        json.dump(room_json(dims, alpha, src, mic, duration, max_order), open(path, "w"))
        args = [BIN, "simulate", path, "-o", d, "--rays", "0", "--reflections-order", "0", "--rir-only"]
        if threads:
            args += ["--threads", str(threads)]
        start = time.perf_counter()
        out = subprocess.run(args, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if out.returncode != 0:
            sys.exit(out.stderr)
        return read_wav_float(os.path.join(d, "peer", "rir-S.wav")), elapsed


def run_pra(dims, alpha, src, mic, max_order):
    import pyroomacoustics as pra
    pra.constants.set("c", C)
    pra.constants.set("rir_hpf_enable", False)  # filters off on both sides
    start = time.perf_counter()
    room = pra.ShoeBox(dims, fs=FS, materials=pra.Material(alpha), max_order=max_order, air_absorption=False)
    room.add_source(src)
    room.add_microphone(mic)
    room.compute_rir()
    elapsed = time.perf_counter() - start
    return np.asarray(room.rir[0][0], dtype=np.float64), elapsed


def child_peak_mib():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench():
    dims, alpha, src, mic, duration = [6, 4, 3], 0.2, [2, 3, 1.5], [4, 1, 1.7], 1.0
    order = math.ceil(C * duration / min(dims)) + 2  # every image within the IR length
    print(f"shoebox {dims} m, alpha {alpha}, {duration} s at {FS} Hz, same reach (pyroomacoustics max_order {order})")
    ours, t_ours = run_soundstage(dims, alpha, src, mic, duration)
    mem_ours = child_peak_mib()
    code = ("import sys, json; sys.path.insert(0, %r); import peers; r, t = peers.run_pra(%r, %r, %r, %r, %d); "
            "print(json.dumps({'t': t}))" % (os.path.dirname(__file__), dims, alpha, src, mic, order))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    t_pra = json.loads(out.stdout.strip().splitlines()[-1])["t"]
    mem_pra = child_peak_mib()  # max over children so far: the pyroomacoustics process dominates
    print(f"  soundstage      {t_ours:7.3f} s (simulate --rir-only: whole command, incl. WAV write)   peak RSS {mem_ours:7.0f} MiB")
    print(f"  pyroomacoustics {t_pra:7.3f} s (ShoeBox + compute_rir)          peak RSS {mem_pra:7.0f} MiB")
    print(f"  speed ratio {t_pra / t_ours:.1f}x, memory ratio {mem_pra / mem_ours:.1f}x")


def octave_levels(x, fs, centres):
    spectrum = np.abs(np.fft.rfft(x, 1 << 20)) ** 2
    f = np.fft.rfftfreq(1 << 20, 1 / fs)
    out = []
    for fc in centres:
        band = (f >= fc / math.sqrt(2)) & (f < min(fc * math.sqrt(2), fs / 2))
        out.append(10 * math.log10(spectrum[band].sum()))
    return np.array(out)


def validate():
    dims, alpha, src, mic, duration, order = [6, 4, 3], 0.3, [2.11, 3.03, 1.52], [4.27, 1.18, 1.71], 0.3, 12
    ours, _ = run_soundstage(dims, alpha, src, mic, duration, max_order=order)
    ours = ours * 4 * math.pi  # pyroomacoustics' amplitude is 1/r; Soundstage's is 1/(4 pi r) (SPEC 2)
    theirs, _ = run_pra(dims, alpha, src, mic, order)
    theirs = theirs[40:40 + len(ours)]  # remove pyroomacoustics' 40-sample filter delay
    n = min(len(ours), len(theirs))
    # Compare the part both contain fully (pyroomacoustics stops at its last image).
    a, b = ours[:n], theirs[:n]
    ncc = float(np.dot(a, b) / math.sqrt(np.dot(a, a) * np.dot(b, b)))
    energy_db = 10 * math.log10(np.dot(a, a) / np.dot(b, b))
    # Lag by cross-correlation around zero, parabolic refinement.
    lags = range(-5, 6)
    xc = [np.dot(a[max(0, -k):n - max(0, k)], b[max(0, k):n - max(0, -k)]) for k in lags]
    i = int(np.argmax(xc))
    lag = lags[i] + 0.5 * (xc[i - 1] - xc[i + 1]) / (xc[i - 1] - 2 * xc[i] + xc[i + 1])
    centres = [31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000]
    diff = octave_levels(a, FS, centres) - octave_levels(b, FS, centres)
    print(f"shoebox {dims}, alpha {alpha}, order {order}, {duration} s: vs pyroomacoustics")
    print(f"  normalized cross-correlation {ncc:.5f}  (target >= 0.998)")
    print(f"  energy difference {energy_db:+.3f} dB   (target within 0.1)")
    print(f"  lag {lag:+.4f} samples          (target within 0.01)")
    print("  octave differences (dB): " + "  ".join(f"{c:g}:{d:+.3f}" for c, d in zip(centres, diff)))
    ok = ncc >= 0.998 and abs(energy_db) <= 0.1 and abs(lag) <= 0.01 and np.all(np.abs(diff) <= 0.1)
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


def render():
    """scipy.signal.oaconvolve on the render benchmark's job: 3 min stereo 48 kHz, two speakers'
    1-s BRIR pairs, summed per ear (in memory), against Soundstage's whole `Renderer.render`
    (file in, convolution, loudness and true-peak metering, float WAV out, gain applied), both best
    of three, interleaved in one run."""
    import scipy.signal as ss
    rng = np.random.default_rng(5)
    h = [[(rng.standard_normal(FS) * np.exp(-np.arange(FS) / FS * 6.9) * 0.05).astype(np.float32) for _ in range(2)] for _ in range(2)]
    x = [(rng.standard_normal(180 * FS) * 0.1).astype(np.float32) for _ in range(2)]
    theirs, ours = [], []
    bench = os.path.join(ROOT, ".build", "release", "SoundstageBench")
    for _ in range(3):
        start = time.perf_counter()
        out = [sum(ss.oaconvolve(x[i], h[i][ear]) for i in range(2)) for ear in range(2)]
        theirs.append(time.perf_counter() - start)
        line = subprocess.run([bench, "render", "3"], capture_output=True, text=True, check=True).stdout
        ours.append(float(line.split(" s wall")[0].split()[-1]))
    t, s = min(theirs), min(ours)
    print(f"scipy.signal.oaconvolve, same 3-min job (convolution only, in memory): {t:.3f} s = {180 / t:.0f}x real time")
    print(f"Soundstage render (file to file, metered, leveled):                   {s:.3f} s = {180 / s:.0f}x real time"
          f" = {t / s:.1f}x scipy  (best of 3 each)")


if __name__ == "__main__":
    sys.exit({"bench": bench, "validate": validate, "render": render}[sys.argv[1]]() or 0)
