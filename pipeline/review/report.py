"""One self-contained HTML report per run: summary, flags in context, extracted tables, source text.

The file carries its own CSS and a few lines of JS and loads nothing (a
Content-Security-Policy forbids it). Every piece of document text — names,
labels, the source itself — goes through `html.escape`: a report renders hostile
input. Each number in the tables is a link to a `<mark id="n-D-K">` at its span
in the document's text; clicking it (or opening `report.html#n-D-K`) scrolls to
that mark and gives it the class `hl`.

`render_report` is pure (data in, HTML string out); `build_report` gathers the
data from the store and re-reads the sources with `pipeline.review.review.load_source`.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ReconError, StoreError
from pipeline.i18n import (
    DEFAULT_LANG,
    MESSAGES,
    Lang,
    fact_name,
    phrase,
    rule_name,
    severity_name,
    status_name,
    text,
)
from pipeline.review.flagtext import describe_subject, flag_message, skipped_reason
from pipeline.review.review import SourceText, load_source, passages
from pipeline.store import Store
from schemas import Coverage, DocumentResult, Flag, Span, StatedNumber
from schemas.extraction import FactKey
from schemas.flags import Rule, Severity
from schemas.stored import FlagDecision, FlagStatus

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:1200px;
padding:1em 2em;color:#222;line-height:1.5}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.2em .5em;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.flag{border-left:4px solid #999;padding:.3em .8em;margin:.8em 0;background:#fafafa}
.flag.error{border-color:#c62828}.flag.warning{border-color:#ef8f00}.flag.info{border-color:#1565c0}
.sev{font-weight:bold;text-transform:uppercase;font-size:.8em}
.error .sev{color:#c62828}.warning .sev{color:#ef8f00}.info .sev{color:#1565c0}
.status{font-size:.8em;padding:0 .4em;border-radius:3px;background:#eee}
.status.confirmed{background:#ffcdd2}.status.dismissed{background:#c8e6c9;text-decoration:line-through}
code.eq{display:block;font-size:1.05em;margin:.3em 0}
.passage{white-space:pre-wrap;background:#fff;border:1px solid #e0e0e0;padding:.3em .5em;margin:.3em 0}
.passage mark{background:#ffe082}
.source{white-space:pre-wrap;max-height:70vh;overflow:auto;border:1px solid #ccc;padding:.5em;
background:#fff;font-size:.95em}
.source mark{background:#fff3c4}
.source mark.hl,.passage mark.hl{background:#ff7043;color:#fff;outline:2px solid #bf360c}
a.num{text-decoration:none;border-bottom:1px dotted #1565c0;color:#0d47a1;white-space:nowrap}
.muted{color:#777}.problem{color:#c62828}.filters{margin:.5em 0}.filters label{margin-right:.8em}
"""

_JS = """
(function(){
  var current = null;
  function highlight(id){
    var el = id ? document.getElementById(id) : null;
    if (!el || el.tagName !== 'MARK') return;
    if (current) current.classList.remove('hl');
    el.classList.add('hl');
    current = el;
    var box = el.closest('details');
    if (box) box.open = true;
    el.scrollIntoView({block: 'center'});
  }
  document.addEventListener('click', function(e){
    var a = e.target.closest ? e.target.closest('a.num') : null;
    if (!a) return;
    e.preventDefault();
    var id = a.getAttribute('data-target');
    if (history.replaceState) history.replaceState(null, '', '#' + id);
    highlight(id);
  });
  function applyFilters(){
    var on = {status: {}, severity: {}};
    document.querySelectorAll('input[data-filter]').forEach(function(box){
      on[box.getAttribute('data-filter')][box.value] = box.checked;
    });
    document.querySelectorAll('.flag').forEach(function(flag){
      var shown = on.status[flag.getAttribute('data-status')] !== false &&
                  on.severity[flag.getAttribute('data-severity')] !== false;
      flag.style.display = shown ? '' : 'none';
    });
  }
  document.querySelectorAll('input[data-filter]').forEach(function(box){
    box.addEventListener('change', applyFilters);
  });
  window.addEventListener('hashchange', function(){ highlight(decodeURIComponent(location.hash.slice(1))); });
  if (location.hash) highlight(decodeURIComponent(location.hash.slice(1)));
})();
"""


