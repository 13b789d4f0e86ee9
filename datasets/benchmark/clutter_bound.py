#!/usr/bin/env python3
"""Which false alarms hold the detector back? The pooled ROC of a
`minescan evaluate` run, again with the candidates on one kind of object
taken out, as if a perfect discriminator had told that kind from a mine.

What a kind is worth tells where discrimination pays: if taking out every
can lifts Pd at 0.1 false alarms per m2 from 8 to 33, the strict end of
the ROC is held by cans; if taking out the background peaks does not move
it, no amount of smoothing of the background will.

Usage: clutter_bound.py EVALUATE_DIR
Reads EVALUATE_DIR/evaluate.json and, for every pooled file, its
targets.csv and candidates.csv (a candidate's match names the truth row it
fell on; targets.csv gives that row's label). Prints Pd (detected of the
mines) at 0.1 / 0.5 / 1 false alarms per m2 and the AUC over 0-1 per m2:
first as evaluate pools them (the first row must equal evaluate.json),
then without the candidates on each tracked clutter kind, on all tracked
clutter, on the background (peaks on no truth object: receiver noise, the
soil, untracked pebbles, roots and metal bits), and on all of them.
A "duplicate" (a false alarm within the halo of a mine already found,
which may lie on clutter beside it) cannot be assigned to a kind and is always kept, so the last row may fall short of
every mine. Uses the standard library only."""
import csv
import json
import math
import os
import sys


def roc_figures(mine_scores, fa_scores, area, limits=(0.1, 0.5, 1.0)):
    """Pd at each FAR limit and the step AUC over 0-1 per m2, as
    pipeline/detect/pool.c computes them (ms_roc_pool)."""
    n = len(mine_scores)
    ev = sorted([(s, 1) for s in mine_scores if not math.isnan(s)] +
                [(s, 0) for s in fa_scores], key=lambda e: -e[0])
    pts = [(0.0, 0.0)]  # (far, pd) from the threshold +inf down
    det = fa = 0
    for i, (s, is_mine) in enumerate(ev):
        det += is_mine
        fa += 1 - is_mine
        if i + 1 < len(ev) and ev[i + 1][0] == s:
            continue
        pts.append((fa / area, det / n if n else math.nan))
    pd = []
    for lim in limits:
        best = 0
        for i in range(1, len(pts)):
            if not pts[i][0] <= lim * (1 + 1e-9):
                break
            if pts[i][1] > pts[best][1]:
                best = i
        pd.append(pts[best][1])
    auc = 0.0
    for i, (far, p) in enumerate(pts):
        to = min(pts[i + 1][0], 1.0) if i + 1 < len(pts) else 1.0
        auc += p * (to - min(far, 1.0))
    return pd, auc


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(evdir):
    """Per pooled file: (mine detect scores, [(fa score, kind)], area)."""
    with open(os.path.join(evdir, "evaluate.json")) as f:
        ev = json.load(f)
    files = []
    for row in ev["rows"]:
        if not row.get("pooled"):
            continue
        out = row["output_dir"]
        if not os.path.isdir(out):  # evaluate's -o as given, maybe relative
            out = os.path.join(evdir, os.path.basename(out.rstrip("/")))
        targets = {int(t["index"]): t for t in
                   read_csv(os.path.join(out, "targets.csv"))}
        mines = [float(t["detect_score"]) if t["detect_score"] else math.nan
                 for t in targets.values() if t["is_mine"] == "1"]
        fas = []
        for c in read_csv(os.path.join(out, "candidates.csv")):
            m = c["match"]
            if m.startswith("mine:"):
                continue
            if m.startswith("clutter:"):
                label = targets[int(m[8:])]["label"]
                kind = label[8:] if label.startswith("clutter:") else label
            else:
                kind = m  # "background" or "duplicate"
            fas.append((float(c["score"]), kind))
        files.append((mines, fas, float(row["area_m2"])))
    return ev, files


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ev, files = load(argv[1])
    if not files:
        print(f"{argv[1]}: no pooled file", file=sys.stderr)
        return 1
    mines = [s for f in files for s in f[0]]
    if not mines:
        print(f"{argv[1]}: the pooled files hold no mine", file=sys.stderr)
        return 1
    fas = [a for f in files for a in f[1]]
    area = sum(f[2] for f in files)
    clutter = sorted({k for _, k in fas} - {"background", "duplicate"})
    rows = [("as evaluate pools them", set())]
    rows += [(f"without {k}", {k}) for k in clutter]
    rows += [("without all tracked clutter", set(clutter)),
             ("without the background", {"background"}),
             ("without both", set(clutter) | {"background"})]
    n = len(mines)
    print(f"{argv[1]}: {len(files)} files, {n} mines, {area:g} m2; "
          f"false-alarm candidates: " +
          ", ".join(f"{k} {sum(1 for _, q in fas if q == k)}"
                    for k in clutter + ["background", "duplicate"]))
    print(f"{'':30s} Pd at 0.1 / 0.5 / 1 per m2 (of {n})    AUC")
    for name, drop in rows:
        pd, auc = roc_figures(mines, [s for s, k in fas if k not in drop],
                              area)
        counts = " / ".join(f"{round(p * n):3d}" for p in pd)
        print(f"{name:30s} {counts}                     {auc:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
