#!/usr/bin/env python3
"""How far the seed moves each metric, and whether each run's own error bar says so.

For every room given (default: every example room) the room is simulated with seeds 1-5; per
speaker and octave (250 Hz - 4 kHz) the script prints the range (max - min) of EDT and T30 (in % of
the mean), of C80 and C50 (dB) and of the width, and beside each the range the run's jackknife
standard error predicts for five draws (2.33 sigma, the expected range of five normal values).
Usage: scripts/seed_spread.py [ROOM.json ...]   (uses .build/release/soundstage)
"""
import glob, json, os, subprocess, sys, tempfile

BIN = os.path.join(os.path.dirname(__file__), "..", ".build", "release", "soundstage")
BANDS = ["250", "500", "1k", "2k", "4k"]
SEEDS = range(1, 6)


def simulate(room, seed, out):
    subprocess.run([BIN, "simulate", room, "-o", out, "--seed", str(seed), "--no-plots"], check=True, capture_output=True)
    name = json.load(open(room))["name"]
    return json.load(open(os.path.join(out, name, "metrics.json")))


def main():
    rooms = sys.argv[1:] or sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "rooms", "*.json")))
    with tempfile.TemporaryDirectory() as out:
        for room in rooms:
            runs = [simulate(room, s, out) for s in SEEDS]
            for i, speaker in enumerate(runs[0]["speakers"]):
                print(f"== {os.path.basename(room)} {speaker['speaker']}")
                for metric, relative in (("EDT", True), ("T30", True), ("C80", False), ("C50", False)):
                    cells = []
                    for band in BANDS:
                        p = [r["speakers"][i]["omni"]["bands"][band][metric] for r in runs]
                        values = [x["value"] for x in p if "value" in x]
                        sigmas = [x["uncertainty"] for x in p if "uncertainty" in x]
                        if len(values) < len(runs):
                            cells.append(f"{band}: -")
                            continue
                        spread, mean = max(values) - min(values), sum(values) / len(values)
                        predicted = 2.33 * sum(sigmas) / len(sigmas) if sigmas else float("nan")
                        if relative:
                            cells.append(f"{band}: {100 * spread / mean:.1f}% [{100 * predicted / mean:.1f}%]")
                        else:
                            cells.append(f"{band}: {spread:.2f} [{predicted:.2f}] dB")
                    print(f"  {metric:4s} " + "  ".join(cells))
                widths = [r["speakers"][i]["soundstage"]["width"].get("value") for r in runs]
                if None not in widths:
                    print(f"  width {min(widths):.3f}-{max(widths):.3f} (range {max(widths) - min(widths):.3f})")


if __name__ == "__main__":
    main()
