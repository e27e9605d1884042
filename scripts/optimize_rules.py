#!/usr/bin/env python3
"""`make validate-optimize`: for every example room with a stereo layout, the placement search's best
against the user's placement and two rules of thumb, all scored by the same objective
(`soundstage optimize`, goal of the room file or "balanced"):

- the 38 % rule: the seat 0.38 L from the front wall, the speakers where the room file has them;
- Cardas' placement for a rectangular room: each speaker 0.276 W from its side wall and 0.447 W
  from the front wall, the listener on the equilateral triangle.

Prints, per room, the steady-state bass σ (dB, L + R at the seat, RPG's modal term) and the cost of
each placement. Needs only the built binary (no peers)."""
import json
import os
import subprocess
import sys
import tempfile

BIN = ".build/release/soundstage"
ROOMS = ["rooms/home-studio.json", "rooms/home-studio-wide.json", "rooms/living-room.json", "rooms/attic-studio.json"]


def optimize(room, out, *flags):
    run = subprocess.run([BIN, "optimize", room, "--no-check", "-o", out, *flags], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{room}: optimize {' '.join(flags)} failed: {run.stderr.strip()}")
    name = json.load(open(room)).get("name", os.path.splitext(os.path.basename(room))[0])
    return json.load(open(os.path.join(out, name, "optimize", "candidates.json")))["candidates"]


def bounds(room):
    """The room's width (x) and length (y): a shoebox's, or a z-up Wavefront OBJ mesh's extents."""
    doc = json.load(open(room))
    if "shoebox" in doc["room"]:
        s = doc["room"]["shoebox"]
        return s["width"], s["length"]
    mesh = os.path.join(os.path.dirname(room), doc["room"]["mesh"]["file"])
    vertices = [list(map(float, line.split()[1:4])) for line in open(mesh) if line.startswith("v ")]
    xs, ys = [v[0] for v in vertices], [v[1] for v in vertices]
    return max(xs) - min(xs), max(ys) - min(ys)


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for room in ROOMS:
            spk = json.load(open(room))["speakers"]
            width, length = bounds(room)
            full = optimize(room, os.path.join(tmp, "a"))
            current = full[0]
            best = min((c for c in full if c["stage"] != "grid" and c.get("cost") is not None), key=lambda c: c["cost"])
            free = ["--seats", "1", "--listener-distance", "0.5:20", "--stereo-angle", "5:175"]
            seat38 = 0.38 * length
            rule = optimize(room, os.path.join(tmp, "b"), "--seat", f"{seat38:.3f}", "--spacing", str(spk["spacing"]),
                            "--front-wall-distance", str(spk["frontWallDistance"]), *free)
            r38 = next(c for c in rule if c["stage"] == "refined")
            spacing, front = width * (1 - 2 * 0.276), 0.447 * width
            seat = front + spacing * 3 ** 0.5 / 2
            try:
                cardas = optimize(room, os.path.join(tmp, "c"), "--seat", f"{seat:.3f}", "--spacing", f"{spacing:.3f}",
                                  "--front-wall-distance", f"{front:.3f}", *free)
                rc = next(c for c in cardas if c["stage"] == "refined")
            except SystemExit as e:
                print(e, file=sys.stderr)
                rc = None
            rows.append((room, current, best, r38, rc))
    print(f"{'room':28} {'current σ/cost':>16} {'best σ/cost':>16} {'38 % σ/cost':>16} {'Cardas σ/cost':>16}")
    for room, cur, best, r38, rc in rows:
        def cell(c):
            return "—" if c is None else f"{c['terms']['bassModal']:.2f}/{c['cost']:.2f}"
        print(f"{os.path.basename(room):28} {cell(cur):>16} {cell(best):>16} {cell(r38):>16} {cell(rc):>16}")


if __name__ == "__main__":
    main()
