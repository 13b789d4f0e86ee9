#!/usr/bin/env python3
"""Small 2-D FDTD scenes made with gprMax (data minescan's simulator did not
make), imported into minescan recordings with their ground truth.

Each scene is a 2-D (TM, Ez) model: soil below y = SOIL_TOP, air above, a
Hertzian dipole driven by a 1.5 GHz Ricker and a receiver 4 cm beside it,
both a few centimetres above the ground, stepped along x for a few dozen
traces (a B-scan). Targets are cross-sections (a 2-D model makes every
object infinitely long across the line): anti-personnel-mine-like bodies
(PMN-like plastic case with small metal parts, PMA-1-like plastic box,
M14-like small plastic cylinder) and clutter (a metal can on its side,
stones, metal fragments, an air void) in dry sand, loam, or wet
heterogeneous soil (a random-permittivity mixture: blocks of soil whose
water content, hence permittivity by Topp's equation, varies at random).
Some scenes hold no mine; one is the published style of gprMax's own
example (a metal cylinder in a half-space, a long time window, 85 traces).

Scenes are split into `tune` (for choosing recipes and parameters) and
`report` (run once, at the end): see README.md in this folder.

Usage (gprMax from the venv tools/setup.sh builds, build/gprmax-venv):
    build/gprmax-venv/bin/python datasets/gprmax/make_scenes.py \\
        --split tune --out build/gprmax-scenes --minescan build/minescan
    ... --list                       # the scenes and their split
    ... --scene sand_pmn             # one scene (repeatable)

For each scene NAME it writes into --out: NAME.in (the gprMax input),
NAME_merged.h5 (gprMax's merged B-scan), NAME.truth.json (object positions
in the recording's frame: x along the line from the first trace, y = 0 on
the line) and NAME.h5 (the minescan recording, from `minescan import-gprmax
--truth`). A scene whose NAME.h5 is newer than this script and whose input
file is unchanged is kept (a cache: scenes take seconds to a minute each).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

import numpy as np

DX = 0.003           # FDTD cell (m): 8+ cells per wavelength at 3 GHz in eps 16
FREQ = 1.5e9         # Ricker centre frequency (Hz)
SOIL_TOP = 0.22      # y of the ground surface (m); soil below, air above
AIR = 0.10           # air above the ground (m)
ANT_H = 0.04         # antenna height above the ground (m)
TX_RX = 0.04         # transmitter-receiver offset along x (m)
MARGIN = 0.10        # domain margin beyond the antennas, past the PML (m)

SOILS = {
    # name: (eps_r, sigma S/m, heterogeneous)
    "dry_sand": (3.5, 0.001, False),
    "loam": (9.0, 0.01, False),
    "wet_mix": (None, None, True),   # random water content, eps ~ 9-20
}


def topp(theta):
    """Topp's equation: relative permittivity of a mineral soil from its
    volumetric water content."""
    return 3.03 + 9.3 * theta + 146.0 * theta ** 2 - 76.7 * theta ** 3


# ---- targets: each returns gprMax geometry lines and its truth entry ------
# x is the centre along the line (model frame), d the depth of its top.

def pmn(x, d):
    """PMN-like: bakelite case 112 x 56 mm, explosive fill, a small steel
    striker and spring (metal parts a few millimetres across)."""
    y1 = SOIL_TOP - d
    y0 = y1 - 0.056
    g = [f"#box: {x-0.056:.4f} {y0:.4f} 0 {x+0.056:.4f} {y1:.4f} inf bakelite",
         f"#box: {x-0.050:.4f} {y0+0.006:.4f} 0 {x+0.050:.4f} {y1-0.012:.4f} inf tnt",
         # striker: a 4 x 10 mm steel rod under the pressure plate
         f"#box: {x-0.002:.4f} {y1-0.022:.4f} 0 {x+0.002:.4f} {y1-0.012:.4f} inf pec",
         # spring coils: two 2 mm bits
         f"#box: {x-0.008:.4f} {y1-0.030:.4f} 0 {x-0.006:.4f} {y1-0.028:.4f} inf pec",
         f"#box: {x+0.006:.4f} {y1-0.030:.4f} 0 {x+0.008:.4f} {y1-0.028:.4f} inf pec"]
    return g, {"label": "PMN", "is_mine": 1, "x": x, "depth": d,
               "diameter": 0.112}


def pma1(x, d):
    """PMA-1-like: a plastic box 140 x 30 mm, explosive inside, a tiny
    metal part of the fuze."""
    y1 = SOIL_TOP - d
    y0 = y1 - 0.030
    g = [f"#box: {x-0.070:.4f} {y0:.4f} 0 {x+0.070:.4f} {y1:.4f} inf plastic",
         f"#box: {x-0.066:.4f} {y0+0.004:.4f} 0 {x+0.030:.4f} {y1-0.004:.4f} inf tnt",
         f"#box: {x+0.044:.4f} {y0+0.012:.4f} 0 {x+0.046:.4f} {y0+0.016:.4f} inf pec"]
    return g, {"label": "PMA-1", "is_mine": 1, "x": x, "depth": d,
               "diameter": 0.140}


def m14(x, d):
    """M14-like: a small plastic cylinder 56 mm across, 40 mm high, tetryl
    inside, a 2 mm steel firing pin."""
    y1 = SOIL_TOP - d
    y0 = y1 - 0.040
    g = [f"#box: {x-0.028:.4f} {y0:.4f} 0 {x+0.028:.4f} {y1:.4f} inf plastic",
         f"#box: {x-0.024:.4f} {y0+0.004:.4f} 0 {x+0.024:.4f} {y1-0.012:.4f} inf tetryl",
         f"#box: {x-0.001:.4f} {y1-0.010:.4f} 0 {x+0.001:.4f} {y1-0.004:.4f} inf pec"]
    return g, {"label": "M14", "is_mine": 1, "x": x, "depth": d,
               "diameter": 0.056}


def can(x, d):
    """A drink can lying across the line: a thin metal ring 66 mm across."""
    yc = SOIL_TOP - d - 0.033
    g = [f"#cylinder: {x:.4f} {yc:.4f} 0 {x:.4f} {yc:.4f} inf 0.033 pec",
         f"#cylinder: {x:.4f} {yc:.4f} 0 {x:.4f} {yc:.4f} inf 0.031 free_space"]
    return g, {"label": "clutter:can", "is_mine": 0, "x": x, "depth": d,
               "diameter": 0.066}


def stone(x, d, r=0.03, eps="stone"):
    yc = SOIL_TOP - d - r
    g = [f"#cylinder: {x:.4f} {yc:.4f} 0 {x:.4f} {yc:.4f} inf {r:.4f} {eps}"]
    return g, {"label": "clutter:stone", "is_mine": 0, "x": x, "depth": d,
               "diameter": 2 * r}


def fragment(x, d):
    """A chunky steel fragment, 20 x 8 mm."""
    y1 = SOIL_TOP - d
    g = [f"#box: {x-0.010:.4f} {y1-0.008:.4f} 0 {x+0.010:.4f} {y1:.4f} inf pec"]
    return g, {"label": "clutter:fragment", "is_mine": 0, "x": x, "depth": d,
               "diameter": 0.020}


def void(x, d, r=0.025):
    yc = SOIL_TOP - d - r
    g = [f"#cylinder: {x:.4f} {yc:.4f} 0 {x:.4f} {yc:.4f} inf {r:.4f} free_space"]
    return g, {"label": "clutter:void", "is_mine": 0, "x": x, "depth": d,
               "diameter": 2 * r}


TARGETS = {"PMN": pmn, "PMA-1": pma1, "M14": m14, "can": can, "stone": stone,
           "fragment": fragment, "void": void}

# ---- the scenes -------------------------------------------------------------
# objects: (type, along-the-line position from the first trace (m), depth of
# the top (m)). n: traces; step: trace spacing (m); tw: time window (s).
SCENES = [
    # tune
    {"name": "sand_pmn_stone", "split": "tune", "soil": "dry_sand", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 11,
     "objects": [("PMN", 0.20, 0.05), ("stone", 0.46, 0.04)]},
    {"name": "loam_pma1_fragment", "split": "tune", "soil": "loam", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 12,
     "objects": [("PMA-1", 0.38, 0.03), ("fragment", 0.12, 0.03)]},
    {"name": "wet_m14_void", "split": "tune", "soil": "wet_mix", "n": 36,
     "step": 0.015, "tw": 5e-9, "seed": 13,
     "objects": [("M14", 0.16, 0.02), ("void", 0.40, 0.05)]},
    {"name": "loam_nomine_can_stone", "split": "tune", "soil": "loam", "n": 36,
     "step": 0.015, "tw": 5e-9, "seed": 14,
     "objects": [("can", 0.14, 0.04), ("stone", 0.38, 0.06)]},
    {"name": "cylinder_published", "split": "tune", "soil": "half_space",
     "n": 85, "step": 0.003, "tw": 5e-9, "seed": 15, "published": True,
     "objects": []},
    # tune, added at stop 22: a can beside one mine type in each soil, two
    # cans without a mine and a PMN beside a stone, so that a feature meant
    # to tell a can from a mine can be checked on data made another way (a
    # single can was too few: datasets/benchmark/README.md, "The echo's
    # length in time")
    {"name": "sand_pma1_can", "split": "tune", "soil": "dry_sand", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 16,
     "objects": [("PMA-1", 0.38, 0.03), ("can", 0.12, 0.04)]},
    {"name": "loam_m14_can", "split": "tune", "soil": "loam", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 17,
     "objects": [("M14", 0.16, 0.03), ("can", 0.42, 0.05)]},
    {"name": "wet_pmn_can", "split": "tune", "soil": "wet_mix", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 18,
     "objects": [("PMN", 0.38, 0.04), ("can", 0.12, 0.03)]},
    {"name": "loam_pmn_stone", "split": "tune", "soil": "loam", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 19,
     "objects": [("PMN", 0.20, 0.06), ("stone", 0.46, 0.04)]},
    {"name": "wet_nomine_can_fragment", "split": "tune", "soil": "wet_mix",
     "n": 36, "step": 0.015, "tw": 5e-9, "seed": 20,
     "objects": [("can", 0.16, 0.05), ("fragment", 0.42, 0.03)]},
    {"name": "sand_nomine_can_void", "split": "tune", "soil": "dry_sand",
     "n": 36, "step": 0.015, "tw": 5e-9, "seed": 26,
     "objects": [("can", 0.14, 0.03), ("void", 0.42, 0.05)]},
    # report
    {"name": "sand_m14_can", "split": "report", "soil": "dry_sand", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 21,
     "objects": [("M14", 0.40, 0.03), ("can", 0.14, 0.05)]},
    {"name": "loam_pmn_void", "split": "report", "soil": "loam", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 22,
     "objects": [("PMN", 0.18, 0.08), ("void", 0.44, 0.04)]},
    {"name": "wet_pma1_stones", "split": "report", "soil": "wet_mix", "n": 40,
     "step": 0.015, "tw": 5e-9, "seed": 23,
     "objects": [("PMA-1", 0.36, 0.04), ("stone", 0.10, 0.03),
                 ("stone", 0.54, 0.05)]},
    {"name": "sand_pmn_fragments", "split": "report", "soil": "dry_sand",
     "n": 30, "step": 0.021, "tw": 5e-9, "seed": 24,
     "objects": [("PMN", 0.30, 0.10), ("fragment", 0.06, 0.02),
                 ("fragment", 0.52, 0.04)]},
    {"name": "wet_nomine_fragment_void", "split": "report", "soil": "wet_mix",
     "n": 36, "step": 0.015, "tw": 5e-9, "seed": 25,
     "objects": [("fragment", 0.14, 0.03), ("void", 0.38, 0.04)]},
]

MATERIALS = [
    "#material: 4.0 0 1 0 bakelite",
    "#material: 3.0 0 1 0 plastic",
    "#material: 2.9 0 1 0 tnt",
    "#material: 2.8 0 1 0 tetryl",
    "#material: 6.5 0.001 1 0 stone",
]


def soil_lines(soil, x_len, rng):
    """The ground: a half-space of one material, or for wet_mix a mixture of
    2 x 2 cm blocks of soil of random water content (0.15-0.28, hence eps
    about 8-16 by Topp's equation, sigma 0.02-0.05 S/m) in 8 classes."""
    if soil == "half_space":  # gprMax's own example: eps 6, lossless
        return ["#material: 6 0 1 0 half_space",
                f"#box: 0 0 0 {x_len:.4f} {SOIL_TOP:.4f} inf half_space"]
    eps, sigma, het = SOILS[soil]
    if not het:
        return [f"#material: {eps} {sigma} 1 0 {soil}",
                f"#box: 0 0 0 {x_len:.4f} {SOIL_TOP:.4f} inf {soil}"]
    classes = np.linspace(0.15, 0.28, 8)
    lines = []
    for k, th in enumerate(classes):
        sg = 0.02 + 0.03 * (th - 0.15) / 0.13
        lines.append(f"#material: {topp(th):.3f} {sg:.4f} 1 0 wet{k}")
    lines.append(f"#box: 0 0 0 {x_len:.4f} {SOIL_TOP:.4f} inf wet3")
    b = 0.021  # a multiple of the 3 mm cell
    nx, ny = int(np.ceil(x_len / b)), int(np.ceil(SOIL_TOP / b))
    # spatially correlated water content: white noise smoothed over ~3 blocks
    w = rng.standard_normal((ny + 4, nx + 4))
    k = np.ones((3, 3)) / 9.0
    sm = np.zeros((ny, nx))
    for dy in range(3):
        for dx in range(3):
            sm += k[dy, dx] * w[dy:dy + ny, dx:dx + nx]
    sm = (sm - sm.mean()) / (sm.std() + 1e-12)
    cls = np.clip(np.round(3.5 + 2.0 * sm), 0, 7).astype(int)
    for iy in range(ny):
        for ix in range(nx):
            if cls[iy, ix] == 3:
                continue
            x0, y0 = ix * b, iy * b
            lines.append(f"#box: {x0:.4f} {y0:.4f} 0 {min(x0+b, x_len):.4f} "
                         f"{min(y0+b, SOIL_TOP):.4f} inf wet{cls[iy, ix]}")
    return lines


def scene_input(sc):
    """(gprMax input text, truth dict in the recording's frame)."""
    rng = np.random.default_rng(sc["seed"])
    dx = sc.get("dx", DX)
    n, step = sc["n"], sc["step"]
    scan = (n - 1) * step
    x_len = MARGIN + TX_RX + scan + MARGIN
    y_len = SOIL_TOP + AIR
    tx0 = MARGIN
    mid0 = tx0 + 0.5 * TX_RX  # the first trace's position (model frame)
    lines = [f"#title: minescan gprMax scene {sc['name']}",
             "#domain_mode: TM",
             f"#domain: {x_len:.4f} {y_len:.4f} inf",
             f"#dx_dy_dz: {dx} {dx} {dx}",
             f"#time_window: {sc['tw']:.3e}",
             f"#waveform: ricker 1 {FREQ:.4g} src_ricker"]
    ant_y = SOIL_TOP + ANT_H
    lines.append(f"#hertzian_dipole: z {tx0:.4f} {ant_y:.4f} inf src_ricker")
    lines.append(f"#rx: {tx0 + TX_RX:.4f} {ant_y:.4f} inf")
    lines.append(f"#src_steps: {step:.4f} 0 0")
    lines.append(f"#rx_steps: {step:.4f} 0 0")
    lines += MATERIALS
    lines += soil_lines(sc["soil"], x_len, rng)
    truth = []
    if sc.get("published"):
        # gprMax's example: a 1 cm PEC cylinder, its centre 9 cm deep in
        # the half-space, under the middle of the scan
        xc = mid0 + 0.5 * scan
        lines.append(f"#cylinder: {xc:.4f} {SOIL_TOP - 0.09:.4f} 0 "
                     f"{xc:.4f} {SOIL_TOP - 0.09:.4f} inf 0.010 pec")
        truth.append({"label": "metal-cylinder", "is_mine": 1,
                      "x": xc - mid0, "depth": 0.08, "diameter": 0.02})
    for typ, s, d in sc["objects"]:
        g, t = TARGETS[typ](mid0 + s, d)
        lines += g
        t["x"] = round(t["x"] - mid0, 6)
        truth.append(t)
    lines = [snap_box(ln, dx) for ln in lines]
    for t in truth:
        t["y"] = 0.0
        t["x"] = round(t["x"], 6)
    return "\n".join(lines) + "\n", {
        "scene": sc["name"], "split": sc["split"], "soil": sc["soil"],
        "frame": "x along the line from the first trace, y = 0 on the line",
        "objects": truth}


def snap_box(line, dx):
    """A #box line with its corners on the grid and at least one cell on
    each axis (gprMax refuses a box thinner than a cell: the small metal
    parts of a mine are a few millimetres)."""
    f = line.split()
    if f[0] != "#box:":
        return line
    x0, y0, x1, y1 = (float(f[1]), float(f[2]), float(f[4]), float(f[5]))
    a, b = round(x0 / dx), round(x1 / dx)
    c, d = round(y0 / dx), round(y1 / dx)
    b, d = max(b, a + 1), max(d, c + 1)
    f[1], f[2], f[4], f[5] = (f"{a * dx:.4f}", f"{c * dx:.4f}",
                              f"{b * dx:.4f}", f"{d * dx:.4f}")
    return " ".join(f)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
        raise SystemExit(f"{cmd[0]} failed ({r.returncode}): {' '.join(cmd)}")
    return r


def make(sc, out, minescan, python, force=False, inputs=None):
    """Runs gprMax for the scene unless its merged output is current (same
    input text), then imports it. Returns (recording, gprMax seconds or
    None when cached). `inputs` makes the (input text, truth) of a scene
    (default scene_input; make_scenes_3d.py passes its own)."""
    name = sc["name"]
    text, truth = (inputs or scene_input)(sc)
    inp = os.path.join(out, name + ".in")
    rec = os.path.join(out, name + ".h5")
    tpath = os.path.join(out, name + ".truth.json")
    merged = os.path.join(out, name + "_merged.h5")
    old = open(inp).read() if os.path.exists(inp) else None
    secs = None
    if force or old != text or not os.path.exists(merged):
        if os.path.exists(merged):
            os.remove(merged)
        with open(inp, "w") as f:
            f.write(text)
        t0 = time.time()
        for p in glob.glob(os.path.join(out, name + "[0-9]*.h5")):
            os.remove(p)
        # one OpenMP thread: on a shared machine gprMax's threads wait on
        # each other at every step (10x slower than one thread); scenes
        # run in parallel instead (-j)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        run([python, "-m", "gprMax", inp, "-n", str(sc["n"]),
             "--hide-progress-bars"], cwd=out, env=env)
        run([python, "-m", "gprMax.toolboxes.Utilities.outputfiles_merge",
             os.path.join(out, name), "--remove-files"])
        secs = time.time() - t0
    with open(tpath, "w") as f:
        json.dump(truth, f, indent=1)
    run([minescan, "import-gprmax", merged, "-o", rec, "--dx",
         str(sc["step"]), "--centre-frequency", str(FREQ * 1e-6),
         "--truth", tpath])
    return rec, secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="build/gprmax-scenes")
    ap.add_argument("--split", choices=("tune", "report", "all"),
                    default="tune")
    ap.add_argument("--scene", action="append", default=[])
    ap.add_argument("--minescan", default="build/minescan")
    ap.add_argument("--python", default=sys.executable,
                    help="the python that has gprMax (default: this one)")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="scenes made at once (one CPU each)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    chosen = [s for s in SCENES
              if (s["name"] in a.scene if a.scene else
                  a.split in ("all", s["split"]))]
    if a.list:
        list_scenes(SCENES)
        return
    if a.scene and len(chosen) != len(a.scene):
        raise SystemExit(f"unknown scene in {a.scene}")
    make_all(chosen, a.out, a.minescan, a.python, a.jobs, force=a.force)


def list_scenes(scenes):
    """--list: a line a scene (its name, split, soil and traces)."""
    for s in scenes:
        print(f"{s['name']:28s} {s['split']:7s} {s['soil']:10s} "
              f"{s['n']} traces x {s['step']*100:g} cm")


def make_all(scenes, out, minescan, python, jobs, force=False, inputs=None):
    """make() each scene, `jobs` at once, saying what each cost."""
    out = os.path.abspath(out)
    minescan = os.path.abspath(minescan)
    os.makedirs(out, exist_ok=True)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max(1, jobs)) as ex:
        futs = [ex.submit(make, s, out, minescan, python, force, inputs)
                for s in scenes]
        for f in futs:
            rec, secs = f.result()
            print(f"{rec}: " + ("gprMax output cached" if secs is None else
                                f"{secs:.0f} s of gprMax"), flush=True)


if __name__ == "__main__":
    main()
