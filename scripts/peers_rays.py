#!/usr/bin/env python3
"""Soundstage's hybrid (image sources + ray tracing) against pyroomacoustics' hybrid (PyPI).

  peers_rays.py bench     wall time of both at equal rays (10k, 50k) on a shoebox and an L-shaped room
  peers_rays.py validate  T30 per octave of both on the L-shaped room at 50k rays (target: within 5 %)

Used by `make bench` / `make validate-rays`; never by `make test`. Both sides: image sources to order 3,
the ray tracer for the rest, omni source and receiver, the same frequency-flat energy absorption and
scattering, no air absorption, no wave part, c = 343 m/s, the same response length; Soundstage's
diffraction (which pyroomacoustics lacks) stays on, as by default, for the timing and is off for the
T30 comparison. pyroomacoustics uses its
default receiver radius (0.5 m); Soundstage its automatic one. Each side's time is the whole
simulation (pyroomacoustics: room construction + compute_rir; Soundstage: the `simulate --rir-only`
command including process start and the WAV write).
"""
import json, math, os, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "soundstage")
C, FS = 343.0, 48000
ALPHA, SCATTER, ORDER = 0.15, 0.1, 3

ROOMS = {
    "shoebox 6x4x3 m": {"shoebox": [6.0, 4.0, 3.0], "src": [2.0, 3.0, 1.5], "mic": [4.0, 1.0, 1.7], "duration": 1.0},
    "L-shaped 8x7x3 m": {"corners": [[0, 0], [8, 0], [8, 4], [4, 4], [4, 7], [0, 7]], "height": 3.0,
                         "src": [6.5, 2.0, 1.5], "mic": [2.0, 5.5, 1.2], "duration": 1.2},
}


def room_json(spec, rays, diffraction=True):
    geometry = ({"shoebox": dict(zip(["width", "length", "height"], spec["shoebox"]))} if "shoebox" in spec
                else {"floorPlan": {"points": spec["corners"], "height": spec["height"]}})
    return {"name": "peer", "room": geometry, "surfaces": {"all": {"absorption": ALPHA, "scattering": SCATTER}},
            "speakers": [{"name": "S", "position": spec["src"], "directivity": "omni"}],
            "listener": {"position": spec["mic"]}, "air": {"speedOfSound": C},
            "simulation": {"sampleRate": FS, "duration": spec["duration"], "airAbsorption": False, "highpass": 0,
                           "maxOrder": ORDER, "rays": rays, "seed": 7,
                           # No wave part, which pyroomacoustics has no match for. The speed comparison
                           # keeps the default diffraction (at free and convex edges: the L-room's inner
                           # corner); the T30 comparison turns it off, as pyroomacoustics has none.
                           "diffraction": diffraction, "wave": False}}


