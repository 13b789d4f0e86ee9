#!/usr/bin/python3
"""The default recipe in numpy/scipy: the script minescan batch is measured
against (bench/bench_pipeline.py, minescan-bench).

    numpy_chain.py -o OUTDIR FILE.h5...  [--json-out FILE]

For each recording: read it with h5py (missing samples become zeros and a
mask, as minescan's reader does), then the steps of minescan's `default`
recipe with its parameters, using the vectorised peers of
bench/numpy_peer.py: dewow, background removal (201 traces), ground
alignment, background removal (51), FIR Hilbert envelope, depth-window
energy, Gaussian gridding and zscore of the radar; detrending, gridding
and zscore of the metal detector; fusion; then the peaks of the fused map
at 3 standard deviations or more, at least 0.15 m apart, written to
OUTDIR/NAME/alarms.csv as minescan writes them. Nothing else is written:
no PNG, no maps, no scores. Prints (or writes) a JSON object with the time
per file.

Simplifications (they do not change the work done): a flat top of equal
peak cells gives its first cell rather than its centre; the amplitude
rescaling minescan applies to data far from 1 (which changes no figure) is
left out.
"""
import argparse
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import scipy.ndimage as ndi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_peer as P  # noqa: E402

F32 = np.float32

# minescan's built-in `default` recipe (minescan recipes --show)
RECIPE = {
    "dewow": {"periods": 3.0, "window_ns": 2.0},
    "background_removal_1": {"window_traces": 201},
    "ground_align": {"search_start_ns": 0.0, "search_end_ns": 2.5, "target_ns": 0.5,
                     "min_bounce_ratio": 2.0},
    "background_removal_2": {"window_traces": 51},
    "envelope": {"half_taps": 15},
    "window_energy": {"depth_start_m": 0.01, "depth_end_m": 0.2,
                      "velocity_m_per_ns": 0.1, "surface_ns": 0.5,
                      "guard_periods": 0.4},
    "grid": {"cell_m": 0.02, "radius_m": 0.08, "channel": 0},
    "emi_detrend": {"window_readings": 61},
    "fuse": {"w_gpr": 1.0, "w_emi": 1.0},
}
THRESHOLD, SEPARATION_M, SENSOR_THRESHOLD = 3.0, 0.15, 1.5


def read_sensor(f, name):
    """data (float32, missing -> 0), mask, x, y of /gpr or /emi, or None."""
    if name not in f:
        return None
    g = f[name]
    d = g["data"]
    raw = d[()]
    data = raw.astype(F32)
    missing = np.zeros(data.shape, dtype=bool)
    if "_FillValue" in d.attrs:
        missing |= raw == d.attrs["_FillValue"]
    if "scale_factor" in d.attrs or "add_offset" in d.attrs:
        data = (raw * float(d.attrs.get("scale_factor", 1.0)) +
                float(d.attrs.get("add_offset", 0.0))).astype(F32)
    missing |= ~np.isfinite(data)
    data[missing] = 0
    x, y = g["x"][()].astype(np.float64), g["y"][()].astype(np.float64)
    keep = np.isfinite(x) & np.isfinite(y)  # traces without a position drop
    mask = (~missing).astype(F32)
    return {"data": data[keep], "mask": mask[keep], "x": x[keep], "y": y[keep],
            "attrs": dict(g.attrs)}


def lane_of(f, sensors):
    if "lane" in f:
        a = f["lane"].attrs
        lane = [float(a["x_min"]), float(a["x_max"]), float(a["y_min"]), float(a["y_max"])]
    else:
        xs = np.concatenate([s["x"] for s in sensors])
        ys = np.concatenate([s["y"] for s in sensors])
        lane = [xs.min(), xs.max(), ys.min(), ys.max()]
    for lo, hi in ((0, 1), (2, 3)):  # a single line still needs a width
        if lane[hi] - lane[lo] < 0.1:
            c = 0.5 * (lane[lo] + lane[hi])
            lane[lo], lane[hi] = c - 0.05, c + 0.05
    return lane


def zmap(values, mask, xy, env):
    p = RECIPE["grid"]
    m, hits = P.grid_with(P.pairs_binned)([values, mask, xy], p, env)
    return P.zscore([m, hits], {}, env)[0]


