#!/usr/bin/env python3
"""Cross-check `soundstage analyze` against pyrato (PyPI; pyfar's room-acoustics package).

Same impulse responses on both sides: simulated RIRs from `soundstage simulate` and a synthetic
measured-style response (exponential decay in Gaussian noise over a noise floor 65 dB down).
Both start at the ISO 3382-1 onset; bands come from each tool's own octave filters (pyfar's
fractional_octave_bands, Butterworth order 3 here as in Soundstage). Targets (issue #8): T30 and EDT
within 2 %, C80 within 0.2 dB. Run by `make crosscheck-analysis`; never needed by `make test`.
"""
import json, math, os, subprocess, sys, tempfile

import numpy as np
import pyfar as pf
import pyrato

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import BIN, read_wav_float  # noqa: E402

FS = 48000
BANDS = {"500": 500, "1k": 1000, "2k": 2000}


def write_float_wav(path, x):
    data = np.asarray(x, dtype="<f4").tobytes()
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVE"
    fmt = b"fmt " + (16).to_bytes(4, "little") + (3).to_bytes(2, "little") + (1).to_bytes(2, "little") \
        + FS.to_bytes(4, "little") + (FS * 4).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    open(path, "wb").write(header + fmt + b"data" + len(data).to_bytes(4, "little") + data)


def ours(path):
    out = subprocess.run([BIN, "analyze", path, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def theirs(x, noisy):
    e = x ** 2
    onset = int(np.argmax(e >= e.max() * 0.01))
    signal = pf.Signal(x[onset:], FS)
    results = {}
    for label, fc in [("broadband", None)] + list(BANDS.items()):
        s = signal if fc is None else pf.dsp.filter.fractional_octave_bands(signal, 1, frequency_range=(fc, fc), order=3)
        # fractional_octave_bands is applied from the file start in Soundstage; here from the onset, as the
        # filter's own start-up transient precedes the onset by far less than the analysis windows.
        if noisy:
            edc = pyrato.edc.energy_decay_curve_lundeby(s, is_energy=False, time_shift=False, normalize=True)
        else:
            edc = pyrato.edc.schroeder_integration(s, is_energy=False)
            edc.time = edc.time / edc.time[..., :1]  # the regression expects an EDC normalized to 0 dB
        results[label] = {
            "T30": float(np.squeeze(pyrato.parameters.reverberation_time_linear_regression(edc, "T30"))),
            "EDT": float(np.squeeze(pyrato.parameters.reverberation_time_linear_regression(edc, "EDT"))),
            "C80": float(np.squeeze(pyrato.parameters.clarity(edc, 80))),
        }
    return results


def compare(name, path, x, noisy):
    a, b = ours(path), theirs(x, noisy)
    worst_t, worst_c, ok = 0.0, 0.0, True
    print(f"{name}:")
    for label in ["broadband"] + list(BANDS):
        row = []
        for p in ["T30", "EDT", "C80"]:
            mine = a["bands"][label][p].get("value")
            other = b[label][p]
            if mine is None or not math.isfinite(other):
                row.append(f"{p} —")
                continue
            if p == "C80":
                d = mine - other
                worst_c = max(worst_c, abs(d))
                ok &= abs(d) <= 0.2
                row.append(f"{p} {mine:+.2f}/{other:+.2f} dB ({d:+.2f})")
            else:
                d = (mine - other) / other * 100
                worst_t = max(worst_t, abs(d))
                ok &= abs(d) <= 2
                row.append(f"{p} {mine:.3f}/{other:.3f} s ({d:+.1f} %)")
        print(f"  {label:9s} " + "   ".join(row))
    return ok, worst_t, worst_c


def main():
    results = []
    with tempfile.TemporaryDirectory() as d:
        # A simulated shoebox RIR (image sources, every image within 1.2 s).
        room = {"name": "xcheck", "room": {"shoebox": {"width": 7, "length": 5.5, "height": 3.1}},
                "surfaces": {"all": "plaster", "floor": "carpet-on-pad", "ceiling": "ceiling-tile"},
                "speakers": [{"name": "S", "position": [1.9, 4.1, 1.3], "directivity": "omni"}],
                "listener": {"position": [4.6, 1.7, 1.2]}, "simulation": {"duration": 1.2}}
        json.dump(room, open(os.path.join(d, "x.json"), "w"))
        subprocess.run([BIN, "simulate", os.path.join(d, "x.json"), "-o", d, "--rays", "0"], capture_output=True, check=True)
        path = os.path.join(d, "xcheck", "rir-S.wav")
        results.append(compare("simulated shoebox RIR", path, read_wav_float(path), noisy=False))
        # A measured-style response: decay T = 0.9 s in Gaussian noise, noise floor 65 dB down, 2.5 s.
        rng = np.random.default_rng(5)
        t = np.arange(int(2.5 * FS)) / FS
        x = rng.standard_normal(t.size) * np.exp(-3 * math.log(10) / 0.9 * t)
        x += rng.standard_normal(t.size) * 10 ** (-65 / 20)
        x = np.concatenate([np.zeros(480), x])
        path = os.path.join(d, "measured.wav")
        write_float_wav(path, x)
        results.append(compare("measured-style IR with a noise floor", path, x, noisy=True))
    ok = all(r[0] for r in results)
    print(f"largest differences: T30/EDT {max(r[1] for r in results):.2f} %, C80 {max(r[2] for r in results):.3f} dB "
          f"(targets 2 % and 0.2 dB): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
