"""End to end over every bundled dataset: generate it, run the default
recipe through OpenCL, and check the outputs against the ground truth the
recording carries. Prints each lane's detection figures."""
import csv
import json
import os
import shutil
import subprocess
import unittest

import h5py
import numpy as np

MINESCAN = os.environ["MINESCAN"]
SRC = os.environ["MINESCAN_SOURCE_DIR"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"),
                   "test_datasets")


class Datasets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        r = subprocess.run(["sh", os.path.join(SRC, "datasets", "generate.sh"),
                            MINESCAN, TMP], capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr
        cls.names = sorted(f[:-3] for f in os.listdir(TMP) if f.endswith(".h5"))

    def test_every_dataset_runs_and_scores_against_its_truth(self):
        self.assertGreaterEqual(len(self.names), 5)
        for name in self.names:
            with self.subTest(name):
                rec = os.path.join(TMP, name + ".h5")
                out = os.path.join(TMP, "out-" + name)
                r = subprocess.run([MINESCAN, "run", rec, "-o", out,
                                    "--device", "opencl"],
                                   capture_output=True, text=True, timeout=600)
                self.assertEqual(r.returncode, 0, r.stderr)
                with h5py.File(rec, "r") as f:
                    is_mine = f["truth/is_mine"][...].astype(bool)
                    lane = {k: float(f["lane"].attrs[k])
                            for k in ("x_min", "x_max", "y_min", "y_max")}
                with open(os.path.join(out, "score.json")) as fh:
                    score = json.load(fh)
                self.assertEqual(score["n_mines"], int(is_mine.sum()))
                self.assertEqual(score["n_clutter"], int((~is_mine).sum()))
                area = (lane["x_max"] - lane["x_min"]) * \
                       (lane["y_max"] - lane["y_min"])
                self.assertAlmostEqual(score["area_m2"], area, places=6)
                with open(os.path.join(out, "alarms.csv")) as fh:
                    alarms = list(csv.DictReader(fh))
                self.assertEqual(score["n_alarms"], len(alarms))
                self.assertEqual(score["n_detected"] +
                                 score["n_false_alarms"], len(alarms))
                for a in alarms:
                    self.assertTrue(lane["x_min"] <= float(a["x_m"]) <= lane["x_max"])
                    self.assertTrue(lane["y_min"] <= float(a["y_m"]) <= lane["y_max"])
                if is_mine.any():
                    self.assertAlmostEqual(
                        score["pd"], score["n_detected"] / is_mine.sum())
                else:
                    self.assertIsNone(score["pd"])
                self.assertAlmostEqual(score["far_per_m2"],
                                       score["n_false_alarms"] / area)
                with h5py.File(os.path.join(out, "maps.h5"), "r") as f:
                    final = f.attrs["final_map"]
                    m = f[final.decode() if isinstance(final, bytes) else final][...]
                self.assertTrue(np.isfinite(m).all())
                print(f"# {name}: {score['n_detected']}/{score['n_mines']} "
                      f"mines, {score['n_false_alarms']} false alarms "
                      f"({score['far_per_m2']:.2f}/m2), pd@far1 "
                      f"{score['pd_at_far_1']}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
