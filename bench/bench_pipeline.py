#!/usr/bin/python3
"""The whole-recipe half of minescan-bench (which runs it after the stage
table; it also runs alone):

    bench_pipeline.py --minescan build/minescan [--data DIR] [--json-out F]
                      [--jobs N] [--run-reps N] [--regen] [--quiet]

1. the benchmark data, generated once under DIR (default: bench-data beside
   the minescan binary; never in git): the 18 tune-split lanes
   (datasets/benchmark/generate.sh) and one lane-sized recording, the
   sand-handheld-dual scenario stretched to 31 m (16.5 MB of radar);
2. `minescan batch` over the 18 lanes with every output (a fresh output
   folder, minescan's default -j unless --jobs), against
   bench/numpy_chain.py over the same files (the same steps, alarms.csv
   only), in this run: files/s, MB/s and the ratio; whether the numpy
   script's alarms are minescan's;
3. `minescan run` of the standard chain on the lane-sized file (default
   device, and --device cpu) against the numpy chain on the same file,
   with minescan's own time per stage from summary.json;
4. the peak resident memory (getrusage of the child) of `minescan run` on
   the lane-sized file and on the largest tune lane, over the file's radar
   data size (n_traces x n_samples x 4 bytes).

Figures, not pass/fail: the targets are printed beside them.
"""
import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
BENCHMARK = os.path.join(SOURCE, "datasets", "benchmark")
LANE_SCENARIO = os.path.join(BENCHMARK, "sand-handheld-dual.json")
LANE_LENGTH_M = 31  # 31 m of the hand-held scenario: ~32k traces, 16.5 MB radar
TARGET_BATCH_RATIO = 10.0
TARGET_RSS_RATIO = 3.0


def log(quiet, *a):
    if not quiet:
        print(*a, flush=True)


GNU_TIME = "/usr/bin/time"


def run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
    """Run argv; (exit status, wall seconds, peak RSS in bytes). The peak
    RSS comes from GNU time (getrusage of its child, including a batch's
    workers): a child forked straight from this Python process would count
    Python's own pages, shared at the fork, in its peak. Without GNU time it
    is that upper bound."""
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="rss-")
        os.close(fd)
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file] + list(argv)
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                         stderr=stderr)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    rss = ru.ru_maxrss * 1024
    if rss_file:
        try:
            with open(rss_file) as f:
                lines = f.read().split()
            rss = int(lines[-1]) * 1024  # time prints "Command exited..." first on failure
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    return p.returncode, wall, rss


def stamp_of(minescan):
    h = hashlib.sha256()
    h.update(subprocess.run([minescan, "--version"], capture_output=True,
                            text=True).stdout.encode())
    for name in sorted(os.listdir(BENCHMARK)):
        if name.endswith(".json"):
            with open(os.path.join(BENCHMARK, name), "rb") as f:
                h.update(name.encode() + f.read())
    h.update(str(LANE_LENGTH_M).encode())
    return h.hexdigest()


def ensure_data(minescan, data, regen, quiet):
    """The 18 tune lanes and the lane-sized file; regenerated when the
    scenarios or minescan's version changed, or with --regen."""
    tune = os.path.join(data, "tune")
    lane = os.path.join(data, "lane-%dm.h5" % LANE_LENGTH_M)
    stamp_path = os.path.join(data, "stamp")
    stamp = stamp_of(minescan)
    old = open(stamp_path).read().strip() if os.path.exists(stamp_path) else ""
    files = sorted(os.path.join(tune, f) for f in os.listdir(tune)
                   if f.endswith(".h5")) if os.path.isdir(tune) else []
    if regen or old != stamp or len(files) != 18 or not os.path.exists(lane):
        log(quiet, "generating the benchmark lanes under %s ..." % data)
        shutil.rmtree(tune, ignore_errors=True)
        os.makedirs(data, exist_ok=True)
        subprocess.run(["sh", os.path.join(BENCHMARK, "generate.sh"), minescan,
                        data, "tune"], check=True)
        subprocess.run([minescan, "simulate", "--scenario", LANE_SCENARIO,
                        "--length", str(LANE_LENGTH_M), "--seed", "1", "-o", lane,
                        "--quiet"], check=True)
        with open(stamp_path, "w") as f:
            f.write(stamp + "\n")
        files = sorted(os.path.join(tune, f) for f in os.listdir(tune)
                       if f.endswith(".h5"))
    return files, lane


