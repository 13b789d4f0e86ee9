"""Batch throughput (a benchmark, not a test): files/s and MB/s of
`minescan batch` over many tiny recordings (the per-file overhead: worker,
reader, recipe, writers) and over lane-sized ones.

    python3 bench/bench_batch.py [--minescan build/minescan] [--tiny 1000]
        [--lanes 8] [-j N] [--device cpu] [--work build/bench-batch]
"""
import argparse
import os
import shutil
import subprocess
import time


def simulate(minescan, path, *args):
    subprocess.run([minescan, "simulate", "-o", path, "--quiet", *args],
                   check=True)


def copies(src, folder, n):
    """n copies of src (real files: batch counts a hard link once)."""
    os.makedirs(folder, exist_ok=True)
    with open(src, "rb") as f:
        data = f.read()
    for i in range(n):
        p = os.path.join(folder, f"rec{i:05d}.h5")
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
    return len(data) * n


def measure(minescan, name, folder, nbytes, n, jobs, device, work):
    out = os.path.join(work, "out-" + name)
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    r = subprocess.run([minescan, "batch", folder, "-o", out, "--quiet",
                        "-j", str(jobs), "--device", device],
                       capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit(f"{name}: batch failed ({r.returncode}): "
                         f"{r.stderr[-2000:]}")
    print(f"{name:6s} {n:6d} files  {nbytes / 1e6:9.1f} MB  {wall:8.1f} s  "
          f"{n / wall:8.2f} files/s  {nbytes / 1e6 / wall:8.2f} MB/s  "
          f"(-j {jobs}, --device {device})", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minescan", default=os.path.join("build", "minescan"))
    ap.add_argument("--tiny", type=int, default=1000)
    ap.add_argument("--lanes", type=int, default=8)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--work", default=os.path.join("build", "bench-batch"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    tiny = os.path.join(a.work, "tiny.h5")
    if not os.path.exists(tiny):
        simulate(a.minescan, tiny, "--length", "0.5", "--width", "0.5",
                 "--n-mines", "0", "--clutter-density", "0", "--time-window",
                 "8e-9", "--trace-rate", "50", "--emi-rate", "20")
    lane = os.path.join(a.work, "lane.h5")
    if not os.path.exists(lane):
        simulate(a.minescan, lane, "--seed", "7")
    if a.tiny:
        nb = copies(tiny, os.path.join(a.work, "tiny"), a.tiny)
        measure(a.minescan, "tiny", os.path.join(a.work, "tiny"), nb, a.tiny,
                a.jobs, a.device, a.work)
    if a.lanes:
        nb = copies(lane, os.path.join(a.work, "lanes"), a.lanes)
        measure(a.minescan, "lane", os.path.join(a.work, "lanes"), nb,
                a.lanes, a.jobs, a.device, a.work)


if __name__ == "__main__":
    main()
