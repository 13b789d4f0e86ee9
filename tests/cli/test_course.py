"""minescan course on the bundled course (datasets/course/: three
simulated trainees, two lanes each): course.csv agrees with every lane's
score.json, the trainee profiles come out in the order they are built to
(careful covers more than fast, the over-marker leaves the most false
marks), course.json's totals add up, nothing current is recomputed, and
every string from a file is escaped in course.html."""
import csv
import glob
import html.parser
import json
import math
import os
import re
import shutil
import subprocess
import unittest

import h5py

MINESCAN = os.environ["MINESCAN"]
SRC = os.environ["MINESCAN_SOURCE_DIR"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_course")
HEADER = ("operator_id,lane_id,title,recorded_at,mines,found_by_trainee,"
          "missed,false_marks,false_marks_per_m2,found_by_pipeline,"
          "coverage_fraction,fraction_over_limit,lane_page")
EVIL = "<script>alert(1)</script>"


def run(*args):
    return subprocess.run([MINESCAN, *args], capture_output=True, text=True,
                          timeout=600)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def read_csv(path):
    with open(path, newline="") as f:
        text = f.read()
    return text.splitlines()[0], list(csv.DictReader(text.splitlines()))


def num(s):
    return float("nan") if s == "" else float(s)


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.hrefs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]


