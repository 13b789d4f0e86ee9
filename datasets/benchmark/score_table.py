#!/usr/bin/env python3
"""Detection figures of a `minescan batch` run over benchmark lanes, per
scenario and in all, with counts beside ratios (with 144 mines one miss is
0.7 % of Pd). Usage: score_table.py BATCH_OUTDIR [--json]

Reads BATCH_OUTDIR/batch.csv and each lane's score.json. Lanes are named
SCENARIO-sSEED (datasets/benchmark/generate.sh); failed lanes are listed and
make the exit status 1."""
import csv
import json
import os
import sys
from collections import OrderedDict


def table(outdir):
    rows = OrderedDict()
    failed = []
    with open(os.path.join(outdir, "batch.csv"), newline="") as f:
        for r in csv.DictReader(f):
            if r["status"] == "failed":
                failed.append((r["input"], r["reason"]))
                continue
            with open(os.path.join(r["output_dir"], "score.json")) as g:
                s = json.load(g)
            stem = os.path.splitext(os.path.basename(r["input"]))[0]
            scenario = stem.rsplit("-s", 1)[0]
            a = rows.setdefault(scenario, dict(lanes=0, mines=0, detected=0,
                                               false_alarms=0, area_m2=0.0,
                                               pd_at_far_1=[]))
            a["lanes"] += 1
            a["mines"] += s["n_mines"]
            a["detected"] += s["n_detected"]
            a["false_alarms"] += s["n_false_alarms"]
            a["area_m2"] += s["area_m2"]
            if s["pd_at_far_1"] is not None:
                a["pd_at_far_1"].append(s["pd_at_far_1"])
    total = dict(lanes=0, mines=0, detected=0, false_alarms=0, area_m2=0.0,
                 pd_at_far_1=[])
    for a in rows.values():
        for k in total:
            total[k] += a[k]
    rows["all"] = total
    for a in rows.values():
        a["pd"] = a["detected"] / a["mines"] if a["mines"] else None
        a["far_per_m2"] = a["false_alarms"] / a["area_m2"] if a["area_m2"] else None
        p = a.pop("pd_at_far_1")
        a["mean_pd_at_far_1"] = sum(p) / len(p) if p else None
    return rows, failed


def main(argv):
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] != "--json"):
        print(__doc__, file=sys.stderr)
        return 2
    rows, failed = table(argv[1])
    if len(argv) == 3:
        print(json.dumps({"scenarios": rows, "failed": failed}, indent=2))
    else:
        fmt = "{:28s} {:>5s} {:>9s} {:>6s} {:>13s} {:>9s} {:>10s}"
        print(fmt.format("scenario", "lanes", "detected", "Pd", "false alarms",
                         "FAR /m2", "Pd@FAR1"))
        num = lambda v: "-" if v is None else "%.2f" % v
        for name, a in rows.items():
            print(fmt.format(name, str(a["lanes"]),
                             "%d/%d" % (a["detected"], a["mines"]),
                             num(a["pd"]), str(a["false_alarms"]),
                             num(a["far_per_m2"]), num(a["mean_pd_at_far_1"])))
    for inp, why in failed:
        print("failed: %s: %s" % (inp, why), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
