#!/usr/bin/env python3
"""Does a recipe get better when the radar does? The benchmark's tune
lanes made again with the same seeds at higher radar signal-to-noise
ratios (every other concern draws from its own random stream, so the mines,
clutter, soil and sweeps are the same; only the receiver noise is smaller),
each set scored by `minescan evaluate` with each recipe given.

A detector should find more as the noise falls. The default's window
energy did not (its mean power over 0.01-0.2 m is ruled by what the ground
bounce leaves in the shallowest centimetres, which less noise does not
remove): that is why the default scores each depth bin on its own
(depth_cfar).

Usage: snr_sweep.py BINARY WORKDIR [RECIPE...]   (default: default)
  SNR_DB   comma-separated radar SNRs to add beside the lanes as made
           (default 18,30; the benchmark's own are 6-10 dB)
Tune split only (seeds 1-3): this is for choosing, not for reporting.
Prints, per recipe and radar SNR, pooled Pd (detected of 144) at 0.1 /
0.5 / 1 false alarms per m2 and the AUC over 0-1 per m2. Uses the CLI
only (and the json module)."""
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = (1, 2, 3)


def make_lanes(binary, out, snr):
    """The tune split into `out`; radar lanes at `snr` dB (None: as made)."""
    os.makedirs(out, exist_ok=True)
    for scenario in sorted(glob.glob(os.path.join(HERE, "*.json"))):
        name = os.path.basename(scenario)[:-5]
        with open(scenario) as f:
            has_radar = "gpr" in json.load(f)
        for seed in SEEDS:
            cmd = [binary, "simulate", "--scenario", scenario, "--seed",
                   str(seed), "-o", os.path.join(out, f"{name}-s{seed}.h5"),
                   "--quiet"]
            if snr is not None and has_radar:
                cmd += ["--snr-db", str(snr)]
            subprocess.run(cmd, check=True)


def evaluate(binary, lanes, out, recipe):
    subprocess.run([binary, "evaluate", *sorted(glob.glob(lanes + "/*.h5")),
                    "-o", out, "--recipe", recipe, "--quiet", "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "evaluate.json")) as f:
        e = json.load(f)
    return ([p["n_detected"] for p in e["operating_points"]],
            e["pooled"]["n_mines"], e["roc"]["auc_far_1"])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    recipes = sys.argv[3:] or ["default"]
    snrs = [None] + [float(s) for s in
                     os.environ.get("SNR_DB", "18,30").split(",") if s]
    print("recipe, radar SNR: Pd (detected of the mines) at 0.1 / 0.5 / 1 "
          "false alarms per m2, AUC")
    for snr in snrs:
        tag = "as-made" if snr is None else f"snr{snr:g}"
        lanes = os.path.join(work, tag)
        make_lanes(binary, lanes, snr)
        for recipe in recipes:
            name = os.path.basename(recipe)
            pd, n, auc = evaluate(binary, lanes,
                                  os.path.join(work, f"ev-{tag}-{name}"),
                                  recipe)
            what = "as made (6-10 dB)" if snr is None else f"{snr:g} dB"
            print(f"  {name:24s} {what:18s} {pd[0]:3d} / {pd[1]:3d} / "
                  f"{pd[2]:3d} of {n}  AUC {auc:.3f}", flush=True)


if __name__ == "__main__":
    main()
