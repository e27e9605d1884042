#!/usr/bin/env python3
"""Dataset throughput: `soundstage batch` against pyroomacoustics on the same random shoeboxes.

  peers_batch.py [N]   N scenes (default 300) from `soundstage scenes`, each 0.5 s at 16 kHz, octave-band
                       materials (a random alpha per band and surface), no rays, no wave part, air absorption
                       on, both sides making and writing one RIR per scene — twice: image sources to order 10,
                       and every image source within the 0.5 s (Soundstage's maxOrder "auto", pyroomacoustics'
                       max_order = ceil(c T / shortest side) + 2: the same reach as peers.py; N/3 scenes).

Soundstage: the whole `soundstage batch` process on 2 threads (WAV files, the manifest, ISO 3382-1
parameters per band). pyroomacoustics (PyPI): ShoeBox + compute_rir with the same materials (per-band
energy absorption at the same centres), reach, rate and air absorption, the RIR cut to 0.5 s and
written with soundfile, in a multiprocessing pool of 2 — the way datasets are made with it. Used by
`make bench`; never by `make test`.
"""
import json, math, multiprocessing, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "soundstage")
FS, SECONDS, C = 16000, 0.5, 343.0
BANDS = ["63", "125", "250", "500", "1000", "2000", "4000", "8000"]
RANGES = {"width": [3, 8], "length": [3, 10], "height": [2.4, 4], "absorption": [0.05, 0.6], "sources": 1,
          "clearance": 0.5, "minDistance": 1.0,
          "simulation": {"sampleRate": FS, "duration": SECONDS, "rays": 0, "wave": False}}
# Soundstage's shoebox surfaces and pyroomacoustics' walls of the same planes.
WALLS = {"left": "west", "right": "east", "back": "south", "front": "north", "floor": "floor", "ceiling": "ceiling"}


def pra_scene(args):
    line, out, fixed = args
    import numpy as np
    import pyroomacoustics as pra
    import soundfile
    scene = json.loads(line)
    box = scene["room"]["shoebox"]
    materials = {}
    for ours, theirs in WALLS.items():
        alpha = scene["surfaces"][ours]["absorption"]
        materials[theirs] = pra.Material(energy_absorption={"coeffs": [alpha[b] for b in BANDS],
                                                            "center_freqs": [float(b) if b != "63" else 62.5 for b in BANDS]})
    dims = [box["width"], box["length"], box["height"]]
    order = fixed or math.ceil(C * SECONDS / min(dims)) + 2  # else every image within the IR length
    room = pra.ShoeBox(dims, fs=FS, materials=materials, max_order=order, air_absorption=True)
    room.add_source(scene["speakers"][0]["position"])
    room.add_microphone(scene["listener"]["position"])
    room.compute_rir()
    rir = np.asarray(room.rir[0][0], dtype=np.float32)[: int(SECONDS * FS)]
    soundfile.write(out, rir, FS, subtype="FLOAT")


def compare(n, order):
    """Scenes per second of both with image order `order` (None: every image within the IR length)."""
    with tempfile.TemporaryDirectory() as d:
        ranges = os.path.join(d, "ranges.json")
        r = json.loads(json.dumps(RANGES))
        r["simulation"]["maxOrder"] = order if order else "auto"
        json.dump(r, open(ranges, "w"))
        scenes = os.path.join(d, "scenes.jsonl")
        subprocess.run([BIN, "scenes", "--count", str(n), "--seed", "1", "--ranges", ranges, "-o", scenes], check=True)
        start = time.perf_counter()
        r = subprocess.run([BIN, "batch", scenes, "--out", os.path.join(d, "ours"), "--threads", "2"], capture_output=True, text=True)
        ours = time.perf_counter() - start
        if r.returncode != 0:
            sys.exit(r.stderr)
        lines = open(scenes).read().splitlines()
        os.makedirs(os.path.join(d, "pra"))
        jobs = [(line, os.path.join(d, "pra", f"{k}.wav"), order) for k, line in enumerate(lines)]
        start = time.perf_counter()
        with multiprocessing.Pool(2) as pool:
            pool.map(pra_scene, jobs, chunksize=4)
        theirs = time.perf_counter() - start
    reach = f"image order {order}" if order else f"every image source within {SECONDS} s"
    print(f"batch: {n} random shoeboxes, {SECONDS} s at {FS} Hz, octave bands, {reach}, no rays, 2 cores")
    print(f"  soundstage batch  {n / ours:7.1f} RIRs/s ({ours:.2f} s, whole process: WAVs, manifest, per-band metrics)")
    print(f"  pyroomacoustics   {n / theirs:7.1f} RIRs/s ({theirs:.2f} s, ShoeBox + compute_rir + soundfile, Pool(2))")
    print(f"  ratio {theirs / ours:.1f}x")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    multiprocessing.set_start_method("fork", force=True)
    compare(n, 10)
    compare(max(2, n // 3), None)


if __name__ == "__main__":
    main()
