#!/usr/bin/python3
"""`minescan import-gprmax` against fake gprMax outputs written by h5py.

v3 (.out, one attribute literally named "dx, dy, dz"), v4 (.h5, dx_dy_dz),
merged B-scans that lost rxsteps and the cell size (then --dx is needed),
a single A-scan, and the errors. Checks the transposition (gprMax stores
[Iterations][n_traces]), the spacing, the time step and the lane.

Environment: MINESCAN (the CLI), MINESCAN_TEST_TMP (scratch folder).
"""
import json
import os
import shutil
import subprocess
import unittest

import h5py
import numpy as np

MINESCAN = os.environ.get("MINESCAN", "minescan")
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "gprmax")

ITER, NTR = 300, 25  # time steps, traces
DT = 4.717e-12


def field(scale=1.0):
    """[Iterations][n_traces], value = 1000 * trace + time step: every
    sample says where it belongs."""
    t = np.arange(ITER)[:, None]
    j = np.arange(NTR)[None, :]
    return ((1000.0 * j + t) * scale).astype(np.float32)


def write_gprmax(path, version=3, cell=(0.002, 0.002, 0.002),
                 rxsteps=(3, 0, 0), data=None, merged=False):
    with h5py.File(path, "w") as f:
        f.attrs["gprMax"] = "3.1.6" if version == 3 else "4.0.0b"
        f.attrs["Title"] = "landmine model"
        f.attrs["Iterations"] = ITER
        f.attrs["dt"] = DT
        f.attrs["nrx"] = 1
        if not merged:
            if version == 3:
                f.attrs["nx, ny, nz"] = np.array([500, 300, 1], np.int32)
                f.attrs["dx, dy, dz"] = np.array(cell)
            else:
                f.attrs["nx_ny_nz"] = np.array([500, 300, 1], np.int32)
                f.attrs["dx_dy_dz"] = np.array(cell)
            f.attrs["srcsteps"] = np.array(rxsteps, np.int32)
            f.attrs["rxsteps"] = np.array(rxsteps, np.int32)
        rx = f.create_group("rxs/rx1")
        rx.attrs["Name"] = "rx1"
        rx.attrs["Position"] = np.array([0.1, 0.17, 0.0])
        d = field() if data is None else data
        for k, comp in enumerate(("Ex", "Ey", "Ez", "Hx", "Hy", "Hz")):
            rx[comp] = d * (k + 1)  # each component distinguishable


def run(*args):
    return subprocess.run([MINESCAN, "import-gprmax", *args],
                          capture_output=True, text=True, timeout=60)


