#!/usr/bin/python3
"""Fit the fusion weights of the default recipe on the benchmark's TUNE split.

Run by hand (numpy and h5py, no other packages):

    datasets/benchmark/generate.sh build/minescan build/bench tune
    build/minescan evaluate build/bench/tune/*.h5 -o build/bench/ev-feat \
        --recipe datasets/benchmark/features.recipe
    /usr/bin/python3 datasets/benchmark/fit_fusion.py build/bench/ev-feat \
        build/bench/tune

features.recipe writes every candidate feature map to each lane's maps.h5.
For each sensor set (radar and detector, radar only, detector only) this
fits a small logistic regression: samples are the peaks of every feature
map (3 x 3 local maxima thinned to 0.15 m, as the alarms are), labelled
mine when within the 0.25 m halo of one, features the maps' values at the
peak cell (positive parts, and the radar x detector product for dual
lanes). It prints the weights and the bias, which go into the built-in
recipe (pipeline/recipe/recipe.c) as numbers, so that the recipe alone
reproduces the result; and it prints the pooled Pd at 0.1/0.5/1 false
alarms per m2 of the fused map, scored as `minescan evaluate` scores it,
so the numbers can be checked against evaluate's. Never run it on the
report split.
"""
import glob
import os
import sys

import h5py
import numpy as np

HALO = 0.25
SEP = 0.15


def load_truth(path):
    with h5py.File(path, "r") as f:
        t = f["truth"]
        lane = dict(f["lane"].attrs)
        area = (lane["x_max"] - lane["x_min"]) * (lane["y_max"] - lane["y_min"])
        labels = [s.decode() if isinstance(s, bytes) else str(s)
                  for s in t["label"][()]]
        return (np.asarray(t["x"][()]), np.asarray(t["y"][()]),
                np.asarray(t["is_mine"][()]).astype(bool), labels, area)


def peaks(m, cell):
    """3 x 3 local maxima of the finite cells, thinned greedily to SEP,
    strongest first."""
    p = np.pad(m, 1, constant_values=-np.inf)
    is_max = np.ones_like(m, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                is_max &= m >= p[1 + dy:1 + dy + m.shape[0],
                                 1 + dx:1 + dx + m.shape[1]]
    iy, ix = np.nonzero(is_max & np.isfinite(m))
    order = np.argsort(-m[iy, ix], kind="stable")
    iy, ix = iy[order], ix[order]
    keep = []
    r2 = (SEP / cell) ** 2
    for k in range(len(iy)):
        if all((iy[k] - iy[j]) ** 2 + (ix[k] - ix[j]) ** 2 > r2 for j in keep[-200:]):
            keep.append(k)
    return iy[keep], ix[keep]


def score_file(m, attrs, truth):
    """(scores of the alarms, mine index each detects or -1), greedy by
    score as the scoring convention says."""
    cell = attrs["cell_m"]
    iy, ix = peaks(m, cell)
    x = attrs["x_min"] + (ix + 0.5) * cell
    y = attrs["y_min"] + (iy + 0.5) * cell
    tx, ty, mine, _, _ = truth
    found = np.zeros(len(tx), dtype=bool)
    hit = np.full(len(iy), -1)
    for k in range(len(iy)):
        d = np.hypot(tx - x[k], ty - y[k])
        d[~mine | found] = np.inf
        j = int(np.argmin(d)) if len(d) else -1
        if j >= 0 and d[j] <= HALO + 1e-9:
            found[j] = True
            hit[k] = j
    return m[iy, ix], hit


def pooled_pd(results, n_mines, area):
    s = np.concatenate([r[0] for r in results])
    h = np.concatenate([r[1] >= 0 for r in results])
    order = np.argsort(-s, kind="stable")
    det = np.cumsum(h[order])
    fa = np.cumsum(~h[order])
    out = []
    for far in (0.1, 0.5, 1.0):
        ok = fa <= far * area
        out.append(int(det[ok].max()) if ok.any() else 0)
    return out, n_mines


def features(maps, names, product):
    f = [np.maximum(maps[n], 0.0) for n in names]
    if product:
        f.append(f[0] * f[1])
    return np.stack(f, axis=-1)


def logistic(X, y, l2=1e-2, iters=50):
    """Newton's method with a small ridge; returns weights, bias."""
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    reg = l2 * np.eye(Xb.shape[1])
    reg[-1, -1] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xb @ w))
        g = Xb.T @ (p - y) + reg @ w
        H = (Xb * (p * (1 - p))[:, None]).T @ Xb + reg
        w -= np.linalg.solve(H, g)
    return w[:-1], w[-1]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: fit_fusion.py EVAL_DIR TUNE_DIR")
    ev, tune = sys.argv[1], sys.argv[2]
    lanes = {}
    for h5 in sorted(glob.glob(os.path.join(tune, "*.h5"))):
        name = os.path.basename(h5)[:-3]
        maps_path = os.path.join(ev, name, "maps.h5")
        with h5py.File(maps_path, "r") as f:
            maps = {k: f[k][()].astype(np.float64) for k in f}
            attrs = dict(f[next(iter(f))].attrs)
        lanes[name] = (maps, attrs, load_truth(h5))
    if os.environ.get("SINGLE"):
        for key in os.environ["SINGLE"].split(","):
            res, nm, area = [], 0, 0.0
            for n, (maps, attrs, truth) in lanes.items():
                if key not in maps:
                    continue
                m = maps[key].copy()
                m[m <= 0] = -np.inf
                res.append(score_file(m, attrs, truth))
                nm += int(truth[2].sum())
                area += truth[4]
            pd, _ = pooled_pd(res, nm, area)
            print(f"{key}: Pd {pd[0]}/{pd[1]}/{pd[2]} of {nm}")
        return
    groups = {
        "dual": (["gpr_cfar", "emi_cfar", "thin_cfar"], True),
        "gpr": (["gpr_cfar"], False),
        "emi": (["emi_cfar", "thin_cfar"], False),
    }
    for g, (names, product) in groups.items():
        sel = {n: v for n, v in lanes.items()
               if all(k in v[0] for k in names) and
               (g != "emi" or "gpr_cfar" not in v[0]) and
               (g != "gpr" or "emi_cfar" not in v[0])}
        X, Y = [], []
        for n, (maps, attrs, truth) in sel.items():
            F = features(maps, names, product)
            for src in names:
                s, hit = score_file(maps[src], attrs, truth)
                iy, ix = peaks(maps[src], attrs["cell_m"])
                X.append(F[iy, ix])
                Y.append(hit >= 0)
        X, Y = np.concatenate(X), np.concatenate(Y).astype(float)
        w, b = logistic(X, Y)
        res, nm, area = [], 0, 0.0
        for n, (maps, attrs, truth) in sel.items():
            fused = features(maps, names, product) @ w + b
            fused[maps["gpr_hits" if "gpr_cfar" in names else "emi_hits"] <= 0] = -np.inf
            res.append(score_file(fused, attrs, truth))
            nm += int(truth[2].sum())
            area += truth[4]
        pd, _ = pooled_pd(res, nm, area)
        print(f"{g}: {len(sel)} lanes, {int(Y.sum())}/{len(Y)} mine samples;"
              f" features {names}{' + product' if product else ''}")
        print("  weights", " ".join(f"{v:.4g}" for v in w), " bias", f"{b:.4g}")
        print(f"  Pd at 0.1/0.5/1 FA/m2: {pd[0]}/{pd[1]}/{pd[2]} of {nm}")


if __name__ == "__main__":
    main()
