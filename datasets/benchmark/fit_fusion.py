#!/usr/bin/python3
"""Fit the fusion weights of the default recipe on the benchmark's TUNE split.

Run by hand (numpy and h5py, no other packages):

    datasets/benchmark/generate.sh build/minescan build/bench tune
    build/minescan evaluate build/bench/tune/*.h5 -o build/bench/ev-feat \
        --recipe datasets/benchmark/features.recipe
    EMI=emi_tcfar OFFSET=3.8 /usr/bin/python3 datasets/benchmark/fit_fusion.py \
        build/bench/ev-feat build/bench/tune

The default recipe takes the radar-and-detector weights from that run
(emi_tau's map beside the radar) and the detector-only weights from the
same command with EMI=emi_cfar (emi_decay's map: on the 3-gate laterite
lanes emi_tau mistakes the soil's decay for thin metal).

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

Environment: GPR and EMI (comma-separated map names, default gpr_cfar and
emi_cfar), LOG (1: features are ln(1 + positive part), as fuse's
log_inputs=1; default 1), PRODUCT (1: add the radar x detector product;
default 0: a negative product weight makes the fusion non-monotone),
OFFSET (added to the bias, default 3; the built-in recipe uses 3.8), SINGLE
(comma-separated maps: only print each map's own pooled Pd).
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
    # greedy: a peak within SEP of a stronger kept one is dropped
    r = int(np.floor(SEP / cell + 1e-9))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    disk = dy * dy + dx * dx <= (SEP / cell) ** 2 + 1e-9
    blocked = np.zeros((m.shape[0] + 2 * r, m.shape[1] + 2 * r), dtype=bool)
    keep = []
    for k in range(len(iy)):
        if blocked[iy[k] + r, ix[k] + r]:
            continue
        keep.append(k)
        blocked[iy[k]:iy[k] + 2 * r + 1, ix[k]:ix[k] + 2 * r + 1] |= disk
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
    if os.environ.get("LOG", "1") == "1":
        f = [np.log1p(x) for x in f]
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
        if not os.path.exists(maps_path):
            continue
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
    G = os.environ.get("GPR", "gpr_cfar").split(",")
    E = os.environ.get("EMI", "emi_cfar").split(",")
    groups = {
        "dual": (G + E, os.environ.get("PRODUCT", "0") == "1"),
        "gpr": (G, False),
        "emi": (E, False),
    }
    fitted = {}
    for g, (names, product) in groups.items():
        sel = {n: v for n, v in lanes.items()
               if all(k in v[0] for k in names) and
               (g != "emi" or "gpr_hits" not in v[0]) and
               (g != "gpr" or "emi_hits" not in v[0])}
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
            fused[maps["gpr_hits" if "gpr_hits" in maps else "emi_hits"] <= 0] = -np.inf
            res.append(score_file(fused, attrs, truth))
            nm += int(truth[2].sum())
            area += truth[4]
        pd, _ = pooled_pd(res, nm, area)
        print(f"{g}: {len(sel)} lanes, {int(Y.sum())}/{len(Y)} mine samples;"
              f" features {names}{' + product' if product else ''}")
        print("  weights", " ".join(f"{v:.4g}" for v in w), " bias", f"{b:.4g}")
        print(f"  Pd at 0.1/0.5/1 FA/m2: {pd[0]}/{pd[1]}/{pd[2]} of {nm}")
        fitted[g] = (names, w, b)
    # The recipe's fuse lines: the linear score (log-odds) plus OFFSET, so
    # that a lane's background sits above 0 and the alarm threshold 3
    # falls near the log-odds 3 - OFFSET.
    off = float(os.environ.get("OFFSET", "3"))
    print("recipe lines (fuse: bias + w_gpr a + w_emi b + w_prod a b):")
    for g, (names, w, b) in fitted.items():
        a = names[0]
        c = names[1] if len(names) > 1 else names[0]
        wg = w[0]
        we = w[1] if len(names) > 1 else 0.0
        wp = w[2] if len(w) > 2 else 0.0
        print(f"  {g}: stage fuse in={a},{c} w_gpr={wg:.4g} w_emi={we:.4g} "
              f"w_prod={wp:.4g} bias={b + off:.4g} "
              f"log_inputs={1 if os.environ.get('LOG', '1') == '1' else 0}")


if __name__ == "__main__":
    main()
