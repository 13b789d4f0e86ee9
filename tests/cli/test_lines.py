#!/usr/bin/python3
"""Recordings along one straight line (a single B-scan, a cart line, a
gprMax model imported with `minescan import-gprmax`) through `minescan run`.

A line has no width to grid: the run must map it as one row of cells
centred on the line, so that each target gives one alarm, on the line (at
the traces' position across it), and score it along the line: score.json
keeps false alarms per m^2 (over the strip the line sweeps, MS_LINE_SWATH_M
= 0.1 m wide, when the file has no /lane) and adds far_per_m,
line_length_m and line_swath_m.

The recordings are written here with h5py (pipeline/io/FORMAT.md): a radar
B-scan of two buried point targets (hyperbolas t(x)^2 = t0^2 + 4 (x - x0)^2
/ v^2 of a Ricker wavelet, under a ground bounce that wanders with the
antenna height, plus noise), optionally a metal-detector line over the same
targets, and /truth at the targets.

Environment: MINESCAN (the CLI), MINESCAN_TEST_TMP (scratch folder).
"""
import csv
import json
import os
import shutil
import subprocess
import unittest

import h5py
import numpy as np

MINESCAN = os.environ.get("MINESCAN", "minescan")
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_lines")

LENGTH = 8.0  # metres of line
TARGETS = (2.0, 5.5)  # along the line, metres from its start
ALONG_TOL = 0.05  # an alarm within 5 cm along the line of its target
CELL = 0.02  # the built-in recipes' grid cell_m


def run(*args):
    e = dict(os.environ)
    e.pop("MINESCAN_FAULT", None)
    e.pop("MINESCAN_DEVICE", None)
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          env=e, timeout=600)


def ricker(t, f):
    a = (np.pi * f * t) ** 2
    return (1.0 - 2.0 * a) * np.exp(-a)


