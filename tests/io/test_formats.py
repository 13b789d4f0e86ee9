#!/usr/bin/python3
"""`minescan import` (and info/run/batch on the same files) against radar
field formats written by tests/io/formats_writers.py, an independent writer
per format: GSSI DZT (8-, 16- and 32-bit, two channels, rh_data 128, scan
header words, time mode), Sensors & Software DT1 + HD (shuffled lines,
feet, float samples, lower-case names), MALA .rd3/.rd7 + .rad, SEG-Y, and
parallel lines. The imported recording must hold exactly the samples and
positions written. Corrupted and truncated headers must give exit 2 and
one line, never a crash. A simulated cart survey exported line by line to
DT1 and imported back must give the alarms of the original.

Environment: MINESCAN (the CLI), MINESCAN_TEST_TMP (scratch folder),
MINESCAN_SOURCE_DIR (to find build/datasets through the CLI's folder).
"""
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import formats_writers as fw  # noqa: E402

MINESCAN = os.environ.get("MINESCAN", "minescan")
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"),
                   "test_formats")
DATASETS = os.path.join(os.path.dirname(os.path.abspath(MINESCAN)),
                        "datasets")


def run(*args):
    e = dict(os.environ)
    e.pop("MINESCAN_FAULT", None)
    e.pop("MINESCAN_DEVICE", None)
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          env=e, timeout=600)


