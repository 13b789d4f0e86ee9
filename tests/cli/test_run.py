"""minescan run end to end, as a user calls it: outputs, device agreement,
OpenCL fallback, exit codes and messages, help text."""
import json
import os
import shutil
import struct
import subprocess
import sys
import unittest
import zlib

import h5py
import numpy as np

MINESCAN = os.environ["MINESCAN"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_run")


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("MINESCAN_FAULT", None)
    e.pop("MINESCAN_DEVICE", None)
    if env:
        e.update(env)
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          env=e, timeout=600)


def png_text(path):
    """The tEXt/iTXt chunks of a PNG, read independently of libpng."""
    out = {}
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt":
            k, v = body.split(b"\0", 1)
            out[k.decode()] = v.decode("latin-1")
        elif kind == b"iTXt":
            k, rest = body.split(b"\0", 1)
            comp = rest[0]
            rest = rest[2:]
            _, rest = rest.split(b"\0", 1)
            _, v = rest.split(b"\0", 1)
            out[k.decode()] = (zlib.decompress(v) if comp else v).decode()
        pos += 12 + length
    return out


def load_json(path):
    with open(path) as f:
        return json.load(f)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def final_map(outdir):
    with h5py.File(os.path.join(outdir, "maps.h5"), "r") as f:
        name = f.attrs["final_map"]
        name = name.decode() if isinstance(name, bytes) else name
        return name, f[name][...]


class RunTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        cls.lane = os.path.join(TMP, "lane.h5")
        r = run("simulate", "-o", cls.lane, "--seed", "7", "--length", "2",
                "--marks", "--quiet")
        assert r.returncode == 0, r.stderr
        cls.out_cl = os.path.join(TMP, "out-opencl")
        cls.out_cpu = os.path.join(TMP, "out-cpu")
        cls.r_cl = run("run", cls.lane, "-o", cls.out_cl, "--device", "opencl")
        cls.r_cpu = run("run", cls.lane, "-o", cls.out_cpu, "--device", "cpu")

    def test_writes_every_output(self):
        self.assertEqual(self.r_cl.returncode, 0, self.r_cl.stderr)
        for name in ["summary.json", "bscan.png", "heatmap.png", "coverage.png",
                     "alarms.csv", "alarms.geojson", "score.json", "roc.csv",
                     "roc.png", "index.html", "maps.h5"]:
            path = os.path.join(self.out_cl, name)
            self.assertTrue(os.path.getsize(path) > 0, name)
        with open(os.path.join(self.out_cl, "alarms.csv")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "x_m,y_m,score,detectors")
        scores = [float(l.split(",")[2]) for l in lines[1:]]
        self.assertEqual(scores, sorted(scores, reverse=True))
        gj = load_json(os.path.join(self.out_cl, "alarms.geojson"))
        self.assertEqual(gj["type"], "FeatureCollection")
        self.assertEqual(len(gj["features"]), len(lines) - 1)
        leftovers = [f for f in os.listdir(self.out_cl) if ".tmp" in f]
        self.assertEqual(leftovers, [])

    def test_summary_records_the_run(self):
        s = load_json(os.path.join(self.out_cl, "summary.json"))
        self.assertEqual(s["software"], "minescan")
        self.assertRegex(s["input"]["crc32"], "^[0-9a-f]{8}$")
        self.assertEqual(s["input"]["bytes"], os.path.getsize(self.lane))
        self.assertEqual(s["recipe"]["name"], "default")
        self.assertIn("stage dewow", s["recipe"]["text"])
        self.assertEqual(s["device"]["used"], "opencl")
        ran = [st for st in s["stages"] if st["device"] != "skipped"]
        self.assertGreaterEqual(len(ran), 10)
        for st in ran:
            self.assertEqual(st["device"], "opencl")
            self.assertGreaterEqual(st["seconds"], 0)
            self.assertIsInstance(st["params"], dict)
        self.assertEqual(s["fallbacks"], [])
        self.assertIn("heatmap.png", s["outputs"])
        s_cpu = load_json(os.path.join(self.out_cpu, "summary.json"))
        self.assertEqual(s_cpu["device"]["used"], "cpu")
        self.assertTrue(all(st["device"] in ("cpu", "skipped")
                            for st in s_cpu["stages"]))

    def test_opencl_and_cpu_maps_agree(self):
        self.assertEqual(self.r_cpu.returncode, 0, self.r_cpu.stderr)
        name_a, a = final_map(self.out_cl)
        name_b, b = final_map(self.out_cpu)
        self.assertEqual(name_a, "anomaly")
        self.assertEqual(name_a, name_b)
        self.assertEqual(a.shape, b.shape)
        scale = np.abs(b).max()
        self.assertGreater(scale, 0)
        # the recipe's declared tolerance: its stages' added up
        tol = load_json(os.path.join(self.out_cl, "summary.json"))[
            "recipe"]["opencl_vs_cpu_tolerance"]
        self.assertLessEqual(tol, 2e-4)
        print(f"# max |opencl - cpu| / max|cpu| = "
              f"{np.abs(a - b).max() / scale:.3g} (declared {tol:.3g})")
        self.assertLessEqual(np.abs(a - b).max(), tol * scale)

    def test_pngs_carry_version_recipe_and_extent(self):
        for name in ["heatmap.png", "coverage.png"]:
            t = png_text(os.path.join(self.out_cl, name))
            self.assertTrue(t["Software"].startswith("minescan "), t)
            self.assertEqual(t["minescan:recipe"], "default")
            ext = [float(v) for v in t["minescan:extent"].split()]
            self.assertEqual(len(ext), 4)
            self.assertLess(ext[0], ext[1])
            self.assertLess(ext[2], ext[3])
            self.assertEqual(len(t["minescan:plot_area"].split()), 4)
        t = png_text(os.path.join(self.out_cl, "bscan.png"))
        self.assertEqual(t["minescan:recipe"], "default")

    def test_png_parameters_reproduce_the_map(self):
        """The effective recipe in a PNG's text chunk is a recipe file that
        gives the same map again."""
        out = os.path.join(TMP, "out-params")
        r = run("run", self.lane, "-o", out, "--device", "cpu",
                "--set", "grid_volume#2.radius_m=0.1",
                "--set", "dewow.window_ns=2.5",
                "--set", "depth_cfar.depth_start_m=0.0099999999")
        self.assertEqual(r.returncode, 0, r.stderr)
        params = png_text(os.path.join(out, "heatmap.png"))["minescan:parameters"]
        self.assertIn("window_ns=2.5", params)
        self.assertIn("radius_m=0.1 ", params)
        self.assertIn("depth_start_m=0.0099999999 ", params)
        recipe = os.path.join(TMP, "from-png.recipe")
        with open(recipe, "w") as f:
            f.write(params)
        again = os.path.join(TMP, "out-params-again")
        r = run("run", self.lane, "-o", again, "--device", "cpu",
                "--recipe", recipe)
        self.assertEqual(r.returncode, 0, r.stderr)
        np.testing.assert_array_equal(final_map(out)[1], final_map(again)[1])

    def test_injected_opencl_failure_falls_back_with_same_map(self):
        out = os.path.join(TMP, "out-fault")
        r = run("run", self.lane, "-o", out, "--device", "opencl",
                env={"MINESCAN_FAULT": "envelope:CL_OUT_OF_RESOURCES"})
        self.assertEqual(r.returncode, 0, r.stderr)
        warning = [l for l in r.stderr.splitlines() if "stage envelope" in l]
        self.assertEqual(len(warning), 1, r.stderr)
        self.assertTrue(warning[0].startswith(self.lane + ": "), warning)
        self.assertIn("CL_OUT_OF_RESOURCES", warning[0])
        self.assertNotIn("-5", warning[0])
        s = load_json(os.path.join(out, "summary.json"))
        self.assertEqual([f["stage"] for f in s["fallbacks"]], ["envelope"])
        self.assertEqual(s["device"]["used"], "opencl+cpu")
        env_stage = [st for st in s["stages"] if st["stage"] == "envelope"][0]
        self.assertEqual(env_stage["device"], "cpu")
        _, a = final_map(self.out_cl)
        _, b = final_map(out)
        tol = s["recipe"]["opencl_vs_cpu_tolerance"]
        self.assertLessEqual(np.abs(a - b).max(), tol * np.abs(a).max())

    def test_single_sensor_recordings(self):
        for sensor in ["gpr", "emi"]:
            lane = os.path.join(TMP, f"{sensor}.h5")
            r = run("simulate", "-o", lane, "--seed", "3", "--length", "3",
                    "--sensor", sensor, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
            out = os.path.join(TMP, f"out-{sensor}")
            r = run("run", lane, "-o", out, "--device", "cpu")
            self.assertEqual(r.returncode, 0, r.stderr)
            name, _ = final_map(out)
            self.assertEqual(name, f"{sensor}_z")
            self.assertEqual(os.path.exists(os.path.join(out, "bscan.png")),
                             sensor == "gpr")

    def test_bad_input_and_usage_exit_2_naming_the_problem(self):
        out = os.path.join(TMP, "out-bad")
        missing = os.path.join(TMP, "nope.h5")
        r = run("run", missing, "-o", out)
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith(missing), r.stderr)
        junk = os.path.join(TMP, "junk.h5")
        with open(junk, "w") as f:
            f.write("not hdf5\n")
        r = run("run", junk, "-o", out)
        self.assertEqual(r.returncode, 2)
        self.assertIn(junk, r.stderr)
        self.assertNotIn("HDF5-DIAG", r.stderr)
        recipe = os.path.join(TMP, "bad.recipe")
        with open(recipe, "w") as f:
            f.write("stage dewow\nstage dewow window_ns=-3\n")
        r = run("run", self.lane, "-o", out, "--recipe", recipe)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{recipe}:2:", r.stderr)
        self.assertIn("out of range", r.stderr)
        r = run("run", self.lane, "-o", out, "--device", "tpu")
        self.assertEqual(r.returncode, 2)
        r = run("run", self.lane, "-o", out, env={"MINESCAN_DEVICE": "gpu9"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("MINESCAN_DEVICE", r.stderr)
        r = run("run", self.lane, "-o", out, "--set", "dewow.nope=1")
        self.assertEqual(r.returncode, 2)
        r = run("run", self.lane)
        self.assertEqual(r.returncode, 2)

    def test_recipe_reading_an_unwritten_slot_is_refused(self):
        # A typo in a slot name must not silently drop the radar branch.
        out = os.path.join(TMP, "out-typo")
        recipe = os.path.join(TMP, "typo.recipe")
        with open(recipe, "w") as f:
            f.write("stage dewow\n"
                    "# the envelope's output is misspelt below\n"
                    "stage envelope in=gpr,gpr_valid out=gpr_env\n"
                    "stage window_energy in=gpr_evn,gpr_valid\n"
                    "stage grid in=gpr_score,gpr_score_valid,gpr_xy "
                    "out=gpr_map,gpr_hits\n")
        r = run("run", self.lane, "-o", out, "--recipe", recipe)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{recipe}:4:", r.stderr)
        self.assertIn("'gpr_evn'", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "summary.json")))
        # batch checks the recipe once, before any input
        r = run("batch", self.lane, "-o", out, "--recipe", recipe)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{recipe}:4:", r.stderr)
        # an output role naming a slot nothing writes
        with open(recipe, "w") as f:
            f.write("stage emi_detrend\noutput anomaly=emi_zz\n")
        r = run("run", self.lane, "-o", out, "--recipe", recipe)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{recipe}:2: output anomaly", r.stderr)

    def test_stage_too_large_for_memory_is_refused_before_allocating(self):
        out = os.path.join(TMP, "out-mem")
        # a 2 x 1 m lane at 2 mm cells: a volume of ~40 MB
        r = run("run", self.lane, "-o", out, "--device", "cpu",
                "--recipe", "slices", "--set", "grid_volume.cell_m=0.002",
                "--set", "grid_volume.radius_m=0.004",
                env={"MINESCAN_MEMORY_MB": "8"})
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertRegex(r.stderr, r"slices:\d+: stage grid_volume needs \d+ "
                         r"MB more memory and this machine has 8 MB available")
        self.assertFalse(os.path.exists(os.path.join(out, "summary.json")))
        # the same with room to spare runs
        r = run("run", self.lane, "-o", out, "--device", "cpu",
                env={"MINESCAN_MEMORY_MB": "4000"})
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_sensor_threshold_is_an_option_recorded_in_the_summary(self):
        summary = load_json(os.path.join(self.out_cpu, "summary.json"))
        self.assertEqual(summary["detection"]["sensor_threshold"], 1.5)
        # a low threshold names both sensors somewhere (the per-sensor maps
        # are CFAR statistics, 3 at their own threshold: whether 1.5 names
        # both on this lane depends on the lane)
        low = os.path.join(TMP, "out-sensor-low")
        r = run("run", self.lane, "-o", low, "--device", "cpu",
                "--sensor-threshold", "0.01")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(low, "alarms.csv")) as f:
            both = [l for l in f.read().splitlines()[1:] if "gpr+emi" in l]
        out = os.path.join(TMP, "out-sensor")
        r = run("run", self.lane, "-o", out, "--device", "cpu",
                "--sensor-threshold", "1000")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = load_json(os.path.join(out, "summary.json"))
        self.assertEqual(summary["detection"]["sensor_threshold"], 1000)
        with open(os.path.join(out, "alarms.csv")) as f:
            rows = [l.split(",") for l in f.read().splitlines()[1:]]
        self.assertTrue(rows)
        # no sensor reaches 1000: each alarm names the stronger one only
        self.assertTrue(all(r_[3] in ("gpr", "emi") for r_ in rows), rows)
        self.assertTrue(both, "a low threshold names both somewhere")

    def test_parameter_constraints_name_the_line(self):
        out = os.path.join(TMP, "out-check")
        recipe = os.path.join(TMP, "check.recipe")
        with open(recipe, "w") as f:
            f.write("stage dewow\nstage envelope out=gpr_env\n"
                    "stage window_energy in=gpr_env,gpr_valid "
                    "t_start_ns=5 t_end_ns=2\n"
                    "stage grid in=gpr_score,gpr_score_valid,gpr_xy "
                    "out=gpr_map,gpr_hits\n")
        r = run("run", self.lane, "-o", out, "--recipe", recipe)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{recipe}:3: stage window_energy: t_end_ns (2) must "
                      "exceed t_start_ns (5)", r.stderr)
        # --set values are checked together, after all of them
        r = run("run", self.lane, "-o", out, "--recipe", recipe,
                "--set", "window_energy.t_end_ns=9", "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_failed_run_keeps_earlier_results(self):
        out = os.path.join(TMP, "out-keep")
        r = run("run", self.lane, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        before = {n: read_bytes(os.path.join(out, n))
                  for n in os.listdir(out)}
        junk = os.path.join(TMP, "junk2.h5")
        with open(junk, "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
        r = run("run", junk, "-o", out)
        self.assertEqual(r.returncode, 2)
        after = {n: read_bytes(os.path.join(out, n))
                 for n in os.listdir(out)}
        self.assertEqual(before, after)

    def test_window_past_the_traces_is_reported(self):
        # window_energy (the stolt recipe) and depth_cfar (the default)
        for recipe, stage, sets in (
                ("stolt", "window_energy", ["window_energy.t_start_ns=20",
                                            "window_energy.t_end_ns=30"]),
                ("default", "depth_cfar", ["depth_cfar.depth_start_m=2",
                                           "depth_cfar.depth_end_m=3"])):
            out = os.path.join(TMP, "out-window-" + recipe)
            args = ["run", self.lane, "-o", out, "--device", "cpu",
                    "--recipe", recipe]
            for s in sets:
                args += ["--set", s]
            r = run(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
            line = [l for l in r.stderr.splitlines() if stage in l]
            self.assertEqual(len(line), 1, r.stderr)
            self.assertTrue(line[0].startswith(self.lane + ": warning: "),
                            line)
            self.assertIn("past the end of the traces", line[0])
            self.assertIn("every score is 0", line[0])
            s = load_json(os.path.join(out, "summary.json"))
            self.assertTrue(any(stage in w for w in s["warnings"]))

    def test_output_folder_hazards(self):
        # an input named like an output, in the output folder: refused
        folder = os.path.join(TMP, "hazard")
        os.makedirs(folder, exist_ok=True)
        named = os.path.join(folder, "maps.h5")
        shutil.copy(self.lane, named)
        before = read_bytes(named)
        r = run("run", named, "-o", folder, "--device", "cpu")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertTrue(r.stderr.startswith(named), r.stderr)
        self.assertEqual(read_bytes(named), before)
        # a folder where an output goes: refused before anything changes
        out = os.path.join(TMP, "out-hazard")
        r = run("run", self.lane, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        before = {n: read_bytes(os.path.join(out, n)) for n in os.listdir(out)
                  if n != "maps.h5"}
        os.remove(os.path.join(out, "maps.h5"))
        os.makedirs(os.path.join(out, "maps.h5"))
        r = run("run", self.lane, "-o", out, "--device", "cpu",
                "--threshold", "5")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("maps.h5: exists and is not a plain file", r.stderr)
        after = {n: read_bytes(os.path.join(out, n)) for n in os.listdir(out)
                 if n != "maps.h5"}
        self.assertEqual(before, after)
        # a staging folder left by a killed run is swept away
        os.rmdir(os.path.join(out, "maps.h5"))
        stale = os.path.join(out, ".minescan-tmp-999999999")
        os.makedirs(stale)
        for name in ("heatmap.png", "bscan.png.tmp", "maps.h5.tmp.4242"):
            with open(os.path.join(stale, name), "w") as f:
                f.write("half-written")
        r = run("run", self.lane, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([n for n in os.listdir(out) if n.startswith(".")], [])
        # an empty output folder name is a usage error, never the root
        r = run("run", self.lane, "-o", "")
        self.assertEqual(r.returncode, 2)

    def test_device_option_beats_a_bad_environment(self):
        out = os.path.join(TMP, "out-env")
        r = run("run", self.lane, "-o", out, "--device", "cpu",
                env={"MINESCAN_DEVICE": "bogus"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(load_json(os.path.join(out, "summary.json"))[
            "device"]["requested"], "cpu")
        r = run("run", "--help", env={"MINESCAN_DEVICE": "bogus"})
        self.assertEqual(r.returncode, 0)

    def test_mismatched_mask_is_refused(self):
        recipe = os.path.join(TMP, "mask.recipe")
        with open(recipe, "w") as f:
            f.write("stage ground_align in=gpr,emi_valid\n")
        r = run("run", self.lane, "-o", os.path.join(TMP, "out-mask"),
                "--recipe", recipe)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{recipe}:1: stage ground_align: mask 'emi_valid'",
                      r.stderr)
        self.assertTrue(r.stderr.startswith(self.lane), r.stderr)

    def test_odd_recordings(self):
        def base(f):
            f.attrs["format"] = "minescan-recording"
            f.attrs["format_version"] = 1
        rng = np.random.default_rng(3)
        huge = os.path.join(TMP, "huge.h5")
        with h5py.File(huge, "w") as f:
            base(f)
            g = f.create_group("gpr")
            g.attrs["sample_interval_s"] = 5e-11
            g["data"] = (rng.standard_normal((200, 96)) * 1e20).astype("f4")
            g["x"] = np.linspace(0, 1, 200)
            g["y"] = (np.arange(200) * 0.037) % 0.5
        # the same lane at another amplitude scale gives the same map
        _, ref = final_map(self.out_cpu)
        for factor in (1e12, 1e-20):
            scaled = os.path.join(TMP, "scaled.h5")
            shutil.copy(self.lane, scaled)
            with h5py.File(scaled, "r+") as f:
                f["gpr/data"][...] = f["gpr/data"][...] * factor
            out = os.path.join(TMP, "out-scaled")
            r = run("run", scaled, "-o", out, "--device", "cpu")
            self.assertEqual(r.returncode, 0, r.stderr)
            _, m = final_map(out)
            self.assertLessEqual(np.abs(m - ref).max(), 1e-4 * np.abs(ref).max(),
                                 factor)
        r = run("run", huge, "-o", os.path.join(TMP, "out-huge"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("scaled by 2^", r.stderr)
        with h5py.File(os.path.join(TMP, "out-huge", "maps.h5"), "r") as f:
            for k in f:
                self.assertTrue(np.isfinite(f[k][...]).all(), k)
        # one straight line, no /lane, a mine on it: scored over the strip
        line = os.path.join(TMP, "line.h5")
        with h5py.File(line, "w") as f:
            base(f)
            g = f.create_group("gpr")
            g.attrs["sample_interval_s"] = 5e-11
            g["data"] = rng.standard_normal((100, 96)).astype("f4")
            g["x"] = np.linspace(0, 1, 100)
            g["y"] = np.zeros(100)
            t = f.create_group("truth")
            t["x"], t["y"], t["is_mine"] = [0.5], [0.0], [1]
        out = os.path.join(TMP, "out-line")
        r = run("run", line, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertAlmostEqual(load_json(os.path.join(out, "score.json"))[
            "area_m2"], 0.1, places=6)

    def test_unwritable_output_is_exit_3(self):
        blocker = os.path.join(TMP, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        r = run("run", self.lane, "-o", os.path.join(blocker, "sub"))
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(blocker, r.stderr)

    def test_help_lists_every_stage_parameter(self):
        r = run("run", "--help")
        self.assertEqual(r.returncode, 0)
        r2 = run("--help")
        self.assertEqual(r2.returncode, 0)
        for text in (r.stdout, r2.stdout):
            for stage, params in [
                    ("dewow", ["window_ns"]),
                    ("ground_align", ["search_start_ns", "search_end_ns",
                                      "target_ns"]),
                    ("background_removal", ["window_traces"]),
                    ("envelope", ["half_taps"]),
                    ("window_energy", ["t_start_ns", "t_end_ns"]),
                    ("grid", ["cell_m", "radius_m", "channel"]),
                    ("fuse", ["w_gpr", "w_emi"])]:
                self.assertIn(f"  {stage}: ", text)
                for p in params:
                    self.assertRegex(text, rf"{p}\s+\w+, default [-0-9.e]+, "
                                           rf"range \[")
            self.assertIn("--device auto|opencl|cpu", text)

    def test_devices_and_recipes(self):
        r = run("devices")
        self.assertEqual(r.returncode, 0)
        self.assertIn("auto picks", r.stdout)
        r = run("recipes")
        self.assertEqual(r.returncode, 0)
        for name in ["default", "gpr", "emi", "slices"]:
            self.assertRegex(r.stdout, rf"(?m)^{name}\s")

    def test_slices_recipe_grids_a_volume(self):
        out = os.path.join(TMP, "out-slices")
        r = run("run", self.lane, "-o", out, "--recipe", "slices",
                "--set", "grid_volume.cell_m=0.04")
        self.assertEqual(r.returncode, 0, r.stderr)
        name, m = final_map(out)
        self.assertEqual(name, "gpr_z")
        s = load_json(os.path.join(out, "summary.json"))
        gv = [st for st in s["stages"] if st["stage"] == "grid_volume"][0]
        self.assertEqual(gv["params"]["cell_m"], 0.04)
        self.assertEqual(s["recipe"]["overrides"], ["grid_volume.cell_m=0.04"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
