"""minescan batch at scale: folders and @lists as inputs, one writer per
output folder (a lock; workers die with the batch), kill and resume,
progress on a terminal, memory caps, shards and batch-merge."""
import csv
import glob
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import time
import unittest

import h5py
import numpy as np

import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "io"))
import formats_writers  # noqa: E402  (tests/io: the independent writers)

MINESCAN = os.environ["MINESCAN"]
TMP = os.path.join(os.path.abspath(os.environ.get("MINESCAN_TEST_TMP", "/tmp")),
                   "test_batch_scale")
HOOKS = ("MINESCAN_FAULT", "MINESCAN_DEBUG_BATCH_FAULT",
         "MINESCAN_DEBUG_RUNNER_LOG", "SLURM_ARRAY_TASK_ID",
         "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN")


def env_with(extra=None):
    e = dict(os.environ)
    for hook in HOOKS:
        e.pop(hook, None)
    e.update(extra or {})
    return e


def run(*args, env=None, timeout=600):
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          env=env_with(env), timeout=timeout)


def rows(outdir):
    with open(os.path.join(outdir, "batch.csv")) as f:
        return list(csv.DictReader(f))


def staging_left(outdir):
    return glob.glob(os.path.join(outdir, "**", ".minescan-tmp-*"),
                     recursive=True)