def peaks(v, cell, x_min, y_min, gpr_z, emi_z):
    """Local maxima (no 8-neighbour higher) at THRESHOLD or more, strongest
    first, thinned greedily to SEPARATION_M; detectors as minescan names
    them."""
    nbr = ndi.maximum_filter(v, size=3, mode="constant", cval=-np.inf)
    iy, ix = np.nonzero((v >= THRESHOLD) & (v >= nbr))
    score = v[iy, ix]
    order = np.lexsort((ix, iy, -score))
    r2 = ((SEPARATION_M + 1e-9) / cell) ** 2
    kept = []
    for k in order:  # tens of candidates on a lane
        if any((ix[k] - ix[j]) ** 2 + (iy[k] - iy[j]) ** 2 <= r2 for j in kept):
            continue
        kept.append(k)
    rows = []
    for k in kept:
        g = gpr_z[iy[k], ix[k]] if gpr_z is not None else math.nan
        e = emi_z[iy[k], ix[k]] if emi_z is not None else math.nan
        use_g, use_e = g >= SENSOR_THRESHOLD, e >= SENSOR_THRESHOLD
        if not use_g and not use_e:
            if math.isnan(g) and math.isnan(e):
                pass
            elif math.isnan(e) or g > e:
                use_g = True
            elif math.isnan(g) or e > g:
                use_e = True
            else:
                use_g = use_e = True
        det = "gpr+emi" if use_g and use_e else "gpr" if use_g else "emi" if use_e else ""
        rows.append((x_min + (ix[k] + 0.5) * cell, y_min + (iy[k] + 0.5) * cell,
                     float(score[k]), det))
    return rows


def process(path, outdir):
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        gpr = read_sensor(f, "gpr")
        emi = read_sensor(f, "emi")
        lane = lane_of(f, [s for s in (gpr, emi) if s is not None])
    t_read = time.perf_counter() - t0
    env = {"lane_x_min": lane[0], "lane_x_max": lane[1], "lane_y_min": lane[2],
           "lane_y_max": lane[3], "dt_s": 0.0, "time_zero_s": 0.0}
    gpr_z = emi_z = None
    if gpr is not None:
        env["dt_s"] = float(gpr["attrs"]["sample_interval_s"])
        env["time_zero_s"] = float(gpr["attrs"].get("time_zero_s", 0.0))
        env["centre_frequency_hz"] = float(
            gpr["attrs"].get("centre_frequency_hz", 0.0))
        s, m = gpr["data"], gpr["mask"]
        (s,) = P.dewow([s, m], RECIPE["dewow"], env)
        (s,) = P.background_removal([s, m], RECIPE["background_removal_1"], env)
        s, m = P.ground_align([s, m], RECIPE["ground_align"], env)
        (s,) = P.background_removal([s, m], RECIPE["background_removal_2"], env)
        (e,) = P.envelope_fir([s, m], RECIPE["envelope"], env)
        score, valid = P.window_energy([e, m], RECIPE["window_energy"], env)
        xy = np.column_stack([gpr["x"] - lane[0], gpr["y"] - lane[2]]).astype(F32)
        gpr_z = zmap(score, valid, xy, env)
    if emi is not None:
        (sig,) = P.emi_detrend([emi["data"], emi["mask"]], RECIPE["emi_detrend"], env)
        xy = np.column_stack([emi["x"] - lane[0], emi["y"] - lane[2]]).astype(F32)
        c = RECIPE["grid"]["channel"]
        emi_z = zmap(sig[:, c:c + 1], emi["mask"][:, c:c + 1], xy, env)
    if gpr_z is not None and emi_z is not None:
        (anomaly,) = P.fuse([gpr_z, emi_z], RECIPE["fuse"], env)
    else:
        anomaly = gpr_z if gpr_z is not None else emi_z
    rows = peaks(anomaly, RECIPE["grid"]["cell_m"], lane[0], lane[2], gpr_z, emi_z)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "alarms.csv"), "w") as out:
        out.write("x_m,y_m,score,detectors\n")
        for x, y, sc, det in rows:
            out.write("%.4f,%.4f,%.6g,%s\n" % (x, y, sc, det))
    radar = gpr["data"].nbytes if gpr is not None else 0
    return {"file": path, "seconds": time.perf_counter() - t0,
            "read_seconds": t_read, "n_alarms": len(rows), "radar_bytes": radar,
            "emi_bytes": emi["data"].nbytes if emi is not None else 0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--json-out")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    t0 = time.perf_counter()
    files = []
    for path in a.files:
        name = os.path.splitext(os.path.basename(path))[0]
        files.append(process(path, os.path.join(a.output, name)))
    res = {"files": files, "seconds": time.perf_counter() - t0}
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(res, f, indent=1)
    else:
        json.dump(res, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
