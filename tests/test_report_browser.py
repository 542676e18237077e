"""The HTML report in a real browser: headless Debian chromium.

Two ways in, no driver needed:

- `--dump-dom` of `report.html#n-D-K`: the report's JS highlights the number on
  load (the same function a click runs), and the dumped DOM shows the class.
- A real mouse click over the DevTools protocol on `--remote-debugging-pipe`
  (JSON messages separated by NUL on file descriptors 3 and 4): click a number in
  a table, then read which `<mark>` is highlighted and whether it is on screen;
  a screenshot goes to the pytest tmp dir.

Skipped, with the reason, when chromium is not installed (CI installs it with
`apt-get install -y chromium`).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from _review_data import Sample, make_sample

from pipeline.review.report import write_report
from pipeline.store import Store

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (apt-get install -y chromium)"
    ),
]

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900",
]
TIMEOUT = 60.0


@pytest.fixture
def report(tmp_path: Path) -> tuple[Sample, Path]:
    sample = make_sample(tmp_path / "store")
    out = tmp_path / "report.html"
    with Store(sample.db_path) as store:
        write_report(store, out)
    return sample, out


def _chromium(tmp_path: Path, *args: str) -> list[str]:
    assert CHROMIUM is not None
    return [CHROMIUM, *_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]


def test_fragment_highlights_number_in_dumped_dom(report: tuple[Sample, Path], tmp_path: Path) -> None:
    _, page = report
    url = page.as_uri() + "#n-0-3"
    completed = subprocess.run(
        _chromium(tmp_path, "--dump-dom", url), capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    dom = completed.stdout
    assert dom.count('class="flag ') == 3  # the flags are listed
    assert '<mark id="n-0-3" class="hl">' in dom
    assert dom.count('class="hl"') == 1


class _DevTools:
    """A minimal DevTools-protocol client over chromium's `--remote-debugging-pipe`."""

    def __init__(self, command: list[str]) -> None:
        to_browser_read, self._write_fd = os.pipe()
        self._read_fd, from_browser_write = os.pipe()
        # The browser reads commands on fd 3 and writes answers/events on fd 4. The pipes go in
        # as stdin/stdout and a shell moves them to 3/4 before exec'ing chromium (no preexec_fn).
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 </dev/null >/dev/null', "sh", *command],
            stdin=to_browser_read,
            stdout=from_browser_write,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            for answer in self._messages(deadline):
                if answer.get("id") == self._next_id:
                    if "error" in answer:
                        raise AssertionError(f"{method}: {answer['error']}")
                    return answer.get("result", {})

    def _messages(self, deadline: float) -> list[dict[str, Any]]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("chromium did not answer in time")
        ready, _, _ = select.select([self._read_fd], [], [], remaining)
        if not ready:
            raise TimeoutError("chromium did not answer in time")
        chunk = os.read(self._read_fd, 1 << 20)
        if not chunk:
            raise AssertionError("chromium closed the DevTools pipe")
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\0")
        return [json.loads(raw) for raw in complete if raw]

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session
        )
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (AssertionError, TimeoutError, OSError):
            self.process.kill()
        finally:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
            os.close(self._write_fd)
            os.close(self._read_fd)


def test_click_on_a_number_highlights_its_source_passage(report: tuple[Sample, Path], tmp_path: Path) -> None:
    sample, page = report
    browser = _DevTools(_chromium(tmp_path, "--remote-debugging-pipe", "about:blank"))
    try:
        targets = browser.send("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        session = browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
            "sessionId"
        ]
        browser.send("Page.enable", session=session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session)
        deadline = time.monotonic() + TIMEOUT
        while browser.evaluate(session, "document.readyState") != "complete":
            assert time.monotonic() < deadline, "the report did not load"
            time.sleep(0.05)

        assert browser.evaluate(session, "document.querySelectorAll('.flag').length") == 3
        assert browser.evaluate(session, "document.querySelectorAll('mark.hl').length") == 0

        # the transfer_in amount of the second project: a link in the projects table
        target_id = browser.evaluate(
            session,
            "(() => { const a = [...document.querySelectorAll('section#doc-0 table a.num')]"
            ".find(a => a.textContent === '9.05万元'); a.scrollIntoView({block: 'center'});"
            " return a.getAttribute('data-target'); })()",
        )
        assert target_id, "no link for 9.05万元 in the projects table"
        box = browser.evaluate(
            session,
            f"(() => {{ const r = document.querySelector('a.num[data-target=\"{target_id}\"]')"
            ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()",
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            browser.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
                session,
            )
        highlighted = browser.evaluate(
            session,
            "(() => { const m = [...document.querySelectorAll('mark.hl')]; if (m.length !== 1) return null;"
            " const r = m[0].getBoundingClientRect();"
            " const box = m[0].closest('.source').getBoundingClientRect();"
            " return {id: m[0].id, text: m[0].textContent, hash: location.hash,"
            " visible: r.top >= 0 && r.bottom <= window.innerHeight"
            " && r.top >= box.top && r.bottom <= box.bottom}; })()",
        )
        assert highlighted is not None, "exactly one mark should be highlighted after the click"
        assert highlighted["id"] == target_id
        assert highlighted["text"] == "9.05"
        assert highlighted["hash"] == f"#{target_id}"
        assert highlighted["visible"] is True
        # the mark sits at the number's span in the document's text
        start = browser.evaluate(
            session,
            f"(() => {{ const m = document.getElementById('{target_id}'); const range = document.createRange();"
            " range.setStart(m.closest('.source'), 0); range.setEndBefore(m);"
            " return range.toString().length; })()",
        )
        transfer = sample.hostile_result.extraction.projects[1].facts  # type: ignore[union-attr]
        spans = [n.span.start for numbers in transfer.values() for n in numbers if n.text == "9.05"]
        assert start in spans

        # the filter boxes hide flags: unticking "error" leaves the warning and the info flag
        visible = (
            "(() => { document.querySelector('input[data-filter=\"severity\"][value=\"error\"]').click();"
            " return [...document.querySelectorAll('.flag')].filter(f => f.offsetParent !== null)"
            ".map(f => f.getAttribute('data-severity')).sort(); })()"
        )
        assert browser.evaluate(session, visible) == ["info", "warning"]

        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session)
        png = tmp_path / "report-click.png"
        png.write_bytes(base64.b64decode(shot["data"]))
        assert png.read_bytes().startswith(b"\x89PNG")
    finally:
        browser.close()