def describe(path):
    with h5py.File(path, "r") as f:
        g = f["gpr/data"].shape if "gpr" in f else (0, 0)
        e = f["emi/data"].shape if "emi" in f else (0, 0)
    return {"file": path, "file_bytes": os.path.getsize(path),
            "gpr": list(g), "emi": list(e), "radar_bytes": 4 * g[0] * g[1],
            "sensor_bytes": 4 * (g[0] * g[1] + e[0] * e[1])}


def read_alarms(path):
    try:
        with open(path) as f:
            return [(r["x_m"], r["y_m"], float(r["score"]), r["detectors"])
                    for r in csv.DictReader(f)]
    except OSError:
        return None


def alarms_agree(a, b):
    """Same cells and detectors in the same order, scores within 0.1 %
    (minescan's single-precision zscore sums differ from numpy's by ~1e-4)."""
    if a is None or b is None or len(a) != len(b):
        return False
    return all(p[0] == q[0] and p[1] == q[1] and p[3] == q[3] and
               abs(p[2] - q[2]) <= 1e-3 * max(1.0, abs(q[2])) for p, q in zip(a, b))


# The work numpy_chain.py does: the plain standard chain (the default recipe
# has since moved to CFAR detectors and a fitted fusion, which the script
# does not do), so that both sides of a ratio do the same steps and the
# alarms can be compared.
STANDARD_CHAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..", "datasets", "benchmark",
                              "standard-chain.recipe")


def minescan_run(minescan, path, out, device=None):
    shutil.rmtree(out, ignore_errors=True)
    argv = [minescan, "run", path, "-o", out, "--recipe", STANDARD_CHAIN]
    if device:
        argv += ["--device", device]
    st, wall, rss = run(argv)
    summary = {}
    try:
        with open(os.path.join(out, "summary.json")) as f:
            s = json.load(f)
        summary = {"device": s.get("device", {}).get("used"),
                   "device_name": s.get("device", {}).get("name"),
                   "timing": s.get("timing"),
                   "stages": [{"stage": x["stage"], "line": x.get("line"),
                               "device": x.get("device"),
                               "seconds": x.get("seconds")}
                              for x in s.get("stages", [])],
                   "n_alarms": s.get("n_alarms")}
    except (OSError, ValueError, KeyError):
        pass
    return {"status": st, "seconds": wall, "peak_rss_bytes": rss,
            "summary": summary}


def numpy_chain(python, files, out, json_out):
    shutil.rmtree(out, ignore_errors=True)
    st, wall, rss = run([python, os.path.join(HERE, "numpy_chain.py"), "-o", out,
                         "--json-out", json_out] + files, stderr=None)
    inner = {}
    if st == 0:
        with open(json_out) as f:
            inner = json.load(f)
    return {"status": st, "seconds": wall, "inner_seconds": inner.get("seconds"),
            "peak_rss_bytes": rss, "files": inner.get("files", [])}


