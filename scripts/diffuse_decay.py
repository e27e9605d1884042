#!/usr/bin/env python3
"""Soundstage's decay in a mesh room against an independent random walk (`make validate-diffuse`).

For a room whose every surface has the same absorption and reflects diffusely (Lambert), the decay
follows from the room's free paths alone: start sound particles uniformly in the volume with
isotropic directions (the steady diffuse state), let them bounce with cosine-distributed directions,
and the room's energy after t is the mean of (1 - alpha)^n(t), n the reflections so far. This script
does that walk itself (numpy, its own ear clipping and ray-triangle tests; nothing from Soundstage),
then runs `soundstage simulate` on the same mesh with the same material and compares T20.

It also prints Eyring's formula and Kuttruff's correction for the spread of free paths (Room
Acoustics, chapter 5: T = T_Eyring / (1 + gamma^2 ln(1 - alpha) / 2), gamma^2 the relative variance
of the free path length), with gamma^2 measured on the same walks: in a room with recesses and boxes
(BRAS CR2) the decay is measurably slower than Eyring's, which matters when a room's absorption was
fitted with Eyring's formula.

  diffuse_decay.py [--room rooms/bras-cr2.json] [--alpha 0.083] [--walkers 3000] [--seed 7]

Target: Soundstage's broadband T20 within 3 % of the walk's. Needs numpy only (never used by `make test`).
"""
import argparse, json, math, os, subprocess, sys, tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "soundstage")
C = 343.0


def read_polygons(path, up):
    """Polygons (lists of 3-D points, z up) of an AC3D or Wavefront OBJ file."""
    text = open(path).read().split("\n")
    polys = []
    if path.lower().endswith(".ac"):
        i, verts = 0, None
        while i < len(text):
            f = text[i].split()
            if f and f[0] == "numvert":
                n = int(f[1])
                verts = np.array([[float(v) for v in text[i + 1 + k].split()[:3]] for k in range(n)])
                i += n
            elif f and f[0] == "SURF":
                j = i + 1
                while text[j].split()[0] != "refs":
                    j += 1
                n = int(text[j].split()[1])
                polys.append(verts[[int(text[j + 1 + k].split()[0]) for k in range(n)]])
                i = j + n
            i += 1
    else:
        verts = []
        for line in text:
            f = line.split()
            if f and f[0] == "v":
                verts.append([float(v) for v in f[1:4]])
            elif f and f[0] == "f":
                polys.append(np.array([verts[int(t.split("/")[0]) - 1] for t in f[1:]]))
    if up == "y":  # (x, y_up, z) -> (x, -z, y_up), as the room file's "up": "y"
        polys = [np.stack([p[:, 0], -p[:, 2], p[:, 1]], 1) for p in polys]
    return polys


def triangulate(p):
    """Ear clipping of a planar, possibly non-convex polygon, in its dominant projection."""
    n = np.zeros(3)
    for k in range(len(p)):
        n += np.cross(p[k], p[(k + 1) % len(p)])
    if np.linalg.norm(n) < 1e-12:
        return []
    keep = [j for j in range(3) if j != int(np.argmax(np.abs(n)))]
    q = p[:, keep]
    area = sum(q[k, 0] * q[(k + 1) % len(q), 1] - q[(k + 1) % len(q), 0] * q[k, 1] for k in range(len(q)))
    idx = list(range(len(q)))[:: 1 if area > 0 else -1]

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    tris = []
    while len(idx) > 3:
        for k in range(len(idx)):
            i0, i1, i2 = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            if cross(q[i0], q[i1], q[i2]) <= 1e-12:
                continue
            if any(cross(q[i0], q[i1], q[j]) >= 0 and cross(q[i1], q[i2], q[j]) >= 0 and cross(q[i2], q[i0], q[j]) >= 0
                   for j in idx if j not in (i0, i1, i2)):
                continue
            tris.append((i0, i1, i2))
            idx.pop(k)
            break
        else:
            break  # degenerate remainder (collinear sliver): nothing left to clip
    if len(idx) == 3:
        tris.append(tuple(idx))
    return [(p[a], p[b], p[c]) for a, b, c in tris]