class GprMax(unittest.TestCase):
    def path(self, name):
        return os.path.join(TMP, name)

    def imported(self, src, *args):
        out = src + ".rec.h5"
        p = run(src, "-o", out, *args)
        self.assertGreaterEqual(p.returncode, 0, "killed by a signal")
        self.assertNotIn("HDF5-DIAG", p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        # the result is a valid recording
        q = subprocess.run([MINESCAN, "info", "--json", out],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(q.returncode, 0, q.stderr)
        return out, json.loads(q.stdout)

    def check_layout(self, out, spacing, factor=3.0, n_traces=NTR):
        with h5py.File(out, "r") as f:
            self.assertEqual(f.attrs["format"], "minescan-recording")
            d = f["gpr/data"][()]
            self.assertEqual(d.shape, (n_traces, ITER))
            # transposed: row = trace, column = time step
            expect = field(factor).T[:n_traces]
            np.testing.assert_array_equal(d, expect)
            np.testing.assert_allclose(f["gpr/x"][()],
                                       np.arange(n_traces) * spacing,
                                       rtol=0, atol=1e-12)
            np.testing.assert_array_equal(f["gpr/y"][()],
                                          np.zeros(n_traces))
            self.assertAlmostEqual(f["gpr"].attrs["sample_interval_s"], DT,
                                   delta=1e-20)
            lane = f["lane"].attrs
            self.assertLess(lane["x_min"], 0)
            self.assertGreater(lane["x_max"], (n_traces - 1) * spacing)
            self.assertLess(lane["y_min"], 0)
            self.assertGreater(lane["y_max"], 0)

    def test_v3_out(self):
        src = self.path("model_merged_v3.out")
        write_gprmax(src, version=3, rxsteps=(3, 0, 0))
        out, j = self.imported(src)
        self.check_layout(out, spacing=0.006)  # 3 cells of 2 mm
        g = j["gpr"]
        self.assertEqual((g["n_traces"], g["n_samples"]), (NTR, ITER))
        self.assertEqual(g["units"], "V/m")
        self.assertAlmostEqual(g["time_window_s"], (ITER - 1) * DT,
                               delta=1e-18)
        self.assertIn("gprMax 3.1.6", j["instrument"])
        self.assertEqual(j["title"], "landmine model")

    def test_info_and_run_point_to_the_importer(self):
        src = self.path("given_to_info.out")
        write_gprmax(src, version=3, rxsteps=(3, 0, 0))
        for cmd in (["info", src], ["run", src, "-o", self.path("never")]):
            p = subprocess.run([MINESCAN, *cmd], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(p.stderr.strip().splitlines(),
                             [f"{src}: /: a gprMax output file, not a minescan "
                              f"recording; convert it with: minescan "
                              f"import-gprmax {src} -o RECORDING.h5 [--dx M]"])

    def test_v4_h5_other_component(self):
        src = self.path("model_v4.h5")
        write_gprmax(src, version=4, cell=(0.001, 0.0025, 0.001),
                     rxsteps=(0, 2, 0))
        out, j = self.imported(src, "--component", "Hx")
        self.check_layout(out, spacing=0.005, factor=4.0)  # Hx is 4th
        self.assertEqual(j["gpr"]["units"], "A/m")

    def test_dx_overrides_rxsteps(self):
        src = self.path("override.out")
        write_gprmax(src)
        out, _ = self.imported(src, "--dx", "0.02")
        self.check_layout(out, spacing=0.02)

    def test_merged_needs_dx(self):
        src = self.path("merged.out")
        write_gprmax(src, merged=True)
        out = src + ".rec.h5"
        p = run(src, "-o", out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--dx", p.stderr)
        self.assertTrue(p.stderr.startswith(src + ": "), p.stderr)
        self.assertNotIn("HDF5-DIAG", p.stderr)
        self.assertFalse(os.path.exists(out))
        out, _ = self.imported(src, "--dx", "0.01")
        self.check_layout(out, spacing=0.01)

    def test_already_trace_first(self):
        # [n_traces][Iterations] (our order) is recognised by Iterations
        src = self.path("trace_first.out")
        write_gprmax(src, data=np.ascontiguousarray(field().T))
        out, _ = self.imported(src)
        self.check_layout(out, spacing=0.006)

    def test_single_ascan(self):
        src = self.path("ascan.out")
        with h5py.File(src, "w") as f:
            f.attrs["Iterations"] = ITER
            f.attrs["dt"] = DT
            f["rxs/rx1/Ez"] = field()[:, 0]
        out, j = self.imported(src)
        self.check_layout(out, spacing=0.0, factor=1.0, n_traces=1)
        self.assertEqual(j["gpr"]["n_traces"], 1)

    def test_non_finite_samples_are_missing(self):
        src = self.path("unstable.out")
        d = field()
        d[10, 2] = np.nan
        d[11, 3] = np.inf
        write_gprmax(src, data=d)
        _, j = self.imported(src)
        # each component is d * k: the NaN/Inf stay non-finite
        self.assertEqual(j["gpr"]["n_missing_samples"], 2)

    def test_centre_frequency_puts_time_zero_at_the_ricker_peak(self):
        # the output file does not say what the source was: without
        # --centre-frequency none is recorded and time zero is the start
        src = self.path("ricker.out")
        write_gprmax(src)
        out, j = self.imported(src)
        with h5py.File(out, "r") as f:
            self.assertNotIn("centre_frequency_hz", f["gpr"].attrs)
            self.assertEqual(f["gpr"].attrs.get("time_zero_s", 0.0), 0.0)
        # 2 GHz: a gprMax Ricker peaks sqrt(2)/f = 0.707 ns after its start
        p = run(src, "-o", src + ".f.h5", "--centre-frequency", "2000")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("time zero at the Ricker peak", p.stdout)
        with h5py.File(src + ".f.h5", "r") as f:
            g = f["gpr"].attrs
            self.assertAlmostEqual(g["centre_frequency_hz"], 2e9, delta=1e-3)
            self.assertAlmostEqual(g["time_zero_s"], 2 ** 0.5 / 2e9,
                                   delta=1e-18)
            inst = f.attrs["instrument"]
            inst = inst.decode() if isinstance(inst, bytes) else inst
            self.assertIn("Ricker of 2000 MHz", inst)
            np.testing.assert_array_equal(f["gpr/data"][()], field(3.0).T)
        # the peak must lie in the trace (300 steps of 4.7 ps = 1.41 ns)
        p = run(src, "-o", src + ".g.h5", "--centre-frequency", "400")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertTrue(p.stderr.startswith(src + ": "), p.stderr)
        self.assertIn("after the last time step", p.stderr)
        self.assertFalse(os.path.exists(src + ".g.h5"))
        for bad in ("0", "-400", "abc", "inf"):
            with self.subTest(bad):
                p = run(src, "-o", src + ".b.h5", "--centre-frequency", bad)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("--centre-frequency", p.stderr)

    def test_unknown_component(self):
        src = self.path("comp.out")
        write_gprmax(src)
        p = run(src, "-o", src + ".rec.h5", "--component", "Ix")
        self.assertEqual(p.returncode, 2)
        self.assertIn("/rxs/rx1/Ix", p.stderr)
        self.assertIn("Ez", p.stderr)  # lists what there is

    def test_not_gprmax(self):
        src = self.path("text.out")
        with open(src, "w") as fh:
            fh.write("not hdf5\n")
        p = run(src, "-o", src + ".rec.h5")
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.startswith(src + ": "), p.stderr)
        src = self.path("no_dt.out")
        with h5py.File(src, "w") as f:
            f["rxs/rx1/Ez"] = field()
        p = run(src, "-o", src + ".rec.h5", "--dx", "0.01")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.splitlines(),
                         [f"{src}: /: required attribute dt is missing"])
        self.assertFalse(os.path.exists(src + ".rec.h5"))

    def test_truth_from_json(self):
        """--truth: the model's objects become /truth (and a given lane
        /lane), so the imported recording scores."""
        src = self.path("truth.out")
        write_gprmax(src, rxsteps=(5, 0, 0))
        tj = self.path("truth.json")
        with open(tj, "w") as fh:
            json.dump({"objects": [
                {"x": 0.03, "is_mine": 1, "label": "PMN", "depth": 0.05,
                 "diameter": 0.112},
                {"x": 0.07, "y": 0.01, "is_mine": False,
                 "label": "clutter:can"}],
                "lane": {"x_min": -0.01, "x_max": 0.2, "y_min": -0.05,
                         "y_max": 0.05}}, fh)
        out, j = self.imported(src, "--truth", tj)
        with h5py.File(out, "r") as f:
            np.testing.assert_allclose(f["truth/x"][()], [0.03, 0.07])
            np.testing.assert_allclose(f["truth/y"][()], [0.0, 0.01])
            self.assertEqual(list(f["truth/is_mine"][()]), [1, 0])
            self.assertEqual([v.decode() if isinstance(v, bytes) else v
                              for v in f["truth/label"][()]],
                             ["PMN", "clutter:can"])
            self.assertAlmostEqual(f["truth/depth"][0], 0.05)
            lane = f["lane"].attrs
            self.assertEqual((lane["x_min"], lane["x_max"], lane["y_min"],
                              lane["y_max"]), (-0.01, 0.2, -0.05, 0.05))
        self.assertEqual(j["truth"]["n_mines"], 1)
        self.assertEqual(j["truth"]["n_clutter"], 1)
        # a bad entry: one line naming the file and the entry, nothing
        # written
        bad = self.path("bad_truth.json")
        for doc, where in (({"objects": [{"x": "a", "is_mine": 1}]},
                            "objects[0].x"),
                           ({"objects": [{"x": 0.1}]}, "objects[0].is_mine"),
                           ({"objects": {}}, "objects"),
                           ({"objects": [], "lane": {"x_min": 1}},
                            "lane.x_max")):
            with self.subTest(where=where):
                with open(bad, "w") as fh:
                    json.dump(doc, fh)
                dest = self.path("bad_truth.rec.h5")
                p = run(src, "-o", dest, "--truth", bad)
                self.assertEqual(p.returncode, 2, p.stderr)
                lines = p.stderr.splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertTrue(lines[0].startswith(f"{bad}: {where}"),
                                p.stderr)
                self.assertFalse(os.path.exists(dest))

    def test_usage(self):
        src = self.path("usage.out")
        write_gprmax(src)
        for args in ((src,), (src, "-o"), (src, "-o", "x.h5", "--dx", "-1"),
                     (src, "-o", "x.h5", "--dx", "abc"), ("-o", "x.h5"),
                     (src, "-o", "x.h5", "--bogus")):
            with self.subTest(args):
                p = run(*args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertTrue(p.stderr.strip())
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--dx", p.stdout)
        self.assertIn("--component", p.stdout)
        self.assertIn("--centre-frequency", p.stdout)


if __name__ == "__main__":
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    unittest.main(verbosity=2)
