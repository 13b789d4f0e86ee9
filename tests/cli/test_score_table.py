"""datasets/benchmark/score_table.py adds up a batch's lanes per scenario:
checked on a batch folder with hand-made score.json files."""
import json
import os
import shutil
import subprocess
import sys
import unittest

SRC = os.environ["MINESCAN_SOURCE_DIR"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "score_table")
SCRIPT = os.path.join(SRC, "datasets", "benchmark", "score_table.py")


def lane(out, name, mines, detected, false_alarms, area, pd_far1):
    d = os.path.join(out, name)
    os.makedirs(d)
    with open(os.path.join(d, "score.json"), "w") as f:
        json.dump({"n_mines": mines, "n_detected": detected,
                   "n_false_alarms": false_alarms, "area_m2": area,
                   "pd_at_far_1": pd_far1}, f)
    return "/x/%s.h5,%s,ok,,1.0,%d,,\n" % (name, d, detected + false_alarms)


class ScoreTable(unittest.TestCase):
    def test_totals(self):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        rows = ("input,output_dir,status,reason,seconds,n_alarms,pd,far_per_m2\n"
                + lane(TMP, "sand-s1", 8, 2, 3, 10.0, 0.25)
                + lane(TMP, "sand-s2", 8, 4, 1, 10.0, 0.5)
                + lane(TMP, "clay-s101", 8, 8, 10, 5.0, None)
                + "/x/bad.h5,%s/bad,failed,/x/bad.h5: not HDF5,0,,,\n" % TMP)
        with open(os.path.join(TMP, "batch.csv"), "w") as f:
            f.write(rows)
        p = subprocess.run([sys.executable, SCRIPT, TMP, "--json"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)  # a lane failed
        self.assertIn("/x/bad.h5", p.stderr)
        t = json.loads(p.stdout)["scenarios"]
        self.assertEqual(t["sand"]["lanes"], 2)
        self.assertEqual(t["sand"]["detected"], 6)
        self.assertAlmostEqual(t["sand"]["pd"], 6 / 16)
        self.assertAlmostEqual(t["sand"]["far_per_m2"], 4 / 20)
        self.assertAlmostEqual(t["sand"]["mean_pd_at_far_1"], 0.375)
        self.assertIsNone(t["clay"]["mean_pd_at_far_1"])
        self.assertEqual(t["all"]["mines"], 24)
        self.assertAlmostEqual(t["all"]["pd"], 14 / 24)
        self.assertAlmostEqual(t["all"]["far_per_m2"], 14 / 25)


if __name__ == "__main__":
    unittest.main(verbosity=2)
