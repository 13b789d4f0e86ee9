#!/usr/bin/env python3
"""Does the default recipe work unchanged from 500 MHz to 3 GHz? The same
small cart lanes (5 x 1 m of loam, eps 6; a PMN, a TM-46, a Type-72, an
M14 and a second PMN, 3-10 cm deep; no clutter, no background objects)
made by `minescan simulate` at each radar centre frequency and SNR (the
sample interval and time window scaled with the frequency), each set
scored by `minescan evaluate`.

Prints, per frequency and SNR: the mines found and the false alarms at
the recipe's own alarm threshold (3, what a user sees in alarms.csv),
and the pooled Pd at 0.1 and 0.5 false alarms per m2 (what a threshold
chosen for these lanes would find). Lanes without clutter: this measures
the radar chain across frequencies, not discrimination. These lanes are
not the benchmark's and were not tuned on; the simulator's lowest
frequency is 500 MHz.

Usage: frequency_sweep.py BINARY WORKDIR [RECIPE]   (default: default)
  FREQ_MHZ  comma-separated (default 500,1000,1500,2000,3000)
  SNR_DB    comma-separated (default 10,20)
  SEEDS     comma-separated (default 1,2)
Uses the CLI only (and the json module)."""
import json
import os
import subprocess
import sys

MINES = ["PMN", "TM-46", "Type-72", "M14", "PMN"]


def scenario(f_mhz, snr_db):
    # about 12 samples per period and 16 periods of window, at least 6 ns
    dt = round(1.0 / (f_mhz * 1e6) / 12.0, 13)
    return {
        "description": f"frequency sweep: {f_mhz} MHz, {snr_db} dB",
        "sensor": "gpr",
        "recording": {"site": "frequency-sweep",
                      "lane_id": f"loam-cart-{f_mhz}mhz-{snr_db}db"},
        "lane": {"length_m": 5.0, "width_m": 1.0},
        "soil": {"eps": 6, "eps_variation": 0.03,
                 "conductivity_s_m": 0.005, "roughness_m": 0.005},
        "sweep": {"mode": "cart", "head_height_m": 0.06,
                  "height_wobble_m": 0.004, "line_spacing_m": 0.04,
                  "trace_spacing_m": 0.02, "cart_speed_m_s": 0.3},
        "gpr": {"centre_frequency_hz": f_mhz * 1e6, "sample_interval_s": dt,
                "time_window_s": max(6e-9, 16.0 / (f_mhz * 1e6)),
                "snr_db": snr_db},
        "population": {"n_mines": len(MINES), "mine_types": MINES,
                       "mine_depth_min_m": 0.03, "mine_depth_max_m": 0.1,
                       "mine_spacing_m": 0.8, "edge_margin_m": 0.2,
                       "clutter_per_m2": 0, "pebbles_per_m2": 0,
                       "metal_bits_per_m2": 0, "roots_per_m2": 0},
    }


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr}")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, work = sys.argv[1], sys.argv[2]
    recipe = sys.argv[3] if len(sys.argv) == 4 else "default"
    freqs = [int(v) for v in os.environ.get(
        "FREQ_MHZ", "500,1000,1500,2000,3000").split(",")]
    snrs = [int(v) for v in os.environ.get("SNR_DB", "10,20").split(",")]
    seeds = [int(v) for v in os.environ.get("SEEDS", "1,2").split(",")]
    print(f"recipe {recipe}; lanes of {len(MINES)} mines, 5 m2 each, "
          f"seeds {','.join(map(str, seeds))}")
    print(f"{'MHz':>5} {'SNR dB':>6} | {'at threshold 3':>22} | "
          f"{'Pd at 0.1 / 0.5 FA/m2':>22}")
    for f in freqs:
        for snr in snrs:
            d = os.path.join(work, f"{f}mhz-{snr}db")
            os.makedirs(d, exist_ok=True)
            sc = os.path.join(d, "scenario.json")
            with open(sc, "w") as fh:
                json.dump(scenario(f, snr), fh, indent=1)
            files = []
            for seed in seeds:
                h5 = os.path.join(d, f"lane-s{seed}.h5")
                run([binary, "simulate", "--scenario", sc, "--seed",
                     str(seed), "-o", h5, "--quiet"])
                files.append(h5)
            ev = os.path.join(d, "ev")
            run([binary, "evaluate", *files, "-o", ev, "--recipe", recipe,
                 "--force"])
            with open(os.path.join(ev, "evaluate.json")) as fh:
                j = json.load(fh)
            found = false = mines = 0
            for row in j["rows"]:
                with open(os.path.join(row["output_dir"], "score.json")) as fh:
                    s = json.load(fh)
                found += s["n_detected"]
                false += s["n_false_alarms"]
                mines += s["n_mines"]
            ops = {o["far_limit_per_m2"]: o for o in j["operating_points"]}
            at = " / ".join(f"{ops[k]['n_detected']}" for k in (0.1, 0.5))
            print(f"{f:>5} {snr:>6} | {found:>3} of {mines} found, "
                  f"{false:>2} false | {at:>13} of {mines}", flush=True)


if __name__ == "__main__":
    main()
