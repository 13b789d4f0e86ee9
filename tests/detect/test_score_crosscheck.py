"""Cross-check of the C scorer and peak finder against an independent Python
implementation of the scoring convention (shared/spec/recording-format.md,
"Scoring convention") and of the choices include/minescan/detect.h states
where the contract is silent:

  * within the halo = distance <= halo + 1e-9 m (boundary included);
  * equal scores are matched in input order; equal distances go to the
    lower truth index;
  * ROC: a first point "no alarms" (Pd 0, FAR 0), then one point per
    distinct score; Pd at FAR L = best Pd over points with FAR <= L(1+1e-9);
    AUC = integral over [0, 1] of the best Pd reachable at each FAR.
  * peaks: 8-neighbour maxima (NaN = no data), a plateau gives one peak at
    its cell nearest the centroid (ties: lowest raster index), strongest
    first (ties by y, then x), greedy suppression with boundary included.

This code is written from those statements, not from the C: the ROC
re-scores from scratch at every threshold and the AUC integrates between
all breakpoints. Random cases (seeded) go to test_score (run with
MINESCAN_SCORE_CASES set), whose answers must agree.
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
from scipy import ndimage

TOL_M = 1e-9


# ---- the convention, independently -----------------------------------------

def score(truth, alarms, area, halo, threshold):
    """truth: [(x, y, is_mine)], alarms: [(x, y, score)]."""
    used = [(i, a) for i, a in enumerate(alarms) if a[2] >= threshold]
    used.sort(key=lambda ia: (-ia[1][2], ia[0]))  # stable: input order
    detected = [0] * len(truth)
    n_det = n_fa = n_clutter = n_dup = 0
    for _, (ax, ay, _) in used:
        near = [(math.hypot(ax - tx, ay - ty), k, m)
                for k, (tx, ty, m) in enumerate(truth)]
        near = [(d, k, m) for d, k, m in near if d <= halo + TOL_M]
        free = [(d, k) for d, k, m in near if m and not detected[k]]
        if free:
            _, k = min(free)
            detected[k] = 1
            n_det += 1
            continue
        n_fa += 1
        if any(m for _, _, m in near):
            n_dup += 1
        if any(not m for _, _, m in near):
            n_clutter += 1
    mines = sum(1 for t in truth if t[2])
    return {
        "n_mines": mines,
        "n_clutter": len(truth) - mines,
        "n_alarms": len(used),
        "n_detected": n_det,
        "n_false_alarms": n_fa,
        "n_clutter_alarms": n_clutter,
        "n_duplicates": n_dup,
        "pd": n_det / mines if mines else None,
        "far": n_fa / area,
        "detected": [detected[k] if truth[k][2] else 0
                     for k in range(len(truth))],
    }


def roc(truth, alarms, area, halo):
    mines = sum(1 for t in truth if t[2])
    pts = [(math.inf, 0.0 if mines else None, 0.0, 0, 0)]
    for thr in sorted({a[2] for a in alarms}, reverse=True):
        s = score(truth, alarms, area, halo, thr)
        pts.append((thr, s["pd"], s["far"], s["n_detected"],
                    s["n_false_alarms"]))
    if not mines:
        return pts, None, None, None

    def best_pd(limit):
        return max(p[1] for p in pts if p[2] <= limit * (1 + 1e-9))

    # integrate "best Pd reachable at FAR f" between consecutive breakpoints
    xs = sorted({0.0, 1.0} | {p[2] for p in pts if p[2] < 1.0})
    auc = 0.0
    for x0, x1 in zip(xs, xs[1:]):
        auc += max(p[1] for p in pts if p[2] <= x0) * (x1 - x0)
    return pts, best_pd(0.1), best_pd(1.0), auc


def peaks(v, x_min, y_min, cell, threshold, sep):
    """v: 2-D array [iy, ix], NaN = no data."""
    ny, nx = v.shape
    w = np.where(np.isnan(v), -np.inf, v)
    eight = np.ones((3, 3), bool)
    found = []  # (value, iy, ix)
    for val in np.unique(w[np.isfinite(w) & (w >= threshold)]):
        labels, n = ndimage.label(w == val, structure=eight)
        for lab in range(1, n + 1):
            comp = labels == lab
            ring = ndimage.binary_dilation(comp, structure=eight) & ~comp
            if ring.any() and w[ring].max() > val:
                continue  # a shoulder, not a peak
            iy, ix = np.nonzero(comp)
            m = len(ix)
            # centroid distance scaled by m: exact integers
            d = [(int(m * x - ix.sum()) ** 2 + int(m * y - iy.sum()) ** 2,
                  int(y) * nx + int(x)) for x, y in zip(ix, iy)]
            _, idx = min(d)
            found.append((float(val), idx // nx, idx % nx))
    found.sort(key=lambda p: (-p[0], p[1], p[2]))
    kept = []
    for val, iy, ix in found:
        if any(math.hypot(ix - kx, iy - ky) * cell <= sep + TOL_M
               for _, ky, kx in kept):
            continue
        kept.append((val, iy, ix))
    return [(x_min + (ix + 0.5) * cell, y_min + (iy + 0.5) * cell, val)
            for val, iy, ix in kept]


# ---- random cases -----------------------------------------------------------

def make_score_case(rng):
    lx, ly = rng.uniform(2, 20), rng.uniform(1, 4)
    halo = rng.choice([0.1, 0.25, 0.25, 0.3, 0.5])
    truth = []
    for _ in range(rng.randint(0, 12)):
        truth.append((round(rng.uniform(0, lx), 2),
                      round(rng.uniform(0, ly), 2),
                      1 if rng.random() < 0.6 else 0))
    # coarse scores make ties; fine ones make long ROCs
    coarse = rng.random() < 0.4
    alarms = []
    for _ in range(rng.randint(0, 60)):
        if truth and rng.random() < 0.6:
            tx, ty, _ = rng.choice(truth)
            r = rng.uniform(0, 1.6 * halo)
            if rng.random() < 0.15:  # exactly on the halo, decimal numbers
                alarms.append((tx + halo, ty, 0))
            else:
                t = rng.uniform(0, 2 * math.pi)
                alarms.append((tx + r * math.cos(t), ty + r * math.sin(t), 0))
        else:
            alarms.append((rng.uniform(0, lx), rng.uniform(0, ly), 0))
    alarms = [(x, y, float(rng.randint(1, 6)) if coarse
               else rng.uniform(0, 10)) for x, y, _ in alarms]
    thresholds = [None] + [rng.choice(alarms)[2] for _ in range(3) if alarms]
    thresholds += [rng.uniform(0, 10)]
    return {"area": lx * ly, "halo": halo, "truth": truth,
            "alarms": alarms, "thresholds": thresholds}


def make_peak_case(rng):
    nx, ny = rng.randint(1, 40), rng.randint(1, 30)
    cell = rng.choice([0.02, 0.05, 0.1])
    if rng.random() < 0.5:
        # few levels: plateaus and shoulders everywhere
        v = np.array([[float(rng.randint(0, 4)) for _ in range(nx)]
                      for _ in range(ny)])
    else:
        v = np.array([[rng.gauss(0, 1) for _ in range(nx)] for _ in range(ny)])
        v = ndimage.uniform_filter(v, 3, mode="nearest")
    v = v.astype(np.float32).astype(np.float64)  # the C map is float
    for _ in range(rng.randint(0, nx * ny // 10)):
        v[rng.randrange(ny), rng.randrange(nx)] = np.nan
    thr = rng.choice([0.0, 1.0, 2.0]) if rng.random() < 0.5 else \
        rng.uniform(-0.5, 0.5)
    sep = rng.choice([0.0, cell, 2 * cell, 3.3 * cell, 5 * cell])
    return {"nx": nx, "ny": ny, "x_min": round(rng.uniform(-5, 5), 2),
            "y_min": round(rng.uniform(-5, 5), 2), "cell": cell,
            "v": [None if math.isnan(x) else x for x in v.ravel()],
            "threshold": thr, "sep": sep}


# ---- comparison --------------------------------------------------------------

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def compare_score_case(i, case, got):
    truth = [tuple(t) for t in case["truth"]]
    alarms = [tuple(a) for a in case["alarms"]]
    for k, thr in enumerate(case["thresholds"]):
        want = score(truth, alarms, case["area"], case["halo"],
                     -math.inf if thr is None else thr)
        g = got["scores"][k]
        if isinstance(g, str):
            check(False, f"case {i} threshold {thr}: C failed: {g}")
            continue
        for key in ("n_mines", "n_clutter", "n_alarms", "n_detected",
                    "n_false_alarms", "n_clutter_alarms", "n_duplicates",
                    "detected"):
            check(g[key] == want[key],
                  f"case {i} threshold {thr}: {key} C {g[key]} "
                  f"Python {want[key]}")
        for key in ("pd", "far"):
            check(close(g[key], want[key]),
                  f"case {i} threshold {thr}: {key} C {g[key]} "
                  f"Python {want[key]}")
    pts, p01, p1, auc = roc(truth, alarms, case["area"], case["halo"])
    r = got["roc"]
    if isinstance(r, str):
        check(False, f"case {i}: C ROC failed: {r}")
        return
    check(len(r["points"]) == len(pts),
          f"case {i}: {len(r['points'])} ROC points, Python {len(pts)}")
    for j, (gp, wp) in enumerate(zip(r["points"], pts)):
        thr = math.inf if gp[0] is None else gp[0]
        ok = (thr == wp[0] and close(gp[1], wp[1]) and close(gp[2], wp[2])
              and gp[3] == wp[3] and gp[4] == wp[4])
        check(ok, f"case {i}: ROC point {j}: C {gp} Python {wp}")
    for key, want in (("pd_at_far_0_1", p01), ("pd_at_far_1", p1),
                      ("auc_far_1", auc)):
        check(close(r[key], want, 1e-9),
              f"case {i}: {key} C {r[key]} Python {want}")


def compare_peak_case(i, case, got):
    if isinstance(got, str):
        check(False, f"peak case {i}: C failed: {got}")
        return
    v = np.array([np.nan if x is None else x for x in case["v"]],
                 float).reshape(case["ny"], case["nx"])
    want = peaks(v, case["x_min"], case["y_min"], case["cell"],
                 case["threshold"], case["sep"])
    check(len(got) == len(want),
          f"peak case {i}: C {len(got)} alarms, Python {len(want)}: "
          f"C {got[:6]} Python {want[:6]}")
    for j, (g, w) in enumerate(zip(got, want)):
        check(all(close(a, b) for a, b in zip(g, w)),
              f"peak case {i} alarm {j}: C {g} Python {w}")


def test_binary():
    cli = os.environ.get("MINESCAN")
    if not cli:
        sys.exit("MINESCAN (path of the minescan program in the build "
                 "folder) is not set: run this through ctest")
    exe = os.path.join(os.path.dirname(cli), "test_score")
    if not os.access(exe, os.X_OK):
        sys.exit(f"{exe}: not built")
    return exe


def main():
    exe = test_binary()
    rng = random.Random(20240611)
    cases = {"score_cases": [make_score_case(rng) for _ in range(300)],
             "peak_cases": [make_peak_case(rng) for _ in range(150)]}
    # the hand-worked ROC of test_score.c, as a check on this file itself
    hand = {"area": 10.0, "halo": 0.25,
            "truth": [(0, 0, 1), (2, 0, 1), (4, 0, 1), (6, 0, 1), (8, 0, 0)],
            "alarms": [(0.05, 0, 9), (1, 1, 8), (6.1, 0, 7.5), (2, 0.1, 7),
                       (3, 1, 7), (8.1, 0, 5), (0, -0.1, 4), (4, 0.2, 3)],
            "thresholds": [None]}
    _, p01, p1, auc = roc(hand["truth"], hand["alarms"], 10.0, 0.25)
    check(close(p01, 0.5) and close(p1, 1.0) and close(auc, 0.825),
          f"Python reference disagrees with the hand-worked ROC: "
          f"{p01} {p1} {auc}")
    cases["score_cases"].append(hand)

    tmp = os.environ.get("MINESCAN_TEST_TMP") or tempfile.gettempdir()
    os.makedirs(tmp, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tmp) as d:
        cin, cout = os.path.join(d, "cases.json"), os.path.join(d, "out.json")
        with open(cin, "w") as f:
            json.dump(cases, f)
        env = dict(os.environ, MINESCAN_SCORE_CASES=cin,
                   MINESCAN_SCORE_OUT=cout)
        p = subprocess.run([exe], env=env, capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            sys.exit(f"{exe} failed ({p.returncode}): {p.stderr}")
        with open(cout) as f:
            got = json.load(f)

    for i, (c, g) in enumerate(zip(cases["score_cases"], got["score_cases"])):
        compare_score_case(i, c, g)
    for i, (c, g) in enumerate(zip(cases["peak_cases"], got["peak_cases"])):
        compare_peak_case(i, c, g)
    check(len(got["score_cases"]) == len(cases["score_cases"]) and
          len(got["peak_cases"]) == len(cases["peak_cases"]),
          "C answered a different number of cases")

    # the random cases must reach every rule, or agreement proves little
    totals = {"n_duplicates": 0, "n_clutter_alarms": 0, "no_mines": 0,
              "tied_scores": 0, "on_halo": 0}
    for c in cases["score_cases"]:
        s = score(c["truth"], c["alarms"], c["area"], c["halo"], -math.inf)
        totals["n_duplicates"] += s["n_duplicates"]
        totals["n_clutter_alarms"] += s["n_clutter_alarms"]
        totals["no_mines"] += s["pd"] is None
        scores = [a[2] for a in c["alarms"]]
        totals["tied_scores"] += len(scores) - len(set(scores))
        totals["on_halo"] += sum(
            1 for a in c["alarms"] for t in c["truth"]
            if abs(math.hypot(a[0] - t[0], a[1] - t[1]) - c["halo"]) < 1e-12)
    for key, n in totals.items():
        check(n >= 5, f"the random cases reach {key} only {n} times")

    n_pts = sum(len(g["roc"]["points"]) for g in got["score_cases"]
                if isinstance(g["roc"], dict))
    n_peaks = sum(len(g) for g in got["peak_cases"] if isinstance(g, list))
    if failures:
        for f in failures[:40]:
            print("FAIL:", f)
        sys.exit(f"{len(failures)} disagreements")
    print(f"ok: {len(cases['score_cases'])} scoring cases ({n_pts} ROC "
          f"points), {len(cases['peak_cases'])} peak maps ({n_peaks} peaks) "
          f"agree")


if __name__ == "__main__":
    main()