def bscan(s, dt, n_samples, t_zero, seed, f=1e9, flat=False, depth=0.05,
          v=1e8, amp=0.3):
    """[n_traces][n_samples] radar traces at distances s along the line:
    a ground bounce at t_zero (wandering +-0.25 ns with the antenna height
    unless flat) and one hyperbola per target below it, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) * dt - t_zero
    tg = (np.zeros_like(s) if flat else
          0.2e-9 * np.sin(2 * np.pi * s / 1.3) +
          0.05e-9 * np.sin(2 * np.pi * s / 0.37))
    d = ricker(t[None, :] - tg[:, None], f)
    t0 = 2.0 * depth / v
    for x0 in TARGETS:
        tx = np.sqrt(t0 ** 2 + 4.0 * (s - x0) ** 2 / v ** 2)
        a = amp * np.exp(-0.5 * ((s - x0) / 0.15) ** 2)  # antenna beam
        d += a[:, None] * ricker(t[None, :] - tg[:, None] - tx[:, None], f)
    d += 0.01 * rng.standard_normal(d.shape)
    return d.astype(np.float32)


def write_line(path, origin=(0.0, 0.5), direction=(1.0, 0.0), emi=False,
               lane=None, seed=1):
    """A recording along the line origin + s * direction, s in [0, LENGTH]:
    GPR every 1 cm (and EMI every 2 cm), truth at TARGETS."""
    ox, oy = origin
    ux, uy = direction
    s = np.arange(0.0, LENGTH + 1e-9, 0.01)
    dt = 25e-12
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "minescan-recording"
        f.attrs["format_version"] = 1
        f.attrs["title"] = "one B-scan line"
        g = f.create_group("gpr")
        g.attrs["sample_interval_s"] = dt
        g.attrs["time_zero_s"] = 1e-9
        g.attrs["centre_frequency_hz"] = 1e9
        g["data"] = bscan(s, dt, 256, 1e-9, seed)
        g["x"] = ox + s * ux
        g["y"] = oy + s * uy
        if emi:
            se = np.arange(0.0, LENGTH + 1e-9, 0.02)
            rng = np.random.default_rng(seed + 1)
            ev = sum(5.0 * np.exp(-0.5 * ((se - x0) / 0.05) ** 2)
                     for x0 in TARGETS)
            ev = ev + 0.1 * se + 0.05 * rng.standard_normal(se.size)
            e = f.create_group("emi")
            e["data"] = ev[:, None].astype(np.float32)
            e["x"] = ox + se * ux
            e["y"] = oy + se * uy
        if lane:
            ln = f.create_group("lane")
            for k, v in zip(("x_min", "x_max", "y_min", "y_max"), lane):
                ln.attrs[k] = v
        t = f.create_group("truth")
        tt = np.array(TARGETS)
        t["x"] = ox + tt * ux
        t["y"] = oy + tt * uy
        t["is_mine"] = np.ones(tt.size, np.int8)
        t["label"] = ["PMN"] * tt.size


def write_gprmax(path, seed=3):
    """A merged gprMax v3 B-scan (time first, [Iterations][n_traces]) of the
    same two targets under a flat ground, as tests/io/test_gprmax.py fakes
    them: 2 mm cells, a trace every 5 cells."""
    dt, it, ntr = 4.717e-12, 1500, int(round(LENGTH / 0.01)) + 1
    s = np.arange(ntr) * 0.01
    d = bscan(s, dt, it, 1.0e-9, seed, f=1.5e9, flat=True, depth=0.06,
              amp=0.5)
    t = np.arange(it) * dt
    d += 5.0 * ricker(t - 0.667e-9, 1.5e9)[None, :]  # direct wave
    with h5py.File(path, "w") as f:
        f.attrs["gprMax"] = "3.1.6"
        f.attrs["Title"] = "two mines"
        f.attrs["Iterations"] = it
        f.attrs["dt"] = dt
        f.attrs["nrx"] = 1
        f.attrs["nx, ny, nz"] = np.array([3200, 400, 1], np.int32)
        f.attrs["dx, dy, dz"] = np.array([0.002, 0.002, 0.002])
        f.attrs["srcsteps"] = np.array([5, 0, 0], np.int32)
        f.attrs["rxsteps"] = np.array([5, 0, 0], np.int32)
        rx = f.create_group("rxs/rx1")
        rx.attrs["Name"] = "rx1"
        rx.attrs["Position"] = np.array([0.1, 0.17, 0.0])
        rx["Ez"] = np.ascontiguousarray(d.T)


def read_alarms(outdir):
    with open(os.path.join(outdir, "alarms.csv"), newline="") as f:
        return [(float(r["x_m"]), float(r["y_m"]), float(r["score"]))
                for r in csv.DictReader(f)]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def final_map(outdir):
    with h5py.File(os.path.join(outdir, "maps.h5"), "r") as f:
        name = f.attrs["final_map"]
        name = name.decode() if isinstance(name, bytes) else name
        return f[name].shape, dict(f[name].attrs)


class Lines(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)

    def path(self, name):
        return os.path.join(TMP, name)

    def run_ok(self, rec, name, *args):
        out = self.path(name)
        r = run("run", rec, "-o", out, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out, r

    def check_on_line(self, out, across, value, along, targets, summary=True):
        """Exactly one alarm per target, within ALONG_TOL of it along the
        line, none elsewhere, every one on the line (coordinate `across`
        equal to `value`), and the map one cell across centred on it."""
        alarms = read_alarms(out)
        k = 1 if across == "y" else 0
        for a in alarms:
            self.assertAlmostEqual(a[k], value, delta=1e-4,
                                   msg=f"alarm {a} off the line")
        got = sorted(a[1 - k] for a in alarms)
        self.assertEqual(len(got), len(targets), f"alarms {alarms}")
        for g, t in zip(got, sorted(targets)):
            self.assertLessEqual(abs(g - t), ALONG_TOL + 1e-9,
                                 f"alarms {alarms}, targets {targets}")
        shape, ext = final_map(out)
        lo, hi = ext[f"{across}_min"], ext[f"{across}_max"]
        self.assertEqual(shape[0 if across == "y" else 1], 1)
        self.assertAlmostEqual(hi - lo, ext["cell_m"], delta=1e-9)
        self.assertAlmostEqual(0.5 * (lo + hi), value, delta=1e-9)
        if summary:  # a handled line warns about nothing
            s = load_json(os.path.join(out, "summary.json"))
            self.assertFalse([w for w in s["warnings"]
                              if "the recording is one" in w], s["warnings"])
        return alarms

    def check_score(self, out, n_alarms, length, swath):
        s = load_json(os.path.join(out, "score.json"))
        self.assertEqual(s["n_mines"], len(TARGETS))
        self.assertEqual(s["n_alarms"], n_alarms)
        self.assertEqual(s["pd"], 1.0)
        self.assertEqual(s["n_duplicates"], 0)
        self.assertAlmostEqual(s["line_length_m"], length, delta=1e-9)
        self.assertAlmostEqual(s["far_per_m"],
                               s["n_false_alarms"] / s["line_length_m"],
                               delta=1e-12)
        if swath is None:
            self.assertIsNone(s["line_swath_m"])
        else:
            self.assertAlmostEqual(s["line_swath_m"], swath, delta=1e-12)
            self.assertAlmostEqual(s["area_m2"], length * swath, delta=1e-9)
        # the contract's keys are all still there
        for key in ("halo_m", "area_m2", "threshold", "n_false_alarms",
                    "far_per_m2", "pd_at_far_0_1", "pd_at_far_1",
                    "auc_far_1"):
            self.assertIn(key, s)
        return s

    def test_bscan_along_x_default_and_radar_recipes(self):
        rec = self.path("bscan_x.h5")
        write_line(rec)
        for recipe in ("default", "gpr"):
            with self.subTest(recipe=recipe):
                out, _ = self.run_ok(rec, f"x_{recipe}", "--recipe", recipe)
                self.check_on_line(out, "y", 0.5, "x", TARGETS)
                self.check_score(out, len(TARGETS), LENGTH, 0.1)

    def test_radar_and_metal_detector_line(self):
        rec = self.path("bscan_x_emi.h5")
        write_line(rec, origin=(2.0, -1.25), emi=True)
        targets = [2.0 + t for t in TARGETS]
        for recipe in ("default", "gpr", "emi"):
            with self.subTest(recipe=recipe):
                out, _ = self.run_ok(rec, f"xe_{recipe}", "--recipe", recipe)
                alarms = self.check_on_line(out, "y", -1.25, "x", targets)
                self.check_score(out, len(TARGETS), LENGTH, 0.1)
                if recipe == "default":  # fused: both sensors saw them
                    with open(os.path.join(out, "alarms.csv")) as f:
                        self.assertEqual(
                            [r["detectors"] for r in csv.DictReader(f)],
                            ["gpr+emi"] * len(alarms))

    def test_bscan_along_y(self):
        rec = self.path("bscan_y.h5")
        write_line(rec, origin=(0.8, 0.0), direction=(0.0, 1.0), emi=True)
        out, _ = self.run_ok(rec, "y_default")
        self.check_on_line(out, "x", 0.8, "y", TARGETS)
        self.check_score(out, len(TARGETS), LENGTH, 0.1)

    def test_line_in_a_wider_lane(self):
        """/lane a metre across: the map is still the one row on the line,
        and false alarms per m^2 are over the lane (the contract), with no
        swath."""
        rec = self.path("bscan_lane.h5")
        write_line(rec, lane=(-0.1, LENGTH + 0.1, 0.0, 1.0))
        out, _ = self.run_ok(rec, "lane_gpr", "--recipe", "gpr")
        self.check_on_line(out, "y", 0.5, "x", TARGETS)
        s = self.check_score(out, len(TARGETS), LENGTH, None)
        self.assertAlmostEqual(s["area_m2"], (LENGTH + 0.2) * 1.0, delta=1e-9)
        shape, ext = final_map(out)
        self.assertAlmostEqual(ext["x_min"], -0.1, delta=1e-9)

    def test_cell_size_follows_the_recipe(self):
        """Whatever cell_m the recipe grids with, the map is one cell across
        with its centre on the line."""
        rec = self.path("bscan_cells.h5")
        write_line(rec, emi=True)
        for cell in ("0.002", "0.05", "0.5"):
            with self.subTest(cell=cell):
                out, _ = self.run_ok(rec, f"cell_{cell}", "--recipe", "emi",
                                     "--set", f"grid.cell_m={cell}",
                                     "--threshold", "2")
                for a in read_alarms(out):
                    self.assertAlmostEqual(a[1], 0.5, delta=1e-4)
                shape, ext = final_map(out)
                self.assertEqual(shape[0], 1)
                # every cell along the line saw readings (a cell centre
                # off the line by more than the search radius sees none)
                with h5py.File(os.path.join(out, "maps.h5"), "r") as f:
                    hits = f["emi_hits"][()]
                self.assertEqual(hits.shape, shape)
                n = int(np.ceil(LENGTH / float(cell) - 1e-9))
                self.assertTrue((hits[0, :n] > 0).all(), hits)
                self.assertAlmostEqual(ext["cell_m"], float(cell))
                self.assertAlmostEqual(0.5 * (ext["y_min"] + ext["y_max"]),
                                       0.5, delta=1e-9)

    def check_at_traces(self, out, rec, targets_xy, halo=0.25):
        """Every alarm at the position of a trace (so on the line), and
        exactly one alarm within ALONG_TOL of each target: none twice,
        either side of the line."""
        with h5py.File(rec, "r") as f:
            tx, ty = f["gpr/x"][()], f["gpr/y"][()]
        alarms = read_alarms(out)
        for a in alarms:
            d = np.hypot(tx - a[0], ty - a[1]).min()
            self.assertLess(d, 1e-4, f"alarm {a} is at no trace")
        for t in targets_xy:
            near = [a for a in alarms
                    if np.hypot(a[0] - t[0], a[1] - t[1]) <= halo]
            self.assertEqual(len(near), 1, f"target {t}: alarms {alarms}")
            self.assertLessEqual(np.hypot(near[0][0] - t[0],
                                          near[0][1] - t[1]),
                                 ALONG_TOL + 1e-9, f"target {t}: {near}")
        return alarms

    def test_diagonal_line_one_alarm_per_target_on_it(self):
        """A line at 30 degrees: mapped over the strip around it, but its
        alarms are the peaks along the traces: one per target, on the
        line (a 2-D peak search found cells either side of it)."""
        rec = self.path("bscan_diag.h5")
        a = np.radians(30.0)
        u = (np.cos(a), np.sin(a))
        write_line(rec, origin=(0.0, 0.0), direction=u)
        for recipe in ("default", "gpr"):
            with self.subTest(recipe=recipe):
                out, r = self.run_ok(rec, f"diag_{recipe}", "--recipe",
                                     recipe)
                self.assertRegex(r.stderr, r"bscan_diag\.h5: warning: the "
                                 r"recording is one straight line at "
                                 r"30\.0 degrees")
                alarms = self.check_at_traces(
                    out, rec, [(t * u[0], t * u[1]) for t in TARGETS])
                self.assertEqual(len(alarms), len(TARGETS), alarms)
                score = load_json(os.path.join(out, "score.json"))
                self.assertAlmostEqual(score["line_length_m"], LENGTH,
                                       delta=1e-6)
                self.assertAlmostEqual(score["area_m2"], LENGTH * 0.1,
                                       delta=1e-6)
                self.assertEqual(score["n_duplicates"], 0)

    def test_alarms_at_trace_positions(self):
        """Traces every 1.5 cm under a 2 cm grid: each alarm lies at a
        trace, not at a cell centre between traces."""
        rec = self.path("bscan_15mm.h5")
        write_line(rec, emi=True)
        with h5py.File(rec, "r+") as f:  # stretch: a trace every 1.5 cm
            for g in ("gpr", "emi"):
                f[f"{g}/x"][...] = f[f"{g}/x"][()] * 1.5
            f["truth/x"][...] = f["truth/x"][()] * 1.5
        targets = [(1.5 * t, 0.5) for t in TARGETS]
        for recipe in ("default", "gpr", "emi"):
            with self.subTest(recipe=recipe):
                out, _ = self.run_ok(rec, f"t15_{recipe}", "--recipe",
                                     recipe)
                alarms = self.check_at_traces(out, rec, targets)
                self.assertEqual(len(alarms), len(TARGETS), alarms)

    def test_simulated_cart_line(self):
        """A cart line from minescan's simulator (one line, radar and metal
        detector, the lane 30 cm across): each mine one alarm, on the
        line at a trace."""
        scen = self.path("cart_line.json")
        mines = [("PMN", 1.0), ("M14", 2.0), ("PMN", 3.0)]
        with open(scen, "w") as f:
            json.dump({"seed": 5, "sensor": "dual",
                       "lane": {"length_m": 4.0, "width_m": 0.3},
                       "sweep": {"mode": "cart", "line_spacing_m": 0.5,
                                 "trace_spacing_m": 0.02,
                                 "head_height_m": 0.06},
                       "population": {"n_mines": 0, "clutter_per_m2": 0,
                                      "pebbles_per_m2": 0,
                                      "edge_margin_m": 0.05},
                       "objects": [{"type": t, "x": x, "y": 0.15,
                                    "depth_m": 0.03} for t, x in mines]},
                      f)
        rec = self.path("cart_line.h5")
        r = run("simulate", "--quiet", "--scenario", scen, "-o", rec)
        self.assertEqual(r.returncode, 0, r.stderr)
        with h5py.File(rec, "r") as f:
            self.assertTrue((f["gpr/y"][()] == 0.15).all())
        for recipe in ("default", "emi"):
            with self.subTest(recipe=recipe):
                out, _ = self.run_ok(rec, f"cart_{recipe}", "--recipe",
                                     recipe)
                # every candidate peak (what the ROC sweeps) at a trace,
                # none a second peak on a mine, and a peak on each mine
                with open(os.path.join(out, "candidates.csv")) as f:
                    cands = list(csv.DictReader(f))
                with h5py.File(rec, "r") as f:
                    tx = f["gpr/x"][()]
                for c in cands:
                    self.assertEqual(float(c["y_m"]), 0.15, c)
                    self.assertLess(np.abs(tx - float(c["x_m"])).min(), 1e-4,
                                    c)
                matches = [c["match"] for c in cands]
                self.assertNotIn("duplicate", matches)
                self.assertEqual(sorted(m for m in matches
                                        if m.startswith("mine:")),
                                 ["mine:0", "mine:1", "mine:2"])
                for c in cands:
                    if c["match"].startswith("mine:"):
                        k = int(c["match"][5:])
                        self.assertLessEqual(abs(float(c["x_m"]) -
                                                 mines[k][1]),
                                             ALONG_TOL + 1e-9, c)

    def test_not_a_line(self):
        """Two parallel passes 20 cm apart are a lane, not a line: no line
        keys, the map as before."""
        rec = self.path("two_lines.h5")
        write_line(rec)
        with h5py.File(rec, "r+") as f:
            y = f["gpr/y"][()]
            y[::2] += 0.2
            f["gpr/y"][...] = y
        out, r = self.run_ok(rec, "two", "--recipe", "gpr")
        self.assertNotIn("straight line", r.stderr)
        s = load_json(os.path.join(out, "score.json"))
        self.assertNotIn("far_per_m", s)
        self.assertNotIn("line_length_m", s)
        shape, _ = final_map(out)
        self.assertGreater(shape[0], 1)

    def test_gprmax_import(self):
        """A gprMax B-scan (its importer puts the line at y = 0 in a lane a
        metre across): alarms lie on the line."""
        src = self.path("model.out")
        rec = self.path("model.h5")
        write_gprmax(src)
        r = run("import-gprmax", src, "-o", rec)
        self.assertEqual(r.returncode, 0, r.stderr)
        for recipe in ("default", "gpr"):
            with self.subTest(recipe=recipe):
                out, _ = self.run_ok(rec, f"gprmax_{recipe}", "--recipe",
                                     recipe)
                alarms = read_alarms(out)
                for a in alarms:
                    self.assertEqual(a[1], 0.0, f"alarm {a} off the line")
                # flat ground: ground_align leaves the traces in place, so
                # each hyperbola keeps its apex: one alarm per target, on
                # it (aligning on the apex split each into two, 10 cm off)
                est = load_json(os.path.join(out, "summary.json"))[
                    "estimates"]
                self.assertEqual(est.get("ground_align#1.aligned"), 0.0, est)
                got = sorted(a[0] for a in alarms)
                self.assertEqual(len(got), len(TARGETS), f"alarms {alarms}")
                for g, t in zip(got, TARGETS):
                    self.assertLessEqual(abs(g - t), ALONG_TOL + 1e-9,
                                         f"alarms {alarms}")
                shape, ext = final_map(out)
                self.assertEqual(shape[0], 1)
                self.assertAlmostEqual(ext["y_min"], -0.5 * ext["cell_m"])
                self.assertAlmostEqual(ext["y_max"], 0.5 * ext["cell_m"])


if __name__ == "__main__":
    unittest.main()
