"""--lang: every label of the sources has a Ukrainian and a Khmer
translation in po/, and a run in each language carries it into its PNGs
and its page; a bad code or a missing catalogue is refused."""
import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_run import png_text, run  # noqa: E402

SRC = os.environ["MINESCAN_SOURCE_DIR"]
TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"), "test_lang")
LANGS = ("uk", "km")
CYRILLIC = re.compile("[\u0400-\u04ff]")
KHMER = re.compile("[\u1780-\u17ff]")


def po_entries(path):
    """{msgid: (msgstr, fuzzy)} of a .po file (no plurals, no contexts)."""
    entries, cur, field, fuzzy = {}, {}, None, False

    def flush():
        if "msgid" in cur and cur["msgid"]:
            entries[cur["msgid"]] = (cur.get("msgstr", ""), fuzzy)

    def unq(s):
        return bytes(s[1:-1], "utf-8").decode("unicode_escape").encode(
            "latin-1").decode("utf-8")

    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                cur, field, fuzzy = {}, None, False
            elif line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("#"):
                continue
            elif line.startswith("msgid "):
                field = "msgid"
                cur[field] = unq(line[6:])
            elif line.startswith("msgstr "):
                field = "msgstr"
                cur[field] = unq(line[7:])
            elif line.startswith('"') and field:
                cur[field] += unq(line)
            else:
                raise AssertionError(f"{path}: cannot read line {line!r}")
    flush()
    return entries


def source_msgids():
    """What xgettext finds marked with _() or N_() in the sources."""
    files = sorted(glob.glob(os.path.join(SRC, "pipeline", "*", "*.c")))
    pot = os.path.join(TMP, "minescan.pot")
    r = subprocess.run(["xgettext", "--from-code=UTF-8", "--language=C",
                        "--keyword=_", "--keyword=N_", "--no-location",
                        "-o", pot, *files], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return set(po_entries(pot))


class LangTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        cls.lane = os.path.join(TMP, "lane.h5")
        r = run("simulate", "-o", cls.lane, "--seed", "3", "--length", "2",
                "--marks", "--quiet")
        assert r.returncode == 0, r.stderr
        cls.out = {}
        for lang in ("en",) + LANGS:
            out = os.path.join(TMP, "out-" + lang)
            r = run("run", cls.lane, "-o", out, "--device", "cpu", "--lang",
                    lang)
            assert r.returncode == 0, r.stderr
            cls.out[lang] = out

    def test_every_label_is_translated(self):
        ids = source_msgids()
        self.assertGreater(len(ids), 40)  # the labels are marked at all
        for lang in LANGS:
            po = po_entries(os.path.join(SRC, "po", lang + ".po"))
            missing = sorted(i for i in ids if i not in po)
            self.assertEqual(missing, [], f"{lang}.po lacks these")
            empty = sorted(i for i in ids if not po[i][0] or po[i][1])
            self.assertEqual(empty, [], f"{lang}.po: empty or fuzzy")
            script = CYRILLIC if lang == "uk" else KHMER
            # a real translation: the words are in the language's script
            # (a few labels are only symbols and units, such as "FAR 1 /m²")
            native = [i for i in ids if script.search(po[i][0])]
            self.assertGreater(len(native), 0.9 * len(ids), lang)

    def test_png_labels_follow_the_language(self):
        title = {lang: png_text(os.path.join(self.out[lang], "roc.png"))
                 ["Title"] for lang in self.out}
        self.assertEqual(title["en"],
                         "Detection: Pd against false alarms per m\u00b2")
        self.assertRegex(title["uk"], CYRILLIC)
        self.assertRegex(title["km"], KHMER)
        # the drawn labels change too: the images differ where text is
        for name in ("heatmap.png", "roc.png"):
            data = {lang: open(os.path.join(self.out[lang], name), "rb")
                    .read() for lang in self.out}
            self.assertNotEqual(data["en"], data["uk"], name)
            self.assertNotEqual(data["uk"], data["km"], name)

    def test_page_follows_the_language(self):
        words = {"en": "Trainee", "uk": "Курсант", "km": "សិក្ខាកាម"}
        for lang, word in words.items():
            with open(os.path.join(self.out[lang], "index.html"),
                      encoding="utf-8") as f:
                page = f.read()
            self.assertIn(f'<html lang="{lang}">', page)
            self.assertIn(word, page)
        with open(os.path.join(self.out["uk"], "index.html"),
                  encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn("Trainee", page)
        self.assertGreater(len(CYRILLIC.findall(page)), 300)
        # the evidence panels' titles too
        panels = [n for n in os.listdir(self.out["uk"])
                  if n.startswith("evidence_")]
        self.assertTrue(panels)

    def test_course_page_follows_the_language(self):
        # course.html's labels (course_labels.c) come from the catalogues
        titles = {"en": "Training course", "uk": "Навчальний курс",
                  "km": "វគ្គបណ្តុះបណ្តាល"}
        for lang, title in titles.items():
            out = os.path.join(TMP, "course-" + lang)
            r = run("course", self.out[lang], "-o", out, "--lang", lang)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "course.html"),
                      encoding="utf-8") as f:
                page = f.read()
            self.assertIn(f'<html lang="{lang}">', page)
            self.assertIn(f"<h1>{title}</h1>", page)
            if lang != "en":
                for word in ("Training course", "Trainee", "Found by",
                             "Coverage", "Time over speed limit", "open"):
                    self.assertNotIn(word, page)
                script = CYRILLIC if lang == "uk" else KHMER
                self.assertGreater(len(script.findall(page)), 200)

    def test_batch_redoes_a_folder_in_another_language(self):
        out = os.path.join(TMP, "batch")
        for lang, skipped in (("en", 0), ("en", 1), ("km", 0)):
            r = run("batch", self.lane, "-o", out, "--device", "cpu",
                    "--lang", lang)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"{skipped} skipped", r.stdout + r.stderr)
        with open(os.path.join(out, "lane", "index.html"),
                  encoding="utf-8") as f:
            self.assertRegex(f.read(), KHMER)

    def test_course_page_and_its_lanes_follow_the_language(self):
        out = os.path.join(TMP, "course-km")
        r = run("course", self.lane, "-o", out, "--device", "cpu", "--lang",
                "km")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "course.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn("វគ្គបណ្តុះបណ្តាល", page)  # "Training course"
        self.assertNotIn("Training course", page)
        pages = glob.glob(os.path.join(out, "lanes", "*", "index.html"))
        self.assertEqual(len(pages), 1)
        for path in pages:
            with open(path, encoding="utf-8") as f:
                self.assertIn('<html lang="km">', f.read())

    def test_bad_language_and_missing_catalogue(self):
        r = run("run", self.lane, "-o", os.path.join(TMP, "x"), "--lang",
                "fr")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--lang fr", r.stderr)
        r = run("run", self.lane, "-o", os.path.join(TMP, "x"), "--lang",
                "uk", env={"MINESCAN_LOCALEDIR": os.path.join(TMP, "none")})
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("uk/LC_MESSAGES/minescan.mo", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(TMP, "x")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