class Mesh:
    def __init__(self, polygons):
        tris = [t for p in polygons for t in triangulate(p)]
        self.a = np.array([t[0] for t in tris])
        self.e1 = np.array([t[1] - t[0] for t in tris])
        self.e2 = np.array([t[2] - t[0] for t in tris])
        n = np.cross(self.e1, self.e2)
        self.area = np.linalg.norm(n, axis=1) / 2
        self.normal = n / np.linalg.norm(n, axis=1)[:, None]
        pts = np.concatenate([self.a, self.a + self.e1, self.a + self.e2])
        self.lo, self.hi = pts.min(0), pts.max(0)
        # Files need not orient their faces consistently: turn every normal into the room (the point
        # just in front of the triangle's centroid must be inside), then the divergence theorem.
        centroid = self.a + (self.e1 + self.e2) / 3
        inward = self.inside(centroid + 1e-4 * self.normal)
        self.normal[~inward] *= -1
        self.volume = -(np.einsum("ij,ij->i", centroid, self.normal) * self.area).sum() / 3

    def cast(self, o, d):
        """Nearest hit (distance, triangle) of each ray, Moller-Trumbore over all triangles."""
        p = np.cross(d[:, None, :], self.e2[None])
        det = np.einsum("ntk,tk->nt", p, self.e1)
        ok = np.abs(det) > 1e-12
        inv = np.where(ok, 1 / np.where(ok, det, 1), 0)
        s = o[:, None, :] - self.a[None]
        u = np.einsum("ntk,ntk->nt", s, p) * inv
        q = np.cross(s, self.e1[None])
        v = np.einsum("ntk,nk->nt", q, d) * inv
        t = np.einsum("ntk,tk->nt", q, self.e2) * inv
        ok &= (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9) & (t > 1e-7)
        t = np.where(ok, t, np.inf)
        j = np.argmin(t, axis=1)
        return t[np.arange(len(o)), j], j

    def inside(self, pts):
        d = np.tile(np.array([0.2113, 0.3271, 0.9211]) / np.linalg.norm([0.2113, 0.3271, 0.9211]), (len(pts), 1))
        count = np.zeros(len(pts), int)
        o, alive = pts.copy(), np.ones(len(pts), bool)
        while alive.any():
            ia = np.where(alive)[0]
            t, _ = self.cast(o[ia], d[ia])
            hit = np.isfinite(t)
            count[ia[hit]] += 1
            o[ia[hit]] += (t[hit] + 1e-6)[:, None] * d[ia[hit]]
            alive[ia[~hit]] = False
        return count % 2 == 1