def gpr(path):
    with h5py.File(path, "r") as f:
        g = f["gpr"]
        out = {k: g[k][()] for k in ("data", "x", "y")}
        out.update({k: float(v) for k, v in g.attrs.items()
                    if k in ("sample_interval_s", "time_zero_s",
                             "centre_frequency_hz")})
        src = f.get("source")
        out["source"] = dict(src.attrs) if src is not None else {}
        out["header"] = dict(src["header"].attrs) if src is not None else {}
        return out


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = os.path.join(TMP, cls.__name__)
        shutil.rmtree(cls.dir, ignore_errors=True)
        os.makedirs(cls.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def imported(self, src, *opts, name=None):
        out = self.path((name or os.path.basename(src)) + ".h5")
        r = run("import", src, "-o", out, *opts)
        self.assertEqual(r.returncode, 0, r.stderr)
        return gpr(out), r

    def refused(self, *args, contains=""):
        r = run(*args)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(contains, lines[0])
        return lines[0]


class DZT(Base):
    def raw(self, bits, shape, seed=1):
        rng = np.random.default_rng(seed)
        if bits == 32:
            return rng.integers(-2 ** 31, 2 ** 31, shape, dtype=np.int64)
        return rng.integers(0, 2 ** bits, shape)

    def test_8_16_32_bit(self):
        for bits in (8, 16, 32):
            with self.subTest(bits=bits):
                raw = self.raw(bits, (1, 40, 96), seed=bits)
                src = self.path(f"b{bits}.DZT")
                fw.write_dzt(src, raw, bits=bits, spm=50.0, range_ns=24.0,
                             antennas=("50400S",))
                g, _ = self.imported(src)
                mid = {8: 128, 16: 32768, 32: 0}[bits]
                want = (raw[0] - mid).astype(np.float64)
                # int32 samples are SIGNED: read unsigned they would differ
                if bits == 32:
                    self.assertTrue((raw < 0).any())
                np.testing.assert_array_equal(
                    g["data"].astype(np.float64), want.astype(np.float32))
                np.testing.assert_allclose(g["x"], np.arange(40) / 50.0,
                                           rtol=0, atol=1e-12)
                self.assertTrue((g["y"] == 0).all())
                self.assertAlmostEqual(g["sample_interval_s"],
                                       24e-9 / 96, delta=1e-21)
                self.assertEqual(g["centre_frequency_hz"], 400e6)
                self.assertEqual(g["source"]["antenna"], "50400S")
                self.assertEqual(g["header"]["rh_bits"], str(bits))

    def test_two_channels_interleaved(self):
        raw = self.raw(16, (2, 30, 64), seed=5)
        src = self.path("two.dzt")
        fw.write_dzt(src, raw, antennas=("3101", "62000"))
        g1, _ = self.imported(src, name="two_ch1")
        g2, _ = self.imported(src, "--channel", "2", name="two_ch2")
        np.testing.assert_array_equal(g1["data"], raw[0] - 32768)
        np.testing.assert_array_equal(g2["data"], raw[1] - 32768)
        self.assertEqual(g1["centre_frequency_hz"], 900e6)
        self.assertEqual(g2["centre_frequency_hz"], 2000e6)
        self.refused("import", src, "-o", self.path("x.h5"), "--channel",
                     "3", contains="--channel 3")

    def test_rh_data_128_puts_data_at_128k(self):
        raw = self.raw(16, (1, 20, 50), seed=7)
        src = self.path("rh128.dzt")
        fw.write_dzt(src, raw, rh_data=128)
        self.assertEqual(os.path.getsize(src), 128 * 1024 + 20 * 50 * 2)
        g, _ = self.imported(src)
        np.testing.assert_array_equal(g["data"], raw[0] - 32768)

    def test_header_words_dropped_and_said(self):
        raw = self.raw(16, (1, 25, 64), seed=9)
        raw[0, :, 0] = 0xFFFF              # constant word
        raw[0, :, 1] = 1000 + np.arange(25)  # scan counter
        src = self.path("words.dzt")
        fw.write_dzt(src, raw)
        g, r = self.imported(src)
        self.assertEqual(g["data"].shape, (25, 62))
        np.testing.assert_array_equal(g["data"], raw[0, :, 2:] - 32768)
        self.assertIn("scan header words", r.stderr)
        g, r = self.imported(src, "--keep-header-words", name="kept")
        self.assertEqual(g["data"].shape, (25, 64))
        # random data has no such words: nothing dropped
        raw = self.raw(16, (1, 25, 64), seed=10)
        fw.write_dzt(self.path("nowords.dzt"), raw)
        g, r = self.imported(self.path("nowords.dzt"))
        self.assertEqual(g["data"].shape, (25, 64))
        self.assertNotIn("header words", r.stderr)

    def test_time_mode_needs_dx(self):
        raw = self.raw(16, (1, 20, 32), seed=11)
        src = self.path("timemode.dzt")
        fw.write_dzt(src, raw, spm=0.0)
        line = self.refused("import", src, "-o", self.path("t.h5"),
                            contains="rhf_spm")
        self.assertIn("--dx", line)
        g, _ = self.imported(src, "--dx", "0.05")
        np.testing.assert_allclose(g["x"], np.arange(20) * 0.05, atol=1e-12)

    def test_time_mode_positions_from_the_dzg_track(self):
        raw = self.raw(16, (1, 21, 32), seed=14)
        stem = self.path("gps")
        fw.write_dzt(stem + ".DZT", raw, spm=0.0)
        # fixes at scans 0, 10 and 20, going north 0.01' then 0.02'
        fixes = [(0, 4530.0000), (10, 4530.0100), (20, 4530.0300)]
        with open(stem + ".DZG", "w", newline="\r\n") as f:
            for scan, lat in fixes:
                f.write(f"$GSSIS,{scan},0.0\n$GPGGA,120000.00,{lat:.4f},N,"
                        f"00700.0000,E,1,08,1.0,100.0,M,47.0,M,,*47\n\n")
        g, r = self.imported(stem + ".DZT")
        metre_per_minute = 6371000.0 * np.pi / 180 / 60
        want = np.concatenate([np.arange(11) * 0.001,
                               0.01 + np.arange(1, 11) * 0.002])
        np.testing.assert_allclose(g["x"], want * metre_per_minute,
                                   rtol=1e-6, atol=1e-6)
        self.assertIn(".DZG", r.stderr)

    def test_time_mode_positions_from_the_dzx_waypoints(self):
        """A .DZX whose waypoints carry distances gives x in time mode
        (before the .DZG's GPS track); a .DZX of user marks alone does
        not, and the line asks for --dx."""
        raw = self.raw(16, (1, 21, 32), seed=15)
        stem = self.path("dzx")
        fw.write_dzt(stem + ".DZT", raw, spm=0.0)
        way = "".join(f"<WayPt><scan>{s}</scan><mark>User</mark>"
                      f"<distance>{d}</distance></WayPt>\n"
                      for s, d in ((0, 0.0), (10, 1.0), (20, 3.0)))
        xml = ('<?xml version="1.0"?>\n<DZX xmlns="www.geophysical.com/'
               'DZX/1.02">\n<ProfileGroup><File><Profile>\n' + way +
               "</Profile></File></ProfileGroup></DZX>\n")
        with open(stem + ".DZX", "w") as f:
            f.write(xml)
        with open(stem + ".DZG", "w") as f:  # a track the DZX wins over
            f.write("$GSSIS,0,0.0\n$GPGGA,120000.00,4530.0000,N,00700.0000"
                    ",E,1,08,1.0,100.0,M,47.0,M,,*47\n$GSSIS,20,0.0\n"
                    "$GPGGA,120000.00,4531.0000,N,00700.0000,E,1,08,1.0,"
                    "100.0,M,47.0,M,,*47\n")
        g, r = self.imported(stem + ".DZT")
        want = np.concatenate([np.arange(11) * 0.1,
                               1.0 + np.arange(1, 11) * 0.2])
        np.testing.assert_allclose(g["x"], want, atol=1e-12)
        self.assertIn(".DZX", r.stderr)
        os.remove(stem + ".DZG")
        with open(stem + ".DZX", "w") as f:
            f.write(xml.replace("<distance>", "<name>")
                    .replace("</distance>", "</name>"))
        self.refused("import", stem + ".DZT", "-o", self.path("x.h5"),
                     contains="--dx")

    def test_unknown_antenna_is_a_warning(self):
        raw = self.raw(16, (1, 10, 32), seed=12)
        src = self.path("odd_antenna.dzt")
        fw.write_dzt(src, raw, antennas=("PROTO-X",))
        g, r = self.imported(src)
        self.assertNotIn("centre_frequency_hz", g)
        self.assertIn("PROTO-X", r.stderr)
        self.assertIn("--centre-frequency", r.stderr)
        g, _ = self.imported(src, "--centre-frequency", "750", name="given")
        self.assertEqual(g["centre_frequency_hz"], 750e6)

    def test_trailing_bytes_ignored_and_said(self):
        raw = self.raw(16, (1, 10, 32), seed=13)
        src = self.path("trailing.dzt")
        fw.write_dzt(src, raw, trailing=b"\x01\x02\x03")
        g, r = self.imported(src)
        np.testing.assert_array_equal(g["data"], raw[0] - 32768)
        self.assertIn("3 bytes after the last complete scan", r.stderr)


class DT1(Base):
    def test_shuffled_hd_in_feet(self):
        rng = np.random.default_rng(2)
        tr = rng.integers(-32768, 32768, (30, 80))
        pos = (np.arange(30) * 0.25).astype(np.float32)  # feet
        stem = self.path("LINE01")
        fw.write_hd_dt1(stem, tr, pos, window_ns=40.0, tz_point=11,
                        units="ft", shuffle_seed=4, freq_mhz=250)
        g, r = self.imported(stem + ".DT1")
        np.testing.assert_array_equal(g["data"], tr)
        np.testing.assert_allclose(g["x"], pos.astype(np.float64) * 0.3048,
                                   rtol=0, atol=1e-12)
        self.assertAlmostEqual(g["sample_interval_s"], 0.5e-9, delta=1e-20)
        self.assertAlmostEqual(g["time_zero_s"], 10 * 0.5e-9, delta=1e-20)
        self.assertEqual(g["centre_frequency_hz"], 250e6)
        self.assertIn("'ft' converted to metres", r.stderr)
        self.assertEqual(g["header"]["POSITION UNITS"], "ft")

    def test_float_samples_lower_case_names_and_hd_given(self):
        rng = np.random.default_rng(3)
        tr = rng.standard_normal((12, 40)).astype(np.float32)
        pos = np.linspace(1.0, 3.2, 12).astype(np.float32)
        stem = self.path("line02")
        fw.write_hd_dt1(stem, tr, pos, float_samples=True, ext=("hd", "dt1"))
        for given in (stem + ".dt1", stem + ".hd"):
            g, _ = self.imported(given, name=os.path.basename(given) + "_")
            np.testing.assert_array_equal(g["data"], tr)
            np.testing.assert_array_equal(g["x"], pos.astype(np.float64))

    def test_truncated_and_huge_counts(self):
        tr = np.zeros((10, 40), np.int16)
        pos = np.arange(10, dtype=np.float32)
        stem = self.path("trunc")
        fw.write_hd_dt1(stem, tr, pos)
        with open(stem + ".DT1", "r+b") as f:
            f.truncate(os.path.getsize(stem + ".DT1") - 7)
        self.refused("import", stem + ".DT1", "-o", self.path("t.h5"),
                     contains="NUMBER OF TRACES")
        stem = self.path("huge")
        fw.write_hd_dt1(stem, tr, pos, n_traces_field=2 ** 31)
        self.refused("import", stem + ".DT1", "-o", self.path("h.h5"),
                     contains="NUMBER OF TRACES")


class MALA(Base):
    def test_rd3_and_rd7(self):
        rng = np.random.default_rng(4)
        for bps, ext in ((2, "rd3"), (4, "rd7")):
            with self.subTest(ext=ext):
                hi = 2 ** (8 * bps - 1)
                tr = rng.integers(-hi, hi, (25, 70), dtype=np.int64)
                stem = self.path(f"mala_{ext}")
                fw.write_mala(stem, tr, bytes_per_sample=bps,
                              freq_mhz=20000.0, dist=0.025,
                              antennas="MALA 800MHz")
                g, _ = self.imported(f"{stem}.{ext}")
                # .rd7 is int32: read as int16 it would have twice the
                # traces and other values
                np.testing.assert_array_equal(g["data"],
                                              tr.astype(np.float32))
                np.testing.assert_allclose(g["x"], np.arange(25) * 0.025,
                                           atol=1e-12)
                self.assertAlmostEqual(g["sample_interval_s"], 0.05e-9,
                                       delta=1e-21)
                self.assertEqual(g["centre_frequency_hz"], 800e6)
                g2, _ = self.imported(f"{stem}.rad", name=f"{ext}_rad")
                np.testing.assert_array_equal(g2["data"], g["data"])

    def test_time_mode_needs_dx(self):
        tr = np.ones((5, 20), np.int64)
        stem = self.path("mala_time")
        fw.write_mala(stem, tr, dist=0)
        line = self.refused("import", stem + ".rd3", "-o",
                            self.path("t.h5"), contains="DISTANCE INTERVAL")
        self.assertIn("--dx", line)
        g, _ = self.imported(stem + ".rd3", "--dx", "0.1")
        np.testing.assert_allclose(g["x"], np.arange(5) * 0.1, atol=1e-12)

    def test_time_mode_positions_from_the_cor_track(self):
        """DISTANCE INTERVAL 0 and a .cor beside the data: x is the
        distance along the GPS fixes, interpolated per trace; --dx still
        wins; a .cor with no readable fix leaves the line asking for
        --dx."""
        rng = np.random.default_rng(22)
        stem = self.path("cor_line")
        fw.write_mala(stem, rng.integers(-2000, 2000, (21, 32)), dist=0)
        # fixes at traces 1, 11 and 21 (0-based 0, 10, 20), going south
        # 1e-5 degree then 2e-5
        fw.write_mala_cor(stem + ".cor", [(1, -33.0, 151.0),
                                          (11, -33.00001, 151.0),
                                          (21, -33.00003, 151.0)])
        g, r = self.imported(stem + ".rd3")
        metre_per_degree = 6371000.0 * np.pi / 180
        want = np.concatenate([np.arange(11) * 1e-6,
                               1e-5 + np.arange(1, 11) * 2e-6])
        np.testing.assert_allclose(g["x"], want * metre_per_degree,
                                   rtol=1e-6, atol=1e-6)
        self.assertIn(".cor", r.stderr)
        g, _ = self.imported(stem + ".rd3", "--dx", "0.1", name="cor_dx")
        np.testing.assert_allclose(g["x"], np.arange(21) * 0.1, atol=1e-12)
        with open(stem + ".cor", "w") as f:
            f.write("not a fix\n1\t2026-12-02\t12:00\tx\tN\t1\tE\n")
        self.refused("import", stem + ".rd3", "-o", self.path("c.h5"),
                     contains="--dx")

    def test_last_trace_beyond_the_data(self):
        tr = np.ones((5, 20), np.int64)
        stem = self.path("mala_short")
        fw.write_mala(stem, tr, last_trace=9)
        self.refused("import", stem + ".rd3", "-o", self.path("s.h5"),
                     contains="LAST TRACE")


class SEGY(Base):
    def test_ieee_and_ibm(self):
        rng = np.random.default_rng(6)
        # values exact in IBM float too (small integers over a power of 2)
        tr = (rng.integers(-4096, 4096, (15, 200)) / 64.0).astype(np.float32)
        xs = np.arange(15) * 0.04
        for fmt in (5, 1):
            with self.subTest(fmt=fmt):
                src = self.path(f"line_{fmt}.SGY")
                # 100 ps: GPR exports write picoseconds in the field
                fw.write_segy(src, tr, xs, interval=100, fmt=fmt)
                g, r = self.imported(src)
                np.testing.assert_array_equal(g["data"], tr)
                np.testing.assert_allclose(g["x"], xs, atol=1e-9)
                self.assertAlmostEqual(g["sample_interval_s"], 100e-12,
                                       delta=1e-24)
                self.assertIn("picoseconds", r.stderr)


    def test_little_endian(self):
        """Little-endian files (segyio's writer, no byte-order constant):
        the order comes from the plausible format code and sample count."""
        rng = np.random.default_rng(16)
        tr = (rng.integers(-4096, 4096, (12, 150)) / 64.0).astype(np.float32)
        xs = np.arange(12) * 0.05
        # not int16: Debian's segyio 1.8.3 swaps 4-byte words in a little-
        # endian int16 file (sample pairs change places); the hand-written
        # writer covers int16 below
        for fmt, data in ((5, tr), (1, tr)):
            with self.subTest(fmt=fmt):
                src = self.path(f"le_{fmt}.sgy")
                fw.write_segy(src, data, xs, interval=100, fmt=fmt,
                              endian="little")
                with open(src, "rb") as f:  # really little-endian
                    f.seek(3224)
                    self.assertEqual(f.read(2), bytes([fmt, 0]))
                g, r = self.imported(src)
                np.testing.assert_array_equal(g["data"], data)
                np.testing.assert_allclose(g["x"], xs, atol=1e-9)
                self.assertIn("little-endian", r.stderr)
                self.assertEqual(g["header"]["byte_order"], "little-endian")
        # the same samples big-endian: not called little-endian
        fw.write_segy(self.path("be.sgy"), tr, xs, interval=100)
        g, r = self.imported(self.path("be.sgy"))
        np.testing.assert_array_equal(g["data"], tr)
        self.assertEqual(g["header"]["byte_order"], "big-endian")

    def test_rev2_extended_fields_both_orders(self):
        """rev 2: 70000 samples (more than the 16-bit field holds) from
        byte 3269, a 100 ps interval as a double in microseconds from byte
        3273, the byte order from the constant at 3297, the first trace
        at the offset of byte 3521."""
        rng = np.random.default_rng(17)
        ns = 70000
        tr = (rng.integers(-4096, 4096, (3, ns)) / 64.0).astype(np.float32)
        xs = np.arange(3) * 0.1
        for order in (">", "<"):
            with self.subTest(order=order):
                src = self.path(f"rev2_{'be' if order == '>' else 'le'}.sgy")
                fw.write_segy_struct(src, tr, xs, order=order, rev2=True,
                                     samples_field=0, ext_samples=ns,
                                     interval=0, ext_interval=1e-4,
                                     order_constant=True,
                                     first_trace_offset=4400)
                g, r = self.imported(src)
                np.testing.assert_array_equal(g["data"], tr)
                np.testing.assert_allclose(g["x"], xs, atol=1e-9)
                self.assertAlmostEqual(g["sample_interval_s"], 1e-10,
                                       delta=1e-22)
                self.assertIn("revision 2.0", g["source"]["detail"])
                self.assertIn("extended sample count and interval",
                              g["source"]["detail"])
                self.assertNotIn("picoseconds", r.stderr)
        # int16 little-endian rev 1 written by hand, no constant
        ints = rng.integers(-30000, 30000, (5, 40))
        src = self.path("le_int16.sgy")
        fw.write_segy_struct(src, ints, np.arange(5) * 0.2, order="<",
                             fmt=3, interval=2)
        g, r = self.imported(src)
        np.testing.assert_array_equal(g["data"], ints)
        self.assertAlmostEqual(g["sample_interval_s"], 2e-6, delta=1e-18)
        # a rev 2 sample count beyond what minescan reads: one line
        fw.write_segy_struct(self.path("huge.sgy"), tr[:, :10], xs,
                             rev2=True, ext_samples=2 ** 31, interval=1)
        self.refused("import", self.path("huge.sgy"), "-o",
                     self.path("huge.h5"), contains="byte 3269")


class GprMax(Base):
    def test_import_is_import_gprmax(self):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import test_gprmax
        src = self.path("model.out")
        test_gprmax.write_gprmax(src, version=3, rxsteps=(3, 0, 0))
        a, _ = self.imported(src, name="via_import")
        r = run("import-gprmax", src, "-o", self.path("via_old.h5"))
        self.assertEqual(r.returncode, 0, r.stderr)
        b = gpr(self.path("via_old.h5"))
        np.testing.assert_array_equal(a["data"], b["data"])
        np.testing.assert_array_equal(a["x"], b["x"])


class Lines(Base):
    def test_parallel_lines(self):
        rng = np.random.default_rng(8)
        parts = []
        for i in range(3):
            tr = rng.integers(-1000, 1000, (10 + i, 30))
            pos = (np.arange(10 + i) * 0.1).astype(np.float32)
            fw.write_hd_dt1(self.path(f"grid_{i}"), tr, pos)
            parts.append((tr, pos))
        files = [self.path(f"grid_{i}.DT1") for i in range(3)]
        # the .HD files given too (a shell glob of grid_*) are skipped
        hds = [self.path(f"grid_{i}.HD") for i in range(3)]
        out = self.path("grid.h5")
        r = run("import", *files, *hds, "--line-spacing", "0.2", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        g = gpr(out)
        np.testing.assert_array_equal(
            g["data"], np.concatenate([p[0] for p in parts]))
        np.testing.assert_allclose(
            g["y"], np.concatenate([np.full(10 + i, 0.2 * i)
                                    for i in range(3)]), atol=1e-12)
        np.testing.assert_array_equal(
            g["x"], np.concatenate([p[1] for p in parts]).astype(float))
        out2 = self.path("grid_y.h5")
        r = run("import", *files, "--y", "1,1.5,3", "-o", out2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(set(gpr(out2)["y"])), [1.0, 1.5, 3.0])
        self.refused("import", *files, "--y", "1,2", "-o",
                     self.path("bad.h5"), contains="--y")
        self.refused("import", *files, "-o", self.path("several.h5"),
                     contains="--line-spacing")
        r = run("import", *files, "-o", self.path("each"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.path("each"))),
                         ["grid_0.h5", "grid_1.h5", "grid_2.h5"])


class Direct(Base):
    """info, run and batch on field files, converted on the fly."""

    def test_info_run_batch(self):
        rng = np.random.default_rng(10)
        raw = rng.integers(30000, 35000, (1, 120, 64))
        src = self.path("direct.dzt")
        fw.write_dzt(src, raw, spm=40.0, antennas=("51600S",))
        r = run("info", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("GSSI DZT", r.stdout)
        self.assertIn("120 traces x 64 samples", r.stdout)
        self.assertIn("read as GSSI DZT", r.stderr)
        j = json.loads(run("info", "--json", src).stdout)
        self.assertEqual(j["source_format"], "GSSI DZT")
        self.assertEqual(j["gpr"]["n_traces"], 120)
        self.assertTrue(any("subtracting 32768" in w for w in j["warnings"]))
        out = self.path("run_out")
        r = run("run", src, "-o", out, "--recipe", "gpr", "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        for f in ("bscan.png", "heatmap.png", "alarms.csv", "summary.json"):
            self.assertTrue(os.path.exists(os.path.join(out, f)), f)
        stem = self.path("direct_mala")
        fw.write_mala(stem, rng.integers(-2000, 2000, (80, 64)))
        bad = self.path("broken.dzt")
        with open(bad, "wb") as f:
            f.write(b"\xff\x00" + b"\x00" * 100)
        r = run("batch", src, stem + ".rd3", bad, "-o", self.path("batch"),
                "--recipe", "gpr", "--device", "cpu", "-j", "1", "--quiet")
        self.assertEqual(r.returncode, 1, r.stderr)
        with open(os.path.join(self.path("batch"), "batch.csv")) as f:
            rows = {os.path.basename(x["input"]): x["status"]
                    for x in csv.DictReader(f)}
        self.assertEqual(rows["direct.dzt"], "ok")
        self.assertEqual(rows["direct_mala.rd3"], "ok")
        self.assertNotEqual(rows["broken.dzt"], "ok")
        self.refused("info", bad, contains="broken.dzt")

    def test_batch_leaves_out_named_sidecars(self):
        """batch LINE.DT1 LINE.HD (a shell glob LINE.*) is one recording:
        the sidecar named beside its data file is not a second input, in
        either order; a header named alone is still processed."""
        rng = np.random.default_rng(21)
        d = self.path("sidecars")
        os.makedirs(d, exist_ok=True)
        fw.write_hd_dt1(os.path.join(d, "LINE"),
                        rng.integers(-2000, 2000, (60, 64)),
                        (np.arange(60) * 0.02).astype(np.float32))
        fw.write_hd_dt1(os.path.join(d, "alone"),
                        rng.integers(-2000, 2000, (60, 64)),
                        (np.arange(60) * 0.02).astype(np.float32))
        fw.write_mala(os.path.join(d, "m"),
                      rng.integers(-2000, 2000, (60, 64)))
        fw.write_dzt(os.path.join(d, "g.DZT"),
                     rng.integers(30000, 35000, (1, 60, 64)))
        with open(os.path.join(d, "g.DZG"), "w") as f:
            f.write("$GSSIS,0,0.0\n")
        fw.write_mala_cor(os.path.join(d, "m.cor"), [(1, 59.3, 18.0)])
        inputs = [os.path.join(d, n) for n in
                  ("LINE.HD", "LINE.DT1", "m.rd3", "m.rad", "m.cor",
                   "g.DZG", "g.DZT", "alone.HD")]
        out = self.path("sidecar_batch")
        r = run("batch", *inputs, "-o", out, "--recipe", "gpr", "--device",
                "cpu", "-j", "1", "--verbose")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rows = self.batch_rows(out)
        self.assertEqual(sorted(rows), ["LINE.DT1", "alone.HD", "g.DZT",
                                        "m.rd3"])
        self.assertEqual({v["status"] for v in rows.values()}, {"ok"})
        self.assertIn("4 header/GPS sidecar", r.stdout)

    def batch_rows(self, out):
        with open(os.path.join(out, "batch.csv")) as f:
            return {os.path.basename(x["input"]): x
                    for x in csv.DictReader(f)}

    def test_time_mode_files_take_dx(self):
        """A DZT with rhf_spm 0 and a .rd3 with DISTANCE INTERVAL 0 go
        through info, run and batch directly with --dx; without it, one
        line that asks for it. --dx counts in batch's skip check."""
        rng = np.random.default_rng(20)
        src = self.path("tm.dzt")
        fw.write_dzt(src, rng.integers(30000, 35000, (1, 90, 64)), spm=0.0)
        stem = self.path("tm_mala")
        fw.write_mala(stem, rng.integers(-2000, 2000, (70, 64)), dist=0)
        for f in (src, stem + ".rd3"):
            with self.subTest(f=f):
                line = self.refused("run", f, "-o", self.path("tm_no_dx"),
                                    "--recipe", "gpr", "--device", "cpu",
                                    contains=os.path.basename(f))
                self.assertIn("--dx", line)
                self.assertIn("run", line)
                self.refused("info", f, contains="--dx")
                j = json.loads(run("info", "--json", "--dx", "0.04",
                                   f).stdout)
                self.assertEqual(j["problems"], [])
                ext = j["gpr"]["extent"]
                self.assertAlmostEqual(ext["x_max"] - ext["x_min"],
                                       (j["gpr"]["n_traces"] - 1) * 0.04,
                                       places=9)
        out = self.path("tm_run")
        r = run("run", src, "-o", out, "--dx", "0.04", "--recipe", "gpr",
                "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            self.assertEqual(json.load(f)["input"]["dx_m"], 0.04)
        with h5py.File(os.path.join(out, "maps.h5"), "r") as f:
            self.assertTrue(len(f.keys()) > 0)
        self.refused("run", src, "-o", out, "--dx", "-1", contains="--dx")

        bout = self.path("tm_batch")
        common = ("-o", bout, "--recipe", "gpr", "--device", "cpu", "-j",
                  "1", "--quiet")
        r = run("batch", src, stem + ".rd3", *common)
        self.assertEqual(r.returncode, 1, r.stderr)
        rows = self.batch_rows(bout)
        for name in ("tm.dzt", "tm_mala.rd3"):
            self.assertEqual(rows[name]["status"], "failed", rows[name])
            self.assertIn("--dx", rows[name]["reason"])
        r = run("batch", src, stem + ".rd3", "--dx", "0.04", *common)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({k: v["status"] for k, v in
                          self.batch_rows(bout).items()},
                         {"tm.dzt": "ok", "tm_mala.rd3": "ok"})
        # the same --dx: current, skipped; another: the positions change,
        # processed again
        r = run("batch", src, stem + ".rd3", "--dx", "0.04", *common)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({v["status"] for v in self.batch_rows(bout).values()},
                         {"skipped"})
        r = run("batch", src, stem + ".rd3", "--dx", "0.05", *common)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({v["status"] for v in self.batch_rows(bout).values()},
                         {"ok"})
        summ = os.path.join(self.batch_rows(bout)["tm_mala.rd3"]
                            ["output_dir"], "summary.json")
        with open(summ) as f:
            self.assertEqual(json.load(f)["input"]["dx_m"], 0.05)


class Fuzz(Base):
    """Random field corruption and truncation of valid headers: exit 0 or
    2, and for 2 exactly one line naming the file; never a crash."""

    def valid_files(self):
        rng = np.random.default_rng(12)
        fw.write_dzt(self.path("f.dzt"), rng.integers(0, 65536, (2, 12, 32)))
        fw.write_hd_dt1(self.path("f"), rng.integers(-99, 99, (12, 32)),
                        np.arange(12, dtype=np.float32))
        fw.write_mala(self.path("m"), rng.integers(-99, 99, (12, 32)))
        fw.write_segy(self.path("f.sgy"), rng.standard_normal((12, 32)),
                      np.arange(12) * 0.1)
        # (file to corrupt, file to import, header region to hit)
        return [("f.dzt", "f.dzt", 1024 * 2), ("f.HD", "f.DT1", 400),
                ("f.DT1", "f.DT1", 256), ("m.rad", "m.rd3", 500),
                ("f.sgy", "f.sgy", 3600 + 480)]

    def test_corrupted_headers(self):
        rnd = random.Random(1234)
        n = int(os.environ.get("MINESCAN_FUZZ_N", "25"))
        for target, given, region in self.valid_files():
            with open(self.path(target), "rb") as f:
                orig = f.read()
            codes = []
            for k in range(n):
                b = bytearray(orig)
                mode = k % 3
                if mode == 0:  # random bytes in the header
                    for _ in range(rnd.randint(1, 6)):
                        i = rnd.randrange(min(region, len(b)))
                        b[i] = rnd.randrange(256)
                elif mode == 1:  # truncation
                    b = b[:rnd.randrange(len(b))]
                else:  # a count field set to a huge or negative value
                    i = rnd.randrange(0, min(region, len(b)) - 4)
                    b[i:i + 4] = rnd.choice([b"\xff\xff\xff\x7f",
                                             b"\x00\x00\x00\x80",
                                             b"\xff\xff\xff\xff",
                                             b"9999"])
                with open(self.path(target), "wb") as f:
                    f.write(b)
                r = run("import", self.path(given), "-o",
                        self.path("fz.h5"))
                codes.append(r.returncode)
                with self.subTest(target=target, k=k):
                    self.assertIn(r.returncode, (0, 2), r.stderr)
                    if r.returncode == 2:
                        lines = r.stderr.strip().splitlines()
                        self.assertEqual(len(lines), 1, r.stderr)
                        self.assertIn(os.path.basename(given).split(".")[0],
                                      lines[0])
                        self.assertNotIn("crash", lines[0])
            with open(self.path(target), "wb") as f:
                f.write(orig)
            # the corruptions must have been noticed at least sometimes
            self.assertIn(2, codes, target)


@unittest.skipUnless(os.path.exists(os.path.join(DATASETS, "cart-dual.h5")),
                     "build/datasets/cart-dual.h5 not built")
class RoundTrip(Base):
    """cart-dual (21 straight cart lines 5 cm apart) exported line by line
    to DT1 with float32 samples, imported back as parallel lines: the gpr
    recipe's alarms equal the original's (float32 samples are exact, NaN
    samples stay missing; only the positions pass through float32)."""

    def alarms(self, path, name):
        out = self.path(name)
        r = run("run", path, "-o", out, "--recipe", "gpr", "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "alarms.csv")) as f:
            return [(float(a["x_m"]), float(a["y_m"]), float(a["score"]))
                    for a in csv.DictReader(f)]

    def test_dt1_lines_give_the_same_alarms(self):
        with h5py.File(os.path.join(DATASETS, "cart-dual.h5"), "r") as f:
            g = f["gpr"]
            data, x, y = g["data"][()], g["x"][()], g["y"][()]
            attrs = dict(g.attrs)
        dt = attrs["sample_interval_s"]
        ref = self.path("reference.h5")  # the radar alone, no lane
        with h5py.File(ref, "w") as f:
            f.attrs["format"] = "minescan-recording"
            f.attrs["format_version"] = 1
            r = f.create_group("gpr")
            for k, v in attrs.items():
                r.attrs[k] = v
            r["data"], r["x"], r["y"] = data, x, y
        ys = sorted(set(np.round(y, 6)))
        spacing = ys[1] - ys[0]
        files = []
        start = 0
        for i, yl in enumerate(ys):
            idx = np.nonzero(np.round(y, 6) == yl)[0]
            # lines are contiguous and in order, so the import keeps the
            # trace order (background removal works along it)
            self.assertEqual(idx[0], start)
            self.assertTrue((np.diff(idx) == 1).all())
            start = idx[-1] + 1
            self.assertAlmostEqual(yl, i * spacing, places=9)
            stem = self.path(f"cart_{i:02d}")
            fw.write_hd_dt1(stem, data[idx], x[idx].astype(np.float32),
                            window_ns=data.shape[1] * dt * 1e9,
                            tz_point=attrs["time_zero_s"] / dt + 1,
                            freq_mhz=attrs["centre_frequency_hz"] / 1e6,
                            float_samples=True)
            files.append(stem + ".DT1")
        out = self.path("cart_imported.h5")
        r = run("import", *files, "--line-spacing", repr(spacing), "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        a_ref = self.alarms(ref, "run_ref")
        a_imp = self.alarms(out, "run_imp")
        self.assertGreater(len(a_ref), 0)
        self.assertEqual(len(a_ref), len(a_imp), (a_ref, a_imp))
        for (x0, y0, s0), (x1, y1, s1) in zip(a_ref, a_imp):
            self.assertAlmostEqual(x0, x1, delta=0.011)
            self.assertAlmostEqual(y0, y1, delta=0.011)
            self.assertAlmostEqual(s0, s1, delta=1e-5 * abs(s0))

    def test_dzt32_lines_give_the_same_alarms(self):
        """The same survey exported line by line to 32-bit GSSI DZT (signed
        int32 samples scaled by 2^31 / 2 over the peak, rh_nsamp 128,
        rhf_range the window, rhf_position minus the time zero, rhf_spm 50
        for 2 cm traces, an antenna name the table does not know with the
        centre frequency given by --centre-frequency) and imported
        back as parallel lines gives the reference's alarms, within the
        quantisation. A DZT holds neither missing samples nor decreasing
        positions: the reference has its missing samples at 0 and its
        back-and-forth lines turned to run forward (trace order reversed),
        as the export writes them."""
        with h5py.File(os.path.join(DATASETS, "cart-dual.h5"), "r") as f:
            g = f["gpr"]
            data, x, y = g["data"][()], g["x"][()], g["y"][()]
            attrs = dict(g.attrs)
        dt = attrs["sample_interval_s"]
        data = np.nan_to_num(data, nan=0.0)
        ys = sorted(set(np.round(y, 6)))
        spacing = ys[1] - ys[0]
        scale = 2.0 ** 30 / np.abs(data).max()
        lines = []
        for i, yl in enumerate(ys):
            idx = np.nonzero(np.round(y, 6) == yl)[0]
            if x[idx[-1]] < x[idx[0]]:
                idx = idx[::-1]
            xl = x[idx]
            self.assertAlmostEqual(xl[0], 0.0, places=9)
            np.testing.assert_allclose(np.diff(xl), 0.02, atol=1e-9)
            lines.append(idx)
        order = np.concatenate(lines)
        ref = self.path("dzt_reference.h5")
        with h5py.File(ref, "w") as f:
            f.attrs["format"] = "minescan-recording"
            f.attrs["format_version"] = 1
            r = f.create_group("gpr")
            for k, v in attrs.items():
                r.attrs[k] = v
            r["data"], r["x"], r["y"] = data[order], x[order], y[order]
        files = []
        for i, idx in enumerate(lines):
            raw = np.round(data[idx] * scale).astype(np.int64)
            src = self.path(f"cart_{i:02d}.DZT")
            fw.write_dzt(src, raw[None], bits=32, spm=50.0,
                         range_ns=data.shape[1] * dt * 1e9,
                         position_ns=-attrs["time_zero_s"] * 1e9,
                         antennas=("unknown",))
            files.append(src)
        out = self.path("cart_dzt.h5")
        r = run("import", *files, "--line-spacing", repr(spacing),
                "--centre-frequency",
                repr(attrs["centre_frequency_hz"] / 1e6),
                "--keep-header-words", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        imp = gpr(out)
        self.assertEqual(imp["data"].shape, data.shape)
        self.assertAlmostEqual(imp["sample_interval_s"], dt, delta=1e-9 * dt)
        self.assertAlmostEqual(imp["time_zero_s"], attrs["time_zero_s"],
                               delta=1e-15)
        # int32 samples, signed, exact up to float32's rounding
        np.testing.assert_allclose(imp["data"] / scale, data[order],
                                   rtol=0, atol=2e-7)
        a_ref = self.alarms(ref, "run_dzt_ref")
        a_imp = self.alarms(out, "run_dzt_imp")
        self.assertGreater(len(a_ref), 0)
        self.assertEqual(len(a_ref), len(a_imp), (a_ref, a_imp))
        for (x0, y0, s0), (x1, y1, s1) in zip(a_ref, a_imp):
            self.assertAlmostEqual(x0, x1, delta=0.011)
            self.assertAlmostEqual(y0, y1, delta=0.011)
            self.assertAlmostEqual(s0, s1, delta=1e-4 * abs(s0))


if __name__ == "__main__":
    unittest.main()
