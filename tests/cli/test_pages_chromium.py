"""The lane page as a browser shows it: headless Chromium (Debian's
chromium, driven over the DevTools protocol on --remote-debugging-pipe)
opens index.html, every image loads (naturalWidth > 0), nothing outside the
output folder is requested, and a screenshot is not blank. Without
chromium the test is skipped (exit 77, ctest's SKIP_RETURN_CODE); any other
failure fails."""
import base64
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_pages import make_lane, read_png  # noqa: E402
from test_run import run  # noqa: E402

TMP = os.path.join(os.environ.get("MINESCAN_TEST_TMP", "/tmp"),
                   "test_pages_chromium")
CHROMIUM = shutil.which("chromium")
SKIP = 77


def high_fd(fd):
    """The same pipe end as a close-on-exec fd of 10 or more."""
    hi = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return hi


class DevTools:
    """A Chromium with its DevTools protocol on fds 3 (commands in) and 4
    (replies and events out), messages separated by NUL bytes."""

    def __init__(self, profile, log=None):
        # the pipe ends above fd 9, so that dup2 onto 3 and 4 neither
        # overwrites one of them nor keeps a close-on-exec flag (dup2 onto
        # itself would)
        to_r, self.to_w, self.from_r, from_w = (
            high_fd(fd) for fd in (*os.pipe(), *os.pipe()))

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        args = [CHROMIUM, "--headless=new", "--remote-debugging-pipe",
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync",
                "--hide-scrollbars", "--window-size=1280,1600",
                "--user-data-dir=" + profile, "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # root: no setuid sandbox
        # close_fds would close fds 3 and 4 after preexec_fn set them up
        log = log or os.path.join(TMP, "chromium.log")
        with open(log, "wb") as logf:
            self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                         stdout=subprocess.DEVNULL,
                                         stderr=logf)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)


class ChromiumPageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(TMP, ignore_errors=True)
        os.makedirs(TMP)
        lane = cls.lane = os.path.join(TMP, "lane.h5")
        make_lane(lane, 5, operator_id="<script>alert(1)</script>",
                  title='Lane "A" & <b>B</b>')
        cls.out = os.path.realpath(os.path.join(TMP, "out"))
        r = run("run", lane, "-o", cls.out, "--device", "cpu", "--lang", "km")
        assert r.returncode == 0, r.stderr
        cls.dt = DevTools(os.path.join(TMP, "profile"))
        dt = cls.dt
        page = next(t for t in dt.call("Target.getTargets")["targetInfos"]
                    if t["type"] == "page")
        cls.session = dt.call("Target.attachToTarget",
                              {"targetId": page["targetId"],
                               "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            dt.call(domain + ".enable", session=cls.session)
        dt.events = [e for e in dt.events
                     if e.get("method") != "Network.requestWillBeSent"]
        cls.url = "file://" + cls.out + "/index.html"
        dt.call("Page.navigate", {"url": cls.url}, session=cls.session)
        dt.wait_event("Page.loadEventFired", timeout=120)
        time.sleep(0.5)
        dt.call("Runtime.evaluate", {"expression": "1"},
                session=cls.session)  # collects the events meanwhile
        cls.requests = [e["params"]["request"]["url"] for e in dt.events
                        if e.get("method") == "Network.requestWillBeSent"]

    @classmethod
    def tearDownClass(cls):
        cls.dt.close()

    def evaluate(self, expr):
        r = self.dt.call("Runtime.evaluate",
                         {"expression": expr, "returnByValue": True},
                         session=self.session)
        return r["result"]["value"]

    def test_every_image_loaded(self):
        imgs = json.loads(self.evaluate(
            "JSON.stringify(Array.from(document.images).map("
            "i => [i.getAttribute('src'), i.complete, i.naturalWidth]))"))
        names = sorted(n for n in os.listdir(self.out) if n.endswith(".png"))
        self.assertEqual(sorted(i[0] for i in imgs), names)
        self.assertGreater(len(imgs), 4)
        for src, complete, width in imgs:
            self.assertTrue(complete, src)
            self.assertGreater(width, 0, src)

    def test_nothing_outside_the_folder_is_requested(self):
        # every request the page made (the images) is a file in the folder
        urls = list(self.requests)
        urls += json.loads(self.evaluate(
            "JSON.stringify(performance.getEntriesByType('resource')"
            ".map(e => e.name))"))
        self.assertIn(self.url, urls)
        for u in urls:
            self.assertTrue(u.startswith("file://" + self.out + "/"), u)
            self.assertNotIn("/", u[len("file://" + self.out + "/"):], u)
        # the escaped strings stayed text: no script ran, none was added
        self.assertEqual(self.evaluate("document.scripts.length"), 0)
        self.assertIn("<script>alert(1)</script>",
                      self.evaluate("document.body.innerText"))

    def test_prints_on_a4_landscape(self):
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

    def test_screenshot_is_not_blank(self):
        shot = self.dt.call("Page.captureScreenshot",
                            {"format": "png", "clip": {
                                "x": 0, "y": 0, "width": 1280,
                                "height": 1600, "scale": 0.25}},
                            session=self.session, timeout=120)
        path = os.path.join(TMP, "screenshot.png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        px = read_png(path)[:, :, :3].astype(int)
        self.assertGreater(px.shape[0] * px.shape[1], 100 * 100)
        not_white = (px.sum(axis=2) < 3 * 235).mean()
        self.assertGreater(not_white, 0.05)
        colours = len({tuple(c) for c in px.reshape(-1, 3)[::7]})
        self.assertGreater(colours, 50)


if __name__ == "__main__":
    if not CHROMIUM:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        sys.exit(SKIP)
    unittest.main(verbosity=2)
