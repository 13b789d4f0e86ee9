"""`minescan simulate` end to end: every dataset generates and passes
`minescan info`, files hold what the contract asks, a seed reproduces the
data, errors exit 2 naming the file and key, and a 5 m hand-held
dual-sensor lane takes seconds."""
import json
import os
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

MINESCAN = os.environ.get("MINESCAN", "minescan")
SRC = os.environ.get("MINESCAN_SOURCE_DIR",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "simulate_cli")
DATASETS = os.path.join(SRC, "datasets")


def run(*args, check=True):
    p = subprocess.run([MINESCAN, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("minescan %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr))
    return p


def simulate(out, *args):
    return run("simulate", "-o", out, "--quiet", *args)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


class SimulateCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(TMP, exist_ok=True)

    def path(self, name):
        return os.path.join(TMP, name)

    def test_help_lists_every_option_with_default(self):
        p = run("simulate", "--help")
        lines = p.stdout.splitlines()
        for opt in ("--length", "--sensor", "--sweep", "--eps", "--snr-db", "--n-mines",
                    "--marks", "--scenario", "--seed", "-o, --output"):
            self.assertIn(opt, p.stdout)
        params = [i for i, l in enumerate(lines) if l.startswith("  --") and "[" in l]
        self.assertGreater(len(params), 50)
        for i in params:
            self.assertIn("default", lines[i + 1], lines[i])
        for name in ("PMN", "PMA-2", "Type-72", "M14", "TM-46", "clutter:can"):
            self.assertIn(name, p.stdout)

    def test_datasets_generate_and_pass_info(self):
        out = self.path("datasets")
        p = subprocess.run([os.path.join(DATASETS, "generate.sh"), MINESCAN, out],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        names = sorted(f[:-5] for f in os.listdir(DATASETS) if f.endswith(".json"))
        self.assertIn("example-lane", names)
        kinds = set()
        for name in names:
            f = os.path.join(out, name + ".h5")
            info = run("info", f)
            self.assertIn("minescan recording", info.stdout)
            js = run("info", f, "--json", check=False)
            if js.returncode == 0 and js.stdout.strip().startswith("{"):
                self.assertEqual(json.loads(js.stdout).get("problems", []), [], name)
            with h5py.File(f, "r") as h:
                self.assertIn("truth", h)
                self.assertIn("lane", h)
                sensors = ("gpr" in h) + 2 * ("emi" in h)
                cart = "gpr" in h and len(np.unique(np.round(h["gpr/y"][:], 6))) < 50
                kinds.add((sensors, cart))
                if name == "no-mines":
                    self.assertEqual(int(np.sum(h["truth/is_mine"][:] != 0)), 0)
                    self.assertGreater(len(h["truth/x"]), 0)
        # hand-held GPR, EMI, dual; a cart; and no-mines above
        self.assertTrue({(1, False), (2, False), (3, False)} <= kinds, kinds)
        self.assertTrue(any(cart for _, cart in kinds))

    def test_example_lane_contents(self):
        f = self.path("example.h5")
        t0 = time.monotonic()
        simulate(f, "--scenario", os.path.join(DATASETS, "example-lane.json"))
        secs = time.monotonic() - t0
        print("example lane (5 m hand-held dual sensor): generated and written in "
              "%.2f s" % secs, file=sys.stderr)
        self.assertLess(secs, 30)
        with h5py.File(f, "r") as h:
            self.assertEqual(text(h.attrs["format"]).rstrip("\0 "), "minescan-recording")
            self.assertEqual(int(np.ravel(h.attrs["format_version"])[0]), 1)
            g = h["gpr"]
            d = g["data"]
            self.assertEqual(d.dtype, np.float32)
            self.assertEqual(d.shape[1], 128)
            self.assertGreater(d.shape[0], 2000)
            self.assertEqual(g["x"].dtype, np.float64)
            self.assertAlmostEqual(float(g.attrs["sample_interval_s"]), 62.5e-12, delta=1e-20)
            self.assertAlmostEqual(float(g.attrs["centre_frequency_hz"]), 1.5e9)
            self.assertAlmostEqual(float(g.attrs["time_zero_s"]), 1e-9, delta=1e-20)
            self.assertEqual(len(g["height"]), d.shape[0])
            self.assertTrue(np.all(np.diff(g["time"][:]) > 0))
            e = h["emi"]
            self.assertEqual(e["data"].shape[1], 2)
            self.assertEqual(len(e.attrs["channel_names"]), 2)
            t = h["truth"]
            labels = [text(v) for v in t["label"][:]]
            mines = sorted(l for l, m in zip(labels, t["is_mine"][:]) if m)
            self.assertEqual(mines, ["M14", "PMA-2", "PMN", "Type-72"])
            self.assertTrue(all(l.startswith("clutter:") for l, m in
                                zip(labels, t["is_mine"][:]) if not m))
            self.assertIn("marks", h)
            self.assertGreater(len(h["marks/x"]), 0)
            lane = h["lane"].attrs
            self.assertEqual((float(lane["x_min"]), float(lane["x_max"])), (0.0, 5.0))

    def test_seed_reproduces(self):
        a, b, c = (self.path(n) for n in ("seed_a.h5", "seed_b.h5", "seed_c.h5"))
        args = ("--length", "2", "--n-mines", "2", "--marks")
        simulate(a, "--seed", "42", *args)
        simulate(b, *args, "--seed", "42")
        simulate(c, "--seed", "43", *args)
        with h5py.File(a, "r") as ha, h5py.File(b, "r") as hb, h5py.File(c, "r") as hc:
            for ds in ("gpr/data", "gpr/x", "gpr/y", "gpr/height", "emi/data",
                       "truth/x", "truth/depth", "marks/x"):
                np.testing.assert_array_equal(ha[ds][:], hb[ds][:], err_msg=ds)
            self.assertFalse(np.array_equal(ha["truth/x"][:], hc["truth/x"][:]))

    def test_option_equals_value_form(self):
        """--OPTION=VALUE, as --help documents, means --OPTION VALUE."""
        a, b = self.path("eq_a.h5"), self.path("eq_b.h5")
        simulate(a, "--seed=9", "--length=2", "--eps=12", "--sensor=gpr",
                 "--n-mines=2", "--title=abc")
        simulate(b, "--seed", "9", "--length", "2", "--eps", "12", "--sensor",
                 "gpr", "--n-mines", "2", "--title", "abc")
        with h5py.File(a, "r") as ha, h5py.File(b, "r") as hb:
            self.assertEqual(text(ha.attrs["title"]), "abc")
            self.assertNotIn("emi", ha)
            np.testing.assert_array_equal(ha["gpr/data"][:], hb["gpr/data"][:])

    def test_print_scenario_round_trip(self):
        args = ("--length", "1.5", "--n-mines", "2", "--sensor", "gpr", "--sweep", "cart",
                "--eps", "16", "--seed", "9")
        p = run("simulate", *args, "--print-scenario")
        scen = self.path("dump.json")
        with open(scen, "w") as fh:
            fh.write(p.stdout)
        a, b = self.path("dump_a.h5"), self.path("dump_b.h5")
        simulate(a, *args)
        simulate(b, "--scenario", scen)
        with h5py.File(a, "r") as ha, h5py.File(b, "r") as hb:
            self.assertNotIn("emi", ha)
            np.testing.assert_array_equal(ha["gpr/data"][:], hb["gpr/data"][:])

    def test_option_combinations_pass_info(self):
        for i, args in enumerate((("--sensor", "emi", "--sweep", "cart"),
                                  ("--sensor", "gpr", "--frequency", "2.5e9",
                                   "--sample-interval", "40e-12", "--time-window", "6e-9"),
                                  ("--store", "int16", "--dropout", "0.05"))):
            f = self.path("combo%d.h5" % i)
            simulate(f, "--length", "1", "--n-mines", "1", *args)
            run("info", f)

    def test_errors_name_file_and_key(self):
        bad = self.path("bad.json")
        with open(bad, "w") as fh:
            json.dump({"soil": {"eps": 9, "moisture": 0.2}}, fh)
        p = run("simulate", "--scenario", bad, "-o", self.path("x.h5"), check=False)
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith(bad), p.stderr)
        self.assertIn("soil.moisture", p.stderr)
        with open(bad, "w") as fh:
            json.dump({"population": {"n_mines": 3, "mine_types": ["PMN", "XYZ"]}}, fh)
        p = run("simulate", "--scenario", bad, "-o", self.path("x.h5"), check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("population.mine_types", p.stderr)
        self.assertIn("XYZ", p.stderr)
        p = run("simulate", "-o", self.path("x.h5"), "--eps", "45", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--eps", p.stderr)
        p = run("simulate", "-o", self.path("x.h5"), "--bogus", "1", check=False)
        self.assertEqual(p.returncode, 2)
        p = run("simulate", "--length", "1", "--n-mines", "1", check=False)  # no -o
        self.assertEqual(p.returncode, 2)
        p = run("simulate", "-o", "/nonexistent-dir/x.h5", "--length", "1", "--n-mines", "1",
                check=False)
        self.assertEqual(p.returncode, 3, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
