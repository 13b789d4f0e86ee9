"""minescan-mpi (built with -DMINESCAN_MPI=ON): rank 0 hands out the
inputs, the other ranks process them; batch.csv holds the same rows as
`minescan batch` over the same inputs, bad files included."""
import csv
import os
import shutil
import subprocess
import unittest

MINESCAN = os.environ["MINESCAN"]
MPI = os.environ["MINESCAN_MPI"]
MPIEXEC = os.environ.get("MPIEXEC") or "mpirun"
TMP = os.path.join(os.path.abspath(os.environ.get("MINESCAN_TEST_TMP",
                                                  "/tmp")), "test_batch_mpi")


def env():
    e = dict(os.environ)
    # as root in CI containers; oversubscribe: more ranks than cores
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
             OMPI_MCA_rmaps_base_oversubscribe="1",
             OMPI_MCA_mpi_warn_on_fork="0")
    for hook in ("MINESCAN_FAULT", "MINESCAN_DEBUG_BATCH_FAULT"):
        e.pop(hook, None)
    return e


def rows(outdir):
    with open(os.path.join(outdir, "batch.csv")) as f:
        out = []
        for g in csv.DictReader(f):
            del g["seconds"]
            g["output_dir"] = os.path.basename(g["output_dir"])
            out.append(g)
        return out


class MpiBatchTests(unittest.TestCase):
    def test_task_farm_matches_batch(self):
        shutil.rmtree(TMP, ignore_errors=True)
        d = os.path.join(TMP, "in")
        os.makedirs(d)
        for seed in (1, 2, 3):
            r = subprocess.run([MINESCAN, "simulate", "-o",
                                os.path.join(d, f"lane{seed}.h5"), "--seed",
                                str(seed), "--length", "1.5", "--n-mines",
                                "1", "--quiet"], env=env())
            self.assertEqual(r.returncode, 0)
        with open(os.path.join(d, "lane1.h5"), "rb") as f:
            head = f.read(2048)
        with open(os.path.join(d, "truncated.h5"), "wb") as f:
            f.write(head)
        ref = os.path.join(TMP, "out-batch")
        r = subprocess.run([MINESCAN, "batch", d, "-o", ref, "--device",
                            "cpu", "--quiet"], env=env())
        self.assertEqual(r.returncode, 1)
        for ranks in (2, 3):
            out = os.path.join(TMP, f"out-mpi{ranks}")
            r = subprocess.run([MPIEXEC, "--allow-run-as-root",
                                "--oversubscribe", "-n", str(ranks), MPI, d,
                                "-o", out, "--device", "cpu"],
                               capture_output=True, text=True, env=env(),
                               timeout=300)
            self.assertEqual(r.returncode, 1, r.stderr)  # the truncated one
            self.assertIn(f"3 ok, 0 skipped, 1 failed; {out}/batch.csv "
                          f"({ranks} MPI ranks)", r.stdout)
            self.assertEqual(rows(out), rows(ref))
            for g in rows(out):
                if g["status"] == "ok":
                    self.assertTrue(os.path.exists(os.path.join(
                        out, g["output_dir"], "heatmap.png")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