def _e(value: object) -> str:
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class ReportFlag:
    """A flag of a document's result, with its store id and review status when known."""

    flag: Flag
    flag_id: int | None = None
    status: str = "open"
    decided_by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReportDocument:
    """One document's result, its source text (None with `problem` when unavailable), its flags."""

    result: DocumentResult
    text: str | None
    problem: str | None = None
    flags: list[ReportFlag] = field(default_factory=list)
    #: the source as re-read, for `problem` in the reader's language
    source: SourceText | None = None


@dataclass(frozen=True)
class ReportRun:
    """The run a report describes."""

    run_id: int | None
    started: str | None = None
    finished: str | None = None
    backend: str | None = None
    model: str | None = None


class _Marks:
    """Assigns `<mark>` ids to the spans of one document's numbers.

    Overlapping spans cannot both be marks; a span inside another mark links to
    that mark. Spans outside the text get no mark (and no link).
    """

    def __init__(self, doc_index: int, text: str | None, spans: list[Span]) -> None:
        self.by_span: dict[tuple[int, int], str] = {}
        self.ordered: list[tuple[int, int, str]] = []
        if text is None:
            return
        unique = sorted({(s.start, s.end) for s in spans if s.end <= len(text) and s.start < s.end},
                        key=lambda se: (se[0], -se[1]))
        for start, end in unique:
            if self.ordered and start < self.ordered[-1][1]:
                self.by_span[(start, end)] = self.ordered[-1][2]
                continue
            mark_id = f"n-{doc_index}-{len(self.ordered)}"
            self.ordered.append((start, end, mark_id))
            self.by_span[(start, end)] = mark_id

    def target(self, span: Span) -> str | None:
        return self.by_span.get((span.start, span.end))

    def render_source(self, text: str) -> str:
        out: list[str] = []
        position = 0
        for start, end, mark_id in self.ordered:
            out.append(_e(text[position:start]))
            out.append(f'<mark id="{mark_id}">{_e(text[start:end])}</mark>')
            position = end
        out.append(_e(text[position:]))
        return "".join(out)


def _rule_severity_table(
    rules: list[str], severities: list[str], counts: dict[tuple[str, str], int], lang: Lang
) -> list[str]:
    """The `Flags by rule and severity` table of the one-page and the paged report."""
    rows = [f"<h3>{_e(text('report.by_rule', lang))}</h3>"]
    rows.append(
        f"<table><tr><th>{_e(text('col.rule', lang))}</th>"
        + "".join(f"<th>{_e(severity_name(Severity(s), lang))}</th>" for s in severities)
        + "</tr>"
    )
    for rule in rules:
        rows.append(
            f"<tr><td>{_e(rule_name(Rule(rule), lang))}</td>"
            + "".join(f"<td>{counts.get((rule, s), 0) or ''}</td>" for s in severities)
            + "</tr>"
        )
    rows.append("</table>")
    return rows


def _coverage_text(coverage: Coverage | None, lang: Lang) -> str:
    """`83% (10 of 12 money amounts placed)`, or `-`."""
    if coverage is None or coverage.ratio is None:
        return "-"
    return text(
        "report.coverage", lang, percent=f"{coverage.ratio:.0%}", placed=coverage.placed,
        total=coverage.money_amounts,
    )


def _status_counts(by_status: Counter[str], lang: Lang) -> str:
    """`open 3, confirmed 1` in `lang`."""
    return ("，" if lang == "zh" else ", ").join(
        f"{_e(status_name(FlagStatus(status), lang))} {count}" for status, count in sorted(by_status.items())
    )


def _head(title: str, lang: Lang) -> str:
    """The document head, with the page's language."""
    return (
        f'<!DOCTYPE html>\n<html lang="{text("report.html_lang", lang)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n"
    )


