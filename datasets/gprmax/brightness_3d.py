#!/usr/bin/env python3
"""How bright is a drink can against a plastic mine, in 3-D FDTD?

The 2-D scenes (make_scenes.py) cannot say: a 2-D model makes every body
infinitely long across the line, so a mine's flat top reflects like a
strip and a can like an endless pipe. This runs small 3-D gprMax models,
one trace each with the antennas over the body's centre (a Hertzian dipole
polarised across the line, 4 cm above the ground, the receiver 4 cm
beside it), in the benchmark's three soils, and prints for each body:

  echo    the largest |trace with the body - trace without it|, over the
          ground bounce (the largest |trace without the body - trace over
          air alone|): a reflectivity against the ground, which no receiver
          gain or noise changes;
  sign    the sign of its main lobe (the first sample reaching 0.6 of the
          largest) against the bounce's main lobe: + the ground's (and a
          metal's), - the opposite;
  sim     the same ratio from minescan's own simulator's echo model
          (pipeline/simulate/gpr_model.c, object_echoes: top echo, apex, no
          beam loss), for the same body, depth and soil.

Bodies (top 5 cm deep unless named): a drink can lying across the line and
one lying along it (aluminium as a perfect conductor, 66 mm x 120 mm, 2 mm
wall), PMN-, M14-, Type-72- and PMA-2-like plastic bodies with their fill
and metal parts, a stone (eps 7), and the PMN and the can across at 10 cm.

Usage (gprMax from the venv tools/setup.sh builds):
    build/gprmax-venv/bin/python datasets/gprmax/brightness_3d.py OUTDIR [-j N]
Runs are cached in OUTDIR (an input unchanged and its output present is not
run again). 31 runs of about a minute each on one core (29 minutes here).
tests/datasets/test_brightness_model.py holds the "simulator" column to
`minescan simulate`."""
import argparse
import concurrent.futures as cf
import math
import os
import subprocess
import sys

import h5py
import numpy as np

DX = 0.003
FREQ = 1.5e9
SOIL_TOP = 0.22     # y of the ground (soil below)
AIR = 0.10
ANT_H = 0.04
TX_RX = 0.04
SIZE = 0.36         # x and z extent of the domain
C0 = 299792458.0

# the benchmark's soils (datasets/benchmark/*.json): eps, S/m
SOILS = {"dry_sand": (4.0, 0.002), "loam": (9.0, 0.012),
         "wet_clay": (20.0, 0.05)}
MATERIALS = ["#material: 3.5 0 1 0 bakelite",
             "#material: 3.0 0 1 0 plastic",
             "#material: 3.2 0 1 0 plastic32",
             "#material: 2.9 0 1 0 tnt",
             "#material: 2.8 0 1 0 tetryl",
             "#material: 7.0 0.001 1 0 stone"]


def disc(xc, zc, top, r, h, mat):
    """A vertical cylinder (a disc-shaped body), its top `top` m deep."""
    y1 = SOIL_TOP - top
    return f"#cylinder: {xc:.4f} {y1 - h:.4f} {zc:.4f} {xc:.4f} {y1:.4f} {zc:.4f} {r:.4f} {mat}"


def box(x0, y0, z0, x1, y1, z1, mat):
    return f"#box: {x0:.4f} {y0:.4f} {z0:.4f} {x1:.4f} {y1:.4f} {z1:.4f} {mat}"


def body(kind, d, xc=SIZE / 2, zc=SIZE / 2, hollow=True):
    """gprMax lines of the body centred at (xc, zc) (the domain's centre
    unless given), its top d deep; (lines, model params for the
    simulator's formula: radius, half length or None for a disc,
    permittivity or None for metal). make_scenes_3d.py lays out its lines
    with these bodies, its cans solid (hollow=False: on 4 mm cells a 2 mm
    wall would not survive, and a conductor's inside does not scatter)."""
    y1 = SOIL_TOP - d
    if kind in ("can_across", "can_along"):
        yc = y1 - 0.033
        if kind == "can_across":
            a, b = (xc, yc, zc - 0.06), (xc, yc, zc + 0.06)
        else:
            a, b = (xc - 0.06, yc, zc), (xc + 0.06, yc, zc)
        cyl = lambda r, m: (f"#cylinder: {a[0]:.4f} {a[1]:.4f} {a[2]:.4f} "
                            f"{b[0]:.4f} {b[1]:.4f} {b[2]:.4f} {r} {m}")
        lines = [cyl(0.033, "pec")] + ([cyl(0.031, "free_space")]
                                       if hollow else [])
        return lines, (0.033, 0.06, None)
    if kind == "PMN":
        return [disc(xc, zc, d, 0.056, 0.056, "bakelite"),
                disc(xc, zc, d + 0.012, 0.050, 0.038, "tnt"),
                box(xc - 0.002, y1 - 0.022, zc - 0.002, xc + 0.002,
                    y1 - 0.012, zc + 0.002, "pec")], (0.056, None, 3.5)
    if kind == "M14":
        return [disc(xc, zc, d, 0.028, 0.040, "plastic"),
                disc(xc, zc, d + 0.012, 0.024, 0.024, "tetryl"),
                box(xc - 0.0015, y1 - 0.010, zc - 0.0015, xc + 0.0015,
                    y1 - 0.004, zc + 0.0015, "pec")], (0.028, None, 3.0)
    if kind == "Type-72":
        return [disc(xc, zc, d, 0.039, 0.037, "plastic"),
                disc(xc, zc, d + 0.008, 0.035, 0.025, "tnt")], (0.039, None, 3.0)
    if kind == "PMA-2":
        return [disc(xc, zc, d, 0.034, 0.061, "plastic32"),
                disc(xc, zc, d + 0.010, 0.030, 0.045, "tnt")], (0.034, None, 3.2)
    if kind == "stone":
        return [disc(xc, zc, d, 0.040, 0.050, "stone")], (0.040, None, 7.0)
    raise ValueError(kind)


