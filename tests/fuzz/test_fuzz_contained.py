"""Files the fuzzer found that make libhdf5 itself loop forever or ask
for gigabytes (tests/fuzz/hdf5-crash/; not fixable in minescan) are
contained by `batch`: each fails alone with its reason, the valid input
next to them completes, and the batch ends."""
import csv
import glob
import os
import shutil
import subprocess
import unittest

MINESCAN = os.environ["MINESCAN"]
SRC = os.environ.get("MINESCAN_SOURCE_DIR", ".")
TMP = os.path.join(os.path.abspath(os.environ.get("MINESCAN_TEST_TMP",
                                                  "/tmp")),
                   "test_fuzz_contained")


def is_asan():
    out = subprocess.run(["ldd", MINESCAN], capture_output=True, text=True)
    return "libasan" in out.stdout


class ContainedTests(unittest.TestCase):
    def test_libhdf5_failures_fail_alone(self):
        samples = sorted(glob.glob(os.path.join(SRC, "tests", "fuzz",
                                                "hdf5-crash", "*")))
        self.assertGreater(len(samples), 0)
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        good = os.path.join(TMP, "good.h5")
        env = dict(os.environ)
        env.pop("MINESCAN_DEBUG_BATCH_FAULT", None)
        r = subprocess.run([MINESCAN, "simulate", "-o", good, "--length",
                            "1.5", "--n-mines", "1", "--quiet"], env=env)
        self.assertEqual(r.returncode, 0)
        out = os.path.join(TMP, "out")
        args = [MINESCAN, "batch", good, *samples, "-o", out, "--device",
                "cpu", "-j", "2", "--timeout", "5"]
        if not is_asan():  # the sanitizer's shadow counts against the cap
            args += ["--max-memory-mb", "2048"]
        r = subprocess.run(args, capture_output=True, text=True, env=env,
                           timeout=300)
        self.assertEqual(r.returncode, 1, r.stderr)
        with open(os.path.join(out, "batch.csv")) as f:
            got = {g["input"]: g for g in csv.DictReader(f)}
        self.assertEqual(got[good]["status"], "ok")
        for s in samples:
            self.assertEqual(got[s]["status"], "failed", got[s])
            self.assertTrue(got[s]["reason"].startswith(s + ":"), got[s])
            self.assertIn(got[s]["reason"], r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