def _meta(run: ReportRun, lang: Lang) -> str:
    """`run: 3 · backend: rules · …` in `lang`."""
    meta = [
        (text("report.meta_run", lang), run.run_id), (text("col.backend", lang), run.backend),
        (text("col.model", lang), run.model), (text("col.started", lang), run.started),
        (text("report.meta_finished", lang), run.finished),
    ]
    colon = "：" if lang == "zh" else ": "
    shown = " · ".join(f"{_e(k)}{colon}{_e(v)}" for k, v in meta if v is not None)
    return f'<p class="muted">{shown}</p>'


def _summary_head(lang: Lang) -> str:
    """The header row of the per-document summary table."""
    keys = ("col.document", "col.status", "col.projects", "col.indicators", "col.breakdowns", "col.flags",
            "report.skipped_checks", "col.coverage")
    return "<table><tr>" + "".join(f"<th>{_e(text(key, lang))}</th>" for key in keys) + "</tr>"


def _number_link(number: StatedNumber, marks: _Marks, lang: Lang, with_unit: bool = True) -> str:
    label = _e(number.text) + (_e(number.unit) if with_unit and number.unit else "")
    target = marks.target(number.span)
    if target is None:
        return f'<span class="num" title="{_e(text("report.not_in_text", lang))}">{label}</span>'
    return f'<a class="num" href="#{target}" data-target="{target}">{label}</a>'


def _all_spans(document: ReportDocument) -> list[Span]:
    spans: list[Span] = []
    extraction = document.result.extraction
    if extraction is not None:
        for project in extraction.projects:
            for numbers in project.facts.values():
                spans.extend(n.span for n in numbers)
        for indicator in extraction.indicators:
            spans.extend(n.span for n in (indicator.target, indicator.actual, indicator.rate) if n)
        for breakdown in extraction.breakdowns:
            spans.append(breakdown.total.amount.span)
            spans.extend(part.amount.span for part in breakdown.parts)
        for statement in extraction.statements:
            spans.append(statement.amount.span)
    for report_flag in document.flags:
        spans.extend(report_flag.flag.spans)
    return spans


def _flag_html(document: ReportDocument, report_flag: ReportFlag, marks: _Marks, lang: Lang) -> str:
    flag = report_flag.flag
    anchor = f"flag-{report_flag.flag_id}" if report_flag.flag_id is not None else ""
    status = _e(report_flag.status)
    subject = describe_subject(flag.subject, document.text, flag.spans)
    parts = [
        f'<div class="flag {_e(flag.severity.value)}" data-severity="{_e(flag.severity.value)}" '
        f'data-status="{status}"' + (f' id="{anchor}"' if anchor else "") + ">",
        f'<div><span class="sev">{_e(severity_name(flag.severity, lang))}</span> '
        f"<b>{_e(rule_name(flag.rule, lang))}</b> "
        + (f"#{report_flag.flag_id} " if report_flag.flag_id is not None else "")
        + f'<span class="status {status}">{_e(status_name(FlagStatus(report_flag.status), lang))}</span> '
        f'<span class="muted">{_e(document.result.document)}</span></div>',
        f"<div><b>{_e(subject)}</b></div>",
        f"<div>{_e(flag_message(flag, lang, subject=subject))}</div>",
        f'<code class="eq">{_e(flag.equation)}</code>',
    ]
    if report_flag.decided_by or report_flag.note:
        parts.append(
            f'<div class="muted">{_e(text("report.decided_by", lang, by=report_flag.decided_by or "?"))}'
            + ((("：" if lang == "zh" else ": ") + _e(report_flag.note)) if report_flag.note else "")
            + "</div>"
        )
    if document.text is None:
        parts.append(f'<div class="problem">{_e(_problem(document, lang))}</div>')
    else:
        for passage in passages(document.text, flag.spans):
            pieces: list[str] = []
            position = 0
            for rel_start, rel_end in passage.highlights:
                pieces.append(_e(passage.text[position:rel_start]))
                span = Span(start=passage.start + rel_start, end=passage.start + rel_end)
                target = marks.target(span)
                number = _e(passage.text[rel_start:rel_end])
                if target is not None:
                    pieces.append(
                        f'<a class="num" href="#{target}" data-target="{target}"><mark>{number}</mark></a>'
                    )
                else:
                    pieces.append(f"<mark>{number}</mark>")
                position = rel_end
            pieces.append(_e(passage.text[position:]))
            parts.append(f'<div class="passage">…{"".join(pieces)}…</div>')
    parts.append("</div>")
    return "\n".join(parts)


