#!/usr/bin/env python3
"""What a coherent radar detector would gain, measured on loss_budget.py's
copies (run `loss_budget.py BINARY WORKDIR gpr` first): a numpy prototype,
not a minescan stage, to decide whether one is worth building.

On each copy with the soil's response removed (so every trace's surface
time is known exactly, from the soil-only copy's ground bounce):
  aligned   every trace shifted so that its surface lies at the lane's
            median surface time (a sub-sample shift by FFT);
  stacked   then each trace replaced by the mean of the aligned traces
            within STACK_M of it (coherent: a flat top's echo adds in
            phase, the noise does not);
  peak      then, per trace, the largest value of the envelope of the
            trace's correlation with the lane's own ground-bounce wavelet
            (a matched filter), over 0-0.2 m below the surface, instead of
            the mean power over the window.
Each is scored by `minescan evaluate` as the energy detector is
(radar-known-background.recipe; the peak through window-peak.recipe, which
reads the peak written over the whole trace).

Usage: coherent_radar.py BINARY WORKDIR [STACK_M]   (WORKDIR as given to
loss_budget.py; default STACK_M 0.05)"""
import glob
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
from scipy.signal import hilbert
from scipy.spatial import cKDTree

HERE = os.path.dirname(os.path.abspath(__file__))
V_M_PER_NS = 0.1
DEPTH_END_M = 0.2
COPIES = ("soil removed", "soil and noise removed",
          "soil and clutter removed")


def surface_times(e, dt, t0):
    """Per trace, the ground bounce's peak time in the soil-only copy (the
    lane's mean trace removed, so that the fixed direct coupling does not
    count), parabolic sub-sample; and the bounce wavelet (the first
    principal component of the bounces)."""
    k0 = int(t0 / dt)
    ec = e - e.mean(0)
    seg = np.abs(ec[:, :k0 + 24])
    seg[:, :k0] = 0
    k = np.clip(np.argmax(seg, axis=1), 1, seg.shape[1] - 2)
    i = np.arange(len(k))
    ym, yc, yp = seg[i, k - 1], seg[i, k], seg[i, k + 1]
    den = ym - 2 * yc + yp
    frac = np.where(den == 0, 0.0, 0.5 * (ym - yp) / np.where(den == 0, 1, den))
    _, _, vt = np.linalg.svd(ec[::7, k0:k0 + 24], full_matrices=False)
    w = vt[0]
    pk = int(np.argmax(np.abs(w)))
    lo, hi = max(0, pk - 8), min(len(w), pk + 9)
    return (k + frac) * dt, w[lo:hi] / np.linalg.norm(w[lo:hi]), pk - lo


def shift(d, by, dt):
    """Each trace moved earlier by `by` ns (FFT, zero-padded)."""
    ns = d.shape[1]
    f = np.fft.rfftfreq(2 * ns, dt)
    s = np.fft.rfft(np.concatenate([d, np.zeros_like(d)], axis=1), axis=1)
    return np.fft.irfft(s * np.exp(2j * np.pi * f[None, :] * by[:, None]),
                        axis=1)[:, :ns]


def correlate(d, w, c):
    y = np.zeros_like(d)
    for k in range(len(w)):
        s = k - c
        if s >= 0:
            y[:, :d.shape[1] - s] += w[k] * d[:, s:]
        else:
            y[:, -s:] += w[k] * d[:, :d.shape[1] + s]
    return y


def write(src, dst, data):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        f["gpr"]["data"][...] = data.astype(np.float32)


def evaluate(binary, folder, recipe):
    ev = folder + "-ev"
    subprocess.run([binary, "evaluate", *sorted(glob.glob(os.path.join(
        folder, "*.h5"))), "-o", ev, "--device", "cpu", "--recipe",
        os.path.join(HERE, recipe)], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(ev, "evaluate.json")) as f:
        ops = json.load(f)["operating_points"]
    return [o["n_detected"] for o in ops], ops[0]["n_mines"]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, work = sys.argv[1], os.path.join(sys.argv[2], "gpr")
    stack_m = float(sys.argv[3]) if len(sys.argv) == 4 else 0.05
    print(f"radar lanes: Pd at 0.1 / 0.5 / 1 false alarms per m2 "
          f"(stacking within {stack_m} m)")
    for copy in COPIES:
        src = os.path.join(work, copy.replace(" ", "-"))
        out = {k: os.path.join(work, "coherent", copy.replace(" ", "-"), k)
               for k in ("aligned", "stacked", "stacked-peak")}
        for p in out.values():
            os.makedirs(p, exist_ok=True)
        for lane in sorted(glob.glob(os.path.join(src, "*.h5"))):
            name = os.path.basename(lane)
            with h5py.File(lane, "r") as f:
                d = f["gpr"]["data"][:].astype(np.float64)
                x, y = f["gpr"]["x"][:], f["gpr"]["y"][:]
                dt = f["gpr"].attrs["sample_interval_s"] * 1e9
                t0 = f["gpr"].attrs["time_zero_s"] * 1e9
            with h5py.File(os.path.join(work, name[:-3] + "-E.h5"), "r") as f:
                e = np.nan_to_num(f["gpr"]["data"][:].astype(np.float64))
            valid = np.isfinite(d)
            ts, w, c = surface_times(e, dt, t0)
            ref = float(np.median(ts))
            a = shift(np.nan_to_num(d), ts - ref, dt)
            a[~valid] = np.nan
            write(lane, os.path.join(out["aligned"], name), a)
            a = np.nan_to_num(a)
            tree = cKDTree(np.c_[x, y])
            s = np.empty_like(a)
            for i, nb in enumerate(tree.query_ball_point(np.c_[x, y],
                                                         stack_m)):
                s[i] = a[nb].mean(0)
            s[~valid] = np.nan
            write(lane, os.path.join(out["stacked"], name), s)
            env = np.abs(hilbert(correlate(np.nan_to_num(s), w, c), axis=1))
            a0 = int(round(ref / dt))
            a1 = int(round((ref + 2 * DEPTH_END_M / V_M_PER_NS) / dt))
            peak = np.repeat(env[:, a0:a1].max(1)[:, None], d.shape[1], 1)
            peak[~valid.any(1)] = np.nan
            write(lane, os.path.join(out["stacked-peak"], name), peak)
        for k, p in out.items():
            recipe = "window-peak.recipe" if k == "stacked-peak" \
                else "radar-known-background.recipe"
            got, n = evaluate(binary, p, recipe)
            print(f"  {copy:26s} {k:13s} " + " / ".join(f"{v:3d}" for v in got)
                  + f" of {n}")


if __name__ == "__main__":
    main()
