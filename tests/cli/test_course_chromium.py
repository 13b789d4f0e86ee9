"""The course page as a browser shows it, in English, Ukrainian and Khmer:
`minescan course --lang LANG` on the bundled course (datasets/course/:
three trainees, two lanes each) and headless Chromium (test_pages_chromium's
DevTools) opening course.html and every lane page it links to. On each:
every image loaded, nothing outside the course folder is requested, no
script, the labels are in the language; course.html's links resolve to
files, its screenshot is not blank, it prints on A4 landscape, and in
Khmer its title is drawn with a Khmer font (glyphs, not boxes). Without
chromium the test is skipped (exit 77)."""
import base64
import glob
import json
import os
import re
import shutil
import sys
import time
import unittest
from urllib.parse import unquote, urlparse

sys.path.insert(0, os.path.dirname(__file__))
from test_pages import read_png  # noqa: E402
from test_pages_chromium import CHROMIUM, SKIP, DevTools  # noqa: E402
from test_run import run  # noqa: E402

SRC = os.environ["MINESCAN_SOURCE_DIR"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"),
                   "test_course_chromium")
LANGS = ("en", "uk", "km")
# the page title in each language (po/uk.po, po/km.po)
TITLE = {"en": "Training course", "uk": "Навчальний курс",
         "km": "វគ្គបណ្តុះបណ្តាល"}
SCRIPT = {"uk": re.compile("[\u0400-\u04ff]"),
          "km": re.compile("[\u1780-\u17ff]")}


class CourseInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(os.path.join(TMP, "rec"))
        recs = []
        for sc in sorted(glob.glob(os.path.join(SRC, "datasets", "course",
                                                "*.json"))):
            out = os.path.join(TMP, "rec", os.path.basename(sc)[:-5] + ".h5")
            r = run("simulate", "--quiet", "--scenario", sc, "-o", out)
            assert r.returncode == 0, r.stderr
            recs.append(out)
        assert len(recs) == 6, recs
        cls.out = {}
        for lang in LANGS:
            out = os.path.realpath(os.path.join(TMP, "course-" + lang))
            r = run("course", *recs, "-o", out, "--lang", lang,
                    "--device", "cpu", "-j", "2", "--quiet")
            assert r.returncode == 0, r.stderr
            cls.out[lang] = out
        cls.dt = DevTools(os.path.join(TMP, "profile"),
                          log=os.path.join(TMP, "chromium.log"))
        dt = cls.dt
        page = next(t for t in dt.call("Target.getTargets")["targetInfos"]
                    if t["type"] == "page")
        cls.session = dt.call("Target.attachToTarget",
                              {"targetId": page["targetId"],
                               "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime", "DOM", "CSS"):
            dt.call(domain + ".enable", session=cls.session)

    @classmethod
    def tearDownClass(cls):
        cls.dt.close()

    def evaluate(self, expr):
        r = self.dt.call("Runtime.evaluate",
                         {"expression": expr, "returnByValue": True},
                         session=self.session)
        return r["result"]["value"]

    def open(self, path):
        """Load file `path`; the URLs it requested (itself included)."""
        self.dt.events = [e for e in self.dt.events
                          if e.get("method") != "Network.requestWillBeSent"]
        url = "file://" + path
        self.dt.call("Page.navigate", {"url": url}, session=self.session)
        self.dt.wait_event("Page.loadEventFired", timeout=120)
        time.sleep(0.3)
        self.evaluate("1")  # drain events that came meanwhile
        urls = [e["params"]["request"]["url"] for e in self.dt.events
                if e.get("method") == "Network.requestWillBeSent"]
        urls += json.loads(self.evaluate(
            "JSON.stringify(performance.getEntriesByType('resource')"
            ".map(e => e.name))"))
        self.assertIn(url, urls)
        return urls

    def check_loaded(self, path, root):
        """Every image of the page at `path` loaded; every request a file
        under `root`; no script; the page's language."""
        urls = self.open(path)
        for u in urls:
            self.assertTrue(u.startswith("file://" + root + "/"), u)
        imgs = json.loads(self.evaluate(
            "JSON.stringify(Array.from(document.images).map("
            "i => [i.getAttribute('src'), i.complete, i.naturalWidth]))"))
        for src, complete, width in imgs:
            self.assertTrue(complete, (path, src))
            self.assertGreater(width, 0, (path, src))
        self.assertEqual(self.evaluate("document.scripts.length"), 0)
        return imgs

    def screenshot(self, name):
        shot = self.dt.call("Page.captureScreenshot",
                            {"format": "png", "clip": {
                                "x": 0, "y": 0, "width": 1280,
                                "height": 1000, "scale": 0.5}},
                            session=self.session, timeout=120)
        path = os.path.join(TMP, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        px = read_png(path)[:, :, :3].astype(int)
        self.assertGreater(px.shape[0] * px.shape[1], 100 * 100)
        not_white = (px.sum(axis=2) < 3 * 235).mean()
        self.assertGreater(not_white, 0.03, name)
        return px

    def test_course_page_in_each_language(self):
        for lang in LANGS:
            with self.subTest(lang=lang):
                out = self.out[lang]
                self.check_loaded(out + "/course.html", out)
                self.assertEqual(self.evaluate(
                    "document.documentElement.lang"), lang)
                self.assertEqual(self.evaluate(
                    "document.querySelector('h1').innerText"), TITLE[lang])
                text = self.evaluate("document.body.innerText")
                if lang != "en":
                    self.assertNotIn("Training course", text)
                    self.assertNotIn("Trainee", text)
                    self.assertGreater(len(SCRIPT[lang].findall(text)), 100)
                # the answer first: the summary table, one row a trainee
                rows = json.loads(self.evaluate(
                    "JSON.stringify(Array.from(document.querySelector("
                    "'table').rows).slice(1).map(r => r.cells[0]."
                    "innerText))"))
                self.assertEqual(rows, ["trainee-01", "trainee-02",
                                        "trainee-03"])
                # good and bad told by symbols, not only by colour
                self.assertIn("\u2717", text)
                self.assertIn("\u2713", text)
                self.screenshot(f"course-{lang}.png")

    def test_links_resolve_and_lane_pages_load(self):
        for lang in LANGS:
            with self.subTest(lang=lang):
                out = self.out[lang]
                self.open(out + "/course.html")
                hrefs = json.loads(self.evaluate(
                    "JSON.stringify(Array.from(document.links).map("
                    "a => a.href))"))
                lanes = [h for h in hrefs if h.endswith("/index.html")]
                self.assertEqual(len(lanes), 6)
                for h in hrefs:
                    u = urlparse(h)
                    self.assertEqual(u.scheme, "file", h)
                    path = unquote(u.path)
                    self.assertTrue(path.startswith(out + "/"), h)
                    if not u.fragment:
                        self.assertTrue(os.path.isfile(path), h)
                for h in lanes:
                    path = unquote(urlparse(h).path)
                    imgs = self.check_loaded(path, os.path.dirname(path))
                    self.assertGreater(len(imgs), 4, path)
                    self.assertEqual(self.evaluate(
                        "document.documentElement.lang"), lang)
                    if lang != "en":
                        self.assertRegex(self.evaluate(
                            "document.body.innerText"), SCRIPT[lang])
                self.screenshot(f"lane-{lang}.png")

    def test_khmer_is_drawn_with_a_khmer_font(self):
        out = self.out["km"]
        self.open(out + "/course.html")
        doc = self.dt.call("DOM.getDocument", session=self.session)
        h1 = self.dt.call("DOM.querySelector",
                          {"nodeId": doc["root"]["nodeId"],
                           "selector": "h1"}, session=self.session)
        fonts = self.dt.call("CSS.getPlatformFontsForNode",
                             {"nodeId": h1["nodeId"]},
                             session=self.session)["fonts"]
        khmer = [f for f in fonts if "khmer" in f["familyName"].lower()]
        self.assertTrue(khmer, fonts)
        # every glyph of the title came from a font that has it
        self.assertEqual(sum(f["glyphCount"] for f in fonts),
                         sum(f["glyphCount"] for f in khmer), fonts)
        self.assertGreater(khmer[0]["glyphCount"], 5)
        px = self.screenshot("course-km-title.png")
        self.assertGreater(len({tuple(c) for c in px.reshape(-1, 3)[::7]}),
                           20)

    def test_prints_on_a4_landscape(self):
        self.open(self.out["uk"] + "/course.html")
        pdf = base64.b64decode(self.dt.call(
            "Page.printToPDF", {"preferCSSPageSize": True},
            session=self.session, timeout=120)["data"])
        boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+"
                           rb"([\d.]+)\s+([\d.]+)\s*\]", pdf)
        self.assertTrue(boxes)
        for box in boxes:  # every page 297 x 210 mm, in points
            x0, y0, x1, y1 = (float(v) for v in box)
            self.assertAlmostEqual(x1 - x0, 841.89, delta=1.5)
            self.assertAlmostEqual(y1 - y0, 595.28, delta=1.5)


if __name__ == "__main__":
    if not CHROMIUM:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        sys.exit(SKIP)
    unittest.main(verbosity=2)
