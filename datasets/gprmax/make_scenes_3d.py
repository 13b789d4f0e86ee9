#!/usr/bin/env python3
"""Small 3-D FDTD lines made with gprMax: a check, never tuned on.

The 2-D scenes (make_scenes.py) make every body endless across the line,
so a mine reflects like a strip and a can like a pipe; brightness_3d.py
showed that in 3-D a plastic mine in moist soil is about as bright as a
can, and carries the opposite sign. These scenes put the same bodies
(brightness_3d.body: a PMN-, M14-, Type-72-like mine, a drink can lying
across the line, a stone) under one straight line of traces in 3-D, in
the benchmark's soils, so that minescan's line path can be run on them
as on the 2-D scenes. A Hertzian dipole polarised across the line 4 cm
above the ground and a receiver 4 cm beside it along the line are stepped
along x; 4 mm cells (11 or more per wavelength in the wet clay at 1.5
GHz).

Usage (gprMax from the venv tools/setup.sh builds):
    build/gprmax-venv/bin/python datasets/gprmax/make_scenes_3d.py \\
        --out build/gprmax-scenes-3d --minescan build/minescan [-j 2]

For each scene NAME it writes into --out what make_scenes.py writes: NAME.in,
NAME_merged.h5, NAME.truth.json and NAME.h5 (the recording), cached the
same way. About 15-20 minutes a scene on one core."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import brightness_3d as b3  # noqa: E402  (the bodies and the soils)
import make_scenes as ms  # noqa: E402  (make_all, the 2-D antenna)

DX = 0.004
WIDTH = 0.30         # the domain across the line (z)
MARGIN = 0.10

# objects: (body, along-the-line position from the first trace (m), depth
# of the top (m))
SCENES = [
    {"name": "loam_pmn_can_3d", "split": "3d", "soil": "loam", "n": 31,
     "step": 0.02, "tw": 5e-9,
     "objects": [("PMN", 0.15, 0.05), ("can_across", 0.45, 0.05)]},
    {"name": "loam_m14_type72_3d", "split": "3d", "soil": "loam", "n": 31,
     "step": 0.02, "tw": 5e-9,
     "objects": [("M14", 0.15, 0.03), ("Type-72", 0.45, 0.05)]},
    {"name": "clay_pmn_stone_3d", "split": "3d", "soil": "wet_clay",
     "n": 31, "step": 0.02, "tw": 6e-9,
     "objects": [("PMN", 0.15, 0.05), ("stone", 0.45, 0.05)]},
    {"name": "sand_nomine_can_3d", "split": "3d", "soil": "dry_sand",
     "n": 31, "step": 0.02, "tw": 5e-9,
     "objects": [("can_across", 0.30, 0.04)]},
]

LABELS = {"PMN": ("PMN", 1, 0.112), "M14": ("M14", 1, 0.056),
          "Type-72": ("Type-72", 1, 0.078), "PMA-2": ("PMA-2", 1, 0.068),
          "can_across": ("clutter:can", 0, 0.066),
          "can_along": ("clutter:can", 0, 0.066),
          "stone": ("clutter:stone", 0, 0.080)}


def scene_input(sc):
    """(gprMax input text, truth dict in the recording's frame)."""
    n, step = sc["n"], sc["step"]
    scan = (n - 1) * step
    x_len = MARGIN + ms.TX_RX + scan + MARGIN
    zc = WIDTH / 2
    tx0 = MARGIN
    mid0 = tx0 + 0.5 * ms.TX_RX  # the first trace's position
    ant_y = b3.SOIL_TOP + b3.ANT_H
    eps, sig = b3.SOILS[sc["soil"]]
    lines = [f"#title: minescan 3-D gprMax scene {sc['name']}",
             f"#domain: {x_len:.4f} {b3.SOIL_TOP + b3.AIR:.4f} {WIDTH:.4f}",
             f"#dx_dy_dz: {DX} {DX} {DX}",
             f"#time_window: {sc['tw']:.3e}",
             f"#waveform: ricker 1 {b3.FREQ:.4g} src",
             f"#hertzian_dipole: z {tx0:.4f} {ant_y:.4f} {zc:.4f} src",
             f"#rx: {tx0 + ms.TX_RX:.4f} {ant_y:.4f} {zc:.4f}",
             f"#src_steps: {step:.4f} 0 0",
             f"#rx_steps: {step:.4f} 0 0"]
    lines += b3.MATERIALS
    lines.append(f"#material: {eps} {sig} 1 0 soil")
    lines.append(b3.box(0, 0, 0, x_len, b3.SOIL_TOP, WIDTH, "soil"))
    truth = []
    for kind, s, d in sc["objects"]:
        lines += b3.body(kind, d, xc=mid0 + s, zc=zc, hollow=False)[0]
        label, mine, diam = LABELS[kind]
        truth.append({"label": label, "is_mine": mine, "x": round(s, 6),
                      "y": 0.0, "depth": d, "diameter": diam})
    return "\n".join(lines) + "\n", {
        "scene": sc["name"], "split": "3d (a check, never tuned on)",
        "soil": sc["soil"],
        "frame": "x along the line from the first trace, y = 0 on the line",
        "objects": truth}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="build/gprmax-scenes-3d")
    ap.add_argument("--scene", action="append", default=[])
    ap.add_argument("--minescan", default="build/minescan")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        ms.list_scenes(SCENES)
        return
    chosen = [s for s in SCENES if not a.scene or s["name"] in a.scene]
    if a.scene and len(chosen) != len(a.scene):
        raise SystemExit(f"unknown scene in {a.scene}")
    ms.make_all(chosen, a.out, a.minescan, a.python, a.jobs,
                inputs=scene_input)


if __name__ == "__main__":
    main()
