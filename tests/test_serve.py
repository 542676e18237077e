"""`recon serve`'s pages through FastAPI's TestClient: every page and filter, decisions, token, escaping."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from _review_data import HOSTILE_NAME, IMG_NAME, Sample, make_sample
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipeline.cli.main import app as cli_app
from pipeline.web.app import create_app
from schemas.flags import Rule


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "store")


@pytest.fixture
def client(sample: Sample) -> TestClient:
    return TestClient(create_app(sample.db_path, lang="zh"))


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="flag-row" data-id="(\d+)"', page)]


def _flag_ids(sample: Sample) -> dict[str, int]:
    with sqlite3.connect(sample.db_path) as conn:
        return {rule: flag_id for flag_id, rule in conn.execute("SELECT id, rule FROM flags")}


def test_flags_page_lists_open_flags_in_chinese_with_counts(client: TestClient) -> None:
    page = client.get("/flags")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert len(_ids(page.text)) == 3
    assert "待审核 <b>3</b>" in page.text and "已驳回 <b>0</b>" in page.text
    assert "资金收支平衡 <b>1</b>" in page.text
    assert '<script src="/static/htmx.min.js">' in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rule=ratio", 1),
        ("rule=flow_identity", 1),
        ("rule=date", 0),
        ("severity=error", None),
        ("document=plain.txt", 1),
        ("document=hostile.txt", 2),
        ("status=dismissed", 0),
        ("status=", 3),
        ("rule=not-a-rule", 3),
    ],
)
def test_every_filter(client: TestClient, sample: Sample, query: str, expected: int | None) -> None:
    page = client.get(f"/flags?{query}")
    assert page.status_code == 200
    shown = _ids(page.text)
    if expected is None:  # severity: as many as the store holds of that severity
        with sqlite3.connect(sample.db_path) as conn:
            expected = conn.execute("SELECT COUNT(*) FROM flags WHERE severity='error'").fetchone()[0]
    assert len(shown) == expected


def test_flag_page_shows_arithmetic_passages_and_buttons(client: TestClient, sample: Sample) -> None:
    flag_id = _flag_ids(sample)[Rule.FLOW_IDENTITY.value]
    page = client.get(f"/flags/{flag_id}")
    assert page.status_code == 200
    assert "<h2>算式</h2>" in page.text
    assert page.text.count("<mark>") >= 3
    assert f'hx-post="/flags/{flag_id}/decision"' in page.text
    for label in ("确认有误", "驳回（误报）", "重新打开"):
        assert label in page.text
    assert client.get("/flags/99999").status_code == 404


def test_decision_round_trip_through_htmx_and_plain_post(client: TestClient, sample: Sample) -> None:
    flag_id = _flag_ids(sample)[Rule.RATIO.value]
    partial = client.post(
        f"/flags/{flag_id}/decision", data={"action": "dismiss", "note": "四舍五入所致"},
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<section id="decision"')  # only the panel, not a page
    assert "已驳回" in partial.text and "四舍五入所致" in partial.text
    with sqlite3.connect(sample.db_path) as conn:
        stored = conn.execute("SELECT status, note FROM flag_decisions").fetchall()
    assert stored == [("dismissed", "四舍五入所致")]
    assert _ids(client.get("/flags?status=dismissed").text) == [flag_id]
    # the CLI sees the same decision: one code path
    shown = CliRunner().invoke(cli_app, ["--lang", "en", "show", str(flag_id), "--db", str(sample.db_path)])
    assert "decision: dismissed" in shown.stdout and "四舍五入所致" in shown.stdout
    plain = client.post(f"/flags/{flag_id}/decision", data={"action": "reopen"}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/flags/{flag_id}"
    assert _ids(client.get("/flags").text).count(flag_id) == 1
    assert client.post(f"/flags/{flag_id}/decision", data={"action": "explode"}).status_code == 400
    foreign = client.post(
        f"/flags/{flag_id}/decision", data={"action": "confirm"}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403


def test_document_page_escapes_script_and_quotes(client: TestClient, sample: Sample) -> None:
    page = client.get("/documents/hostile.txt")
    assert page.status_code == 200
    assert HOSTILE_NAME not in page.text and IMG_NAME not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page.text
    assert 'class="num" href="#n-' in page.text  # numbers link to their place in the text
    anchors = re.findall(r'href="#n-(\d+)"', page.text)
    assert anchors and all(f'<mark id="n-{a}">' in page.text for a in anchors)
    assert "<h2>项目</h2>" in page.text and "<h2>标记</h2>" in page.text
    assert client.get("/documents/nothing.txt").status_code == 404


def test_flags_page_escapes_hostile_subjects(client: TestClient) -> None:
    page = client.get("/flags?status=")
    assert "<script>alert" not in page.text and "onerror=alert(2)>" not in page.text


def test_runs_page_and_english(client: TestClient) -> None:
    page = client.get("/runs")
    assert page.status_code == 200 and page.text.count('class="run-row"') == 1
    assert "已完成" in page.text
    english = client.get("/runs?lang=en")
    assert '<html lang="en">' in english.text and "finished" in english.text
    assert client.get("/flags").text.count("Flags") >= 1  # the cookie keeps English


def test_token_is_required_on_every_request(sample: Sample) -> None:
    client = TestClient(create_app(sample.db_path, token="s3cret", lang="zh"))
    for path in ("/flags", "/runs", "/static/htmx.min.js", "/documents/plain.txt"):
        assert client.get(path).status_code == 401, path
    assert client.get("/flags?token=wrong").status_code == 401
    assert client.get("/flags", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/flags?token=s3cret").status_code == 200
    assert client.get("/runs").status_code == 200  # the cookie set by ?token= is enough now
    assert client.post("/flags/1/decision", data={"action": "dismiss"}, follow_redirects=False).status_code == 303


def test_serve_command_warns_off_loopback_without_token(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int]] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, log_level: calls.append((host, port)))
    runner = CliRunner()
    local = runner.invoke(cli_app, ["serve", "--db", str(sample.db_path)])
    assert local.exit_code == 0, local.output
    assert "warning" not in local.stderr and "http://127.0.0.1:8000/" in local.stdout
    exposed = runner.invoke(cli_app, ["serve", "--db", str(sample.db_path), "--host", "0.0.0.0", "--port", "9000"])
    assert "no authentication" in exposed.stderr
    guarded = runner.invoke(cli_app, ["serve", "--db", str(sample.db_path), "--host", "0.0.0.0", "--token", "t"])
    assert "no authentication" not in guarded.stderr and "?token=t" in guarded.stdout
    assert calls == [("127.0.0.1", 8000), ("0.0.0.0", 9000), ("0.0.0.0", 8000)]


def test_runs_command_lists_runs(sample: Sample) -> None:
    result = CliRunner().invoke(cli_app, ["runs", "--db", str(sample.db_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "1 run(s)" in result.stdout and "finished" in result.stdout
    chinese = CliRunner().invoke(cli_app, ["--lang", "zh", "runs", "--db", str(sample.db_path)])
    assert "共 1 次运行" in chinese.stdout
