"""What the rules backend tells the model path: the numbers to mark, their roles, the chunks to send.

The model path (`pipeline.extract.model`) and the rules backend do not import
each other; this module sits beside both and turns the rules' view of a
document into plain `schemas` data:

* `number_candidates`: every number a model may refer to (stage 1 of the
  general extractor, with the units of money-table headers given to bare
  cells). Dates, codes, document numbers, phone numbers and list ordinals are
  not offered; scores, standards (`98分`, `1000元/生`) and the sides of a ratio
  (`2754/2828`, `207/10万`) are, since they can be indicators.
* `rules_roles`: the role the rules gave each number (`项目A budget_initial`),
  the hints a model may confirm, correct or complete.
* `chunks_to_send`: the coverage-driven `--llm-policy uncovered` choice: a chunk
  goes to the model when it holds money amounts the rules left unplaced, or when
  the checker flags a relation whose numbers lie in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipeline.extract.rules.candidates import Candidate, Kind, find_candidates
from pipeline.extract.rules.general import table_units
from pipeline.extract.rules.tables import number_label
from schemas import CheckReport, Chunk, Document, DocumentExtraction, Severity, StatedNumber
from schemas.llm_ids import NumberCandidate

#: Exclusions that still make a number worth offering (an indicator can be a score or a standard).
_OFFERED_EXCLUSIONS = frozenset({None, "score", "standard"})


def number_candidates(document: Document) -> list[NumberCandidate]:
    """The document's candidate numbers, in text order, as the model path sees them."""
    text = document.text
    with_units = table_units(text)
    found: list[NumberCandidate] = []
    for candidate in find_candidates(text):
        if candidate.excluded == "code" and candidate.kind is Kind.MONEY:
            # `收入:792.22万元`: an amount after a colon is no code
            candidate = Candidate(
                candidate.start, candidate.end, candidate.unit, candidate.unit_end, Kind.MONEY
            )
        elif candidate.excluded == "code" and _ratio_side(text, candidate):
            candidate = Candidate(candidate.start, candidate.end, None, candidate.end, Kind.BARE)
        elif candidate.excluded not in _OFFERED_EXCLUSIONS:
            continue
        candidate = with_units.get(candidate.start, candidate)
        floor = found[-1].unit_end if found else 0
        found.append(_plain(text, candidate, number_label(text, candidate.start, floor)))
    return found


def _ratio_side(text: str, candidate: Candidate) -> bool:
    """A number on either side of `/` in a ratio (`2754/2828`, `207/10万`), not a date or a code."""
    before = text[candidate.start - 1 : candidate.start]
    after = text[candidate.end : candidate.end + 1]
    return "/" in (before, after) and "-" not in text[max(0, candidate.start - 3) : candidate.end + 3]


def _plain(text: str, candidate: Candidate, label: str) -> NumberCandidate:
    written = text[candidate.start : candidate.unit_end]
    if candidate.kind is Kind.MONEY and candidate.unit_end == candidate.end:
        written = f"{written}{candidate.unit}"  # a table cell: its unit is the header's
    return NumberCandidate(
        start=candidate.start,
        end=candidate.end,
        unit_end=candidate.unit_end,
        unit=candidate.unit,
        kind=candidate.kind.value,
        text=written,
        label=label,
    )


def _original_to_normalised(document: Document, candidates: Sequence[NumberCandidate]) -> dict[int, int]:
    return {document.offsets.original_span(c.start, c.end)[0]: c.start for c in candidates}


def _numbers(extraction: DocumentExtraction) -> Iterable[tuple[StatedNumber, str]]:
    for project in extraction.projects:
        for key, numbers in project.facts.items():
            for number in numbers:
                yield number, f"{project.name} {key.value}"
    for indicator in extraction.indicators:
        for field in ("target", "actual", "rate"):
            if (number := getattr(indicator, field)) is not None:
                yield number, f"indicator {indicator.name} {field}"
    for breakdown in extraction.breakdowns:
        yield breakdown.total.amount, f"breakdown total {breakdown.total.label}"
        for part in breakdown.parts:
            yield part.amount, f"part {part.label} of {breakdown.total.label}"
    for statement in extraction.statements:
        yield statement.amount, f"statement {statement.label}"
    for ratio in extraction.ratios:
        for stated in (ratio.value, ratio.numerator, ratio.denominator):
            yield stated, f"ratio {ratio.label}"
    for score in extraction.scores:
        for maybe in (score.weight, score.score, score.rate):
            if maybe is not None:
                yield maybe, f"score {score.label}"


def rules_roles(
    document: Document, extraction: DocumentExtraction, candidates: Sequence[NumberCandidate]
) -> dict[int, str]:
    """normalised start of a candidate → the first role the rules gave it (projects first)."""
    to_normalised = _original_to_normalised(document, candidates)
    roles: dict[int, str] = {}
    for number, role in _numbers(extraction):
        start = to_normalised.get(number.span.start)
        if start is not None:
            roles.setdefault(start, role)
    return roles


def chunks_to_send(
    document: Document,
    chunks: Sequence[Chunk],
    by_rules: DocumentExtraction,
    report: CheckReport,
    candidates: Sequence[NumberCandidate],
) -> set[str]:
    """Chunks holding money the rules left unplaced, or numbers of a relation the checker flags."""
    placed = set(rules_roles(document, by_rules, candidates))
    unplaced = [c.start for c in candidates if c.kind == "money" and c.start not in placed]
    to_normalised = _original_to_normalised(document, candidates)
    flagged = [
        to_normalised[span.start]
        for flag in report.flags
        if flag.severity is not Severity.INFO
        for span in flag.spans
        if span.start in to_normalised
    ]
    return {
        chunk.id
        for chunk in chunks
        if any(chunk.start <= start < chunk.end for start in (*unplaced, *flagged))
    }
