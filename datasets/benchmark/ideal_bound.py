#!/usr/bin/env python3
"""Upper bound on Pd for any detector on the benchmark's lanes, from
receiver noise alone: what the issue's targets ask set against what the
lanes' signal-to-noise ratio allows.

For each scenario and seed of a split, the simulator makes three copies of
the lane with the same seed (every concern draws from its own stream, so
the sweep, the soil and the head heights are the same in all three):
  M  the mines alone, no clutter, no background objects, no noise;
  E  the same with no mines (soil and sweep only);
  N  M with the scenario's receiver noise (radar and metal detector).
A mine's signature is M - E on the traces and readings within its reach;
the noise is N - M. An ideal observer that knows each signature exactly
(type, depth, position, the soil's response to it) and faces only white
receiver noise detects it with the matched-filter SNR
    d'^2 = sum(signature^2) / sigma^2     (radar and metal detector added).
Clutter, soil variation, drift and unknown depth all make things worse,
so Pd_bound(FAR) = mean over mines of Phi(d' - z), z = Qinv(FAR * A_cell),
is an upper bound for any detector at that false-alarm rate, given that a
false alarm can be raised once per cell of area A_cell. The scorer counts
an alarm within the halo (0.25 m) of a mine, so A_cell = pi 0.25^2 is the
most generous choice (the fewest independent chances of a false alarm);
the 10 cm cell is closer to a detector's real resolution.

Usage: ideal_bound.py BINARY WORKDIR [tune|report]   (default tune)
Prints a table per scenario and per mine type, and the pooled bound at
0.1, 0.5 and 1 false alarms per m^2. Uses numpy, scipy, h5py."""
import json
import math
import os
import subprocess
import sys

import h5py
import numpy as np
from scipy.stats import norm

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = {"tune": [1, 2, 3], "report": [101, 102, 103]}
FARS = (0.1, 0.5, 1.0)
CELLS = {"halo (r 0.25 m)": math.pi * 0.25 ** 2, "10 cm": 0.01}
REACH_M = 0.15   # beyond a mine's radius, how far its echo is counted


def variant(scn, kind):
    s = json.loads(json.dumps(scn))
    pop = s.setdefault("population", {})
    for k in ("clutter_per_m2", "pebbles_per_m2", "metal_bits_per_m2",
              "roots_per_m2"):
        pop[k] = 0
    if kind == "E":
        pop["n_mines"] = 0
        pop["mine_types"] = []
    if kind in ("M", "E"):
        if "gpr" in s:
            s["gpr"]["snr_db"] = 200
        if "emi" in s:
            s["emi"]["noise"] = 0
    if "emi" in s:
        s["emi"]["drift"] = 0   # drift is not white; the bound leaves it out
    s.pop("marks", None)
    return s


def simulate(binary, scn, seed, path):
    spath = path + ".json"
    with open(spath, "w") as f:
        json.dump(scn, f)
    subprocess.run([binary, "simulate", "--scenario", spath, "--seed",
                    str(seed), "-o", path, "--quiet"], check=True)


def load(path):
    with h5py.File(path, "r") as f:
        out = {}
        for s in ("gpr", "emi"):
            if s in f:
                out[s] = (f[s]["x"][:], f[s]["y"][:],
                          f[s]["data"][:].astype(np.float64))
        t = f["truth"]
        out["truth"] = [(float(t["x"][i]), float(t["y"][i]),
                         float(t["diameter"][i]),
                         t["label"][i].decode() if isinstance(
                             t["label"][i], bytes) else str(t["label"][i]),
                         int(t["is_mine"][i]))
                        for i in range(len(t["x"]))]
    return out


def dprime_sq(m, e, n, sensor, mine):
    x, y, dm = m[sensor]
    xe, ye, de = e[sensor]
    _, _, dn = n[sensor]
    if not (np.array_equal(x, xe) and np.array_equal(y, ye)):
        raise SystemExit(f"{sensor}: the sweeps differ between copies; "
                         "the bound needs the same sweep")
    sigma = np.nanstd(dn - dm)   # missing samples (NaN) carry nothing
    if sigma == 0:
        return math.inf
    mx, my, diam = mine[0], mine[1], mine[2]
    near = np.hypot(x - mx, y - my) <= diam / 2 + REACH_M
    sig = dm[near] - de[near]
    return float(np.nansum(sig ** 2) / sigma ** 2)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, work = sys.argv[1], sys.argv[2]
    split = sys.argv[3] if len(sys.argv) == 4 else "tune"
    os.makedirs(work, exist_ok=True)
    rows = []   # (scenario, type, d'_gpr^2, d'_emi^2)
    for fn in sorted(os.listdir(HERE)):
        if not fn.endswith(".json"):
            continue
        name = fn[:-5]
        with open(os.path.join(HERE, fn)) as f:
            scn = json.load(f)
        for seed in SEEDS[split]:
            lanes = {}
            for kind in "MEN":
                p = os.path.join(work, f"{name}-s{seed}-{kind}.h5")
                simulate(binary, variant(scn, kind), seed, p)
                lanes[kind] = load(p)
            m, e, n = lanes["M"], lanes["E"], lanes["N"]
            for mine in m["truth"]:
                if not mine[4]:
                    continue
                g = dprime_sq(m, e, n, "gpr", mine) if "gpr" in m else 0.0
                q = dprime_sq(m, e, n, "emi", mine) if "emi" in m else 0.0
                rows.append((name, mine[3], g, q))

    def bound(sel, cell, far):
        z = norm.isf(far * cell)
        d = np.sqrt([r[2] + r[3] for r in sel])
        return norm.cdf(d - z).sum()

    # the radar alone, on the lanes that have it (the metal detector's
    # share set to nothing), whole and per mine type
    radar = [(r[0], r[1], r[2], 0.0) for r in rows if r[2] > 0]

    print(f"split {split}: {len(rows)} mines; receiver noise only, "
          "signatures known exactly (an upper bound for any detector)")
    for cname, cell in CELLS.items():
        print(f"\nfalse-alarm cell {cname}: z at "
              + ", ".join(f"{far}/m2 = {norm.isf(far * cell):.2f}"
                          for far in FARS))
        print(f"{'':26s} {'mines':>5s} " + " ".join(
            f"{'Pd<= @' + str(far):>11s}" for far in FARS)
            + "   median d' (gpr, emi)")
        groups = [("all", rows)]
        groups += [(s, [r for r in rows if r[0] == s])
                   for s in sorted({r[0] for r in rows})]
        groups += [(t, [r for r in rows if r[1] == t])
                   for t in sorted({r[1] for r in rows})]
        groups += [("radar alone", radar)]
        groups += [("radar alone, " + t, [r for r in radar if r[1] == t])
                   for t in sorted({r[1] for r in radar})]
        for g, sel in groups:
            b = [bound(sel, cell, far) for far in FARS]
            dg = np.median(np.sqrt([r[2] for r in sel]))
            de = np.median(np.sqrt([r[3] for r in sel]))
            print(f"{g:26s} {len(sel):5d} " + " ".join(
                f"{v:5.1f} ({v / len(sel):4.2f})" for v in b)
                + f"   {dg:6.1f} {de:6.1f}")


if __name__ == "__main__":
    main()
