#!/usr/bin/python3
"""datasets/gprmax/brightness_3d.py sets 3-D FDTD echoes beside "the
simulator's": its own transcription of minescan's echo model
(pipeline/simulate/gpr_model.c). The comparison means something only if
that transcription is the simulator, so here `minescan simulate` makes a
noiseless cart lane (no coupling, no ringing, flat homogeneous soil, the
head at the script's 4 cm) with one body hand-placed under a line, and
the echo over the bounce on the trace over it must be the script's
figure: within 1 % for the PMN and the can (one echo each at the apex),
within 10 % for the M14, whose bottom echo (0.46 ns after its top, a
Ricker's main lobe is about 0.3 ns) overlaps the top and adds to it.

Needs numpy and h5py (not gprMax). Environment: MINESCAN (the CLI),
MINESCAN_SOURCE_DIR, MINESCAN_TEST_TMP."""
import importlib.util
import json
import os
import shutil
import subprocess
import unittest

import h5py
import numpy as np

MINESCAN = os.path.abspath(os.environ.get("MINESCAN", "build/minescan"))
SRC = os.environ.get("MINESCAN_SOURCE_DIR",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"),
                   "test_brightness_model")


def load_script():
    path = os.path.join(SRC, "datasets", "gprmax", "brightness_3d.py")
    spec = importlib.util.spec_from_file_location("brightness_3d", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def lane(path, soil, objects):
    eps, sig = soil
    scn = {"description": "test_brightness_model", "sensor": "gpr",
           "lane": {"length_m": 2.0, "width_m": 1.0},
           "soil": {"eps": eps, "eps_variation": 0,
                    "conductivity_s_m": sig, "roughness_m": 0,
                    "layer_depth_m": 0},
           "sweep": {"mode": "cart", "head_height_m": 0.04,
                     "line_spacing_m": 0.01, "trace_spacing_m": 0.004,
                     "height_wobble_m": 0},
           "gpr": {"centre_frequency_hz": 1.5e9, "sample_interval_s": 2e-11,
                   "time_window_s": 6e-9, "snr_db": 200,
                   "direct_coupling": 0, "ringing": 0, "wow": 0,
                   "height_noise_m": 0, "dropout_prob": 0},
           "population": {"n_mines": 0, "mine_types": [],
                          "clutter_per_m2": 0, "pebbles_per_m2": 0,
                          "metal_bits_per_m2": 0, "roots_per_m2": 0},
           "objects": objects}
    with open(path + ".json", "w") as f:
        json.dump(scn, f)
    r = subprocess.run([MINESCAN, "simulate", "--scenario", path + ".json",
                        "--seed", "1", "-o", path, "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


class BrightnessModel(unittest.TestCase):
    def test_the_script_is_the_simulator(self):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        b = load_script()
        depth = 0.05
        for soil, params in b.SOILS.items():
            empty = os.path.join(TMP, soil + "-empty.h5")
            lane(empty, params, [])
            with h5py.File(empty, "r") as g:
                de = g["gpr/data"][()].astype(float)
            for typ, kind, tol in (("PMN", "PMN", 0.01),
                                   ("clutter:can", "can_across", 0.01),
                                   ("M14", "M14", 0.10)):
                path = os.path.join(TMP, f"{soil}-{kind}.h5")
                lane(path, params, [{"type": typ, "x": 1.0, "y": 0.5,
                                     "depth_m": depth}])
                with h5py.File(path, "r") as f:
                    x, y = f["gpr/x"][()], f["gpr/y"][()]
                    dm = f["gpr/data"][()].astype(float)
                    tx, ty = f["truth/x"][0], f["truth/y"][0]
                i = int(np.argmin(np.hypot(x - tx, y - ty)))
                self.assertLess(np.hypot(x[i] - tx, y[i] - ty), 0.003)
                got = np.abs(dm[i] - de[i]).max() / np.abs(de[i]).max()
                want, sign = b.sim_ratio(soil, b.body(kind, depth)[1], depth)
                self.assertLess(abs(got / want - 1), tol,
                                f"{soil} {kind}: simulated {got:.4f}, "
                                f"the script says {want:.4f}")
                # the sign of the echo's main lobe against the bounce's
                self.assertEqual(b.main_lobe_sign(dm[i] - de[i]) *
                                 b.main_lobe_sign(de[i]), sign,
                                 f"{soil} {kind}")


if __name__ == "__main__":
    unittest.main()