RUNS = [("can_across", 0.05), ("can_along", 0.05), ("PMN", 0.05),
        ("M14", 0.05), ("Type-72", 0.05), ("PMA-2", 0.05), ("stone", 0.05),
        ("PMN", 0.10), ("can_across", 0.10)]


def model_input(soil, kind, d):
    # one window for every run (traces are subtracted): the echo of a
    # body's bottom 17 cm deep in the wet clay (eps 20), and its tail
    tw = 2 * ANT_H / C0 + 2 * 0.17 * math.sqrt(20.0) / C0 + 1.5e-9
    c = SIZE / 2
    ant_y = SOIL_TOP + ANT_H
    lines = [f"#title: brightness {soil} {kind} {d}",
             f"#domain: {SIZE} {SOIL_TOP + AIR:.3f} {SIZE}",
             f"#dx_dy_dz: {DX} {DX} {DX}",
             f"#time_window: {tw:.3e}",
             f"#waveform: ricker 1 {FREQ:.4g} src",
             f"#hertzian_dipole: z {c - TX_RX / 2:.4f} {ant_y:.4f} {c:.4f} src",
             f"#rx: {c + TX_RX / 2:.4f} {ant_y:.4f} {c:.4f}"]
    lines += MATERIALS
    if soil != "air":
        eps, sig = SOILS[soil]
        lines.append(f"#material: {eps} {sig} 1 0 soil")
        lines.append(box(0, 0, 0, SIZE, SOIL_TOP, SIZE, "soil"))
    if kind:
        lines += body(kind, d)[0]
    return "\n".join(lines) + "\n"


def run_one(args):
    python, out, name, text = args
    inp = os.path.join(out, name + ".in")
    res = os.path.join(out, name + ".h5")
    if os.path.exists(res) and os.path.exists(inp) and open(inp).read() == text:
        return name
    with open(inp, "w") as f:
        f.write(text)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([python, "-m", "gprMax", inp, "--hide-progress-bars"],
                       capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit(f"gprMax failed on {inp}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return name


def trace(out, name):
    with h5py.File(os.path.join(out, name + ".h5"), "r") as f:
        return f["rxs/rx1/Ez"][()].astype(float)


def main_lobe_sign(w):
    a = np.abs(w)
    return float(np.sign(w[int(np.argmax(a >= 0.6 * a.max()))]))


def sim_ratio(soil, params, d):
    """minescan's simulator at the apex: the object's top echo over the
    ground bounce (gpr_model.c: spreading, Fresnel-zone fraction, Fresnel
    coefficients, two-way transmission and loss; beam and edge terms are 1
    at the apex)."""
    eps, sig = SOILS[soil]
    r, half_len, eps_obj = params
    n = math.sqrt(eps)
    h = ANT_H
    lam0 = C0 / FREQ
    le = h + d / n
    zone = lam0 * (0.10 + le)
    frac = lambda u: 1.0 if u >= math.pi / 2 else math.sin(u)
    if half_len is None:
        F = frac(math.pi * r * r / zone)
    else:
        F = frac(2 * r / math.sqrt(zone)) * frac(2 * half_len / math.sqrt(zone))
    fres = lambda e1, e2: (math.sqrt(e1) - math.sqrt(e2)) / (math.sqrt(e1) + math.sqrt(e2))
    R01 = fres(1.0, eps)
    Rt = fres(eps, eps_obj) if eps_obj else -1.0
    alpha = sig * 0.5 * 376.730313668 / n
    spread = (0.10 + h) / (0.10 + le)
    amp = spread * F * Rt * (1 - R01 * R01) * math.exp(-2 * alpha * d)
    return abs(amp / R01), (1 if amp / R01 > 0 else -1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("-j", type=int, default=1)
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    jobs = [("air", None, 0)]
    for soil in SOILS:
        jobs.append((soil, None, 0))
        jobs += [(soil, k, d) for k, d in RUNS]
    tasks = []
    for soil, kind, d in jobs:
        name = f"{soil}_{kind or 'none'}_{int(round(d * 100))}cm"
        tasks.append((a.python, a.out, name, model_input(soil, kind, d)))
    with cf.ThreadPoolExecutor(a.j) as ex:
        for name in ex.map(run_one, tasks):
            print(f"  {name}", file=sys.stderr, flush=True)
    air = trace(a.out, "air_none_0cm")
    print("soil      body         depth  echo/bounce  sign | simulator: echo/bounce  sign")
    for soil in SOILS:
        ref = trace(a.out, f"{soil}_none_0cm")
        bounce = ref - air
        b = np.abs(bounce).max()
        sb = main_lobe_sign(bounce)
        for kind, d in RUNS:
            w = trace(a.out, f"{soil}_{kind}_{int(round(d * 100))}cm") - ref
            s = main_lobe_sign(w) * sb
            sr, ss = sim_ratio(soil, body(kind, d)[1], d)
            print(f"{soil:9s} {kind:12s} {d:5.2f}  {np.abs(w).max() / b:11.3f}  "
                  f"{'+' if s > 0 else '-':>4s} | {sr:22.3f}  {'+' if ss > 0 else '-':>4s}")


if __name__ == "__main__":
    main()