def run_soundstage(spec, rays, keep=None, seed=7, diffraction=True):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "peer.json")
        config = room_json(spec, rays, diffraction)
        config["simulation"]["seed"] = seed
        json.dump(config, open(path, "w"))
        start = time.perf_counter()
        out = subprocess.run([BIN, "simulate", path, "-o", d, "--rir-only", "--reflections-order", "0"], capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if out.returncode != 0:
            sys.exit(out.stderr)
        if keep:
            os.replace(os.path.join(d, "peer", "rir-S.wav"), keep)
        return elapsed


def run_pra(spec, rays):
    import pyroomacoustics as pra
    pra.constants.set("c", C)
    start = time.perf_counter()
    mat = pra.Material(energy_absorption=ALPHA, scattering=SCATTER)
    if "shoebox" in spec:
        room = pra.ShoeBox(spec["shoebox"], fs=FS, materials=mat, max_order=ORDER, ray_tracing=True, air_absorption=False)
    else:
        corners = np.array(spec["corners"], dtype=float).T
        room = pra.Room.from_corners(corners, fs=FS, materials=mat, max_order=ORDER, ray_tracing=True, air_absorption=False)
        room.extrude(spec["height"], materials=mat)
    room.set_ray_tracing(n_rays=rays, receiver_radius=0.5, energy_thres=1e-7, time_thres=spec["duration"], hist_bin_size=0.004)
    room.add_source(spec["src"])
    room.add_microphone(spec["mic"])
    room.compute_rir()
    elapsed = time.perf_counter() - start
    return np.asarray(room.rir[0][0], dtype=np.float64), elapsed


def run_bench_inprocess(spec, rays):
    """Soundstage's hybrid timed inside one process (SoundstageBench hybrid), like pyroomacoustics'."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "peer.json")
        json.dump(room_json(spec, rays), open(path, "w"))
        out = subprocess.run([os.path.join(ROOT, ".build", "release", "SoundstageBench"), "hybrid", path],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def bench():
    print(f"hybrid vs pyroomacoustics hybrid (ISM order {ORDER} + rays), alpha {ALPHA}, scattering {SCATTER}, equal rays;")
    print("  in-process simulation time, best of 3 (Soundstage: HybridSimulator.run; pyroomacoustics: room + compute_rir),")
    print("  and Soundstage's whole `simulate --rir-only` command (process start, JSON, WAV write) for reference:")
    for name, spec in ROOMS.items():
        for rays in (10_000, 50_000):
            ours = run_bench_inprocess(spec, rays)
            t_cmd = min(run_soundstage(spec, rays) for _ in range(2))
            t_pra = min(run_pra(spec, rays)[1] for _ in range(3))
            t = ours["seconds"]
            print(f"  {name:18s} {rays:6d} rays  soundstage {t:6.3f} s ({rays / t / 1e3:5.0f} k rays/s, "
                  f"{ours['reflections'] / t / 1e6:5.1f} M reflections/s; command {t_cmd:5.3f} s)"
                  f"   pyroomacoustics {t_pra:6.3f} s   ratio {t_pra / t:5.1f}x (command {t_pra / t_cmd:4.1f}x)")


def validate(runs=6):
    """Mean T30 over `runs` seeds (ours) and `runs` runs (pyroomacoustics draws its own random rays
    and noise each run): single low-band T30s of either fluctuate by several per cent."""
    import soundfile as sf
    spec = ROOMS["L-shaped 8x7x3 m"]
    rays = 50_000
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as d:
        for k in range(runs):
            path = os.path.join(d, f"ours{k}.wav")
            run_soundstage(spec, rays, keep=path, seed=k + 1, diffraction=False)
            ours.append(analyze(path))
            rir, _ = run_pra(spec, rays)
            path = os.path.join(d, f"theirs{k}.wav")
            sf.write(path, rir.astype(np.float32), FS, subtype="FLOAT")
            theirs.append(analyze(path))
    print(f"L-shaped room, {rays} rays, mean T30 over {runs} runs each: Soundstage hybrid vs pyroomacoustics hybrid")
    ok = True
    for band in ours[0]:
        a = [r[band] for r in ours if r.get(band)]
        b = [r[band] for r in theirs if r.get(band)]
        if not a or not b:
            continue
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        diff = (ma / mb - 1) * 100
        graded = band not in ("63",)
        ok &= abs(diff) <= 5 or not graded
        spread = lambda v: (max(v) - min(v)) / (sum(v) / len(v)) * 100
        print(f"  {band:>9s}  {ma:6.3f} s (spread {spread(a):4.1f} %)  {mb:6.3f} s (spread {spread(b):4.1f} %)  {diff:+6.1f} %"
              + ("" if graded else "  (not graded: see README)") + ("  > 5 %" if graded and abs(diff) > 5 else ""))
    print("  PASS (125 Hz - 8 kHz and broadband within 5 %)" if ok else "  FAIL")
    return 0 if ok else 1


def analyze(path):
    out = subprocess.run([BIN, "analyze", path, "--json"], capture_output=True, text=True, check=True)
    return extract_t30(json.loads(out.stdout))


def extract_t30(data):
    order = ["63", "125", "250", "500", "1k", "2k", "4k", "8k", "broadband"]
    bands = data["bands"]
    return {b: bands[b]["T30"].get("value") for b in order if b in bands}


if __name__ == "__main__":
    sys.exit({"bench": bench, "validate": validate}[sys.argv[1]]() or 0)
