"""Merge per-chunk extractions into one document extraction, without duplicates.

* Projects with the same name (normalised: no quote marks, list numbers,
  spaces or trailing punctuation) are one project; a project seen once with
  its parent and once without is still one. Its facts are the union: the
  same key with the same span is one fact; for `supplement` (amounts that add)
  every distinct span counts; for any other key the first value stays and a
  different second value becomes a pair of `Statement`s, which the checker
  reports as a `conflict` instead of silently summing them.
* Sub-projects are linked to their parent by the parent's normalised name
  (the parent's `parent` field then reads exactly as the parent's `name`).
* Not stated is not zero: merging never invents a fact; a flow absent from
  every part stays absent.
* Indicators merge by name (values missing in the first sighting are filled
  from later ones); breakdowns merge by total (same label and span), parts
  unioned by span.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.extract.ground import clean_name
from schemas import (
    Breakdown,
    BreakdownItem,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    Span,
    StatedNumber,
    Statement,
    YearMention,
)

logger = logging.getLogger(__name__)

_IGNORABLE_RE = re.compile(r"[\s，,。；;：:、·\-—]+")


def normalise_name(name: str | None) -> str:
    """The key two sightings of one project or indicator share."""
    if not name:
        return ""
    return _IGNORABLE_RE.sub("", clean_name(name)).lower()


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
            for number in numbers:
                if any(_span_key(n.span) == _span_key(number.span) for n in have):
                    continue
                if key is FactKey.SUPPLEMENT or not have:
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
        name_key = normalise_name(project.name)
        parent_key = normalise_name(project.parent)
        same_name = [acc for acc in merged if normalise_name(acc.name) == name_key]
        target = next((acc for acc in same_name if normalise_name(acc.parent) == parent_key), None)
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
    canonical = {normalise_name(acc.name): acc.name for acc in merged}
    for acc in merged:
        if acc.parent is not None:
            acc.parent = canonical.get(normalise_name(acc.parent), acc.parent)
            if normalise_name(acc.parent) == normalise_name(acc.name):
                acc.parent = None  # a project is not its own parent
    return [acc.build() for acc in merged]


def _merge_indicators(indicators: Sequence[Indicator]) -> list[Indicator]:
    merged: dict[str, Indicator] = {}
    for indicator in indicators:
        key = normalise_name(indicator.name)
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
    merged: dict[tuple[str, tuple[int, int]], Breakdown] = {}
    for breakdown in breakdowns:
        key = (normalise_name(breakdown.total.label), _span_key(breakdown.total.amount.span))
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


def merge_extractions(document: str, parts: Sequence[DocumentExtraction]) -> DocumentExtraction:
    """One extraction from the parts (chunk results in text order); the first sighting leads."""
    conflicts: list[Statement] = []
    projects = _merge_projects([p for part in parts for p in part.projects], conflicts)
    statements: list[Statement] = []
    seen_statements: set[tuple[str, str | None, tuple[int, int]]] = set()
    for statement in [s for part in parts for s in part.statements] + conflicts:
        key = (statement.label, statement.scope, _span_key(statement.amount.span))
        if key not in seen_statements:
            seen_statements.add(key)
            statements.append(statement)
    years: list[YearMention] = []
    seen_years: set[tuple[int, tuple[int, int]]] = set()
    for year in (y for part in parts for y in part.years):
        if (year.year, _span_key(year.span)) not in seen_years:
            seen_years.add((year.year, _span_key(year.span)))
            years.append(year)
    return DocumentExtraction(
        document=document,
        organization=next((p.organization for p in parts if p.organization), None),
        fiscal_year=next((p.fiscal_year for p in parts if p.fiscal_year is not None), None),
        projects=projects,
        indicators=_merge_indicators([i for part in parts for i in part.indicators]),
        breakdowns=_merge_breakdowns([b for part in parts for b in part.breakdowns]),
        statements=statements,
        years=years,
        ratios=[r for part in parts for r in part.ratios],
        ungrounded=sum(part.ungrounded for part in parts),
    )
