"""Merge per-chunk extractions into one document extraction, without duplicates.

* Projects with the same name (normalised: no quote marks, list numbers,
  spaces or trailing punctuation) are one project; a project seen once with
  its parent and once without is still one. Its facts are the union: the
  same key with the same span is one fact; for `supplement` (amounts that add)
  every distinct span counts, and so does every amount one sighting lists
  under one key; for any other key the first sighting's value stays and a
  different later value becomes a pair of `Statement`s, which the checker
  reports as a `conflict` instead of silently summing them.
* Sub-projects are linked to their parent by the parent's normalised name
  (the parent's `parent` field then reads exactly as the parent's `name`).
* Not stated is not zero: merging never invents a fact; a flow absent from
  every part stays absent.
* Indicators merge by name (values missing in the first sighting are filled
  from later ones); breakdowns merge by total (same label and span), parts
  unioned by span, except two breakdowns of one chunk: two decompositions of
  one total stand side by side.
* Every field of `DocumentExtraction` has its merger in `_MERGERS` (document-level
  fields: the first part that states one; lists: the union in order), checked at
  import, so a field added to the schema cannot be dropped by the merge.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pipeline.extract.ground import clean_name
from schemas import (
    Breakdown,
    BreakdownItem,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    ScoreLine,
    Span,
    StatedNumber,
    Statement,
)
from schemas.names import canonical_name

logger = logging.getLogger(__name__)

_IGNORABLE_RE = re.compile(r"[\s，,。；;：:、·\-—]+")


def sighting_key(name: str | None) -> str:
    """The key two sightings of one project or indicator share."""
    if not name:
        return ""
    return _IGNORABLE_RE.sub("", canonical_name(name)).lower()


def _span_key(span: Span) -> tuple[int, int]:
    return span.start, span.end


@dataclass
class _ProjectAcc:
    name: str
    parent: str | None
    unit: str | None
    name_span: Span | None
    chunk_id: str | None
    source: str
    facts: dict[FactKey, list[StatedNumber]] = field(default_factory=dict)

    def add(self, project: Project, conflicts: list[Statement]) -> None:
        if self.parent is None and project.parent:
            self.parent = clean_name(project.parent)
        self.unit = self.unit or project.unit
        self.name_span = self.name_span or project.name_span
        self.chunk_id = self.chunk_id or project.chunk_id
        for key, numbers in project.facts.items():
            have = self.facts.setdefault(key, [])
            earlier = list(have)  # amounts one sighting lists under one key all count (they add)
            for number in numbers:
                if any(_span_key(n.span) == _span_key(number.span) for n in have):
                    continue
                if key is FactKey.SUPPLEMENT or not earlier:
                    have.append(number)
                elif any(n.value == number.value and n.unit == number.unit for n in have):
                    continue  # the same amount stated again elsewhere
                else:
                    label = f"{self.name}:{key.value}"
                    logger.info(
                        "project %r: %s stated as %s and %s",
                        self.name,
                        key.value,
                        have[0].normalized,
                        number.normalized,
                    )
                    for stated in (have[0], number):
                        if not any(
                            _span_key(c.amount.span) == _span_key(stated.span) and c.label == label
                            for c in conflicts
                        ):
                            conflicts.append(Statement(label=label, scope=None, amount=stated))
        if project.source != self.source and project.source not in self.source.split("+"):
            self.source = f"{self.source}+{project.source}"

    def build(self) -> Project:
        facts = {
            key: sorted(numbers, key=lambda n: n.span.start) for key, numbers in self.facts.items() if numbers
        }
        units = Counter(n.unit for numbers in facts.values() for n in numbers if n.unit and n.unit != "%")
        unit = units.most_common(1)[0][0] if units else self.unit
        return Project(
            name=self.name,
            parent=self.parent,
            unit=unit,
            facts=facts,
            name_span=self.name_span,
            chunk_id=self.chunk_id,
            source=self.source,
        )


def _merge_projects(projects: Sequence[Project], conflicts: list[Statement]) -> list[Project]:
    merged: list[_ProjectAcc] = []
    for project in projects:
        name_key = sighting_key(project.name)
        parent_key = sighting_key(project.parent)
        same_name = [acc for acc in merged if sighting_key(acc.name) == name_key]
        target = next((acc for acc in same_name if sighting_key(acc.parent) == parent_key), None)
        if target is None and same_name:
            # One sighting without a parent is the same project as the one with it.
            if not parent_key and len(same_name) == 1:
                target = same_name[0]
            elif parent_key:
                target = next((acc for acc in same_name if acc.parent is None), None)
        if target is None:
            target = _ProjectAcc(
                name=clean_name(project.name) or project.name,
                parent=clean_name(project.parent) if project.parent else None,
                unit=project.unit,
                name_span=project.name_span,
                chunk_id=project.chunk_id,
                source=project.source,
            )
            merged.append(target)
        target.add(project, conflicts)
    # Link each sub-project to its parent's canonical name.
    canonical = {sighting_key(acc.name): acc.name for acc in merged}
    for acc in merged:
        if acc.parent is not None:
            acc.parent = canonical.get(sighting_key(acc.parent), acc.parent)
            if sighting_key(acc.parent) == sighting_key(acc.name):
                acc.parent = None  # a project is not its own parent
    return [acc.build() for acc in merged]


def _merge_indicators(indicators: Sequence[Indicator]) -> list[Indicator]:
    merged: dict[str, Indicator] = {}
    for indicator in indicators:
        key = sighting_key(indicator.name)
        existing = merged.get(key)
        if existing is None:
            merged[key] = indicator
            continue
        updates = {
            name: getattr(indicator, name)
            for name in ("target", "actual", "rate", "unit", "category", "name_span")
            if getattr(existing, name) is None and getattr(indicator, name) is not None
        }
        if updates:
            merged[key] = existing.model_copy(update=updates)
    return list(merged.values())


def _merge_breakdowns(breakdowns: Sequence[Breakdown]) -> list[Breakdown]:
    merged: dict[tuple[str, tuple[int, int], int], Breakdown] = {}
    for breakdown in breakdowns:
        key = (sighting_key(breakdown.total.label), _span_key(breakdown.total.amount.span), 0)
        existing = merged.get(key)
        while (
            existing is not None and existing.chunk_id is not None and existing.chunk_id == breakdown.chunk_id
        ):
            # one chunk read gives two decompositions of one total: both stand
            key = (key[0], key[1], key[2] + 1)
            existing = merged.get(key)
        if existing is None:
            merged[key] = breakdown
            continue
        seen = {_span_key(p.amount.span) for p in existing.parts}
        extra: list[BreakdownItem] = [p for p in breakdown.parts if _span_key(p.amount.span) not in seen]
        merged[key] = existing.model_copy(
            update={
                "parts": sorted([*existing.parts, *extra], key=lambda p: p.amount.span.start),
                "exhaustive": existing.exhaustive and breakdown.exhaustive,
            }
        )
    return list(merged.values())


def _score_spans(line: ScoreLine) -> tuple[tuple[int, int] | None, ...]:
    return tuple(_span_key(n.span) if n else None for n in (line.weight, line.score, line.rate))


def _first(field: str, parts: Sequence[DocumentExtraction], _: list[Statement]) -> object:
    """A document-level field: the first part that states it leads."""
    return next((value for p in parts if (value := getattr(p, field)) is not None), None)


def _unique(
    field: str, key: Callable[[Any], Hashable], parts: Sequence[DocumentExtraction], extra: list[Statement]
) -> object:
    """A list field: every part's items in order, an item seen twice (same key) kept once."""
    items: list[Any] = [item for part in parts for item in getattr(part, field)]
    if field == "statements":
        items += extra  # the conflicts found while merging projects
    seen: set[Hashable] = set()
    kept: list[Any] = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


