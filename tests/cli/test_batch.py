"""minescan batch: one bad file never stops the rest; batch.csv and
batch.json follow the outputs contract; complete and current outputs are
skipped and anything that changed is redone."""
import csv
import json
import os
import re
import shutil
import subprocess
import unittest

MINESCAN = os.environ["MINESCAN"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_batch")
HEADER = "input,output_dir,status,reason,seconds,n_alarms,pd,far_per_m2"


def run(*args, env=None):
    e = dict(os.environ)
    for hook in ("MINESCAN_FAULT", "MINESCAN_DEBUG_BATCH_FAULT",
                 "MINESCAN_DEBUG_RUNNER_LOG"):
        e.pop(hook, None)
    e.update(env or {})
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          env=e, timeout=600)


def batch_hooked(tag, inputs, *args, **env):
    """minescan batch over inputs into TMP/out-TAG with the test hooks in
    env (MINESCAN_DEBUG_BATCH_FAULT, MINESCAN_FAULT). Returns the result,
    the output folder and how many runners the batch workers created (a
    line each in MINESCAN_DEBUG_RUNNER_LOG)."""
    log = os.path.join(TMP, f"runners-{tag}.log")
    if os.path.exists(log):
        os.remove(log)
    out = os.path.join(TMP, f"out-{tag}")
    r = run("batch", *inputs, "-o", out, *args,
            env=dict(env, MINESCAN_DEBUG_RUNNER_LOG=log))
    n = 0
    if os.path.exists(log):
        with open(log) as f:
            n = len(f.read().splitlines())
    return r, out, n


def summary(folder):
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)


def rows(outdir):
    with open(os.path.join(outdir, "batch.csv")) as f:
        text = f.read()
    assert text.splitlines()[0] == HEADER, text
    return list(csv.DictReader(text.splitlines()))


class BatchTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        cls.good = []
        for seed in (1, 2):
            path = os.path.join(TMP, f"lane{seed}.h5")
            r = run("simulate", "-o", path, "--seed", str(seed), "--length",
                    "2", "--n-mines", "2", "--quiet")
            assert r.returncode == 0, r.stderr
            cls.good.append(path)
        cls.bad = os.path.join(TMP, "broken.h5")
        with open(cls.good[0], "rb") as f:
            data = bytearray(f.read())
        # a truncated copy: HDF5 signature, then nothing usable
        with open(cls.bad, "wb") as f:
            f.write(data[:2048])
        cls.text = os.path.join(TMP, "notes.h5")
        with open(cls.text, "w") as f:
            f.write("field notes, not a recording\n")

    def test_bad_files_fail_alone(self):
        out = os.path.join(TMP, "out1")
        r = run("batch", self.good[0], self.bad, self.text, self.good[1],
                "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 1, r.stderr)
        got = rows(out)
        self.assertEqual([g["status"] for g in got],
                         ["ok", "failed", "failed", "ok"])
        for g in got[1:3]:
            self.assertTrue(g["reason"].startswith(g["input"]), g)
            self.assertIn(g["input"], r.stderr)
        self.assertNotIn("HDF5-DIAG", r.stderr)
        for g in (got[0], got[3]):
            self.assertTrue(os.path.exists(
                os.path.join(g["output_dir"], "heatmap.png")))
            self.assertGreaterEqual(int(g["n_alarms"]), 0)
            self.assertGreaterEqual(float(g["pd"]), 0.0)
            self.assertGreater(float(g["seconds"]), 0)
        with open(os.path.join(out, "batch.json")) as f:
            j = json.load(f)
        self.assertEqual(j["totals"], {"inputs": 4, "ok": 2, "skipped": 0,
                                       "failed": 2})
        self.assertEqual([x["status"] for x in j["rows"]],
                         [g["status"] for g in got])

    def test_current_outputs_are_skipped_and_changes_redone(self):
        out = os.path.join(TMP, "out2")
        r = run("batch", *self.good, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([g["status"] for g in rows(out)], ["ok", "ok"])
        summary = os.path.join(out, "lane1", "summary.json")
        before = os.path.getmtime(summary)
        first = rows(out)
        r = run("batch", *self.good, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        again = rows(out)
        self.assertEqual([g["status"] for g in again], ["skipped", "skipped"])
        self.assertEqual(os.path.getmtime(summary), before)
        # the table stays complete: a skipped row keeps its figures
        for a, b in zip(first, again):
            for col in ("n_alarms", "pd", "far_per_m2"):
                self.assertEqual(a[col], b[col], col)
            self.assertNotEqual(b["n_alarms"], "")
        # another alarm threshold or halo: redone
        r = run("batch", *self.good, "-o", out, "--device", "cpu",
                "--threshold", "4.5")
        self.assertEqual([g["status"] for g in rows(out)], ["ok", "ok"])
        with open(os.path.join(out, "lane1", "score.json")) as f:
            self.assertEqual(json.load(f)["threshold"], 4.5)
        r = run("batch", *self.good, "-o", out, "--device", "cpu",
                "--threshold", "4.5", "--halo", "0.3")
        self.assertEqual([g["status"] for g in rows(out)], ["ok", "ok"])
        # another parameter: redone
        r = run("batch", *self.good, "-o", out, "--device", "cpu",
                "--set", "grid.radius_m=0.06")
        self.assertEqual([g["status"] for g in rows(out)], ["ok", "ok"])
        # a missing output: redone
        os.remove(os.path.join(out, "lane2", "heatmap.png"))
        r = run("batch", *self.good, "-o", out, "--device", "cpu",
                "--set", "grid.radius_m=0.06")
        self.assertEqual([g["status"] for g in rows(out)], ["skipped", "ok"])
        r = run("batch", *self.good, "-o", out, "--device", "cpu",
                "--set", "grid.radius_m=0.06", "--force")
        self.assertEqual([g["status"] for g in rows(out)], ["ok", "ok"])

    def test_same_names_get_their_own_folders(self):
        other = os.path.join(TMP, "copy")
        os.makedirs(other, exist_ok=True)
        twin = os.path.join(other, "lane1.h5")
        shutil.copy(self.good[0], twin)
        other_ext = os.path.join(other, "lane1.hdf5")
        shutil.copy(self.good[0], other_ext)
        taken = os.path.join(other, "lane1_2.h5")
        shutil.copy(self.good[0], taken)
        out = os.path.join(TMP, "out3")
        r = run("batch", self.good[0], twin, other_ext, taken, "-o", out,
                "--device", "cpu", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        dirs = [g["output_dir"] for g in rows(out)]
        self.assertEqual(len(set(dirs)), 4, dirs)
        for d in dirs:
            self.assertTrue(os.path.exists(os.path.join(d, "summary.json")))

    def test_names_that_point_elsewhere_get_safe_folders(self):
        odd = os.path.join(TMP, "odd")
        os.makedirs(odd, exist_ok=True)
        dots = os.path.join(odd, "...h5")
        clash = os.path.join(odd, "batch.csv.h5")
        shutil.copy(self.good[0], dots)
        shutil.copy(self.good[0], clash)
        out = os.path.join(TMP, "out5", "inner")
        r = run("batch", dots, clash, "-o", out, "--device", "cpu", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = rows(out)
        for g in got:
            self.assertEqual(os.path.dirname(g["output_dir"]), out)
            self.assertTrue(os.path.basename(g["output_dir"]).startswith(
                "input_"), g)
        self.assertFalse(os.path.exists(os.path.join(TMP, "out5", "index.html")))

    def test_jobs_give_the_same_rows(self):
        inputs = [self.good[0], self.bad, self.good[1], self.text]
        one, two = os.path.join(TMP, "out-j1"), os.path.join(TMP, "out-j2")
        r1 = run("batch", *inputs, "-o", one, "--device", "opencl", "-j", "1")
        r2 = run("batch", *inputs, "-o", two, "--device", "opencl", "-j", "2")
        self.assertEqual(r1.returncode, 1, r1.stderr)
        self.assertEqual(r2.returncode, 1, r2.stderr)
        keys = ("input", "status", "n_alarms", "pd", "far_per_m2")
        a = [[g[k] for k in keys] for g in rows(one)]
        b = [[g[k] for k in keys] for g in rows(two)]
        self.assertEqual(a, b)
        self.assertEqual(len(r2.stdout.splitlines()), 5)  # 4 lines + totals
        r = run("batch", self.good[0], "-o", two, "-j", "1.5")
        self.assertEqual(r.returncode, 2)

    def test_jobs_default_to_the_online_cpus(self):
        r = run("batch", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, rf"default: one per online CPU,\s+here "
                                   rf"{os.cpu_count()};")
        inputs = [self.good[0], self.text, self.good[1]]
        one, auto = os.path.join(TMP, "out-j1b"), os.path.join(TMP, "out-jd")
        r1 = run("batch", *inputs, "-o", one, "--device", "cpu", "-j", "1")
        r2 = run("batch", *inputs, "-o", auto, "--device", "cpu")
        self.assertEqual(r1.returncode, 1, r1.stderr)
        self.assertEqual(r2.returncode, 1, r2.stderr)
        keys = ("input", "status", "n_alarms", "pd", "far_per_m2")
        self.assertEqual([[g[k] for k in keys] for g in rows(one)],
                         [[g[k] for k in keys] for g in rows(auto)])

    def lanes(self, n):
        """n more small valid recordings (made once)."""
        paths = []
        for seed in range(11, 11 + n):
            path = os.path.join(TMP, f"more{seed}.h5")
            if not os.path.exists(path):
                r = run("simulate", "-o", path, "--seed", str(seed),
                        "--length", "1.5", "--n-mines", "1", "--quiet")
                assert r.returncode == 0, r.stderr
            paths.append(path)
        return paths

    def test_workers_reuse_their_runner_and_survive_a_crash(self):
        """A worker keeps one runner (OpenCL context, built programs) for
        its inputs; a crash while processing one input fails that input
        alone, and a fresh worker with a fresh runner takes the rest."""
        good = self.good + self.lanes(4)
        crash = os.path.join(TMP, "crashes.h5")
        shutil.copy(self.good[0], crash)
        inputs = good[:3] + [crash] + good[3:]
        r, out, runners = batch_hooked(
            "reuse", inputs, "--device", "opencl", "-j", "2",
            MINESCAN_DEBUG_BATCH_FAULT="crash:crashes.h5")
        self.assertEqual(r.returncode, 1, r.stderr)
        got = {g["input"]: g for g in rows(out)}
        self.assertEqual(got[crash]["status"], "failed")
        reason = got[crash]["reason"]
        self.assertTrue(reason.startswith(crash + ": processing crashed "
                                          "(signal 11, SIGSEGV)"), reason)
        self.assertIn(reason, r.stderr)
        self.assertRegex(r.stdout, r"\[\d+/7\] failed  " + re.escape(crash))
        self.assertEqual(len(r.stdout.splitlines()), 8)  # 7 lines + totals
        # two workers and the one that replaced the crashed one: fewer
        # runners than inputs
        self.assertIn(runners, (2, 3))
        # every other input ok, with the figures of the C path
        cpu = os.path.join(TMP, "out-reuse-cpu")
        r = run("batch", *good, "-o", cpu, "--device", "cpu", "-j", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        keys = ("status", "n_alarms", "pd", "far_per_m2")
        for g in rows(cpu):
            self.assertEqual([got[g["input"]][k] for k in keys],
                             [g[k] for k in keys], g["input"])
            self.assertEqual(summary(got[g["input"]]["output_dir"])
                             ["device"]["used"], "opencl")

    def test_a_stalled_worker_is_stopped_and_replaced(self):
        good = self.lanes(3)
        stall = os.path.join(TMP, "stalls.h5")
        shutil.copy(self.good[0], stall)
        r, out, runners = batch_hooked(
            "stall", [good[0], stall] + good[1:], "--device", "cpu", "-j",
            "1", "--timeout", "3", MINESCAN_DEBUG_BATCH_FAULT="stall:stalls.h5")
        self.assertEqual(r.returncode, 1, r.stderr)
        got = rows(out)
        self.assertEqual([g["status"] for g in got],
                         ["ok", "failed", "ok", "ok"])
        self.assertEqual(got[1]["reason"], stall + ": no progress for 3 s, "
                         "stopped (the file may be corrupt; --timeout sets "
                         "the limit)")
        self.assertEqual(runners, 2)  # the first worker's, its successor's

    def test_opencl_failures_do_not_poison_later_inputs(self):
        inputs = self.good + self.lanes(1)
        # a failed stage reruns on the CPU, and the next input starts with
        # OpenCL again, on the same runner
        r, out, runners = batch_hooked(
            "stage-fault", inputs, "--device", "opencl", "-j", "1",
            MINESCAN_FAULT="envelope:CL_OUT_OF_RESOURCES")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(runners, 1)
        for g in rows(out):
            s = summary(g["output_dir"])
            self.assertEqual([f["stage"] for f in s["fallbacks"]],
                             ["envelope"], g["input"])
            self.assertEqual(s["device"]["used"], "opencl+cpu")
        # OpenCL failing between stages (the whole recipe reruns on the
        # CPU) leaves the runner in error: the next input gets a new one
        # (the fault is on the first copy back: background_removal's input,
        # before trace_stack reads the positions back)
        r, out, runners = batch_hooked(
            "between-fault", inputs, "--device", "opencl", "-j", "1",
            MINESCAN_FAULT="background_removal:CL_OUT_OF_RESOURCES,"
                           "download:CL_OUT_OF_RESOURCES")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("rerunning the whole recipe"),
                         len(inputs), r.stderr)
        self.assertEqual(runners, len(inputs))
        self.assertEqual([g["status"] for g in rows(out)], ["ok"] * 3)

    def test_usage_errors_exit_2_before_any_work(self):
        out = os.path.join(TMP, "out4")
        r = run("batch", self.good[0], "-o", out, "--recipe", "nosuch")
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(out, "batch.csv")))
        r = run("batch", "-o", out)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