def live_processes_with(text):
    """PIDs of running (not zombie) processes whose command line holds
    `text`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd and state not in ("Z", "X"):
            found.append(int(pid))
    return found


def is_asan():
    out = subprocess.run(["ldd", MINESCAN], capture_output=True, text=True)
    return "libasan" in out.stdout


class BatchScaleTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        src = os.path.join(TMP, "src")
        os.makedirs(src)
        cls.sims = []
        for seed in (1, 2, 3):
            path = os.path.join(src, f"sim{seed}.h5")
            r = run("simulate", "-o", path, "--seed", str(seed), "--length",
                    "1.5", "--n-mines", "1", "--quiet")
            assert r.returncode == 0, r.stderr
            cls.sims.append(path)

    def folder(self, name, n):
        """A folder of n valid recordings (copies of the simulated ones)
        under unsorted names, nested one level."""
        d = os.path.join(TMP, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "sub"))
        paths = []
        for i in range(n):
            where = d if i % 2 else os.path.join(d, "sub")
            p = os.path.join(where, f"lane{n - i:02d}.h5")
            shutil.copy(self.sims[i % 3], p)
            paths.append(p)
        return d, sorted(paths)

    def test_mixed_inputs_folders_and_lists(self):
        d = os.path.join(TMP, "mixed")
        os.makedirs(os.path.join(d, "deep", ".hidden"))
        valid = []
        for i, s in enumerate(self.sims):
            p = os.path.join(d, "deep" if i else "", f"v{i}.h5")
            shutil.copy(s, p)
            valid.append(p)
        shutil.copy(self.sims[0], os.path.join(d, "deep", ".hidden", "h.h5"))
        # NaN traces: reported as dropped data, the lane still processed
        nan = os.path.join(d, "nan traces.h5")
        shutil.copy(self.sims[1], nan)
        with h5py.File(nan, "r+") as f:
            data = f["/gpr/data"][...]
            data[3:6, :] = np.nan
            f["/gpr/data"][...] = data
        with open(self.sims[2], "rb") as f:
            raw = f.read()
        trunc_head = os.path.join(d, "trunc_head.h5")
        with open(trunc_head, "wb") as f:
            f.write(raw[:2048])
        trunc_half = os.path.join(d, "deep", "trunc_half.h5")
        with open(trunc_half, "wb") as f:
            f.write(raw[:len(raw) // 2])
        bad_attr = os.path.join(d, "bad_attr.h5")
        shutil.copy(self.sims[0], bad_attr)
        with h5py.File(bad_attr, "r+") as f:
            f["/gpr"].attrs["sample_interval_s"] = -1.0
        # in a folder, a file that is no recording is left out; named
        # on its own, it fails with its reason
        notes = os.path.join(d, "notes.h5")
        with open(notes, "w") as f:
            f.write("field notes\n")
        other = os.path.join(TMP, "mixed-list")
        os.makedirs(other)
        listed = os.path.join(other, "listed.h5")
        shutil.copy(self.sims[2], listed)
        listfile = os.path.join(other, "inputs.txt")
        with open(listfile, "w") as f:
            f.write("# lanes of the day\n\nlisted.h5\n" + valid[0] + "\n")
        out = os.path.join(TMP, "out-mixed")
        r = run("batch", d, "@" + listfile, notes, "-o", out, "--device",
                "cpu", "-j", "2")
        self.assertEqual(r.returncode, 1, r.stderr)
        got = {g["input"]: g for g in rows(out)}
        expect_ok = valid + [nan, listed]
        expect_failed = [trunc_head, trunc_half, bad_attr, notes]
        # the hidden folder left out, valid[0] once although named twice
        self.assertEqual(sorted(got), sorted(expect_ok + expect_failed))
        for p in expect_ok:
            self.assertEqual(got[p]["status"], "ok", got[p])
        for p in expect_failed:
            g = got[p]
            self.assertEqual(g["status"], "failed", g)
            self.assertTrue(g["reason"].startswith(p + ":"), g)
            self.assertIn(g["reason"], r.stderr)
        self.assertIn("sample_interval_s", got[bad_attr]["reason"])
        self.assertNotIn("HDF5-DIAG", r.stderr)
        # correct results: the same figures as minescan run on each file
        for p in expect_ok:
            one = os.path.join(TMP, "run-" + os.path.basename(p))
            rr = run("run", p, "-o", one, "--device", "cpu")
            self.assertEqual(rr.returncode, 0, rr.stderr)
            with open(os.path.join(one, "summary.json")) as f:
                res = json.load(f)["results"]
            self.assertEqual(int(got[p]["n_alarms"]), res["n_alarms"], p)
            with open(os.path.join(got[p]["output_dir"], "alarms.csv")) as f:
                a = f.read()
            with open(os.path.join(one, "alarms.csv")) as f:
                self.assertEqual(a, f.read(), p)
        with open(os.path.join(got[nan]["output_dir"], "summary.json")) as f:
            warnings = json.dumps(json.load(f).get("warnings", []))
        self.assertRegex(warnings, r"(?i)nan|non-finite|dropped")
        # folder names are safe and unique
        dirs = [os.path.basename(g["output_dir"]) for g in got.values()]
        self.assertEqual(len(set(dirs)), len(dirs))
        self.assertIn("nan_traces", dirs)
        self.assertEqual(staging_left(out), [])

    def test_folder_of_field_formats(self):
        """A folder as an instrument leaves it: data files of every format
        are inputs, their text headers (.HD, .rad) are not; each one is
        processed and drawn."""
        d = os.path.join(TMP, "field")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        rng = np.random.default_rng(4)
        tr = (rng.normal(0, 200, (40, 128))).astype(np.int16)
        formats_writers.write_dzt(os.path.join(d, "LINE001.DZT"),
                                  (tr[None].astype(np.int32) + 32768))
        formats_writers.write_hd_dt1(os.path.join(d, "line2"), tr,
                                     np.arange(40) * 0.02)
        formats_writers.write_mala(os.path.join(d, "prof3"), tr)
        shutil.copy(self.sims[0], os.path.join(d, "lane.h5"))
        out = os.path.join(TMP, "out-field")
        shutil.rmtree(out, ignore_errors=True)
        r = run("batch", d, "-o", out, "--device", "cpu", "-j", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = {os.path.basename(g["input"]): g for g in rows(out)}
        self.assertEqual(sorted(got), ["LINE001.DZT", "lane.h5", "line2.DT1",
                                       "prof3.rd3"])
        for name, g in got.items():
            self.assertEqual(g["status"], "ok", g)
            self.assertTrue(os.path.exists(os.path.join(
                g["output_dir"], "bscan.png")), name)

    def test_folder_names_are_sanitised_and_unique(self):
        d = os.path.join(TMP, "names")
        os.makedirs(os.path.join(d, "b"))
        names = ["a b.h5", "a_b.h5", "A B.hdf5", "x:y*z?.h5", "ក្រចេះ.h5",
                 "b/a b.h5"]
        for n in names:
            shutil.copy(self.sims[0], os.path.join(d, n))
        out = os.path.join(TMP, "out-names")
        r = run("batch", d, "-o", out, "--device", "cpu", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = [os.path.basename(g["output_dir"]) for g in rows(out)]
        self.assertEqual(len(got), len(names))
        self.assertEqual(len({g.lower() for g in got}), len(got), got)
        for g in got:
            self.assertRegex(g, r"^[A-Za-z0-9._=@~+\-\u0080-\U0010ffff]+$")
        self.assertIn("x_y_z_", got)
        self.assertIn("ក្រចេះ", got)
        # deterministic: a second batch names them the same
        out2 = os.path.join(TMP, "out-names2")
        run("batch", d, "-o", out2, "--device", "cpu", "--quiet")
        self.assertEqual(got, [os.path.basename(g["output_dir"])
                               for g in rows(out2)])

    def test_kill_9_then_resume(self):
        d, inputs = self.folder("killed", 8)
        out = os.path.join(TMP, "out-killed")
        # the 6th input (of 8, sorted) never finishes: the kill comes while
        # workers are busy
        stall = os.path.basename(inputs[5])
        p = subprocess.Popen([MINESCAN, "batch", d, "-o", out, "--device",
                              "cpu", "-j", "2", "--quiet"],
                             env=env_with({"MINESCAN_DEBUG_BATCH_FAULT":
                                           f"stall:{stall}"}),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while time.time() < deadline:
            done = glob.glob(os.path.join(out, "*", "summary.json"))
            if len(done) >= 3:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(len(done), 3)
        self.assertGreater(len(live_processes_with(out)), 1)  # workers
        p.send_signal(signal.SIGKILL)
        p.wait()
        time.sleep(0.5)
        self.assertEqual(live_processes_with(out), [])
        complete = {os.path.dirname(s): os.path.getmtime(s)
                    for s in glob.glob(os.path.join(out, "*",
                                                    "summary.json"))}
        self.assertLess(len(complete), len(inputs))
        log = os.path.join(TMP, "killed-runners.log")
        r = run("batch", d, "-o", out, "--device", "cpu", "-j", "2",
                env={"MINESCAN_DEBUG_RUNNER_LOG": log})
        self.assertEqual(r.returncode, 0, r.stderr)
        got = rows(out)
        self.assertEqual(sorted(g["input"] for g in got), inputs)
        for g in got:
            done_before = g["output_dir"] in complete
            self.assertEqual(g["status"], "skipped" if done_before else "ok",
                             g)
            self.assertTrue(os.path.exists(os.path.join(g["output_dir"],
                                                        "heatmap.png")))
        # nothing processed twice: the complete ones kept their summaries
        for folder, mtime in complete.items():
            self.assertEqual(os.path.getmtime(os.path.join(
                folder, "summary.json")), mtime, folder)
        self.assertEqual(staging_left(out), [])

    def test_sigterm_stops_workers_and_keeps_the_table(self):
        d, inputs = self.folder("termed", 3)
        out = os.path.join(TMP, "out-termed")
        p = subprocess.Popen([MINESCAN, "batch", d, "-o", out, "--device",
                              "cpu", "-j", "1", "--quiet"],
                             env=env_with({"MINESCAN_DEBUG_BATCH_FAULT":
                                           "stall:" +
                                           os.path.basename(inputs[1])}),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 300
        while time.time() < deadline and not glob.glob(
                os.path.join(out, "*", "summary.json")):
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, -signal.SIGTERM, err)
        self.assertIn("stopped by signal %d" % signal.SIGTERM, err)
        self.assertEqual(live_processes_with(out), [])
        got = rows(out)
        self.assertEqual([g["input"] for g in got], inputs)
        self.assertEqual(got[0]["status"], "ok")
        for g in got[1:]:
            self.assertEqual(g["status"], "failed")
            self.assertIn("not processed: the batch was stopped", g["reason"])

    def test_second_batch_on_one_folder_refuses(self):
        d, inputs = self.folder("locked", 4)
        out = os.path.join(TMP, "out-locked")
        stall = os.path.basename(inputs[1])
        first = subprocess.Popen(
            [MINESCAN, "batch", d, "-o", out, "--device", "cpu", "-j", "1",
             "--timeout", "4", "--quiet"],
            env=env_with({"MINESCAN_DEBUG_BATCH_FAULT": f"stall:{stall}"}),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lock = os.path.join(out, ".minescan.lock")
        deadline = time.time() + 60
        while time.time() < deadline and not (
                os.path.exists(lock) and os.path.getsize(lock) > 0):
            time.sleep(0.02)
        second = run("batch", d, "-o", out, "--device", "cpu")
        self.assertEqual(second.returncode, 2, second.stderr)
        self.assertIn(out + ": another minescan batch (pid %d)" % first.pid,
                      second.stderr)
        _, err = first.communicate(timeout=600)
        self.assertEqual(first.returncode, 1, err)  # the stalled input
        got = {g["input"]: g["status"] for g in rows(out)}
        self.assertEqual(sorted(got), inputs)
        self.assertEqual(sorted(got.values()), ["failed", "ok", "ok", "ok"])
        # once it is done, the folder is free again
        r = run("batch", d, "-o", out, "--device", "cpu", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_progress_on_a_terminal_and_quiet(self):
        d, inputs = self.folder("progress", 3)
        out = os.path.join(TMP, "out-progress")
        master, slave = pty.openpty()
        p = subprocess.Popen([MINESCAN, "batch", d, "-o", out, "--device",
                              "cpu", "-j", "1"], env=env_with(),
                             stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        text = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            text += chunk
        p.wait(timeout=60)
        os.close(master)
        self.assertEqual(p.returncode, 0)
        shown = text.decode()
        self.assertIn("\r\x1b[K[3/3] 0 failed, 0 skipped, ", shown)
        self.assertRegex(shown, r"\d+\.\d\d files/s, \S+, \S+ left")
        # one redrawn line, then the totals: no line per input
        self.assertNotIn("] ok ", shown)
        self.assertEqual(shown.replace("\r\n", "\n").count("\n"), 2, shown)
        r = run("batch", d, "-o", out, "--device", "cpu", "--quiet",
                "--force")
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        r = run("batch", d, "-o", out, "--device", "cpu", "--verbose")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 inputs", r.stdout)
        self.assertEqual(r.stdout.count("] skipped "), 3, r.stdout)

    def test_memory_cap_fails_inputs_alone(self):
        d, inputs = self.folder("memcap", 2)
        out = os.path.join(TMP, "out-memcap")
        r = run("batch", d, "-o", out, "--device", "cpu", "-j", "1",
                "--max-memory-mb", "1")
        self.assertEqual(r.returncode, 1, r.stderr)
        got = rows(out)
        self.assertEqual([g["status"] for g in got], ["failed", "failed"])
        for g in got:
            self.assertTrue(g["reason"].startswith(g["input"] + ":"), g)
        self.assertEqual(run("batch", d, "-o", out, "--max-memory-mb",
                             "0").returncode, 2)
        if is_asan():
            return  # the sanitizer's shadow memory counts against the cap
        r = run("batch", d, "-o", out, "--device", "cpu", "-j", "1",
                "--max-memory-mb", "4000")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_shards_cover_inputs_once_and_merge_to_one_batch(self):
        d, inputs = self.folder("sharded", 7)
        bad = os.path.join(d, "sub", "zz_truncated.h5")
        with open(inputs[0], "rb") as f:
            head = f.read(2048)
        with open(bad, "wb") as f:
            f.write(head)
        inputs = sorted(inputs + [bad])
        n = 3
        shard_dirs = []
        seen = []
        for i in range(1, n + 1):
            sd = os.path.join(TMP, f"out-shard{i}")
            if i == n:  # the last one as a Slurm array task would run it
                r = run("batch", d, "-o", sd, "--device", "cpu", "--quiet",
                        "--shard", "slurm",
                        env={"SLURM_ARRAY_TASK_ID": str(i),
                             "SLURM_ARRAY_TASK_COUNT": str(n),
                             "SLURM_ARRAY_TASK_MIN": "1"})
            else:
                r = run("batch", d, "-o", sd, "--device", "cpu", "--quiet",
                        "--shard", f"{i}/{n}")
            self.assertIn(r.returncode, (0, 1), r.stderr)
            seen += [g["input"] for g in rows(sd)]
            shard_dirs.append(sd)
        self.assertEqual(sorted(seen), inputs)  # each exactly once
        merged = os.path.join(TMP, "out-merged")
        r = run("batch-merge", *reversed(shard_dirs), "-o", merged)
        self.assertEqual(r.returncode, 1, r.stderr)  # the truncated one
        whole = os.path.join(TMP, "out-unsharded")
        r = run("batch", d, "-o", whole, "--device", "cpu", "--quiet")
        self.assertEqual(r.returncode, 1, r.stderr)

        def comparable(folder):
            out = []
            for g in rows(folder):
                g = dict(g)
                del g["seconds"]  # timing
                g["output_dir"] = os.path.basename(g["output_dir"])
                out.append(g)
            return out
        self.assertEqual(comparable(merged), comparable(whole))
        with open(os.path.join(merged, "batch.json")) as f:
            self.assertEqual(json.load(f)["totals"],
                             {"inputs": 8, "ok": 7, "skipped": 0,
                              "failed": 1})
        # a missing or repeated shard is refused
        r = run("batch-merge", *shard_dirs[:2], "-o", merged)
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing: 3/3", r.stderr)
        r = run("batch-merge", shard_dirs[0], shard_dirs[0], shard_dirs[1],
                "-o", merged)
        self.assertEqual(r.returncode, 2)
        # a shard record out of range or missing a field is refused, in one
        # line naming the file
        for bad in ({"index": 0}, {"count": 1e12}, {"index": None}):
            forged = os.path.join(TMP, "forged-shard")
            shutil.rmtree(forged, ignore_errors=True)
            shutil.copytree(shard_dirs[2], forged)
            bj = os.path.join(forged, "batch.json")
            with open(bj) as f:
                j = json.load(f)
            for k, v in bad.items():
                if v is None:
                    del j["shard"][k]
                else:
                    j["shard"][k] = v
            with open(bj, "w") as f:
                json.dump(j, f)
            r = run("batch-merge", shard_dirs[0], shard_dirs[1], forged,
                    "-o", merged)
            self.assertEqual(r.returncode, 2, (bad, r.stderr))
            self.assertIn(bj + ": shard:", r.stderr)
        for bad_spec in ("0/3", "4/3", "2", "a/b"):
            r = run("batch", d, "-o", merged, "--shard", bad_spec)
            self.assertEqual(r.returncode, 2, bad_spec)
        r = run("batch", d, "-o", merged, "--shard", "slurm")
        self.assertEqual(r.returncode, 2)
        self.assertIn("SLURM_ARRAY_TASK_ID", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