def walk(mesh, alpha, walkers, seconds, rng, dt=0.002):
    """Global energy per dt bin and every free path length."""
    pts = np.zeros((0, 3))
    while len(pts) < walkers:
        c = mesh.lo + (mesh.hi - mesh.lo) * rng.random((walkers, 3))
        pts = np.vstack([pts, c[mesh.inside(c)]])
    o = pts[:walkers]
    d = rng.standard_normal((walkers, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    bins = int(seconds / dt)
    energy = np.zeros(bins)
    travelled = np.zeros(walkers)
    order = np.zeros(walkers, int)
    alive = np.ones(walkers, bool)
    free_paths, first = [], True
    lost = 0
    while alive.any():
        ia = np.where(alive)[0]
        t, j = mesh.cast(o[ia], d[ia])
        miss = ~np.isfinite(t)
        lost += int(miss.sum())
        alive[ia[miss]] = False
        ia, t, j = ia[~miss], t[~miss], j[~miss]
        if not first:  # the first leg starts inside the volume, not on a wall
            free_paths.append(t)
        first = False
        # The walker's energy (1 - alpha)^n over [travelled, travelled + t), spread over the bins.
        w = (1 - alpha) ** order[ia]
        t0, t1 = travelled[ia] / C, np.minimum((travelled[ia] + t) / C, seconds)
        edges = np.arange(bins + 1) * dt
        for k in range(len(ia)):
            if t0[k] >= seconds:
                continue
            b0, b1 = int(t0[k] / dt), min(bins - 1, int(t1[k] / dt))
            seg = np.clip(np.minimum(edges[b0 + 1:b1 + 2], t1[k]) - np.maximum(edges[b0:b1 + 1], t0[k]), 0, None)
            energy[b0:b1 + 1] += w[k] * seg
        travelled[ia] += t
        order[ia] += 1
        x = o[ia] + t[:, None] * d[ia]
        n = mesh.normal[j]
        n = -np.sign(np.einsum("ij,ij->i", n, d[ia]))[:, None] * n  # facing back into the room
        # Lambert direction about n (Malley's method).
        r2 = np.full(len(ia), 2.0)
        a, b = np.zeros(len(ia)), np.zeros(len(ia))
        while (r2 >= 1).any():
            m = r2 >= 1
            a[m], b[m] = rng.uniform(-1, 1, m.sum()), rng.uniform(-1, 1, m.sum())
            r2[m] = a[m] ** 2 + b[m] ** 2
        ref = np.where((np.abs(n[:, 0]) < 0.9)[:, None], np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
        u = np.cross(n, ref)
        u /= np.linalg.norm(u, axis=1)[:, None]
        v = np.cross(n, u)
        d[ia] = a[:, None] * u + b[:, None] * v + np.sqrt(1 - r2)[:, None] * n
        o[ia] = x + 1e-7 * n
        alive[ia[travelled[ia] >= C * seconds]] = False
    return energy, np.concatenate(free_paths), lost


def t20(times, level_db):
    m = (level_db <= -5) & (level_db >= -25)
    return -60 / np.polyfit(times[m], level_db[m], 1)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--room", default=os.path.join(ROOT, "rooms", "bras-cr2.json"))
    ap.add_argument("--alpha", type=float, default=0.083)
    ap.add_argument("--walkers", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rays", type=int, default=50000)
    args = ap.parse_args()
    room = json.load(open(args.room))
    mesh_spec = room["room"]["mesh"]
    mesh_path = os.path.join(os.path.dirname(os.path.abspath(args.room)), mesh_spec["file"])
    mesh = Mesh(read_polygons(mesh_path, mesh_spec.get("up", "z")))
    surface = mesh.area.sum()
    seconds = 1.6
    energy, paths, lost = walk(mesh, args.alpha, args.walkers, seconds, np.random.default_rng(args.seed))
    times = (np.arange(len(energy)) + 0.5) * 0.002
    walk_t20 = t20(times, 10 * np.log10(energy / energy[0]))
    gamma2 = paths.var() / paths.mean() ** 2
    ln = math.log(1 - args.alpha)
    eyring = 24 * math.log(10) * mesh.volume / (C * -surface * ln)
    kuttruff = eyring / (1 + gamma2 * ln / 2)

    with tempfile.TemporaryDirectory() as d:
        config = {"name": "diffuse", "room": {"mesh": {"file": mesh_path, "up": mesh_spec.get("up", "z")}},
                  "surfaces": {"all": {"absorption": args.alpha, "scattering": 1}},
                  "speakers": [{"name": "S", "position": room["speakers"][0]["position"], "directivity": "omni"}],
                  "listener": {"position": room["listener"]["position"]}, "air": {"speedOfSound": C},
                  "simulation": {"sampleRate": 48000, "duration": seconds, "airAbsorption": False, "highpass": 0,
                                 "maxOrder": 3, "rays": args.rays, "seed": args.seed}}
        path = os.path.join(d, "diffuse.json")
        json.dump(config, open(path, "w"))
        out = subprocess.run([BIN, "simulate", path, "-o", d, "--rir-only", "--reflections-order", "0"], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr)
        analysis = subprocess.run([BIN, "analyze", os.path.join(d, "diffuse", "rir-S.wav"), "--json"], capture_output=True, text=True)
        bands = json.loads(analysis.stdout)["bands"]
    ours = bands["broadband"]["T20"]["value"]
    octaves = [bands[b]["T20"]["value"] for b in ("500", "1k", "2k")]

    print(f"{os.path.basename(mesh_path)}: V = {mesh.volume:.1f} m³, S = {surface:.1f} m², every surface alpha = {args.alpha}, Lambert reflection")
    print(f"random walk ({args.walkers} walkers, {len(paths)} free paths, {lost} lost): mean free path {paths.mean():.3f} m"
          f" (4V/S = {4 * mesh.volume / surface:.3f} m), gamma² = {gamma2:.3f}")
    print(f"  T20 of the walk's global decay   {walk_t20:.3f} s")
    print(f"  Eyring                           {eyring:.3f} s   (walk / Eyring {walk_t20 / eyring:.3f})")
    print(f"  Kuttruff (free-path variance)    {kuttruff:.3f} s   (walk / Kuttruff {walk_t20 / kuttruff:.3f})")
    print(f"  Soundstage T20 broadband         {ours:.3f} s   (/ walk {ours / walk_t20:.3f}); 500 Hz–2 kHz "
          + ", ".join(f"{t:.3f}" for t in octaves))
    ok = abs(ours / walk_t20 - 1) <= 0.03
    print("PASS: within 3 % of the random walk" if ok else "FAIL: more than 3 % from the random walk")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
