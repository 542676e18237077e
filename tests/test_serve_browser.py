"""`recon serve` in a real browser: Playwright driving Debian chromium (never a downloaded browser).

Opens the flags page, opens a flag, dismisses it with a note, sees the status change
without a reload (htmx), reloads to see it persisted, and screenshots into a temp dir.
Skipped, saying why, only when chromium or Playwright is not installed (`.ci/run`
installs chromium and fonts-wqy-zenhei).
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _review_data import make_sample

from schemas.flags import Rule

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    import uvicorn

    from pipeline.web.app import create_app

    sample = make_sample(tmp_path / "store")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sample.db_path, lang="zh"), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", sample.db_path
    server.should_exit = True
    thread.join(timeout=10)


def test_dismiss_a_flag_in_the_browser(served: tuple[str, Path], tmp_path: Path) -> None:
    base, db_path = served
    with sqlite3.connect(db_path) as conn:
        (flag_id,) = conn.execute("SELECT id FROM flags WHERE rule = ?", (Rule.BREAKDOWN_SUM.value,)).fetchone()
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.goto(f"{base}/flags")
            assert page.locator("tr.flag-row").count() == 3
            page.click(f'tr.flag-row[data-id="{flag_id}"] td a')
            page.wait_for_url(f"{base}/flags/{flag_id}")
            assert page.locator("#flag-status").inner_text() == "待审核"
            page.fill('input[name="note"]', "分项含其他口径，非错误")
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: navigations.append(frame.url))
            page.click("button.dismiss")
            page.wait_for_selector(".saved")
            assert page.locator("#flag-status").inner_text() == "已驳回"
            assert navigations == []  # htmx swapped the panel; the page did not reload
            page.screenshot(path=str(tmp_path / "flag-dismissed.png"), full_page=True)
            page.reload()
            assert page.locator("#flag-status").inner_text() == "已驳回"
            assert "分项含其他口径，非错误" in page.locator("#decision-line").inner_text()
            page.goto(f"{base}/flags?status=dismissed")
            assert page.locator("tr.flag-row").count() == 1
        finally:
            browser.close()
    assert (tmp_path / "flag-dismissed.png").stat().st_size > 10_000
