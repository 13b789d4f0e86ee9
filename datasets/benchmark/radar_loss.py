#!/usr/bin/env python3
"""Where the radar's detections are lost: the default's radar energy
detector on the benchmark's radar lanes as recorded, and on copies with
the soil's response, the receiver noise, or the clutter and background
objects taken out exactly. With ideal_bound.py's bound beside it, this
says which of them limits the radar and how far the detector is from
what the noise allows.

The simulator makes, with each lane's own seed, the copies of
ideal_bound.py (M: mines alone, no noise; E: soil alone, no noise; N: M
with the lane's noise); the sweep is the same in all, so
  soil removed               = lane - E
  soil and noise removed     = lane - E - (N - M)   (mines, clutter, objects)
  soil and clutter removed   = N - E                (mines and noise)
  only the mines             = M - E                (the detector's ceiling)
Each copy is scored by `minescan evaluate` (radar only, the EMI dropped):
the lane as recorded with radar-cfar.recipe (the default's radar map),
the copies with radar-known-background.recipe (the same energy detector
without filters).

Usage: radar_loss.py BINARY WORKDIR [tune|report]   (default tune)"""
import glob
import json
import os
import shutil
import subprocess
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ideal_bound import HERE, SEEDS, simulate, variant  # noqa: E402

FARS = (0.1, 0.5, 1.0)


def gpr(path):
    with h5py.File(path, "r") as f:
        return f["gpr"]["data"][:]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, work = sys.argv[1], sys.argv[2]
    split = sys.argv[3] if len(sys.argv) == 4 else "tune"
    copies = {"as recorded": None, "soil removed": None,
              "soil and noise removed": None,
              "soil and clutter removed": None, "only the mines": None}
    for c in copies:
        os.makedirs(os.path.join(work, c.replace(" ", "-")), exist_ok=True)
    for fn in sorted(glob.glob(os.path.join(HERE, "*.json"))):
        name = os.path.basename(fn)[:-5]
        with open(fn) as f:
            scn = json.load(f)
        if "gpr" not in scn:
            continue
        for seed in SEEDS[split]:
            lane = os.path.join(work, f"{name}-s{seed}.h5")
            simulate(binary, scn, seed, lane)
            v = {}
            for kind in "MEN":
                p = os.path.join(work, f"{name}-s{seed}-{kind}.h5")
                simulate(binary, variant(scn, kind), seed, p)
                v[kind] = gpr(p)
            data = gpr(lane)
            made = {"as recorded": data,
                    "soil removed": data - v["E"],
                    "soil and noise removed": data - v["E"] - (v["N"] - v["M"]),
                    "soil and clutter removed": v["N"] - v["E"],
                    "only the mines": v["M"] - v["E"]}
            for c, d in made.items():
                out = os.path.join(work, c.replace(" ", "-"),
                                   f"{name}-s{seed}.h5")
                shutil.copy(lane, out)
                with h5py.File(out, "r+") as f:
                    f["gpr"]["data"][...] = d
                    if "emi" in f:
                        del f["emi"]
    print(f"split {split}, radar lanes: Pd (detected of the mines) at "
          + " / ".join(str(x) for x in FARS) + " false alarms per m2")
    for c in copies:
        folder = os.path.join(work, c.replace(" ", "-"))
        recipe = "radar-cfar.recipe" if c == "as recorded" \
            else "radar-known-background.recipe"
        ev = folder + "-ev"
        subprocess.run([binary, "evaluate", *sorted(glob.glob(
            os.path.join(folder, "*.h5"))), "-o", ev, "--device", "cpu",
            "--recipe", os.path.join(HERE, recipe)], check=True,
            stdout=subprocess.DEVNULL)
        with open(os.path.join(ev, "evaluate.json")) as f:
            ops = json.load(f)["operating_points"]
        n = ops[0]["n_mines"]
        print(f"  {c:26s} " + " / ".join(f"{o['n_detected']:3d}"
                                         for o in ops)
              + f" of {n}  (" + " / ".join(f"{o['pd']:.2f}" for o in ops)
              + f")  {recipe}")


if __name__ == "__main__":
    main()
