"""The backend-neutral step between extraction and the checker: `complete(extraction, document)`.

Whatever backend read the facts, the checker's document-level rules need the same inputs, read
the same way from the document's text:

- the organisation (from the report's head) and the fiscal year (the most frequent `20xx年度`,
  else `20xx年`), when the backend left them out;
- statements derived from the breakdowns (for the `conflict` rule), before the backend's own;
- the years written in project names (for the `date` rule);
- densities stated with both their counts (`鼠夹2936个，捕获鼠31只，鼠密度为0.10只/夹`), for
  the `ratio` rule;
- the scoring rows of a 绩效自评表 (for the `score` rule), when the backend read none.

`complete` is pure and derives from the backend's extraction only, so applying it to a
re-read extraction gives that extraction's statements, not the old ones.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter

from pipeline.extract.rules.scores import extract_scores
from pipeline.extract.rules.text import Amount, all_amounts
from pipeline.extract.statements import statements_from_breakdowns
from pipeline.numbers import stated_number
from schemas import Document, DocumentExtraction, Span, StatedRatio, Statement, YearMention

_YEAR = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})年")
_ORGANIZATION = re.compile(
    r"[\u4e00-\u9fff]{2,30}?(?:卫生健康委员会|卫生健康局|卫健局|卫健委|管理委员会[\u4e00-\u9fff]{0,10}局|局|委员会)"
)
_DENSITY = re.compile(
    r"(?P<label>[\u4e00-\u9fff]{1,6}密度)为?(?P<number>\d+(?:\.\d+)?)(?P<unit>只/[\u4e00-\u9fff]{1,2})"
)


def organization_of(text: str) -> str | None:
    """The reporting organisation named in the first 400 characters (…局, …委员会), if any."""
    match = _ORGANIZATION.search(text[:400])
    return match.group(0).strip() if match else None


def fiscal_year_of(text: str) -> int | None:
    """The report's year: the most frequent `20xx年度`, else the most frequent `20xx年`."""
    fiscal = Counter(int(m.group(1)) for m in re.finditer(r"(?<!\d)(20\d{2})年度", text))
    if fiscal:
        return fiscal.most_common(1)[0][0]
    years = Counter(int(m.group("year")) for m in _YEAR.finditer(text))
    return years.most_common(1)[0][0] if years else None


def _normalized_range(document: Document, span: Span) -> tuple[int, int]:
    """The normalised `[start, end)` whose characters map into original `span`."""
    to_original = document.offsets.to_original
    start = bisect_left(to_original, span.start, 0, len(document.text))
    end = bisect_left(to_original, span.end, start, len(document.text))
    return start, max(start, end)


def year_mentions(extraction: DocumentExtraction, document: Document) -> list[YearMention]:
    """Years written in the names of the extraction's projects, spanned in the original text."""
    mentions: list[YearMention] = []
    for project in extraction.projects:
        if project.name_span is None or not _YEAR.search(project.name):
            continue
        start, end = _normalized_range(document, project.name_span)
        for match in _YEAR.finditer(document.text, start, end):
            if match.group(0) not in project.name:
                continue
            original_start, original_end = document.offsets.original_span(
                match.start("year"), match.end("year")
            )
            mentions.append(
                YearMention(
                    year=int(match.group("year")),
                    subject=project.name,
                    span=Span(start=original_start, end=original_end),
                )
            )
    return mentions


def densities(document: Document) -> list[StatedRatio]:
    """Each `X密度为V只/夹` whose clause also states the count caught and the count set."""
    text = document.text
    ratios: list[StatedRatio] = []
    for match in _DENSITY.finditer(text):
        clause_start = max(text.rfind(mark, 0, match.start()) for mark in "；;。\n") + 1
        counts = [a for a in all_amounts(text, clause_start, match.start()) if not a.money and a.unit != "%"]
        if len(counts) != 2:
            continue
        denominator, numerator = counts
        value = Amount(match.start("number"), match.end("number"), match.group("unit"), match.end())
        ratios.append(
            StatedRatio(
                label=match.group("label"),
                value=stated_number(document, value.start, value.end, value.unit),
                numerator=stated_number(document, numerator.start, numerator.end, numerator.unit),
                denominator=stated_number(document, denominator.start, denominator.end, denominator.unit),
            )
        )
    return ratios


def _statement_key(statement: Statement) -> tuple[str, str | None, int, int]:
    return statement.label, statement.scope, statement.amount.span.start, statement.amount.span.end


def complete(extraction: DocumentExtraction, document: Document) -> DocumentExtraction:
    """`extraction` with what every backend's result needs before the checker (module docstring).

    What the backend stated wins: its organisation, year, statements, year mentions, ratios and
    scores are kept; derived ones are added only where they say something new.
    """
    fiscal_year = extraction.fiscal_year
    if fiscal_year is None:
        fiscal_year = fiscal_year_of(document.text)
    own = {_statement_key(s) for s in extraction.statements}
    from_breakdowns = statements_from_breakdowns(extraction.breakdowns, fiscal_year)
    derived = [s for s in from_breakdowns if _statement_key(s) not in own]
    year_spans = {(y.year, y.span.start, y.span.end) for y in extraction.years}
    years = [
        y for y in year_mentions(extraction, document) if (y.year, y.span.start, y.span.end) not in year_spans
    ]
    ratio_spans = {r.value.span for r in extraction.ratios}
    ratios = [r for r in densities(document) if r.value.span not in ratio_spans]
    return extraction.model_copy(
        update={
            "organization": extraction.organization or organization_of(document.text),
            "fiscal_year": fiscal_year,
            "statements": [*derived, *extraction.statements],
            "years": [*extraction.years, *years],
            "ratios": [*extraction.ratios, *ratios],
            "scores": extraction.scores or extract_scores(document),
        }
    )
