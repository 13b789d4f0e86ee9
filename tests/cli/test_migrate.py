"""The migrate recipe end to end: migrate_kirchhoff's velocity estimate in
summary.json's estimates, the depth slices (slice_<depth>m.png with the
text chunks of every PNG, linked from index.html, removed again by a run
that draws none), and the same map through OpenCL and the C path."""
import json
import os
import re
import shutil
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from test_run import MINESCAN, png_text, run  # noqa: E402

TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_migrate")


def load_json(path):
    with open(path) as f:
        return json.load(f)


class MigrateTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        cls.lane = os.path.join(TMP, "lane.h5")
        r = run("simulate", "-o", cls.lane, "--seed", "3", "--length", "2",
                "--quiet")
        assert r.returncode == 0, r.stderr
        cls.out = os.path.join(TMP, "out-cpu")
        cls.r = run("run", cls.lane, "-o", cls.out, "--recipe", "migrate",
                    "--device", "cpu")

    def test_velocity_estimate_is_recorded(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        s = load_json(os.path.join(self.out, "summary.json"))
        v = s["estimates"]["migrate_kirchhoff#1.velocity_m_per_ns"]
        mk = [st for st in s["stages"] if st["stage"] == "migrate_kirchhoff"][0]
        lo, hi = mk["params"]["velocity_min"], mk["params"]["velocity_max"]
        self.assertTrue(lo <= v <= hi, v)
        # a given velocity is not an estimate
        out = os.path.join(TMP, "out-given")
        r = run("run", self.lane, "-o", out, "--recipe", "migrate",
                "--device", "cpu", "--set",
                "migrate_kirchhoff.velocity_m_per_ns=0.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(load_json(os.path.join(out, "summary.json"))["estimates"], {})

    def test_depth_slices_are_drawn_and_linked(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        slices = sorted(f for f in os.listdir(self.out) if f.startswith("slice_"))
        # depth_max_m 0.3 in 5 cm slabs
        self.assertEqual(slices, ["slice_%.2fm.png" % (0.05 * k) for k in range(6)])
        with open(os.path.join(self.out, "index.html")) as f:
            page = f.read()
        s = load_json(os.path.join(self.out, "summary.json"))
        for k, name in enumerate(slices):
            self.assertIn('src="%s"' % name, page)
            self.assertIn(name, s["outputs"])
            t = png_text(os.path.join(self.out, name))
            for key in ["minescan:extent", "minescan:plot_area",
                        "minescan:parameters", "minescan:recipe"]:
                self.assertIn(key, t, name)
            self.assertEqual(t["minescan:slot"], "gpr_migrated")
            d0, d1 = map(float, t["minescan:depth_m"].split())
            self.assertAlmostEqual(d0, 0.05 * k)
            self.assertAlmostEqual(d1, 0.05 * (k + 1))
        # a later run of a recipe without slices leaves none behind
        r = run("run", self.lane, "-o", self.out + "-again", "--recipe",
                "migrate", "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("run", self.lane, "-o", self.out + "-again", "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([f for f in os.listdir(self.out + "-again")
                          if f.startswith("slice_")], [])

    def test_volume_without_a_time_axis_is_refused_naming_the_line(self):
        # window_energy's one value per trace, gridded: a volume of one
        # plane that is not time
        recipe = os.path.join(TMP, "no-time-axis.recipe")
        with open(recipe, "w") as f:
            f.write("stage window_energy in=gpr,gpr_valid\n"
                    "stage grid_volume in=gpr_score,gpr_score_valid,gpr_xy\n"
                    "stage migrate_kirchhoff\n"
                    "stage volume_energy\n"
                    "output anomaly=gpr_menergy\n")
        r = run("run", self.lane, "-o", os.path.join(TMP, "out-bad"),
                "--recipe", recipe)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"no-time-axis.recipe:3: migrate_kirchhoff: "
                                   r"the input volume has no time axis")
        self.assertNotIn("Traceback", r.stderr)

    def test_opencl_gives_the_same_map(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        out = os.path.join(TMP, "out-opencl")
        r = run("run", self.lane, "-o", out, "--recipe", "migrate",
                "--device", "opencl")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = load_json(os.path.join(out, "summary.json"))
        mk = [st for st in s["stages"] if st["stage"] == "migrate_kirchhoff"][0]
        self.assertEqual(mk["device"], "opencl")
        s_cpu = load_json(os.path.join(self.out, "summary.json"))
        # the estimate comes from the C reference's trial images on both
        # paths, but of a volume the earlier stages made on each device
        # (equal within their tolerance): the estimates agree to 1e-6
        self.assertEqual(s["estimates"].keys(), s_cpu["estimates"].keys())
        for k, v in s["estimates"].items():
            self.assertAlmostEqual(v, s_cpu["estimates"][k],
                                   delta=1e-6 * abs(v), msg=k)
        # the recipe's declared tolerance: its stages' added up (the energy
        # squares the migrated amplitude: twice its share)
        tol = s["recipe"]["opencl_vs_cpu_tolerance"]
        with h5py.File(os.path.join(out, "maps.h5"), "r") as a, \
                h5py.File(os.path.join(self.out, "maps.h5"), "r") as b:
            x, y = a["gpr_menergy"][...], b["gpr_menergy"][...]
        err = np.max(np.abs(x - y)) / np.max(np.abs(y))
        print(f"# max |opencl - cpu| / max|cpu| = {err:.3g} (declared {tol:.3g})")
        self.assertGreater(np.max(np.abs(y)), 0)
        self.assertLessEqual(err, 2 * tol)


if __name__ == "__main__":
    unittest.main(verbosity=2)