#: Merges the parts' values of one field; the second argument collects (for projects) and
#: receives (for statements) the conflicts found between two sightings of a project.
Merger = Callable[[Sequence[DocumentExtraction], list[Statement]], object]

#: One merger per field of `DocumentExtraction` but `document`, in the order they run (projects
#: before statements). Checked below at import: a field added to the schema without a merger
#: fails at once instead of being silently dropped from merged extractions.
_MERGERS: dict[str, Merger] = {
    "organization": partial(_first, "organization"),
    "fiscal_year": partial(_first, "fiscal_year"),
    "projects": lambda parts, found: _merge_projects([p for part in parts for p in part.projects], found),
    "indicators": lambda parts, _: _merge_indicators([i for part in parts for i in part.indicators]),
    "breakdowns": lambda parts, _: _merge_breakdowns([b for part in parts for b in part.breakdowns]),
    "statements": partial(_unique, "statements", lambda s: (s.label, s.scope, _span_key(s.amount.span))),
    "years": partial(_unique, "years", lambda y: (y.year, _span_key(y.span))),
    "ratios": partial(_unique, "ratios", lambda r: (r.label, _span_key(r.value.span))),
    "scores": partial(_unique, "scores", lambda s: (s.label, s.is_total, _score_spans(s))),
    "ungrounded": lambda parts, _: sum(part.ungrounded for part in parts),
    "coverage": partial(_first, "coverage"),
    "notes": partial(_unique, "notes", lambda n: (n.kind, _span_key(n.span), n.model_role)),
}
_UNMERGED = set(DocumentExtraction.model_fields) - {"document"} - set(_MERGERS)
if _UNMERGED:  # pragma: no cover - fails the import, so every test, when a field is added
    raise TypeError(f"merge_extractions has no merger for DocumentExtraction field(s) {sorted(_UNMERGED)}")


def merge_extractions(document: str, parts: Sequence[DocumentExtraction]) -> DocumentExtraction:
    """One extraction from the parts (chunk results in text order); the first sighting leads."""
    conflicts: list[Statement] = []
    merged = {field: merger(parts, conflicts) for field, merger in _MERGERS.items()}
    return DocumentExtraction.model_validate({"document": document, **merged})