def _problem(document: ReportDocument, lang: Lang) -> str:
    """Why the document's text cannot be shown, in `lang`."""
    if document.source is not None:
        return document.source.problem_in(lang) or text("report.source_unavailable", lang)
    return document.problem or text("report.source_unavailable", lang)


def _row(cells: list[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>"


def _tables_html(document: ReportDocument, marks: _Marks, lang: Lang) -> str:
    extraction = document.result.extraction
    if extraction is None:
        return f'<p class="muted">{_e(text("report.nothing", lang))}</p>'

    def t(key: str) -> str:
        return _e(text(key, lang))

    out: list[str] = []
    if extraction.projects:
        keys = [k for k in FactKey if any(k in p.facts for p in extraction.projects)]
        out.append(f"<h4>{_e(text('report.projects', lang, count=len(extraction.projects)))}</h4>")
        head = [t("col.name"), t("col.parent"), t("col.unit"), *(_e(fact_name(k.value, lang)) for k in keys)]
        out.append("<table>" + _row(head, header=True))
        for project in extraction.projects:
            cells = [
                " + ".join(_number_link(n, marks, lang) for n in project.facts.get(k, [])) for k in keys
            ]
            out.append(_row([_e(project.name), _e(project.parent or ""), _e(project.unit or ""), *cells]))
        out.append("</table>")
    if extraction.indicators:
        out.append(f"<h4>{_e(text('report.indicators', lang, count=len(extraction.indicators)))}</h4>")
        head = [t(key) for key in ("col.name", "report.category", "col.target", "col.actual", "col.rate")]
        head.append(t("col.unit"))
        out.append("<table>" + _row(head, header=True))
        for indicator in extraction.indicators:
            numbers = [
                _number_link(n, marks, lang) if n is not None else ""
                for n in (indicator.target, indicator.actual, indicator.rate)
            ]
            out.append(
                _row([_e(indicator.name), _e(indicator.category or ""), *numbers, _e(indicator.unit or "")])
            )
        out.append("</table>")
    if extraction.breakdowns:
        out.append(f"<h4>{_e(text('report.breakdowns', lang, count=len(extraction.breakdowns)))}</h4>")
        head = [t("col.total"), t("report.amount"), t("col.parts"), t("report.exhaustive")]
        out.append("<table>" + _row(head, header=True))
        for breakdown in extraction.breakdowns:
            parts = "<br>".join(
                f"{_e(part.label)} {_number_link(part.amount, marks, lang)}" for part in breakdown.parts
            )
            out.append(
                _row([
                    _e(breakdown.total.label), _number_link(breakdown.total.amount, marks, lang), parts,
                    t("report.yes") if breakdown.exhaustive else t("report.no"),
                ])
            )
        out.append("</table>")
    if extraction.statements:
        out.append(f"<h4>{_e(text('report.statements', lang, count=len(extraction.statements)))}</h4>")
        out.append("<table>" + _row([t("report.label"), t("report.scope"), t("report.amount")], header=True))
        for statement in extraction.statements:
            out.append(
                _row([
                    _e(statement.label),
                    _e(statement.scope or ""),
                    _number_link(statement.amount, marks, lang),
                ])
            )
        out.append("</table>")
    if not out:
        out.append(f'<p class="muted">{t("report.none_found")}</p>')
    return "\n".join(out)


def _title(run: ReportRun, lang: Lang) -> str:
    if run.run_id is None:
        return text("report.title", lang)
    return text("report.title_run", lang, id=run.run_id)


def _document_status(status: str, lang: Lang) -> str:
    return text(f"doc.{status}", lang) if f"doc.{status}" in MESSAGES else status


def render_report(
    run: ReportRun, documents: list[ReportDocument], index: str | None = None, lang: Lang = DEFAULT_LANG
) -> str:
    """The whole report as one HTML string in `lang` (pure).

    `index` links back to a paginated report's index.
    """
    marks = [_Marks(i, d.text, _all_spans(d)) for i, d in enumerate(documents)]
    all_flags = [(d, f, marks[i]) for i, d in enumerate(documents) for f in d.flags]
    by_rule_severity = Counter((f.flag.rule.value, f.flag.severity.value) for _, f, _ in all_flags)
    by_status = Counter(f.status for _, f, _ in all_flags)
    severities = ["error", "warning", "info"]
    rules = sorted({rule for rule, _ in by_rule_severity})
    title = _title(run, lang)

    body: list[str] = [f"<h1>{_e(title)}</h1>"]
    if index is not None:
        body.append(f'<p><a href="{_e(index)}">{_e(text("report.all_documents", lang))}</a></p>')
    body.append(_meta(run, lang))
    body.append(f'<h2 id="summary">{_e(text("report.summary", lang))}</h2>')
    summary = text(
        "report.summary_line", lang, documents=len(documents), flags=len(all_flags), statuses="{statuses}"
    )
    body.append("<p>" + _e(summary).replace("{statuses}", _status_counts(by_status, lang)) + "</p>")
    body.append(_summary_head(lang))
    for i, document in enumerate(documents):
        result = document.result
        extraction = result.extraction
        counts = (
            (len(extraction.projects), len(extraction.indicators), len(extraction.breakdowns))
            if extraction is not None else (0, 0, 0)
        )
        skipped = len(result.check.skipped) if result.check is not None else 0
        error = f' <span class="problem">{_e(result.error)}</span>' if result.error else ""
        body.append(
            f'<tr><td><a href="#doc-{i}">{_e(result.document)}</a></td>'
            f"<td>{_e(_document_status(result.status.value, lang))}{error}</td>"
            + "".join(f"<td>{c}</td>" for c in counts)
            + f"<td>{len(document.flags)}</td><td>{skipped}</td>"
            + f"<td>{_e(_coverage_text(extraction.coverage if extraction else None, lang))}</td></tr>"
        )
    body.append("</table>")
    if rules:
        body.extend(_rule_severity_table(rules, severities, by_rule_severity, lang))

    body.append(f'<h2 id="flags">{_e(text("report.flags", lang, count=len(all_flags)))}</h2>')
    if not all_flags:
        body.append(f'<p class="muted">{_e(text("report.no_flags", lang))}</p>')
    else:
        boxes = [("status", s.value, status_name(s, lang)) for s in FlagStatus] + [
            ("severity", v, severity_name(Severity(v), lang)) for v in severities
        ]
        body.append(
            f'<div class="filters">{_e(text("report.show", lang))} '
            + " ".join(
                f'<label><input type="checkbox" data-filter="{kind}" value="{value}" checked> '
                f"{_e(name)}</label>"
                for kind, value, name in boxes
            )
            + "</div>"
        )
    for document, report_flag, document_marks in all_flags:
        body.append(_flag_html(document, report_flag, document_marks, lang))

    body.append(f'<h2 id="documents">{_e(text("report.documents", lang))}</h2>')
    for i, document in enumerate(documents):
        result = document.result
        body.append(f'<section id="doc-{i}"><h3>{_e(result.document)}</h3>')
        org = result.extraction.organization if result.extraction else None
        year = result.extraction.fiscal_year if result.extraction else None
        coverage = result.extraction.coverage if result.extraction is not None else None
        body.append(
            f'<p class="muted">{_e(result.path)}'
            + (f" · {_e(org)}" if org else "")
            + (f" · {_e(year)}" if year else "")
            + (
                f" · {_e(text('report.coverage_of', lang, coverage=_coverage_text(coverage, lang)))}"
                if coverage is not None
                else ""
            )
            + "</p>"
        )
        if result.check is not None and result.check.skipped:
            body.append(f"<details><summary>{_e(text('report.skipped_checks', lang))}</summary><ul>")
            body.extend(
                f"<li>{_e(rule_name(s.rule, lang))} · {_e(s.subject)}"
                f"{'：' if lang == 'zh' else ': '}{_e(skipped_reason(s, lang))}</li>"
                for s in result.check.skipped
            )
            body.append("</ul></details>")
        body.append(_tables_html(document, marks[i], lang))
        if document.text is None:
            body.append(f'<p class="problem">{_e(_problem(document, lang))}</p>')
        else:
            body.append(
                f"<details open><summary>{_e(text('report.source_text', lang))}</summary>"
                f'<div class="source" id="src-{i}">{marks[i].render_source(document.text)}</div></details>'
            )
        body.append("</section>")

    return _head(title, lang) + "\n".join(body) + f"\n<script>{_JS}</script>\n</body></html>\n"


# --- gathering the data from the store -------------------------------------------------------


def _report_document(
    store: Store,
    result: DocumentResult,
    states: dict[tuple[str, str], tuple[int, str]],
    decisions: dict[tuple[str, str], FlagDecision],
) -> ReportDocument:
    flags: list[ReportFlag] = []
    for flag in result.check.flags if result.check is not None else []:
        flag_id: int | None
        flag_id, status = states.get((result.path, flag.key), (None, "open"))
        decision = decisions.get((result.document, flag.key))
        if decision is not None:
            status = decision.status.value
        flags.append(
            ReportFlag(
                flag=flag, flag_id=flag_id, status=status,
                decided_by=decision.by if decision else None, note=decision.note if decision else None,
            )
        )
    source = load_source(result.path, result.sha256)
    return ReportDocument(result=result, text=source.text, problem=source.problem, flags=flags, source=source)


def _report_run(store: Store, run_id: int | None) -> ReportRun:
    if run_id is None:
        run_id = store.latest_run_id()
        if run_id is None:
            raise ReconError(phrase("report.no_runs"))
    try:
        record = store.get_run(run_id)
    except StoreError:
        raise ReconError(phrase("report.no_run", id=run_id)) from None
    return ReportRun(
        run_id=record.id, started=record.started, finished=record.finished,
        backend=record.backend, model=record.model,
    )


def report_documents(store: Store, run_id: int) -> Iterator[ReportDocument]:
    """The documents of the report of `run_id`, built one at a time (each with its source text)."""
    states = store.flag_states()
    decisions = store.decisions()
    for result in store.results_as_of(run_id):
        yield _report_document(store, result, states, decisions)


def build_report(store: Store, run_id: int | None = None) -> tuple[ReportRun, list[ReportDocument]]:
    """The data of the report of `run_id` (default: the latest run). Raises ReconError without runs."""
    run = _report_run(store, run_id)
    assert run.run_id is not None
    return run, list(report_documents(store, run.run_id))


#: Above this many documents, `write_report` writes an index page and one page per document.
SINGLE_PAGE_DOCUMENTS = 50


def write_report(
    store: Store,
    out: Path,
    run_id: int | None = None,
    single_page_limit: int = SINGLE_PAGE_DOCUMENTS,
    lang: Lang = DEFAULT_LANG,
) -> Path:
    """Write the report of `run_id` (default: latest) to `out` in `lang`; returns the path written.

    Up to `single_page_limit` documents it is one self-contained page. A larger run
    gets `out` as an index (summary, flags by rule, one link per document) and one
    page per document in `<out stem>-pages/`: no page holds every source text, and
    documents are built, written and dropped one at a time.
    """
    run = _report_run(store, run_id)
    assert run.run_id is not None
    keys = store.result_keys_as_of(run.run_id)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if len(keys) <= single_page_limit:
            documents = list(report_documents(store, run.run_id))
            out.write_text(render_report(run, documents, lang=lang), encoding="utf-8")
            return out
        pages = out.with_name(f"{out.stem}-pages")
        pages.mkdir(exist_ok=True)
        rows: list[IndexRow] = []
        for i, document in enumerate(report_documents(store, run.run_id)):
            page = pages / f"doc-{i:05d}.html"
            html_page = render_report(run, [document], index=f"../{out.name}", lang=lang)
            page.write_text(html_page, encoding="utf-8")
            rows.append(IndexRow.of(document, f"{pages.name}/{page.name}"))
        out.write_text(render_index(run, rows, lang), encoding="utf-8")
    except OSError as exc:
        raise ReconError(phrase("report.cannot_write", path=out, detail=exc.strerror or exc)) from exc
    return out


@dataclass(frozen=True)
class IndexRow:
    """One document's line of a paginated report's index page."""

    document: str
    status: str
    error: str | None
    counts: tuple[int, int, int]
    flags: tuple[tuple[str, str, str], ...]  # (rule, severity, status) of each flag
    skipped: int
    coverage: Coverage | None
    href: str

    @classmethod
    def of(cls, document: ReportDocument, href: str) -> IndexRow:
        result = document.result
        extraction = result.extraction
        counts = (
            (len(extraction.projects), len(extraction.indicators), len(extraction.breakdowns))
            if extraction is not None else (0, 0, 0)
        )
        return cls(
            document=result.document, status=result.status.value, error=result.error, counts=counts,
            flags=tuple((f.flag.rule.value, f.flag.severity.value, f.status) for f in document.flags),
            skipped=len(result.check.skipped) if result.check is not None else 0,
            coverage=extraction.coverage if extraction is not None else None, href=href,
        )


def render_index(run: ReportRun, rows: list[IndexRow], lang: Lang = DEFAULT_LANG) -> str:
    """The index page of a paginated report: summary, flags by rule and severity, a link per document."""
    severities = ["error", "warning", "info"]
    by_rule_severity = Counter((rule, severity) for row in rows for rule, severity, _ in row.flags)
    by_status = Counter(status for row in rows for _, _, status in row.flags)
    title = _title(run, lang)
    summary = text(
        "report.summary_line", lang, documents=len(rows), flags=sum(by_status.values()), statuses="{statuses}"
    )
    body = [
        f"<h1>{_e(title)}</h1>",
        _meta(run, lang),
        f'<h2 id="summary">{_e(text("report.summary", lang))}</h2>',
        "<p>" + _e(summary).replace("{statuses}", _status_counts(by_status, lang))
        + f" — {_e(text('report.one_page_each', lang))}</p>",
    ]
    rules = sorted({rule for rule, _ in by_rule_severity})
    if rules:
        body.extend(_rule_severity_table(rules, severities, by_rule_severity, lang))
    body.append(f'<h2 id="documents">{_e(text("report.documents", lang))}</h2>' + _summary_head(lang))
    for row in rows:
        error = f' <span class="problem">{_e(row.error)}</span>' if row.error else ""
        body.append(
            f'<tr><td><a href="{_e(row.href)}">{_e(row.document)}</a></td>'
            f"<td>{_e(_document_status(row.status, lang))}{error}</td>"
            + "".join(f"<td>{c}</td>" for c in row.counts)
            + f"<td>{len(row.flags)}</td><td>{row.skipped}</td>"
            + f"<td>{_e(_coverage_text(row.coverage, lang))}</td></tr>"
        )
    body.append("</table>")
    return _head(title, lang) + "\n".join(body) + "\n</body></html>\n"


def default_report_path(out_dir: Path, run_id: int | None) -> Path:
    """`<out_dir>/report-run-<id>.html`."""
    return out_dir / (f"report-run-{run_id}.html" if run_id is not None else "report.html")


__all__ = [
    "IndexRow",
    "ReportDocument",
    "ReportFlag",
    "ReportRun",
    "build_report",
    "default_report_path",
    "render_index",
    "render_report",
    "report_documents",
    "write_report",
]
