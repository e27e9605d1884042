#!/usr/bin/env python3
"""Checks a SOFA file written by `soundstage export --format sofa` with an independent reader,
sofar (PyPI; `make check-sofa` installs it into .venv-bench): the file must open and pass sofar's
convention check for reading (MultiSpeakerBRIR 0.3 is reported as superseded by
SingleRoomMIMOSRIR, a warning, not an error; a SingleRoomMIMOSRIR file must also pass the strict
check for writing); then the dimensions, the sampling rate and the ITD
figures the issue asks for are printed from sofar's arrays.

    python scripts/check_sofa.py FILE.sofa
"""
import sys
import warnings

import numpy as np
import sofar


def itd_us(left, right, fs):
    """Interaural time difference (microseconds, + = left ear leads) from the cross-correlation of
    the first 2.5 ms after the direct sound, low-passed below 1.5 kHz by a moving average."""
    onset = int(np.argmax(np.abs(left) + np.abs(right)))
    start, end = max(0, onset - int(0.001 * fs)), onset + int(0.0025 * fs)
    width = int(fs / 1500)
    kernel = np.ones(width) / width
    l = np.convolve(left[start:end], kernel, "same")
    r = np.convolve(right[start:end], kernel, "same")
    lags = np.arange(-int(0.001 * fs), int(0.001 * fs) + 1)
    corr = [np.sum(l[max(0, -k):len(l) - max(0, k)] * r[max(0, k):len(r) - max(0, -k)]) for k in lags]
    return 1e6 * lags[int(np.argmax(corr))] / fs


def main(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sofa = sofar.read_sofa(path, verify=False)
        issues = sofa.verify(issue_handling="return", mode="read")
    errors = issues if isinstance(issues, str) and "ERRORS" in issues else None
    mimo = sofa.GLOBAL_SOFAConventions == "SingleRoomMIMOSRIR"
    print(f"{path}: {sofa.GLOBAL_SOFAConventions} {sofa.GLOBAL_SOFAConventionsVersion}, "
          f"Data.IR {sofa.Data_IR.shape} ({'M R N E' if mimo else 'M R E N'}), {float(np.ravel(sofa.Data_SamplingRate)[0]):.0f} Hz")
    for w in caught:
        print("  sofar warning:", str(w.message).splitlines()[0])
    if errors:
        print("  sofar found errors:\n" + errors)
        return 1
    print("  sofar's convention check (read): no errors")
    if mimo:  # the current convention must also pass the check for writing (strict)
        sofa.verify(issue_handling="raise", mode="write")
        print("  sofar's convention check (write, strict): no errors")
    ir = np.moveaxis(np.asarray(sofa.Data_IR), 3, 2) if mimo else np.asarray(sofa.Data_IR)  # [M R E N]
    fs = float(np.ravel(sofa.Data_SamplingRate)[0])
    views = np.asarray(sofa.ListenerView)
    yaw = np.degrees(np.arctan2(-views[:, 0], views[:, 1]))  # + = turned left, 0 = facing +y
    listener = np.ravel(sofa.ListenerPosition)[:3]
    for e, emitter in enumerate(np.asarray(sofa.EmitterPosition).reshape(-1, 3)):
        d = emitter - listener
        azimuth = np.degrees(np.arctan2(-d[0], d[1]))
        m = int(np.argmin(np.abs(yaw - azimuth)))
        at = itd_us(ir[m, 0, e], ir[m, 1, e], fs)
        line = f"  emitter {e}: azimuth {azimuth:+.1f}°, ITD at yaw {yaw[m]:+.0f}° {at:+.0f} µs"
        for theta in (20, 40):
            a, b = np.argmin(np.abs(yaw - (azimuth + theta))), np.argmin(np.abs(yaw - (azimuth - theta)))
            if abs(yaw[a] - azimuth - theta) < 1 and abs(yaw[b] - azimuth + theta) < 1:
                line += (f"; yaw ±{theta}° about it: {itd_us(ir[a, 0, e], ir[a, 1, e], fs):+.0f} / "
                         f"{itd_us(ir[b, 0, e], ir[b, 1, e], fs):+.0f} µs")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