def rate(n, mb, seconds):
    return {"files_per_s": n / seconds if seconds else None,
            "mb_per_s": mb / seconds if seconds else None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minescan", required=True)
    ap.add_argument("--data")
    ap.add_argument("--json-out")
    ap.add_argument("--jobs")
    ap.add_argument("--run-reps", type=int, default=1,
                    help="minescan run / numpy chain runs on the lane-sized file (median)")
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    minescan = os.path.abspath(a.minescan)
    data = os.path.abspath(a.data or os.path.join(os.path.dirname(minescan),
                                                  "bench-data"))
    q = a.quiet
    files, lane = ensure_data(minescan, data, a.regen, q)
    work = tempfile.mkdtemp(prefix="out-", dir=data)
    res = {"data": data, "targets": {"batch_numpy_ratio": TARGET_BATCH_RATIO,
                                     "peak_rss_over_radar_bytes": TARGET_RSS_RATIO}}
    try:
        # ---- batch over the 18 tune lanes --------------------------------
        info = [describe(f) for f in files]
        file_mb = sum(i["file_bytes"] for i in info) / 1e6
        data_mb = sum(i["sensor_bytes"] for i in info) / 1e6
        argv = [minescan, "batch"] + files + ["-o", os.path.join(work, "batch"),
                                              "--quiet", "--recipe",
                                              STANDARD_CHAIN]
        if a.jobs:
            argv += ["--jobs", a.jobs]
        log(q, "\nwhole recipe: batch over the %d tune-split lanes ..." % len(files))
        st, wall, rss = run(argv)
        mb = {"status": st, "seconds": wall, "peak_rss_bytes": rss,
              "jobs": a.jobs or "default"}
        mb.update(rate(len(files), file_mb, wall))
        mb["sensor_mb_per_s"] = data_mb / wall
        npb = numpy_chain(a.python, files, os.path.join(work, "numpy-batch"),
                          os.path.join(work, "numpy-batch.json"))
        npb.update(rate(len(files), file_mb, npb["seconds"]))
        npb["sensor_mb_per_s"] = data_mb / npb["seconds"]
        agree = 0
        for f in files:
            name = os.path.splitext(os.path.basename(f))[0]
            agree += alarms_agree(
                read_alarms(os.path.join(work, "numpy-batch", name, "alarms.csv")),
                read_alarms(os.path.join(work, "batch", name, "alarms.csv")))
        npb_files = npb.pop("files")
        res["batch"] = {
            "files": len(files), "file_mb": file_mb, "sensor_mb": data_mb,
            "minescan": mb, "numpy": npb,
            "ratio_numpy_over_minescan": npb["seconds"] / wall,
            "ratio_numpy_in_script_over_minescan": (npb["inner_seconds"] or 0) / wall,
            "alarms_agree_files": agree,
            "numpy_seconds_per_file": {os.path.basename(x["file"]): x["seconds"]
                                       for x in npb_files}}

        # ---- the default recipe on one lane-sized file -------------------
        # minescan's default device (auto), and each path explicitly
        log(q, "whole recipe: minescan run and the numpy chain on %s ..." % lane)
        li = describe(lane)
        variants = (("default", None), ("--device opencl", "opencl"),
                    ("--device cpu", "cpu"))
        runs = {k: [] for k, _ in variants}
        runs["numpy"] = []
        for _ in range(max(1, a.run_reps)):
            for k, dev in variants:
                runs[k].append(minescan_run(minescan, lane,
                                            os.path.join(work, "run-" + (dev or "auto")), dev))
            runs["numpy"].append(numpy_chain(a.python, [lane], os.path.join(work, "numpy-lane"),
                                             os.path.join(work, "numpy-lane.json")))
        agree_lane = alarms_agree(
            read_alarms(os.path.join(work, "numpy-lane",
                                     os.path.splitext(os.path.basename(lane))[0], "alarms.csv")),
            read_alarms(os.path.join(work, "run-auto", "alarms.csv")))

        def pick(rs):  # the median run (the lower one of two)
            rs = sorted(rs, key=lambda r: r["seconds"])
            r = dict(rs[(len(rs) - 1) // 2])
            r["all_seconds"] = [x["seconds"] for x in rs]
            r.pop("files", None)
            return r

        ms_runs = []
        for k, _ in variants:
            x = pick(runs[k])
            x["device_option"] = k
            ms_runs.append(x)
        npl = pick(runs["numpy"])
        ok = [x["seconds"] for x in ms_runs if x["status"] == 0]
        best = min(ok) if ok else float("nan")
        res["recipe"] = {"file": li, "minescan": ms_runs, "numpy": npl,
                         "alarms_agree": agree_lane,
                         "ratio_numpy_over_best": npl["seconds"] / best,
                         "ratio_numpy_in_script_over_best": (npl["inner_seconds"] or 0) / best,
                         "ratio_numpy_over_default": npl["seconds"] / ms_runs[0]["seconds"]}

        # ---- peak memory ---------------------------------------------------
        log(q, "peak memory ...")
        largest = max(info, key=lambda i: i["radar_bytes"])
        big_runs = []
        for k, dev in variants:
            x = minescan_run(minescan, largest["file"],
                             os.path.join(work, "run-largest-" + (dev or "auto")), dev)
            x["device_option"] = k
            big_runs.append(x)
        base_ver = run([minescan, "--version"])[2]
        base_dev = run([minescan, "devices"])[2]

        def mem(path, radar, runs_):
            return {"file": path, "radar_bytes": radar,
                    "runs": [{"device_option": x["device_option"],
                              "device": x["summary"].get("device"),
                              "status": x["status"],
                              "peak_rss_bytes": x["peak_rss_bytes"],
                              "ratio": x["peak_rss_bytes"] / radar} for x in runs_]}

        res["memory"] = {
            "lane_sized": mem(lane, li["radar_bytes"], ms_runs),
            "largest_tune_lane": mem(largest["file"], largest["radar_bytes"], big_runs),
            "baseline_rss_bytes": {"minescan --version": base_ver,
                                   "minescan devices (loads OpenCL)": base_dev},
            "measured_with": "GNU time %M" if os.access(GNU_TIME, os.X_OK)
                             else "wait4 of a child forked from Python (an upper bound)",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(res, f, indent=1)
    if not q:
        print_report(res)
    return 0


def print_report(r):
    MB = 1e6
    b = r["batch"]
    m, n = b["minescan"], b["numpy"]
    print("\nbatch: %d tune-split benchmark lanes (%.1f MB of files, %.1f MB of "
          "sensor data as float32), every output, fresh folder, -j %s"
          % (b["files"], b["file_mb"], b["sensor_mb"], m["jobs"]))
    print("  %-44s %8s %8s %9s %12s" % ("", "s", "files/s", "MB/s", "data MB/s"))
    print("  %-44s %8.2f %8.2f %9.2f %12.2f%s" % (
        "minescan batch", m["seconds"], m["files_per_s"], m["mb_per_s"],
        m["sensor_mb_per_s"], "" if m["status"] == 0 else "  (exit %d)" % m["status"]))
    print("  %-44s %8.2f %8.2f %9.2f %12.2f%s" % (
        "numpy script, same steps, alarms.csv only", n["seconds"], n["files_per_s"],
        n["mb_per_s"], n["sensor_mb_per_s"],
        "" if n["status"] == 0 else "  (exit %d)" % n["status"]))
    print("  ratio numpy / minescan: %.2fx   (target >= %.0fx; %.2fx counting only the "
          "script's own loop, not its start-up and imports)"
          % (b["ratio_numpy_over_minescan"], r["targets"]["batch_numpy_ratio"],
             b["ratio_numpy_in_script_over_minescan"]))
    print("  the numpy script's alarms are minescan's (same cells, detectors, "
          "scores within 0.1 %%) on %d of %d files" % (b["alarms_agree_files"], b["files"]))

    c = r["recipe"]
    f = c["file"]
    print("\nthe standard chain (standard-chain.recipe) on one lane-sized file: %s" % os.path.basename(f["file"]))
    print("  radar %d x %d (%.1f MB), EMI %d x %d, file %.1f MB"
          % (f["gpr"][0], f["gpr"][1], f["radar_bytes"] / MB, f["emi"][0], f["emi"][1],
             f["file_bytes"] / MB))
    for x in c["minescan"]:
        t = x["summary"].get("timing") or {}
        name = "minescan run %s -> %s" % (x["device_option"],
                                          x["summary"].get("device_name") or "?")
        print("  %-62.62s %7.2f s  (read %.2f, render %.2f)%s" % (
            name, x["seconds"], t.get("read_seconds") or 0, t.get("render_seconds") or 0,
            "" if x["status"] == 0 else "  exit %d" % x["status"]))
    print("  %-62s %7.2f s  (in-script %.2f)" % ("numpy chain, same steps, alarms.csv only",
                                               c["numpy"]["seconds"],
                                               c["numpy"]["inner_seconds"] or 0))
    print("  ratio numpy / minescan: %.2fx (best path), %.2fx (default device); "
          "alarms agree: %s" % (c["ratio_numpy_over_best"], c["ratio_numpy_over_default"],
                                "yes" if c["alarms_agree"] else "no"))
    for x in c["minescan"]:
        st = x["summary"].get("stages") or []
        if st and x["device_option"] != "default":
            print("  per stage (s, summary.json) %s: " % x["device_option"] +
                  ", ".join("%s %.2f" % (s["stage"], s["seconds"] or 0) for s in st))
    mem = r["memory"]
    print("\npeak resident memory of minescan run over the file's radar data "
          "(target <= %.0fx; %s)" % (r["targets"]["peak_rss_over_radar_bytes"],
                                      mem["measured_with"]))
    for key, label in (("lane_sized", "lane-sized file"),
                       ("largest_tune_lane", "largest tune lane")):
        x = mem[key]
        print("  %-18s %-24s radar %5.1f MB: " % (label, os.path.basename(x["file"]),
                                                  x["radar_bytes"] / MB) +
              ", ".join("%s %.1f MB = %.1fx" % (y["device_option"] if y["device_option"] != "default"
                                                else "default (%s)" % y["device"],
                                                y["peak_rss_bytes"] / MB, y["ratio"])
                        for y in x["runs"]))
    print("  for scale: " + ", ".join("%s %.1f MB" % (k, v / MB)
                                      for k, v in mem["baseline_rss_bytes"].items()))


if __name__ == "__main__":
    sys.exit(main())
