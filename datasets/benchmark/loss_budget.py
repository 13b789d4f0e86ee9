#!/usr/bin/env python3
"""Where a sensor's detections are lost: the default's detector for one
sensor on the benchmark's lanes as recorded, and on copies with the soil's
response, the receiver noise, or the clutter and background objects taken
out exactly. With ideal_bound.py's bound beside it, this says which of
them limits the sensor and how far the detector is from what the noise
allows.

The simulator makes, with each lane's own seed, the copies of
ideal_bound.py (M: mines alone, no noise; E: soil alone, no noise; N: M
with the lane's noise); the sweep is the same in all, so
  soil removed               = lane - E
  soil and noise removed     = lane - E - (N - M)   (mines, clutter, objects)
  soil and clutter removed   = N - E                (mines and noise)
  only the mines             = M - E                (the detector's ceiling)
(the metal detector's drift counts as noise: the copies have none).
Each copy is scored by `minescan evaluate` with the other sensor dropped:
  gpr  the lane as recorded with radar-cfar.recipe (the default's radar
       map), the copies with radar-known-background.recipe (the same
       energy detector without the filters, which need a ground bounce);
  emi  every copy with emi-cfar.recipe (the default's detector-only map).

Usage: loss_budget.py BINARY WORKDIR gpr|emi [tune|report]  (default tune)"""
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
COPIES = ("as recorded", "soil removed", "soil and noise removed",
          "soil and clutter removed", "only the mines")
OTHER = {"gpr": "emi", "emi": "gpr"}


def data(path, sensor):
    with h5py.File(path, "r") as f:
        return f[sensor]["data"][:]


def recipe(sensor, copy):
    if sensor == "emi":
        return "emi-cfar.recipe"
    return "radar-cfar.recipe" if copy == "as recorded" \
        else "radar-known-background.recipe"


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in OTHER:
        sys.exit(__doc__)
    binary, work, sensor = sys.argv[1], sys.argv[2], sys.argv[3]
    split = sys.argv[4] if len(sys.argv) == 5 else "tune"
    work = os.path.join(work, sensor)
    for c in COPIES:
        os.makedirs(os.path.join(work, c.replace(" ", "-")), exist_ok=True)
    for fn in sorted(glob.glob(os.path.join(HERE, "*.json"))):
        name = os.path.basename(fn)[:-5]
        with open(fn) as f:
            scn = json.load(f)
        if sensor not in scn:
            continue
        for seed in SEEDS[split]:
            lane = os.path.join(work, f"{name}-s{seed}.h5")
            simulate(binary, scn, seed, lane)
            v = {}
            for kind in "MEN":
                p = os.path.join(work, f"{name}-s{seed}-{kind}.h5")
                simulate(binary, variant(scn, kind), seed, p)
                v[kind] = data(p, sensor)
            d = data(lane, sensor)
            made = dict(zip(COPIES, (
                d, d - v["E"], d - v["E"] - (v["N"] - v["M"]),
                v["N"] - v["E"], v["M"] - v["E"])))
            for c, x in made.items():
                out = os.path.join(work, c.replace(" ", "-"),
                                   f"{name}-s{seed}.h5")
                shutil.copy(lane, out)
                with h5py.File(out, "r+") as f:
                    f[sensor]["data"][...] = x
                    if OTHER[sensor] in f:
                        del f[OTHER[sensor]]
    print(f"split {split}, {sensor} lanes: Pd (detected of the mines) at "
          + " / ".join(str(x) for x in FARS) + " false alarms per m2")
    for c in COPIES:
        folder = os.path.join(work, c.replace(" ", "-"))
        ev = folder + "-ev"
        subprocess.run([binary, "evaluate", *sorted(glob.glob(
            os.path.join(folder, "*.h5"))), "-o", ev, "--device", "cpu",
            "--recipe", os.path.join(HERE, recipe(sensor, c))], check=True,
            stdout=subprocess.DEVNULL)
        with open(os.path.join(ev, "evaluate.json")) as f:
            ops = json.load(f)["operating_points"]
        n = ops[0]["n_mines"]
        print(f"  {c:26s} " + " / ".join(f"{o['n_detected']:3d}"
                                         for o in ops)
              + f" of {n}  (" + " / ".join(f"{o['pd']:.2f}" for o in ops)
              + f")  {recipe(sensor, c)}")


if __name__ == "__main__":
    main()
