#!/usr/bin/python3
"""minescan-bench's numpy peers compute what the stages compute: every
stage that has a peer (bench/numpy_peer.py) agrees with the C path within
1e-5 of its largest output, on small inputs, in every variant the peer
times but the one approximation it declares. The figures are the bench's
business; this holds the peers to the stages, so that a speed ratio
compares the same work. The stages named below must have one.

Environment: MINESCAN (the CLI; minescan-bench lies beside it),
MINESCAN_TEST_TMP.
"""
import json
import os
import subprocess
import unittest

MINESCAN = os.path.abspath(os.environ.get("MINESCAN", "build/minescan"))
BENCH = os.path.join(os.path.dirname(MINESCAN), "minescan-bench")


# the FFT envelope beside the stage's FIR Hilbert filter: timed for the
# reader, not the same computation (its diff is the FIR's approximation)
APPROXIMATE = {("envelope", "signal.hilbert FFT")}


class NumpyPeers(unittest.TestCase):
    def test_peers_agree_with_the_stages(self):
        r = subprocess.run(
            [BENCH, "--stages-only", "--traces", "3000", "--samples", "64",
             "--map", "300x100", "--volume", "8x60x120", "--reps", "1",
             "--min-reps", "1", "--budget", "0.05", "--json",
             "--set", "depth_cfar.model=1", "--set", "depth_cfar.combine=1",
             "--set", "depth_cfar.floor=0.1", "--set", "cfar.model=1",
             "--set", "time_bins.power=1",
             # every part of the gain: t^p and exp after 0.5 ns, an AGC
             # window of 17 samples whose floor is often reached
             "--set", "gain.tpow=1.5", "--set", "gain.exp_db_per_ns=2",
             "--set", "gain.t_ref_ns=0.5", "--set", "gain.agc_window_ns=1",
             "--set", "gain.agc_floor=0.6"],
            capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        stages = {s["stage"]: s for s in json.loads(r.stdout)["stages"]}
        compared = self.check(stages)
        for name in ("cfar", "depth_cfar", "time_bins", "trace_stack",
                     "emi_decay", "volume_energy", "dipole_filter",
                     "migrate_stolt", "bandpass", "local_rx", "lms_residual",
                     "emi_tau", "gain", "migrate_kirchhoff", "bounce_fit"):
            self.assertIn(name, compared, f"{name} has no numpy peer")

    def test_bandpass_envelope_peer(self):
        """The band-pass with envelope=1 (one trace per transform, the
        analytic signal's magnitude) against the peer's one-sided ifft."""
        r = subprocess.run(
            [BENCH, "--stages-only", "--stage", "bandpass", "--traces", "501",
             "--samples", "64", "--reps", "1", "--min-reps", "1", "--budget",
             "0.05", "--json", "--set", "bandpass.envelope=1"],
            capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        stages = {s["stage"]: s for s in json.loads(r.stdout)["stages"]}
        self.assertEqual(self.check(stages), ["bandpass"])

    def test_recording_facts_peer(self):
        """What the bench's default arrays leave out: emi_tau with the
        recording's named gate times (one per plane) and parameters that a
        float does not hold exactly; bounce_fit with a template over
        window_m of track (the recording's trace spacing) and one, two or
        three terms; cfar and depth_cfar with model 1's noise floor
        binding."""
        base = [BENCH, "--stages-only", "--traces", "2000", "--samples",
                "64", "--volume", "6x40x80", "--reps", "1", "--min-reps",
                "1", "--budget", "0.05", "--json"]
        runs = [["--stage", "emi_tau", "--gate-times",
                 "20,35,60,100,170,290", "--set", "emi_tau.sharpness=1.3",
                 "--set", "emi_tau.tau_split_us=75.3"]]
        runs += [["--stage", "bounce_fit", "--trace-spacing", "0.01",
                  "--set", "bounce_fit.window_m=0.3", "--set",
                  f"bounce_fit.terms={t}"] for t in (1, 2, 3)]
        # model 1's floor (a robust spread of the map: 1.4826 median
        # absolute deviations) high enough to bind at every cell
        runs += [["--stage", st, "--set", f"{st}.model=1", "--set",
                  f"{st}.floor=1.5"] for st in ("cfar", "depth_cfar")]
        for extra in runs:
            with self.subTest(run=" ".join(extra)):
                r = subprocess.run(base + extra, capture_output=True,
                                   text=True, timeout=600)
                self.assertEqual(r.returncode, 0, r.stderr)
                stages = {s["stage"]: s
                          for s in json.loads(r.stdout)["stages"]}
                self.assertEqual(self.check(stages), [extra[1]])

    def test_velocity_estimate_peer(self):
        """migrate_kirchhoff estimating its velocity from diffraction
        hyperbolas (the bench's --diffractors: points and flat tops made at
        0.1 m/ns in noise) and, with estimate=1, by focusing: the peer
        makes the same choice, so the images agree; the semblance estimate
        comes from hyperbolas that voted, within 15 % of 0.1 m/ns."""
        base = [BENCH, "--stages-only", "--stage", "migrate_kirchhoff",
                "--volume", "120x30x50", "--plane-ns", "0.0625",
                "--diffractors", "3", "--reps", "1", "--min-reps", "1",
                "--budget", "0.05", "--json"]
        for method in (0, 1):
            with self.subTest(estimate=method):
                r = subprocess.run(
                    base + ["--set", f"migrate_kirchhoff.estimate={method}"],
                    capture_output=True, text=True, timeout=600)
                self.assertEqual(r.returncode, 0, r.stderr)
                stages = {s["stage"]: s
                          for s in json.loads(r.stdout)["stages"]}
                self.assertEqual(self.check(stages), ["migrate_kirchhoff"])
                est = stages["migrate_kirchhoff"]["estimates"]
                print(f"\n  estimate={method}: {est}")
                if method == 0:
                    self.assertGreaterEqual(est["hyperbolas"], 2)
                    self.assertLess(abs(est["velocity_m_per_ns"] - 0.1), 0.015)
                else:
                    self.assertNotIn("hyperbolas", est)

    def check(self, stages):
        """Every variant of every peer within 1e-5 (a variant that raised
        fails too); the names of the stages compared."""
        compared = []
        for name, s in stages.items():
            variants = (s.get("numpy") or {}).get("variants") or {}
            for v, e in variants.items():
                self.assertNotIn("error", e, f"{name}: numpy peer {v} failed")
            timed = {v: e for v, e in variants.items() if "max_rel_diff" in e}
            if not timed:
                continue
            compared.append(name)
            # every variant, not only the fastest (which one is fastest
            # depends on the machine's load), but the one that is an
            # approximation by design
            for v, e in timed.items():
                if (name, v) in APPROXIMATE:
                    continue
                self.assertLess(e["max_rel_diff"], 1e-5,
                                f"{name}: numpy peer {v} differs by "
                                f"{e['max_rel_diff']:.3g}")
        return compared


if __name__ == "__main__":
    unittest.main()
