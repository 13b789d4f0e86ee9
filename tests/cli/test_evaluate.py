"""minescan evaluate: a set of lanes through the batch engine, pooled under
one common threshold. Everything evaluate reports is recomputed here from
the per-run files (targets.csv, candidates.csv, score.json), and those
files from the recordings' /truth with a greedy matching written from the
scoring convention (shared/spec/recording-format.md), not from the C."""
import csv
import json
import math
import os
import shutil
import subprocess
import unittest

import h5py

from test_run import png_text  # the PNG text chunks, read without libpng

MINESCAN = os.environ["MINESCAN"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"),
                   "test_evaluate")
TOL_M = 1e-9
LIMITS = (0.1, 0.5, 1.0)
ROWS_HEADER = ("input,output_dir,status,reason,n_mines,n_detected,"
               "n_false_alarms,area_m2,pd,far_per_m2,threshold")


def run(*args):
    env = dict(os.environ)
    env.pop("MINESCAN_FAULT", None)
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          env=env, timeout=600)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    return float(s) if s != "" else None


def truth_of(path):
    """[(x, y, is_mine, label)] from /truth."""
    with h5py.File(path, "r") as f:
        t = f["truth"]
        labels = [l.decode() if isinstance(l, bytes) else str(l)
                  for l in t["label"][()]]
        return list(zip(t["x"][()].tolist(), t["y"][()].tolist(),
                        [int(m) for m in t["is_mine"][()]], labels))


def match_all(truth, cands, halo):
    """The convention over every candidate: greedy by score (ties: input
    order), each to the nearest undetected mine within the halo (ties: lower
    index). Returns per-truth detect score and strongest false alarm on
    clutter, and per candidate its match label."""
    order = sorted(range(len(cands)), key=lambda i: (-cands[i][2], i))
    taken = [False] * len(truth)
    detect = [None] * len(truth)
    worst = [None] * len(truth)
    match = [None] * len(cands)
    for i in order:
        x, y, s = cands[i]
        near = [(math.hypot(x - tx, y - ty), k, m)
                for k, (tx, ty, m, _) in enumerate(truth)]
        near = [n for n in near if n[0] <= halo + TOL_M]
        free = sorted((d, k) for d, k, m in near if m and not taken[k])
        if free:
            k = free[0][1]
            taken[k] = True
            detect[k] = s
            match[i] = "mine:%d" % k
            continue
        clutter = sorted((d, k) for d, k, m in near if not m)
        for _, k in clutter:
            if worst[k] is None:
                worst[k] = s
        if any(m for _, _, m in near):
            match[i] = "duplicate"
        elif clutter:
            match[i] = "clutter:%d" % clutter[0][1]
        else:
            match[i] = "background"
    return detect, worst, match


class EvaluateTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        cls.lanes = []
        for seed, n in ((1, 3), (2, 3), (3, 5)):
            path = os.path.join(TMP, "lane%d.h5" % seed)
            r = run("simulate", "-o", path, "--seed", str(seed), "--length",
                    "2", "--n-mines", str(n), "--mine-types",
                    "PMN,M14,Type-72,PMA-2,TM-46", "--quiet")
            assert r.returncode == 0, r.stderr
            cls.lanes.append(path)
        cls.empty = os.path.join(TMP, "nomines.h5")
        r = run("simulate", "-o", cls.empty, "--seed", "7", "--length", "2",
                "--n-mines", "0", "--clutter-density", "2", "--quiet")
        assert r.returncode == 0, r.stderr
        cls.bad = os.path.join(TMP, "broken.h5")
        with open(cls.bad, "w") as f:
            f.write("not a recording\n")
        cls.inputs = cls.lanes + [cls.empty, cls.bad]
        cls.out = os.path.join(TMP, "out")
        cls.r = run("evaluate", *cls.inputs, "-o", cls.out, "--device",
                    "cpu", "-j", "2")
        cls.ev = load_json(os.path.join(cls.out, "evaluate.json"))

    def pooled_rows(self):
        return [r for r in self.ev["rows"] if r["pooled"]]

    def per_run(self, row):
        d = row["output_dir"]
        return (read_csv(os.path.join(d, "targets.csv")),
                read_csv(os.path.join(d, "candidates.csv")),
                load_json(os.path.join(d, "score.json")))

    def test_exit_code_and_the_failed_file(self):
        self.assertEqual(self.r.returncode, 1, self.r.stderr)
        self.assertIn(self.bad, self.r.stderr)
        self.assertEqual(self.ev["files"],
                         {"inputs": 5, "pooled": 4, "failed": 1})
        self.assertEqual([f["input"] for f in self.ev["failed"]], [self.bad])
        self.assertTrue(self.ev["failed"][0]["reason"].startswith(self.bad))
        rows = {r["input"]: r for r in self.ev["rows"]}
        self.assertEqual(list(rows), self.inputs)
        self.assertFalse(rows[self.bad]["pooled"])
        self.assertEqual(rows[self.bad]["status"], "failed")
        self.assertIsNone(rows[self.bad]["n_mines"])
        with open(os.path.join(self.out, "evaluate.csv")) as f:
            self.assertEqual(f.readline().rstrip("\n"), ROWS_HEADER)
        csv_rows = read_csv(os.path.join(self.out, "evaluate.csv"))
        self.assertEqual([c["input"] for c in csv_rows], self.inputs)
        bad = csv_rows[-1]
        self.assertEqual(bad["status"], "failed")
        self.assertTrue(bad["reason"].startswith(self.bad))
        self.assertEqual(bad["n_mines"], "")
        self.assertEqual(bad["area_m2"], "")
        # the table says so too
        self.assertIn("left out: " + self.bad, self.r.stdout)
        # and the failed file is in no pooled total
        areas = sum(load_json(os.path.join(r["output_dir"], "score.json"))
                    ["area_m2"] for r in self.pooled_rows())
        self.assertAlmostEqual(self.ev["pooled"]["area_m2"], areas, places=9)

    def test_per_run_files_follow_the_convention(self):
        halo = self.ev["halo_m"]
        for row in self.pooled_rows():
            targets, cands, score = self.per_run(row)
            truth = truth_of(row["input"])
            self.assertEqual(len(targets), len(truth))
            c = [(float(r["x_m"]), float(r["y_m"]), float(r["score"]))
                 for r in cands]
            detect, worst, match = match_all(truth, c, halo)
            self.assertEqual([r["match"] for r in cands], match,
                             row["input"])
            for k, (t, r) in enumerate(zip(truth, targets)):
                self.assertEqual(int(r["index"]), k)
                self.assertEqual(r["label"], t[3])
                self.assertEqual(int(r["is_mine"]), t[2])
                self.assertEqual(num(r["detect_score"]),
                                 detect[k] if t[2] else None)
                self.assertEqual(num(r["max_false_alarm_score"]),
                                 None if t[2] else worst[k])
                ds = num(r["detect_score"])
                self.assertEqual(int(r["detected"]),
                                 int(ds is not None and
                                     ds >= score["threshold"]))
            # what score.json says at the run's own threshold
            thr = score["threshold"]
            self.assertEqual(sum(int(r["detected"]) for r in targets),
                             score["n_detected"])
            self.assertEqual(sum(1 for m, s in zip(match, c)
                                 if not m.startswith("mine:") and
                                 s[2] >= thr), score["n_false_alarms"])

    def pooled_data(self):
        mines, fa, area = [], [], 0.0
        for row in self.pooled_rows():
            targets, cands, score = self.per_run(row)
            area += score["area_m2"]
            mines += [num(r["detect_score"]) for r in targets
                      if r["is_mine"] == "1"]
            fa += [float(r["score"]) for r in cands
                   if not r["match"].startswith("mine:")]
        return mines, fa, area

    def counts_at(self, mines, fa, t):
        det = sum(1 for s in mines if s is not None and s >= t)
        return det, sum(1 for s in fa if s >= t)

    def test_pooled_numbers(self):
        mines, fa, area = self.pooled_data()
        p = self.ev["pooled"]
        self.assertEqual(p["n_mines"], len(mines))
        self.assertEqual(p["n_files"], 4)
        self.assertGreater(len(mines), 0)
        # the ROC by brute force: every distinct candidate score
        scores = sorted(set([s for s in mines if s is not None] + fa),
                        reverse=True)
        pts = [(math.inf, 0.0, 0.0, 0, 0)]
        for t in scores:
            d, f = self.counts_at(mines, fa, t)
            pts.append((t, d / len(mines), f / area, d, f))
        roc = read_csv(os.path.join(self.out, "roc.csv"))
        self.assertEqual(len(roc), len(pts))
        for got, want in zip(roc, pts):
            self.assertEqual(float(got["threshold"]), want[0])
            self.assertEqual(int(got["n_detected"]), want[3])
            self.assertEqual(int(got["n_false_alarms"]), want[4])
        ops = self.ev["operating_points"]
        self.assertEqual([o["far_limit_per_m2"] for o in ops], list(LIMITS))
        for o, lim in zip(ops, LIMITS):
            ok = [q for q in pts if q[2] <= lim * (1 + 1e-9)]
            best = max(q[1] for q in ok)
            first = next(q for q in ok if q[1] == best)
            self.assertAlmostEqual(o["pd"], best, places=12)
            t = math.inf if o["threshold"] is None else o["threshold"]
            self.assertEqual(t, first[0])
            # recomputed at the reported threshold
            d, f = self.counts_at(mines, fa, t)
            self.assertEqual((o["n_detected"], o["n_false_alarms"]), (d, f))
            self.assertEqual(o["n_mines"], len(mines))
            self.assertAlmostEqual(o["pd"], d / len(mines), places=12)
            self.assertAlmostEqual(o["far_per_m2"], f / area, places=12)
            self.assertLessEqual(f / area, lim * (1 + 1e-9))
        self.assertAlmostEqual(self.ev["roc"]["pd_at_far_0_5"], ops[1]["pd"],
                               places=12)
        # AUC: Pd held from each point to the next, cut at FAR 1
        auc = 0.0
        for i, q in enumerate(pts):
            nxt = pts[i + 1][2] if i + 1 < len(pts) else 1.0
            auc += q[1] * (min(nxt, 1.0) - min(q[2], 1.0))
        self.assertAlmostEqual(self.ev["roc"]["auc_far_1"], auc, places=9)

    def test_rows_at_the_common_threshold(self):
        t = self.ev["at_threshold"]["threshold"]
        t = math.inf if t is None else t
        self.assertEqual(t, self.ev["operating_points"][1]["threshold"]
                         if self.ev["operating_points"][1]["threshold"]
                         is not None else math.inf)
        csv_rows = {r["input"]: r for r in
                    read_csv(os.path.join(self.out, "evaluate.csv"))}
        tot_d = tot_f = 0
        for row in self.pooled_rows():
            targets, cands, score = self.per_run(row)
            m = [num(r["detect_score"]) for r in targets if r["is_mine"] == "1"]
            f = [float(r["score"]) for r in cands
                 if not r["match"].startswith("mine:")]
            d, n_fa = self.counts_at(m, f, t)
            tot_d += d
            tot_f += n_fa
            self.assertEqual(row["n_mines"], len(m))
            self.assertEqual(row["n_detected"], d)
            self.assertEqual(row["n_false_alarms"], n_fa)
            self.assertAlmostEqual(row["area_m2"], score["area_m2"], places=9)
            self.assertAlmostEqual(row["far_per_m2"], n_fa / score["area_m2"],
                                   places=12)
            if m:
                self.assertAlmostEqual(row["pd"], d / len(m), places=12)
            else:
                self.assertIsNone(row["pd"])
            c = csv_rows[row["input"]]
            self.assertEqual(int(c["n_detected"]), d)
            self.assertEqual(int(c["n_false_alarms"]), n_fa)
            self.assertEqual(c["pd"] == "", not m)
        op = self.ev["operating_points"][1]
        self.assertEqual((tot_d, tot_f),
                         (op["n_detected"], op["n_false_alarms"]))

    def test_lane_without_mines_counts_for_area_and_false_alarms(self):
        row = next(r for r in self.ev["rows"] if r["input"] == self.empty)
        self.assertTrue(row["pooled"])
        self.assertEqual(row["n_mines"], 0)
        self.assertIsNone(row["pd"])
        self.assertGreater(row["area_m2"], 0)
        _, cands, _ = self.per_run(row)
        self.assertFalse(any(c["match"].startswith("mine:") for c in cands))
        self.assertGreater(len(cands), 0)

    def test_types_add_up(self):
        at = self.ev["at_threshold"]
        p = self.ev["pooled"]
        op = self.ev["operating_points"][1]
        self.assertEqual(at["far_limit_per_m2"], 0.5)
        mt, ct = at["mine_types"], at["clutter_types"]
        self.assertEqual(sum(r["n"] for r in mt), p["n_mines"])
        self.assertEqual(sum(r["n_detected"] for r in mt), op["n_detected"])
        self.assertEqual(sum(r["n"] for r in ct), p["n_clutter"])
        # the labels and counts of /truth
        want_m, want_c = {}, {}
        t = math.inf if at["threshold"] is None else at["threshold"]
        alarmed = {}
        for row in self.pooled_rows():
            targets, _, _ = self.per_run(row)
            for x, y, m, label in truth_of(row["input"]):
                d = want_m if m else want_c
                d[label] = d.get(label, 0) + 1
            for r in targets:
                s = num(r["max_false_alarm_score"])
                if r["is_mine"] == "0" and s is not None and s >= t:
                    alarmed[r["label"]] = alarmed.get(r["label"], 0) + 1
        self.assertEqual({r["label"]: r["n"] for r in mt}, want_m)
        self.assertEqual({r["label"]: r["n"] for r in ct}, want_c)
        self.assertEqual({r["label"]: r["n_with_false_alarm"] for r in ct
                          if r["n_with_false_alarm"]}, alarmed)
        self.assertGreaterEqual(len(mt), 3)
        for r in mt:
            self.assertAlmostEqual(r["pd"], r["n_detected"] / r["n"])
            self.assertIn("%d/%d" % (r["n_detected"], r["n"]), self.r.stdout)

    def test_pngs_and_their_text(self):
        roc = png_text(os.path.join(self.out, "roc.png"))
        self.assertTrue(roc["Software"].startswith("minescan "))
        self.assertIn("Pooled ROC", roc["Title"])
        self.assertIn("minescan:plot_area", roc)
        self.assertIn("minescan:roc_axes", roc)
        sc = png_text(os.path.join(self.out, "scores.png"))
        self.assertTrue(sc["Software"].startswith("minescan "))
        for key in ("Title", "minescan:plot_area", "minescan:hist_axes",
                    "minescan:hist_bins", "minescan:hist_groups",
                    "minescan:halo_m", "minescan:thresholds"):
            self.assertIn(key, sc)
        self.assertEqual(float(sc["minescan:halo_m"]), self.ev["halo_m"])
        lines = sc["minescan:thresholds"].split("\n")
        self.assertEqual(len(lines), 3)
        for line, o in zip(lines, self.ev["operating_points"]):
            lim, thr = line.split()
            self.assertEqual(float(lim), o["far_limit_per_m2"])
            want = math.inf if o["threshold"] is None else o["threshold"]
            self.assertEqual(float(thr), want)
        groups = sc["minescan:hist_groups"].split("\n")
        self.assertEqual(len(groups), 3)
        p = self.ev["pooled"]
        self.assertIn("mines: %d" % p["n_mines"], groups[2])
        self.assertIn("%d members" % p["n_mines"], groups[2])
        self.assertIn("%d members" % p["n_clutter"], groups[1])
        self.assertIn("%d members" % p["n_background_candidates"], groups[0])
        lo, hi, y0, y1 = map(float, sc["minescan:hist_axes"].split())
        self.assertLess(lo, hi)
        self.assertGreater(y1, 0)

    def test_again_is_skipped_and_the_same(self):
        r = run("evaluate", *self.inputs, "-o", self.out, "--device", "cpu",
                "--quiet")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        ev = load_json(os.path.join(self.out, "evaluate.json"))
        self.assertEqual([x["status"] for x in ev["rows"]],
                         ["skipped"] * 4 + ["failed"])
        self.assertEqual(ev["operating_points"], self.ev["operating_points"])
        self.assertEqual(ev["at_threshold"], self.ev["at_threshold"])

    def test_older_outputs_are_redone(self):
        """A folder from a build that wrote no targets.csv is current for
        batch; evaluate must redo it rather than pool without it."""
        out = os.path.join(TMP, "out-old")
        r = run("evaluate", self.lanes[0], "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = os.path.join(out, "lane1")
        summary = load_json(os.path.join(d, "summary.json"))
        summary["outputs"] = [o for o in summary["outputs"]
                              if o not in ("targets.csv", "candidates.csv")]
        with open(os.path.join(d, "summary.json"), "w") as f:
            json.dump(summary, f)
        os.remove(os.path.join(d, "targets.csv"))
        r = run("evaluate", self.lanes[0], "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = load_json(os.path.join(out, "evaluate.json"))
        self.assertEqual(ev["rows"][0]["status"], "ok")
        self.assertTrue(os.path.exists(os.path.join(d, "targets.csv")))

    def test_inconsistent_outputs_are_left_out(self):
        """A per-run file that disagrees with score.json (edited, or from a
        run with other options) leaves its lane out, and nothing of it is
        pooled."""
        out = os.path.join(TMP, "out-edited")
        r = run("evaluate", *self.lanes[:2], "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "lane2", "candidates.csv"), "a") as f:
            f.write("0.5000,0.5000,50,background\n")
        r = run("evaluate", *self.lanes[:2], "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("disagree with score.json", r.stderr)
        ev = load_json(os.path.join(out, "evaluate.json"))
        self.assertEqual([x["pooled"] for x in ev["rows"]], [True, False])
        bg = sum(1 for c in read_csv(os.path.join(out, "lane1",
                                                  "candidates.csv"))
                 if c["match"] == "background")
        self.assertEqual(ev["pooled"]["n_background_candidates"], bg)
        groups = png_text(os.path.join(out, "scores.png"))[
            "minescan:hist_groups"].split("\n")
        self.assertIn("%d members" % bg, groups[0])

    def test_lane_without_truth_is_left_out(self):
        path = os.path.join(TMP, "notruth.h5")
        shutil.copy(self.lanes[1], path)
        with h5py.File(path, "a") as f:
            del f["truth"]
        out = os.path.join(TMP, "out-notruth")
        r = run("evaluate", self.lanes[1], path, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no /truth", r.stderr)
        ev = load_json(os.path.join(out, "evaluate.json"))
        self.assertEqual(ev["files"], {"inputs": 2, "pooled": 1, "failed": 1})
        self.assertEqual(ev["rows"][1]["status"], "failed")

    def test_peer(self):
        """--peer runs the same inputs with a second recipe into OUT/peer
        (without the --set overrides) and sets each figure beside the
        peer's; each side must equal an evaluation of its own."""
        ins = self.lanes + [self.empty]
        out = os.path.join(TMP, "out-peer")
        setting = "depth_cfar.train_m=0.4"
        r = run("evaluate", *ins, "-o", out, "--device", "cpu", "--set",
                setting, "--peer", "gpr")
        self.assertEqual(r.returncode, 0, r.stderr)
        own = os.path.join(TMP, "out-own")
        r1 = run("evaluate", *ins, "-o", own, "--device", "cpu", "--set",
                 setting)
        self.assertEqual(r1.returncode, 0, r1.stderr)
        alone = os.path.join(TMP, "out-gpr")
        r2 = run("evaluate", *ins, "-o", alone, "--device", "cpu",
                 "--recipe", "gpr")
        self.assertEqual(r2.returncode, 0, r2.stderr)
        ev = load_json(os.path.join(out, "evaluate.json"))
        pe = load_json(os.path.join(out, "peer", "evaluate.json"))
        a, b = load_json(os.path.join(own, "evaluate.json")), load_json(
            os.path.join(alone, "evaluate.json"))
        for got, want in ((ev, a), (pe, b)):
            for k in ("operating_points", "roc", "at_threshold", "pooled"):
                self.assertEqual(got[k], want[k], k)
        self.assertEqual(ev["overrides"], [setting])
        self.assertEqual(pe["overrides"], [])
        self.assertEqual(pe["recipe"], "gpr")
        self.assertNotIn("peer", pe)
        p = ev["peer"]
        self.assertEqual(p["recipe"], "gpr")
        self.assertEqual(p["output_dir"], os.path.join(out, "peer"))
        self.assertTrue(p["same_files"])
        self.assertEqual(p["operating_points"], b["operating_points"])
        self.assertEqual(p["auc_far_1"], b["roc"]["auc_far_1"])

        def over(x, y):
            return None if x is None or not y else x / y
        for key, k in (("pd_at_far_0_1", 0), ("pd_at_far_0_5", 1),
                       ("pd_at_far_1", 2)):
            want = over(a["operating_points"][k]["pd"],
                        b["operating_points"][k]["pd"])
            if want is None:
                self.assertIsNone(p["ratios"][key])
            else:
                self.assertAlmostEqual(p["ratios"][key], want, places=12)
        self.assertAlmostEqual(p["ratios"]["auc_far_1"],
                               a["roc"]["auc_far_1"] / b["roc"]["auc_far_1"],
                               places=12)
        theirs = {t["label"]: t for t in b["at_threshold"]["mine_types"]}
        self.assertEqual([t["label"] for t in p["mine_types"]],
                         [t["label"] for t in a["at_threshold"]["mine_types"]])
        for t in p["mine_types"]:
            o = theirs[t["label"]]
            self.assertEqual((t["peer_n"], t["peer_n_detected"]),
                             (o["n"], o["n_detected"]))
            want = over(t["n_detected"] / t["n"], o["pd"])
            if want is None:
                self.assertIsNone(t["pd_ratio"])
            else:
                self.assertAlmostEqual(t["pd_ratio"], want, places=12)
        # the table: each FAR limit with both counts, the AUC, the types
        self.assertIn("Against the peer gpr", r.stdout)
        for k, lim in enumerate(LIMITS):
            line = [ln for ln in r.stdout.splitlines()
                    if ln.startswith("Pd at FAR %g /m2" % lim)]
            self.assertEqual(len(line), 1, r.stdout)
            self.assertIn("%d/%d" % (a["operating_points"][k]["n_detected"],
                                     a["pooled"]["n_mines"]), line[0])
            self.assertIn("%d/%d" % (b["operating_points"][k]["n_detected"],
                                     b["pooled"]["n_mines"]), line[0])
        self.assertIn("%.3f" % b["roc"]["auc_far_1"], r.stdout)

    def test_peer_usage(self):
        out = os.path.join(TMP, "out-peer-bad")
        r = run("evaluate", self.lanes[0], "-o", out, "--peer",
                "no-such-recipe")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--peer", r.stderr)
        self.assertIn("no-such-recipe", r.stderr)
        self.assertFalse(os.path.exists(out))
        clash = os.path.join(TMP, "peer.h5")
        shutil.copy(self.lanes[0], clash)
        r = run("evaluate", clash, "-o", out, "--peer", "gpr")
        self.assertEqual(r.returncode, 2)
        self.assertIn("peer", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_usage(self):
        r = run("evaluate", self.lanes[0])
        self.assertEqual(r.returncode, 2)
        r = run("evaluate", "-o", os.path.join(TMP, "x"))
        self.assertEqual(r.returncode, 2)
        r = run("evaluate", self.lanes[0], "-o", os.path.join(TMP, "x"),
                "--recipe", "no-such-recipe")
        self.assertEqual(r.returncode, 2)
        clash = os.path.join(TMP, "scores.png.h5")
        shutil.copy(self.lanes[0], clash)
        r = run("evaluate", clash, "-o", os.path.join(TMP, "x"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("scores.png", r.stderr)
        r = run("evaluate", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("evaluate.json", r.stdout)


if __name__ == "__main__":
    unittest.main()
