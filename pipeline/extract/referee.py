"""Merge a model's reading into the rules' one by number, with the arithmetic as referee.

Both readers tie every number to its span (under the candidate-id contract the
model's numbers *are* the candidates), so merging is by number, not by name:

* a number the rules gave a role and the model gave the same role: nothing to do;
* a number the rules gave one project role and the model another: a
  **disagreement** — the rules' role stays, the model's is recorded
  (`DocumentExtraction.notes`, shown by `recon show`);
* a breakdown of a total the rules broke down otherwise: a disagreement too;
* a project fact, indicator or breakdown the rules did not give: with
  `accept="all"` it is added; with `accept="checked"` (the default of
  `--llm-policy uncovered`) it is added only when the checker then finds
  nothing new (no flag that was not there before). Otherwise it is kept as a
  **proposal**: recorded with the flag it would raise, never stored as a fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pipeline.extract.merge import merge_extractions, sighting_key
from schemas import (
    Breakdown,
    CheckReport,
    DocumentExtraction,
    FactKey,
    Indicator,
    ModelNote,
    Severity,
    StatedNumber,
)

Checker = Callable[[DocumentExtraction], CheckReport]
Accept = Literal["checked", "all"]


def _project_roles(extraction: DocumentExtraction) -> dict[int, tuple[str, FactKey, str]]:
    """span start → (normalised project name, key, name as written) of every project fact."""
    roles: dict[int, tuple[str, FactKey, str]] = {}
    for project in extraction.projects:
        for key, numbers in project.facts.items():
            for number in numbers:
                roles.setdefault(number.span.start, (sighting_key(project.name), key, project.name))
    return roles


def _indicator_spans(extraction: DocumentExtraction) -> dict[int, tuple[str, str]]:
    spans: dict[int, tuple[str, str]] = {}
    for indicator in extraction.indicators:
        for field in ("target", "actual", "rate"):
            if (number := getattr(indicator, field)) is not None:
                spans.setdefault(number.span.start, (sighting_key(indicator.name), field))
    return spans


def _live(report: CheckReport) -> set[str]:
    return {flag.key for flag in report.flags if flag.severity is not Severity.INFO}


def _with_items(
    base: DocumentExtraction, merged: DocumentExtraction, notes: list[ModelNote]
) -> DocumentExtraction:
    return base.model_copy(
        update={
            "projects": merged.projects,
            "indicators": merged.indicators,
            "breakdowns": merged.breakdowns,
            "statements": merged.statements,
            "notes": [*base.notes, *notes],
        }
    )


def _note(
    kind: Literal["disagreement", "proposal"], number: StatedNumber, chunk: str | None, **fields: str | None
) -> ModelNote:
    return ModelNote(
        kind=kind,
        chunk_id=chunk,
        number=f"{number.normalized}{number.unit or ''}",
        span=number.span,
        **fields,
    )


class Referee:
    """Adds model items to an extraction one at a time, each judged by the checker (see module doc)."""

    def __init__(self, base: DocumentExtraction, check: Checker, accept: Accept) -> None:
        self.current = base
        self.check = check
        self.accept = accept
        self.notes: list[ModelNote] = []
        self._flags = _live(check(base)) if accept == "checked" else set()

    def offer(
        self, item: DocumentExtraction, numbers: Iterable[tuple[StatedNumber, str]], chunk: str | None
    ) -> bool:
        """Add `item` (an extraction holding one model item) if the checker allows; else note proposals."""
        candidate = _with_items(
            self.current, merge_extractions(self.current.document, [self.current, item]), []
        )
        if self.accept == "checked":
            after = self.check(candidate)
            new = [f for f in after.flags if f.severity is not Severity.INFO and f.key not in self._flags]
            if new:
                reason = f"{new[0].rule.value}: {new[0].message}"
                self.notes.extend(
                    _note("proposal", number, chunk, model_role=role, reason=reason)
                    for number, role in numbers
                )
                return False
            self._flags = _live(after)
        self.current = candidate
        return True


def referee_merge(
    by_rules: DocumentExtraction, by_model: DocumentExtraction, check: Checker, accept: Accept = "checked"
) -> DocumentExtraction:
    """The rules' extraction plus what the model adds that the referee allows; notes record the rest."""
    roles = _project_roles(by_rules)
    indicator_spans = _indicator_spans(by_rules)
    referee = Referee(by_rules, check, accept)
    disagreements: list[ModelNote] = []
    for project in by_model.projects:
        name = sighting_key(project.name)
        new_facts: dict[FactKey, list[StatedNumber]] = {}
        for key, numbers in project.facts.items():
            for number in numbers:
                given = roles.get(number.span.start)
                if given is None:
                    new_facts.setdefault(key, []).append(number)
                elif given[:2] != (name, key):
                    disagreements.append(
                        _note(
                            "disagreement",
                            number,
                            project.chunk_id,
                            model_role=f"{project.name} {key.value}",
                            rules_role=f"{given[2]} {given[1].value}",
                            reason="the rules' role is kept",
                        )
                    )
        if not new_facts:
            continue
        added = project.model_copy(update={"facts": new_facts})
        offered = [(n, f"{project.name} {k.value}") for k, ns in new_facts.items() for n in ns]
        referee.offer(
            DocumentExtraction(document=by_rules.document, projects=[added]), offered, project.chunk_id
        )
    for indicator in by_model.indicators:
        fields = [(f, n) for f in ("target", "actual", "rate") if (n := getattr(indicator, f)) is not None]
        name = sighting_key(indicator.name)
        fresh = [(f, n) for f, n in fields if n.span.start not in indicator_spans]
        for field, number in fields:
            seen = indicator_spans.get(number.span.start)
            if seen is not None and seen != (name, field):
                disagreements.append(
                    _note(
                        "disagreement",
                        number,
                        indicator.chunk_id,
                        model_role=f"indicator {indicator.name} {field}",
                        rules_role=f"indicator {seen[0]} {seen[1]}",
                        reason="the rules' role is kept",
                    )
                )
        if not fresh:
            continue
        kept: Indicator = indicator.model_copy(update={f: n if (f, n) in fresh else None for f, n in fields})
        referee.offer(
            DocumentExtraction(document=by_rules.document, indicators=[kept]),
            [(n, f"indicator {indicator.name} {f}") for f, n in fresh],
            indicator.chunk_id,
        )
    totals: dict[int, list[Breakdown]] = {}
    for ours in by_rules.breakdowns:
        totals.setdefault(ours.total.amount.span.start, []).append(ours)
    for breakdown in by_model.breakdowns:
        read = totals.get(breakdown.total.amount.span.start)
        if read:
            # the rules broke this total down already: other parts are a disagreement, not a fact
            parts = sorted(p.amount.span.start for p in breakdown.parts)
            if all(sorted(p.amount.span.start for p in b.parts) != parts for b in read):
                disagreements.append(
                    _note(
                        "disagreement",
                        breakdown.total.amount,
                        breakdown.chunk_id,
                        model_role=f"total {breakdown.total.label} of {len(breakdown.parts)} parts",
                        rules_role=f"total {read[0].total.label} of {len(read[0].parts)} parts",
                        reason="the rules' breakdown is kept",
                    )
                )
            continue
        referee.offer(
            DocumentExtraction(document=by_rules.document, breakdowns=[breakdown]),
            [(breakdown.total.amount, f"breakdown total {breakdown.total.label}")],
            breakdown.chunk_id,
        )
    return referee.current.model_copy(
        update={
            "notes": [*referee.current.notes, *disagreements, *referee.notes],
            "ungrounded": by_model.ungrounded,
        }
    )
