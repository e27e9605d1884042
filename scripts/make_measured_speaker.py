#!/usr/bin/env python3
"""Writes the synthetic two-way speaker of rooms/speakers/ (no real product's data):
horizontal and vertical polar exports, 20 Hz - 20 kHz in 1/12 octave, every 10 degrees.

Model: a 6.5-inch woofer (baffled piston, a = 83 mm) and a 1-inch dome (a = 14 mm) in a shallow
waveguide (a = 25 mm effective), 4th-order Linkwitz-Riley crossover at 1.8 kHz, the tweeter 0.14 m
above the woofer and its acoustic centre 2 cm ahead of the woofer's (so the vertical plane lobes near the crossover, tilted
downward), a sealed-box bass roll-off
(2nd-order high-pass, 50 Hz, Q 0.71) and 86 dB sensitivity. The horizontal file uses the
column-pair layout of Klippel exports, the vertical one a plain table.
"""
import numpy as np
from scipy.special import j1

C = 343.0


def piston(a, f, theta):
    """Baffled piston 2 J1(ka sin t)/(ka sin t) in front; behind, the 90-degree value blended toward a
    cardioid with the baffle step (w = (ka)^2 / (1 + (ka)^2))."""
    ka = 2 * np.pi * f / C * a
    x = ka * np.sin(min(theta, np.pi / 2))
    front = 1.0 if abs(x) < 1e-9 else 2 * j1(x) / x
    if theta <= np.pi / 2:
        return front
    w = ka * ka / (1 + ka * ka)
    return front * ((1 - w) + w * 0.5 * (1 + np.cos(theta)))


def response(f, theta, vertical_offset):
    s = 2j * np.pi * f
    wc = 2 * np.pi * 1800.0
    butterworth = s * s + np.sqrt(2) * wc * s + wc * wc
    lp = (wc * wc / butterworth) ** 2  # Linkwitz-Riley 4th order: two cascaded 2nd-order Butterworths
    hp = (s * s / butterworth) ** 2
    w0 = 2 * np.pi * 50.0
    box = s * s / (s * s + s * w0 / 0.71 + w0 * w0)
    path = np.exp(-2j * np.pi * f / C * vertical_offset)  # the tweeter's extra path above/below axis
    recess = np.exp(-2j * np.pi * f / C * 0.02)  # the woofer's acoustic centre 2 cm behind the tweeter's
    p = box * (piston(0.083, f, theta) * lp * recess + piston(0.025, f, theta) * hp * path)
    return 86 + 20 * np.log10(max(abs(p), 1e-6))


freqs = 20 * 2 ** (np.arange(0, int(12 * np.log2(20000 / 20)) + 1) / 12)
h_angles = list(range(0, 181, 10)) + [-a for a in range(10, 180, 10)]
v_angles = list(range(-170, 181, 10))

with open("rooms/speakers/two-way-horizontal.txt", "w") as out:
    out.write('"SPL Horizontal (synthetic two-way speaker, scripts/make_measured_speaker.py)"\n')
    out.write("\t".join(f'"{"On Axis" if a == 0 else f"{a}°"}"\t' for a in h_angles).rstrip("\t") + "\n")
    out.write("\t".join('"Frequency [Hz]"\t"[dB]"' for _ in h_angles) + "\n")
    for f in freqs:
        out.write("\t".join(f"{f:,.2f}\t{response(f, np.radians(abs(a)), 0):.2f}" for a in h_angles) + "\n")

with open("rooms/speakers/two-way-vertical.txt", "w") as out:
    out.write("# Vertical polar of the synthetic two-way speaker (scripts/make_measured_speaker.py); + = above the axis\n")
    out.write("Hz," + ",".join(str(a) for a in v_angles) + "\n")
    for f in freqs:
        row = [response(f, np.radians(abs(a)), 0.14 * np.sin(np.radians(a)) if abs(a) <= 90 else 0.0) for a in v_angles]
        out.write(f"{f:.2f}," + ",".join(f"{v:.2f}" for v in row) + "\n")