class Course(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(os.path.join(TMP, "rec"))
        cls.recs = []
        for sc in sorted(glob.glob(os.path.join(SRC, "datasets", "course",
                                                "*.json"))):
            out = os.path.join(TMP, "rec",
                               os.path.basename(sc)[:-5] + ".h5")
            r = run("simulate", "--quiet", "--scenario", sc, "-o", out)
            assert r.returncode == 0, r.stderr
            cls.recs.append(out)
        cls.out = os.path.join(TMP, "course")
        cls.r = run("course", *cls.recs, "-o", cls.out, "-j", "2")
        cls.header, cls.rows = read_csv(os.path.join(cls.out, "course.csv"))

    def test_ran(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        self.assertEqual(len(self.recs), 6)
        self.assertEqual(self.header, HEADER)
        self.assertEqual(len(self.rows), 6)

    def test_simulated_identity(self):
        with h5py.File(self.recs[0], "r") as f:
            self.assertEqual(f.attrs["operator_id"], "trainee-01")
            self.assertEqual(f.attrs["recorded_at"], "2026-11-02T09:00:00Z")
            self.assertIn("marks", f)

    def test_rows_match_lane_scores(self):
        for row in self.rows:
            page = os.path.join(self.out, row["lane_page"])
            lane = os.path.dirname(page)
            self.assertTrue(os.path.isfile(page), page)
            s = load_json(os.path.join(lane, "score.json"))
            rec = load_json(os.path.join(lane, "summary.json"))["recording"]
            self.assertEqual(row["operator_id"], rec["operator_id"])
            self.assertEqual(row["lane_id"], rec["lane_id"])
            self.assertEqual(row["title"], rec["title"])
            self.assertEqual(row["recorded_at"], rec["recorded_at"])
            m, w = s["marks"], s["sweep"]
            self.assertEqual(int(row["mines"]), m["n_mines"])
            self.assertEqual(int(row["mines"]), s["n_mines"])
            self.assertEqual(int(row["found_by_trainee"]), m["found"])
            self.assertEqual(int(row["missed"]), m["missed"])
            self.assertEqual(int(row["false_marks"]), m["false_marks"])
            self.assertEqual(m["found"] + m["missed"], m["n_mines"])
            self.assertEqual(m["found"] + m["false_marks"], m["n_marks"])
            self.assertAlmostEqual(num(row["false_marks_per_m2"]),
                                   m["false_marks"] / m["area_m2"], places=6)
            self.assertEqual(int(row["found_by_pipeline"]), s["n_detected"])
            self.assertAlmostEqual(num(row["coverage_fraction"]),
                                   w["coverage_fraction"], places=6)
            self.assertAlmostEqual(num(row["fraction_over_limit"]),
                                   w["fraction_over_limit"], places=6)
            kinds = [it["kind"] for it in m["items"]]
            self.assertEqual(kinds.count("found"), m["found"])
            self.assertEqual(kinds.count("missed"), m["missed"])
            self.assertEqual(kinds.count("false_mark"), m["false_marks"])
            for it in m["items"]:
                if it["kind"] == "found":
                    self.assertLessEqual(it["distance_m"], m["halo_m"] + 1e-9)
                    self.assertIsNotNone(it["type"])
            self.assertEqual(w["footprint_m"], 0.15)
            self.assertEqual(w["speed_limit_m_per_s"], 0.5)
            self.assertGreater(w["height_median_m"], 0)
            self.assertEqual(len(w["gaps"]), w["n_gaps"])
            self.assertAlmostEqual(sum(g["area_m2"] for g in w["gaps"]),
                                   w["gap_area_m2"], places=9)
            areas = [g["area_m2"] for g in w["gaps"]]
            self.assertEqual(areas, sorted(areas, reverse=True))
            if w["coverage_fraction"] == 1:
                self.assertEqual(w["n_gaps"], 0)

    def test_grouped_by_trainee_in_date_order(self):
        ids = [r["operator_id"] for r in self.rows]
        self.assertEqual(ids, sorted(ids))
        for t in set(ids):
            dates = [r["recorded_at"] for r in self.rows
                     if r["operator_id"] == t]
            self.assertEqual(dates, sorted(dates))
            self.assertEqual(len(set(dates)), 2)

    def test_profiles_order(self):
        # trainee-01 careful, trainee-02 fast, trainee-03 over-marker, each
        # on the same two lanes
        by = {(r["operator_id"], r["lane_id"]): r for r in self.rows}
        for lane in ("course-lane-a", "course-lane-b"):
            careful = by[("trainee-01", lane)]
            fast = by[("trainee-02", lane)]
            over = by[("trainee-03", lane)]
            self.assertGreater(num(careful["coverage_fraction"]),
                               num(fast["coverage_fraction"]) + 0.2, lane)
            self.assertGreater(num(fast["fraction_over_limit"]),
                               num(careful["fraction_over_limit"]) + 0.3,
                               lane)
            self.assertGreater(int(over["false_marks"]),
                               max(int(careful["false_marks"]),
                                   int(fast["false_marks"])), lane)
            self.assertGreaterEqual(int(careful["found_by_trainee"]),
                                    int(fast["found_by_trainee"]), lane)

    def test_json_totals(self):
        j = load_json(os.path.join(self.out, "course.json"))
        self.assertEqual(j["n_lanes"], 6)
        self.assertEqual([t["operator_id"] for t in j["trainees"]],
                         ["trainee-01", "trainee-02", "trainee-03"])
        for t in j["trainees"]:
            rows = [r for r in self.rows if r["operator_id"] == t["operator_id"]]
            tot = t["totals"]
            self.assertEqual(tot["lanes"], len(rows))
            for key in ("mines", "found_by_trainee", "missed", "false_marks",
                        "found_by_pipeline"):
                self.assertEqual(tot[key], sum(int(r[key]) for r in rows), key)
            self.assertAlmostEqual(
                tot["coverage_fraction_mean"],
                sum(num(r["coverage_fraction"]) for r in rows) / len(rows))
            self.assertEqual([l["recorded_at"] for l in t["lanes"]],
                             [r["recorded_at"] for r in rows])

    def test_html_links_every_lane(self):
        p = Tags()
        with open(os.path.join(self.out, "course.html")) as f:
            p.feed(f.read())
        pages = [h for h in p.hrefs if h.endswith("index.html")]
        self.assertEqual(sorted(pages),
                         sorted(r["lane_page"] for r in self.rows))
        # the answer first (a row per trainee), then a table per trainee
        self.assertEqual(p.tags.count("table"), 4)
        self.assertEqual([h for h in p.hrefs if h.startswith("#")],
                         ["#trainee-1", "#trainee-2", "#trainee-3"])

    def test_html_answer_first_with_cues(self):
        with open(os.path.join(self.out, "course.html"),
                  encoding="utf-8") as f:
            page = f.read()
        self.assertIn('http-equiv="Content-Security-Policy"', page)
        self.assertIn("default-src 'none'", page)
        self.assertRegex(page, r"@page\{size:A4 landscape")
        self.assertLess(page.index('class="summary"'),
                        page.index('id="trainee-1"'))
        summary = page[page.index('class="summary"'):
                       page.index("</table>")]
        rows = summary.split("<tr>")[2:]
        self.assertEqual(len(rows), 3)
        by = {r["operator_id"]: [x for x in self.rows
                                 if x["operator_id"] == r["operator_id"]]
              for r in self.rows}
        for tid, row in zip(("trainee-01", "trainee-02", "trainee-03"), rows):
            self.assertIn(f">{tid}</a>", row)
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
            missed = sum(int(x["missed"]) for x in by[tid])
            fm = sum(int(x["false_marks"]) for x in by[tid])
            # a bad value carries a symbol (and a class), not only colour
            self.assertEqual("\u2717" in cells[3], missed > 0, cells[3])
            self.assertEqual("\u2713" in cells[3], missed == 0, cells[3])
            self.assertEqual("\u2717" in cells[4], fm > 0, cells[4])
            found = sum(int(x["found_by_trainee"]) for x in by[tid])
            mines = sum(int(x["mines"]) for x in by[tid])
            self.assertIn(f"{found} of {mines}", cells[2])
        # each lane row: a missed mine or a false mark is flagged (cells
        # after the date: lane, title, mines, found, missed, false marks)
        lanes = page.split('<tr><td class="d">')[1:]
        self.assertEqual(len(lanes), 6)
        for part in lanes:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", part)
            for cell in (cells[4], cells[5]):
                n = int(re.sub(r"<[^>]*>|\u2717|\u2713| ", "", cell))
                self.assertEqual("\u2717" in cell, n > 0, cell)
                self.assertEqual("\u2713" in cell, n == 0, cell)

    def test_current_lanes_not_recomputed(self):
        before = {r["lane_page"]: os.path.getmtime(
            os.path.join(self.out, os.path.dirname(r["lane_page"]),
                         "score.json")) for r in self.rows}
        r = run("course", *self.recs, "-o", self.out, "-j", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("skipped"), 6, r.stdout)
        for page, t in before.items():
            self.assertEqual(os.path.getmtime(os.path.join(
                self.out, os.path.dirname(page), "score.json")), t)
        # the lanes folder as a batch folder, into another course folder:
        # the same numbers, links from there
        other = os.path.join(TMP, "course-from-folders")
        r = run("course", os.path.join(self.out, "lanes"), "-o", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, rows = read_csv(os.path.join(other, "course.csv"))
        strip = lambda rs: [{k: v for k, v in x.items() if k != "lane_page"}
                            for x in rs]
        self.assertEqual(strip(rows), strip(self.rows))
        for row in rows:
            self.assertTrue(row["lane_page"].startswith("../course/lanes/"))
            self.assertTrue(os.path.isfile(os.path.join(other,
                                                        row["lane_page"])))

    def test_strings_from_files_are_escaped(self):
        rec = os.path.join(TMP, "evil.h5")
        title = 'Lane "7" & <b>bold</b>'
        r = run("simulate", "--quiet", "-o", rec, "--length", "1",
                "--n-mines", "1", "--sensor", "emi", "--marks", "--operator-id", EVIL,
                "--title", title, "--lane-id", "<i>x</i>")
        self.assertEqual(r.returncode, 0, r.stderr)
        # a recorded_at shaped like an ISO date around its separators
        when = '2026-<b-02T<i:00Z"&'
        with h5py.File(rec, "r+") as f:
            f.attrs["recorded_at"] = when
        out = os.path.join(TMP, "course-evil")
        r = run("course", rec, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "course.html")) as f:
            page = f.read()
        self.assertNotIn("<script", page)
        self.assertNotIn("<b>", page)
        self.assertNotIn("<i>", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)
        self.assertNotIn("<b-", page)
        self.assertNotIn("<i:", page)
        self.assertIn("2026-&lt;b-02 &lt;i:00", page)
        self.assertIn("Lane &quot;7&quot; &amp; &lt;b&gt;bold&lt;/b&gt;", page)
        p = Tags()
        p.feed(page)
        self.assertNotIn("script", p.tags)
        self.assertNotIn("b", p.tags)
        _, rows = read_csv(os.path.join(out, "course.csv"))
        self.assertEqual(rows[0]["operator_id"], EVIL)
        self.assertEqual(rows[0]["title"], title)
        j = load_json(os.path.join(out, "course.json"))
        self.assertEqual(j["trainees"][0]["operator_id"], EVIL)

    def test_lane_without_truth_gets_sweep(self):
        src = self.recs[0]
        rec = os.path.join(TMP, "no-truth.h5")
        shutil.copy(src, rec)
        with h5py.File(rec, "a") as f:
            del f["truth"]
            del f["marks"]
        out = os.path.join(TMP, "no-truth")
        r = run("run", rec, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = load_json(os.path.join(out, "score.json"))
        self.assertEqual(list(s), ["sweep"])
        self.assertGreater(s["sweep"]["coverage_fraction"], 0.5)
        outs = load_json(os.path.join(out, "summary.json"))["outputs"]
        self.assertIn("score.json", outs)
        self.assertNotIn("roc.csv", outs)
        c = os.path.join(TMP, "course-no-truth")
        r = run("course", out, "-o", c)
        self.assertEqual(r.returncode, 0, r.stderr)
        _, rows = read_csv(os.path.join(c, "course.csv"))
        self.assertEqual(rows[0]["mines"], "")
        self.assertEqual(rows[0]["found_by_trainee"], "")
        self.assertAlmostEqual(num(rows[0]["coverage_fraction"]),
                               s["sweep"]["coverage_fraction"], places=6)

    def test_sweep_options_change_the_sweep(self):
        out = os.path.join(TMP, "wide")
        r = run("run", self.recs[2], "-o", out, "--footprint-m", "0.4",
                "--speed-limit", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        w = load_json(os.path.join(out, "score.json"))["sweep"]
        narrow = num(next(x for x in self.rows if x["operator_id"] ==
                          "trainee-02" and x["lane_id"] == "course-lane-a")
                     ["coverage_fraction"])
        self.assertEqual(w["footprint_m"], 0.4)
        self.assertGreater(w["coverage_fraction"], narrow)
        self.assertLess(w["fraction_over_limit"], 0.2)

    def test_a_failed_recording_leaves_the_rest(self):
        bad = os.path.join(TMP, "corrupt.h5")
        with open(bad, "wb") as f:
            f.write(b"not an HDF5 file at all")
        out = os.path.join(TMP, "course-one-bad")
        r = run("course", bad, self.recs[0], "-o", out)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("corrupt.h5", r.stderr)
        _, rows = read_csv(os.path.join(out, "course.csv"))
        self.assertEqual([x["operator_id"] for x in rows], ["trainee-01"])

    def test_bad_inputs(self):
        r = run("course", os.path.join(TMP, "nothing.h5"), "-o",
                os.path.join(TMP, "bad"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nothing.h5", r.stderr)
        r = run("course", TMP, "-o", os.path.join(TMP, "bad"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("neither a run output folder", r.stderr)
        r = run("course", self.recs[0], "-o", os.path.join(TMP, "bad"),
                "--lang", "xx")
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(TMP, "bad")))


if __name__ == "__main__":
    unittest.main()
