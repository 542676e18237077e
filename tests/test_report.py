"""`recon report`: one self-contained HTML file, every document string escaped, numbers linked to marks."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from _review_data import FLOW_EQUATION, HOSTILE_NAME, HOSTILE_TEXT, IMG_NAME, Sample, make_sample
from typer.testing import CliRunner

from pipeline.cli.review import register
from pipeline.review.report import ReportDocument, ReportRun, build_report, render_report
from pipeline.review.review import record_decision
from pipeline.store import Store
from schemas import Rule
from schemas.stored import FlagStatus

_ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p", "table", "tr", "th", "td",
    "div", "span", "b", "code", "a", "mark", "section", "details", "summary", "ul", "li", "br", "script",
    "label", "input",
}


class _Collector(HTMLParser):
    """Every start tag with its attributes, and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open_ids: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "mark" and attributes.get("id"):
            self._open_ids.append((tag, str(attributes["id"])))

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._open_ids:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        for _, mark_id in self._open_ids:
            self.text_by_id[mark_id] = self.text_by_id.get(mark_id, "") + data


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path)


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def _report(sample: Sample, app: typer.Typer, out: Path) -> str:
    result = CliRunner().invoke(app, ["report", "--db", str(sample.db_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    return out.read_text(encoding="utf-8")


def test_report_escapes_hostile_text(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    page = _report(sample, app, tmp_path / "report.html")
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    parser = _Collector()
    parser.feed(page)
    parser.close()
    tags = [tag for tag, _ in parser.tags]
    assert set(tags) <= _ALLOWED_TAGS
    assert tags.count("script") == 1  # recon's own
    for tag, attributes in parser.tags:
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        assert "src" not in attributes
        href = attributes.get("href")
        assert href is None or href.startswith("#"), href  # nothing external


def test_report_is_self_contained_with_csp(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    page = _report(sample, app, tmp_path / "report.html")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page


def test_report_summary_and_flags(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    page = _report(sample, app, tmp_path / "report.html")
    assert "2 document(s), 3 flag(s)" in page
    assert "Flags (3)" in page
    assert page.count('<div class="flag ') == 3
    assert FLOW_EQUATION in page
    assert "实际支出" in page and "培训人数" in page


def test_every_number_links_to_its_mark(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    page = _report(sample, app, tmp_path / "report.html")
    parser = _Collector()
    parser.feed(page)
    parser.close()
    links = [a for tag, a in parser.tags if tag == "a" and "num" in (a.get("class") or "")]
    targets = {str(a["data-target"]) for a in links}
    assert len(links) >= 13  # every stated number of both documents, plus the flag passages
    assert all(a["href"] == f"#{a['data-target']}" for a in links)
    assert targets <= set(parser.text_by_id)
    # the mark of each number holds exactly that number, at its span in the source
    hostile_spent = HOSTILE_TEXT.index("90")
    assert HOSTILE_TEXT[hostile_spent:hostile_spent + 2] == "90"
    assert "90" in parser.text_by_id.values()
    assert "9.05" in parser.text_by_id.values()
    assert {"200", "180", "95"} <= set(parser.text_by_id.values())


def test_report_shows_decisions_and_changed_sources(sample: Sample, app: typer.Typer, tmp_path: Path) -> None:
    with Store(sample.db_path) as store:
        flow = next(f for f in store.flags() if f.rule is Rule.FLOW_IDENTITY)
        record_decision(store, flow.id, FlagStatus.DISMISSED, by="李四", note="口径不同")
    sample.plain_path.write_text("changed", encoding="utf-8")
    page = _report(sample, app, tmp_path / "report.html")
    assert '<span class="status dismissed">dismissed</span>' in page
    assert "decided by 李四: 口径不同" in page
    assert "source changed since the run" in page


def test_build_report_defaults_to_latest_run_and_errors_without_runs(sample: Sample, tmp_path: Path) -> None:
    with Store(sample.db_path) as store:
        run, documents = build_report(store)
    assert run.run_id == sample.run_id
    assert [d.result.document for d in documents] == ["hostile.txt", "plain.txt"]
    result = CliRunner().invoke(_app(), ["report", "--db", str(sample.db_path), "--run", "77"])
    assert result.exit_code == 1
    assert "no run with id 77" in result.stderr


def _app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def test_render_without_source_text(sample: Sample) -> None:
    page = render_report(
        ReportRun(run_id=None),
        [ReportDocument(result=sample.plain_result, text=None, problem="cannot re-read the source: gone")],
    )
    assert "cannot re-read the source: gone" in page
    assert '<a class="num"' not in page  # nothing to link to
    assert "<mark id=" not in page
    assert IMG_NAME not in page


def test_overlapping_and_out_of_range_spans_share_or_skip_marks() -> None:
    from pipeline.review.report import _Marks
    from schemas import Span

    text = "预算2023年1234.5万元"
    outer = Span(start=2, end=7)  # "2023年"
    inner = Span(start=2, end=6)  # "2023", inside the outer mark
    amount = Span(start=7, end=13)
    beyond = Span(start=40, end=44)
    marks = _Marks(0, text, [inner, amount, outer, beyond])
    assert marks.target(outer) == "n-0-0"
    assert marks.target(inner) == "n-0-0"
    assert marks.target(amount) == "n-0-1"
    assert marks.target(beyond) is None
    assert marks.render_source(text) == (
        '预算<mark id="n-0-0">2023年</mark><mark id="n-0-1">1234.5</mark>万元'
    )
