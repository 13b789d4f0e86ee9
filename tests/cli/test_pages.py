"""The lane page and the evidence panels, read as a trainer's browser and
a PNG reader see them: the page leads with the answer, escapes every
string that comes from the recording, loads only files beside it and
prints on A4 landscape; each evidence panel marks its target at the pixel
its position predicts, and shows a window of the nearest sweep, not the
whole track."""
import html
import json
import os
import re
import shutil
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from test_run import png_text, run  # noqa: E402

TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_pages")
EVIL_ID = "<script>alert(1)</script>"
EVIL_TITLE = 'Lane "A" & <b>B</b> <img src=x onerror=alert(2)>'


def read_png(path):
    """8-bit RGB or RGBA PNG pixels as an array [h, w, channels], decoded
    here (no imaging library in Debian's python3 set)."""
    import struct
    import zlib
    with open(path, "rb") as f:
        data = f.read()
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = bpp * w
    out = np.zeros((h, stride), np.uint8)
    prev = bytes(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if ft == 0:
            cur = line
        elif ft == 1:  # Sub: a running sum per channel
            a = np.frombuffer(line, np.uint8).reshape(w, bpp)
            cur = (np.cumsum(a, axis=0, dtype=np.int64) & 255).astype(
                np.uint8).tobytes()
        elif ft == 2:  # Up
            cur = ((np.frombuffer(line, np.uint8).astype(np.int32) +
                    np.frombuffer(prev, np.uint8)) & 255).astype(
                        np.uint8).tobytes()
        else:  # Average, Paeth: left to right, in plain Python
            c = bytearray(stride)
            for i in range(stride):
                a = c[i - bpp] if i >= bpp else 0
                b = prev[i]
                if ft == 3:
                    p = (a + b) >> 1
                else:
                    cc = prev[i - bpp] if i >= bpp else 0
                    pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                    p = a if pa <= pb and pa <= pc else b if pb <= pc else cc
                c[i] = (line[i] + p) & 255
            cur = bytes(c)
        out[y] = np.frombuffer(cur, np.uint8)
        prev = cur
    return out.reshape(h, w, bpp)


def make_lane(path, seed, **attrs):
    r = run("simulate", "-o", path, "--seed", str(seed), "--length", "3",
            "--marks", "--quiet")
    assert r.returncode == 0, r.stderr
    with h5py.File(path, "r+") as f:
        for k, v in attrs.items():
            f.attrs[k] = v


class PageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        cls.lane = os.path.join(TMP, "lane.h5")
        make_lane(cls.lane, 11, operator_id=EVIL_ID, title=EVIL_TITLE,
                  lane_id="L-7", recorded_at="2026-11-30T09:15:00Z")
        cls.out = os.path.join(TMP, "out")
        r = run("run", cls.lane, "-o", cls.out, "--device", "cpu")
        assert r.returncode == 0, r.stderr
        with open(os.path.join(cls.out, "index.html"), encoding="utf-8") as f:
            cls.page = f.read()
        with h5py.File(cls.lane, "r") as f:
            cls.truth = np.stack([f["truth/x"][...], f["truth/y"][...]], 1)
            cls.is_mine = f["truth/is_mine"][...].astype(bool)
            cls.marks = np.stack([f["marks/x"][...], f["marks/y"][...]], 1)
            cls.gpr_xy = np.stack([f["gpr/x"][...], f["gpr/y"][...]], 1)

    def test_strings_from_the_file_are_escaped(self):
        self.assertNotIn("<script", self.page.lower())
        self.assertNotIn("<b>", self.page)
        self.assertNotIn("<img src=x", self.page)
        self.assertIn(html.escape(EVIL_ID, quote=True), self.page)
        esc = html.escape(EVIL_TITLE, quote=True).replace("&#x27;", "&#39;")
        self.assertIn("<h1>" + esc + "</h1>", self.page)
        self.assertIn("<title>" + esc + "</title>", self.page)

    def test_page_leads_with_the_answer(self):
        p = self.page
        order = [p.index("<table class=\"answer\">"),
                 p.index("heatmap.png"), p.index("evidence_"),
                 p.index("class=\"technical\""), p.index("bscan.png")]
        self.assertEqual(order, sorted(order))
        answer = p[order[0]:order[1]]
        for label in ("Trainee", "Lane", "Date", "Mines in the lane",
                      "Mines found by the trainee",
                      "Mines found by the detector", "False marks",
                      "Coverage", "Sweep speed"):
            self.assertIn(f"<th>{label}</th>", answer)
        self.assertRegex(answer, r"<th>Lane</th><td>L-7[ <]")
        self.assertIn("<td>2026-11-30T09:15:00Z</td>", answer)
        n_mines = int(self.is_mine.sum())
        self.assertIn(f"<th>Mines in the lane</th><td>{n_mines}</td>",
                      answer)
        m = re.search(r"Mines found by the trainee</th><td>(\d+) of (\d+)<",
                      answer)
        self.assertIsNotNone(m)
        self.assertEqual(int(m.group(2)), n_mines)

    def test_page_loads_only_files_beside_it(self):
        refs = re.findall(r'(?:src|href)="([^"]*)"', self.page)
        self.assertGreater(len(refs), 5)
        for ref in refs:
            self.assertRegex(ref, r"^[A-Za-z0-9_.-]+$", ref)
            self.assertTrue(os.path.isfile(os.path.join(self.out, ref)), ref)
        self.assertIn("Content-Security-Policy", self.page)
        self.assertIn("default-src 'none'", self.page)
        self.assertIn("@page{size:A4 landscape", self.page)

    def panels(self):
        return sorted(n for n in os.listdir(self.out)
                      if n.startswith("evidence_") and n.endswith(".png"))

    def test_a_panel_for_every_mine_and_false_mark(self):
        names = self.panels()
        targets = {}
        for n in names:
            t = png_text(os.path.join(self.out, n))
            targets[n] = tuple(float(v) for v in t["minescan:target"].split())
            self.assertIn(n, self.page)
        mines = [xy for n, xy in targets.items()
                 if n.startswith(("evidence_mine_", "evidence_missed_"))]
        self.assertEqual(len(mines), int(self.is_mine.sum()))
        for xy in mines:
            d = np.hypot(*(self.truth[self.is_mine] - xy).T).min()
            self.assertLess(d, 1e-6)
        for n, xy in targets.items():
            if n.startswith("evidence_false_mark_"):
                self.assertLess(np.hypot(*(self.marks - xy).T).min(), 1e-6)

    def test_target_lands_at_its_pixel(self):
        names = self.panels()
        self.assertTrue(names)
        for n in names:
            path = os.path.join(self.out, n)
            t = png_text(path)
            x0, x1, y0, y1 = (float(v) for v in t["minescan:extent"].split())
            left, top, right, bottom = (int(v) for v in
                                        t["minescan:plot_area"].split())
            x, y = (float(v) for v in t["minescan:target"].split())
            col = int(np.floor(left + (x - x0) / (x1 - x0) * (right - left)))
            row = int(np.floor(top + (y1 - y) / (y1 - y0) * (bottom - top)))
            px = read_png(path)[:, :, :3]
            magenta = np.all(px == (255, 0, 255), axis=2)
            rows, cols = np.nonzero(magenta)
            self.assertEqual(len(rows), 9, n)
            self.assertEqual((int(rows.mean()), int(cols.mean())), (row, col),
                             n)

    def test_radar_window_is_the_nearest_sweep_not_the_track(self):
        track = np.hypot(*np.diff(self.gpr_xy, axis=0).T).sum()
        self.assertGreater(track, 5.0)
        for n in self.panels():
            t = png_text(os.path.join(self.out, n))
            a, b, near = (float(v) for v in
                          t["minescan:gpr_window"].split())
            self.assertLess(b - a, 1.4, n)
            self.assertLessEqual(a, 0.0)
            self.assertGreaterEqual(b, 0.0)
            x, y = (float(v) for v in t["minescan:target"].split())
            self.assertAlmostEqual(
                near, np.hypot(*(self.gpr_xy - (x, y)).T).min(), places=4)

    def test_sweep_figure_marks_gaps_and_fast_stretches(self):
        p = self.page
        self.assertLess(p.index('src="heatmap.png"'),
                        p.index('src="sweep.png"'))
        self.assertLess(p.index('src="sweep.png"'), p.index("evidence_"))
        lane = os.path.join(TMP, "fast.h5")
        r = run("simulate", "-o", lane, "--seed", "4", "--length", "3",
                "--operator-profile", "fast", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(TMP, "fast")
        r = run("run", lane, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "score.json")) as f:
            sweep = json.load(f)["sweep"]
        path = os.path.join(out, "sweep.png")
        t = png_text(path)
        n_gaps, n_fast = (int(v) for v in t["minescan:gaps_fast"].split())
        self.assertEqual(n_gaps, sweep["n_gaps"])
        self.assertEqual(n_fast, len(sweep["over_limit"]))
        self.assertGreater(n_fast, 0)  # the fast profile goes too fast
        self.assertGreater(n_gaps, 0)  # and leaves gaps
        x0, x1, y0, y1 = (float(v) for v in t["minescan:extent"].split())
        left, top, right, bottom = (int(v) for v in
                                    t["minescan:plot_area"].split())
        px = read_png(path)[:, :, :3].astype(int)
        hits = 0
        for spot in sweep["over_limit"]:  # a triangle at each, orange
            col = int(np.floor(left + (spot["x_m"] - x0) / (x1 - x0) *
                               (right - left)))
            row = int(np.floor(top + (y1 - spot["y_m"]) / (y1 - y0) *
                               (bottom - top)))
            hits += np.abs(px[row, col] - (217, 84, 26)).max() <= 3
        self.assertGreaterEqual(hits, 0.8 * n_fast)

    def test_rerun_removes_panels_it_no_longer_writes(self):
        out = os.path.join(TMP, "rerun")
        r = run("run", self.lane, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        before = [n for n in os.listdir(out) if n.startswith("evidence_")]
        self.assertTrue(before)
        lane2 = os.path.join(TMP, "no-truth.h5")
        shutil.copy(self.lane, lane2)
        with h5py.File(lane2, "r+") as f:
            del f["truth"]
            del f["marks"]
        r = run("run", lane2, "-o", out, "--device", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = [n for n in os.listdir(out) if n.startswith("evidence_")]
        self.assertEqual(after, [])
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            self.assertIn("no ground truth", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
