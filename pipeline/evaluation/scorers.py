"""The scorers of `recon eval`: pure functions from gold and an extraction (plus the checker's
flags and the document's original text) to `schemas.evaluation` records.

Values compare as `Decimal`: money (元/万元/亿元) after exact conversion to 元,
anything else (%, 人, …) as written. A fact stated several times (a list)
compares by its sum. Overall figures are micro-averaged: counts are summed
over documents before dividing. Items are paired by `pipeline.evaluation.align`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline.check.run import stated_numbers as check_stated_numbers
from pipeline.evaluation.align import (
    NAME_THRESHOLD,
    VALUE_TIEBREAK,
    align_by_name,
    max_weight_assignment,
    normalize_name,
    similarity,
)
from pipeline.evaluation.gold import gold_to_extraction
from schemas import (
    MONEY_UNITS,
    Breakdown,
    BreakdownItem,
    CheckReport,
    DocumentExtraction,
    Flag,
    Indicator,
    Project,
    Severity,
    StatedNumber,
)
from schemas.evaluation import (
    Accuracy,
    DocumentEvaluation,
    ErrorKind,
    EvalError,
    EvalReport,
    Grounding,
    Score,
    Scores,
    Section,
)
from schemas.gold import GoldDocument, GoldInconsistency

#: Flags of these severities are scored against gold inconsistencies (info is "worth a look").
SCORED_SEVERITIES = frozenset({Severity.ERROR, Severity.WARNING})


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """A summed value as written (`value`, `unit`) and, when every part is money, exactly in 元."""

    value: Decimal
    unit: str | None
    yuan: Decimal | None

    @classmethod
    def of(cls, numbers: Sequence[StatedNumber]) -> Amount:
        """The sum of stated numbers (a list-valued fact compares by its sum)."""
        raw = sum((n.value for n in numbers), Decimal(0))
        units = {n.unit for n in numbers}
        unit = units.pop() if len(units) == 1 else None
        if numbers and all(n.unit in MONEY_UNITS for n in numbers):
            return cls(raw, unit, sum((n.in_yuan() for n in numbers), Decimal(0)))
        return cls(raw, unit, None)

    def same(self, other: Amount) -> bool:
        """Equal as Decimal: in 元 when both are money, else as written (units compared loosely)."""
        if self.yuan is not None and other.yuan is not None:
            return self.yuan == other.yuan
        return self.value == other.value

    def key(self) -> tuple[Decimal, bool]:
        """A hashable identity for value sets (normalised so 5.4 and 5.40 coincide)."""
        if self.yuan is not None:
            return (self.yuan.normalize(), True)
        return (self.value.normalize(), False)


def describe(numbers: Sequence[StatedNumber]) -> str:
    """Numbers as written with their units, `+`-joined (`13.95万元+0.68万元`)."""
    return "+".join(f"{n.normalized}{n.unit or ''}" for n in numbers)


def _dice(left: set[Any], right: set[Any]) -> float:
    return 2 * len(left & right) / (len(left) + len(right)) if left or right else 0.0


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# --- tallies -------------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Mutable counts while scoring; `score()` freezes them into a `Score`."""

    counts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, key: str, correct: int = 0, extracted: int = 0, gold: int = 0) -> None:
        entry = self.counts.setdefault(key, [0, 0, 0])
        entry[0] += correct
        entry[1] += extracted
        entry[2] += gold

    def score(self) -> Score:
        per_key = {
            key: Score(correct=c, extracted=e, gold=g) for key, (c, e, g) in sorted(self.counts.items())
        }
        return Score(
            correct=sum(s.correct for s in per_key.values()),
            extracted=sum(s.extracted for s in per_key.values()),
            gold=sum(s.gold for s in per_key.values()),
            per_key=per_key,
        )


@dataclass
class _Context:
    document: str
    errors: list[EvalError] = field(default_factory=list)

    def error(
        self, kind: ErrorKind, section: Section, what: str, gold: str | None = None, got: str | None = None
    ) -> None:
        self.errors.append(
            EvalError(kind=kind, document=self.document, section=section, what=what, gold=gold, got=got)
        )


def _compare_facts(
    context: _Context,
    tally: _Tally,
    section: Section,
    subject: str,
    gold_facts: dict[str, list[StatedNumber]],
    got_facts: dict[str, list[StatedNumber]],
) -> None:
    """Score one aligned pair's facts (key -> numbers, a list compares by its sum)."""
    for key in sorted(set(gold_facts) | set(got_facts)):
        gold_numbers, got_numbers = gold_facts.get(key, []), got_facts.get(key, [])
        what = f"{subject}.{key}"
        if gold_numbers and got_numbers:
            if Amount.of(gold_numbers).same(Amount.of(got_numbers)):
                tally.add(key, correct=1, extracted=1, gold=1)
            else:
                tally.add(key, extracted=1, gold=1)
                context.error("wrong_value", section, what, describe(gold_numbers), describe(got_numbers))
        elif gold_numbers:
            tally.add(key, gold=1)
            context.error("missed", section, what, gold=describe(gold_numbers))
        elif got_numbers:
            tally.add(key, extracted=1)
            context.error("spurious", section, what, got=describe(got_numbers))


def _value_keys(facts: dict[str, list[StatedNumber]]) -> set[tuple[Decimal, bool]]:
    return {Amount.of([n]).key() for numbers in facts.values() for n in numbers}


# --- projects and parents ------------------------------------------------------------------------


def _project_facts(project: Project) -> dict[str, list[StatedNumber]]:
    return {key.value: list(numbers) for key, numbers in project.facts.items() if numbers}


def align_projects(gold: Sequence[Project], got: Sequence[Project]) -> dict[int, int]:
    """Gold project index -> extracted project index (names, tie-break on shared fact values)."""
    gold_values = [_value_keys(_project_facts(p)) for p in gold]
    got_values = [_value_keys(_project_facts(p)) for p in got]
    return align_by_name(
        [p.name for p in gold], [p.name for p in got], lambda i, j: _dice(gold_values[i], got_values[j])
    )


def score_projects(
    context: _Context, gold: Sequence[Project], got: Sequence[Project]
) -> tuple[Score, Accuracy, dict[int, int]]:
    """Project facts P/R/F1 (per fact key) and parent-link accuracy."""
    alignment = align_projects(gold, got)
    tally = _Tally()
    aligned_got = set(alignment.values())
    for i, project in enumerate(gold):
        j = alignment.get(i)
        if j is None:
            context.error("missed", "projects", project.name, gold=project.name)
        got_facts = _project_facts(got[j]) if j is not None else {}
        _compare_facts(context, tally, "projects", project.name, _project_facts(project), got_facts)
    for j, project in enumerate(got):
        if j not in aligned_got:
            context.error("spurious", "projects", project.name, got=project.name)
            _compare_facts(context, tally, "projects", project.name, {}, _project_facts(project))
    return tally.score(), _score_parents(context, gold, got, alignment), alignment


def _score_parents(
    context: _Context, gold: Sequence[Project], got: Sequence[Project], alignment: dict[int, int]
) -> Accuracy:
    """Fraction of gold sub-projects whose aligned project names the project aligned to the gold parent."""
    index_by_name = {project.name: i for i, project in enumerate(gold)}
    correct = total = 0
    for i, project in enumerate(gold):
        if project.parent is None:
            continue
        total += 1
        what = f"parent of {project.name}"
        j = alignment.get(i)
        parent_index = index_by_name.get(project.parent)
        expected = alignment.get(parent_index) if parent_index is not None else None
        if j is None:
            context.error("missed", "parents", what, gold=project.parent)
            continue
        got_parent = got[j].parent
        if (
            expected is not None
            and got_parent is not None
            and normalize_name(got_parent) == normalize_name(got[expected].name)
        ):
            correct += 1
        else:
            context.error("wrong_value", "parents", what, gold=project.parent, got=got_parent)
    return Accuracy(correct=correct, total=total)


# --- indicators ----------------------------------------------------------------------------------

_INDICATOR_FIELDS = ("target", "actual", "rate")


def _indicator_facts(indicator: Indicator) -> dict[str, list[StatedNumber]]:
    facts: dict[str, list[StatedNumber]] = {}
    for name in _INDICATOR_FIELDS:
        number: StatedNumber | None = getattr(indicator, name)
        if number is not None:
            facts[name] = [number]
    return facts


def _unit_text(unit: str | None) -> str | None:
    return unicodedata.normalize("NFKC", unit).strip() if unit else None


def score_indicators(context: _Context, gold: Sequence[Indicator], got: Sequence[Indicator]) -> Score:
    """Indicator target/actual/rate as facts; a unit mismatch is reported, not scored."""
    gold_values = [_value_keys(_indicator_facts(x)) for x in gold]
    got_values = [_value_keys(_indicator_facts(x)) for x in got]
    alignment = align_by_name(
        [x.name for x in gold], [x.name for x in got], lambda i, j: _dice(gold_values[i], got_values[j])
    )
    tally = _Tally()
    for i, indicator in enumerate(gold):
        j = alignment.get(i)
        got_facts = _indicator_facts(got[j]) if j is not None else {}
        _compare_facts(context, tally, "indicators", indicator.name, _indicator_facts(indicator), got_facts)
        if j is not None:
            gold_unit, got_unit = _unit_text(indicator.unit), _unit_text(got[j].unit)
            if gold_unit and got_unit and gold_unit != got_unit:
                context.error("unit_mismatch", "indicators", indicator.name, gold_unit, got_unit)
    aligned_got = set(alignment.values())
    for j, indicator in enumerate(got):
        if j not in aligned_got:
            _compare_facts(context, tally, "indicators", indicator.name, {}, _indicator_facts(indicator))
    return tally.score()


def indicator_score(gold: Sequence[Indicator], got: Sequence[Indicator], document: str = "") -> Score:
    """One document's indicator figures exactly as `recon eval` computes them (for tests and bench
    scripts that score the indicator reader alone)."""
    return score_indicators(_Context(document), gold, got)


# --- breakdowns ----------------------------------------------------------------------------------


def _breakdown_weight(gold: Breakdown, got: Breakdown) -> float | None:
    """Aligned when totals are equal or total labels are similar; parts' shared values break ties."""
    same_total = Amount.of([gold.total.amount]).same(Amount.of([got.total.amount]))
    label = similarity(gold.total.label, got.total.label)
    if not same_total and label < NAME_THRESHOLD:
        return None
    gold_parts = {Amount.of([p.amount]).key() for p in gold.parts}
    got_parts = {Amount.of([p.amount]).key() for p in got.parts}
    return (1.0 if same_total else 0.0) + label + VALUE_TIEBREAK * _dice(gold_parts, got_parts)


def _score_parts(
    context: _Context,
    tally: _Tally,
    subject: str,
    gold_parts: Sequence[BreakdownItem],
    got_parts: Sequence[BreakdownItem],
) -> None:
    """Parts of two aligned breakdowns, aligned by label (tie-break: equal value), scored as facts."""
    gold_amounts = [Amount.of([p.amount]) for p in gold_parts]
    got_amounts = [Amount.of([p.amount]) for p in got_parts]
    alignment = align_by_name(
        [p.label for p in gold_parts],
        [p.label for p in got_parts],
        lambda a, b: float(gold_amounts[a].same(got_amounts[b])),
    )
    for a, part in enumerate(gold_parts):
        b = alignment.get(a)
        got_part = {"part": [got_parts[b].amount]} if b is not None else {}
        _compare_facts(
            context, tally, "breakdowns", f"{subject}/{part.label}", {"part": [part.amount]}, got_part
        )
    aligned = set(alignment.values())
    for b, part in enumerate(got_parts):
        if b not in aligned:
            _compare_facts(
                context, tally, "breakdowns", f"{subject}/{part.label}", {}, {"part": [part.amount]}
            )


def score_breakdowns(context: _Context, gold: Sequence[Breakdown], got: Sequence[Breakdown]) -> Score:
    """Each breakdown's total is one fact and each part one fact (parts aligned by label).

    An unaligned gold breakdown counts all its facts missed; an unaligned
    extracted one, all spurious.
    """
    alignment = dict(max_weight_assignment([[_breakdown_weight(g, e) for e in got] for g in gold]))
    tally = _Tally()
    for i, breakdown in enumerate(gold):
        other = got[alignment[i]] if i in alignment else None
        subject = breakdown.total.label
        got_total = {"total": [other.total.amount]} if other is not None else {}
        _compare_facts(context, tally, "breakdowns", subject, {"total": [breakdown.total.amount]}, got_total)
        _score_parts(context, tally, subject, breakdown.parts, other.parts if other is not None else [])
    aligned_got = set(alignment.values())
    for j, breakdown in enumerate(got):
        if j not in aligned_got:
            subject = breakdown.total.label
            _compare_facts(context, tally, "breakdowns", subject, {}, {"total": [breakdown.total.amount]})
            _score_parts(context, tally, subject, [], breakdown.parts)
    return tally.score()


# --- flags ---------------------------------------------------------------------------------------


def scored_flags(flags: Iterable[Flag]) -> list[Flag]:
    """The flags that count against gold inconsistencies (severity error or warning)."""
    return [flag for flag in flags if flag.severity in SCORED_SEVERITIES]


def _flag_weight(gold: GoldInconsistency, flag: Flag) -> float | None:
    """Same rule, and the flag shares the value the gold entry lists first (as Decimal),
    or their subjects are similar. Sharing means being among the flag's values: a
    `conflict` has no natural first statement, so its order is not held against it;
    a flag that also lists it first weighs more."""
    if gold.rule is not flag.rule:
        return None
    gold_first = _decimal(gold.values[0]) if gold.values else None
    flag_values = [_decimal(value) for value in flag.values]
    shares_first = gold_first is not None and gold_first in flag_values
    same_first = shares_first and bool(flag_values) and flag_values[0] == gold_first
    subject = similarity(gold.subject, flag.subject)
    if not shares_first and subject < NAME_THRESHOLD:
        return None
    return 1.0 + (0.25 if shares_first else 0.0) + (0.25 if same_first else 0.0) + 0.5 * subject


def score_flags(
    context: _Context, gold: Sequence[GoldInconsistency], flags: Sequence[Flag], section: Section = "flags"
) -> Score:
    """Checker flags vs gold inconsistencies, one-to-one, per rule."""
    flags = scored_flags(flags)
    alignment = dict(max_weight_assignment([[_flag_weight(g, f) for f in flags] for g in gold]))
    tally = _Tally()
    for i, entry in enumerate(gold):
        matched = i in alignment
        tally.add(entry.rule.value, correct=int(matched), gold=1)
        if not matched:
            context.error(
                "missed", section, f"{entry.rule.value} {entry.subject}", gold=", ".join(entry.values)
            )
    matched_flags = set(alignment.values())
    for j, flag in enumerate(flags):
        tally.add(flag.rule.value, extracted=1)
        if j not in matched_flags:
            context.error("spurious", section, f"{flag.rule.value} {flag.subject}", got=flag.equation)
    return tally.score()


# --- grounding -----------------------------------------------------------------------------------


def stated_numbers(extraction: DocumentExtraction) -> list[StatedNumber]:
    """Every number an extraction states, in a stable order (the checker's own list)."""
    return [number for number, _ in check_stated_numbers(extraction)]


def score_grounding(
    context: _Context, extraction: DocumentExtraction, original_text: str | None
) -> Grounding:
    """Fraction of numbers with `original_text[span.start:span.end] == number.text`."""
    if original_text is None:
        return Grounding(measured=False)
    numbers = stated_numbers(extraction)
    grounded = 0
    for number in numbers:
        found = original_text[number.span.start : number.span.end]
        if found == number.text:
            grounded += 1
        else:
            where = f"[{number.span.start}:{number.span.end}]"
            context.error("ungrounded", "grounding", where, gold=number.text, got=found)
    return Grounding(checked=len(numbers), grounded=grounded)


# --- one document, many documents ----------------------------------------------------------------


def score_document(
    document: str,
    gold: GoldDocument,
    extraction: DocumentExtraction,
    check: CheckReport | None,
    original_text: str | None,
    gold_check: CheckReport | None = None,
) -> DocumentEvaluation:
    """All scores for one document.

    `check` is the checker's report on `extraction`; `gold_check` (optional)
    its report on `gold_to_extraction(gold)`, scored as `check_gold`.
    """
    context = _Context(document)
    expected = gold_to_extraction(gold)
    projects, parents, _ = score_projects(context, expected.projects, extraction.projects)
    indicators = score_indicators(context, expected.indicators, extraction.indicators)
    breakdowns = score_breakdowns(context, expected.breakdowns, extraction.breakdowns)
    flags = score_flags(context, gold.inconsistencies, check.flags if check else [])
    check_gold = (
        score_flags(context, gold.inconsistencies, gold_check.flags, "check_gold") if gold_check else None
    )
    grounding = score_grounding(context, extraction, original_text)
    scores = Scores(
        projects=projects,
        parents=parents,
        indicators=indicators,
        breakdowns=breakdowns,
        flags=flags,
        grounding=grounding,
        check_gold=check_gold,
    )
    return DocumentEvaluation(document=document, scores=scores, errors=context.errors)


def _sum_scores(scores: Sequence[Score]) -> Score:
    tally = _Tally()
    for score in scores:
        for key, part in score.per_key.items():
            tally.add(key, part.correct, part.extracted, part.gold)
    return tally.score()


def combine(scores: Sequence[Scores]) -> Scores:
    """Micro-average: counts summed over documents."""
    check_gold = [s.check_gold for s in scores if s.check_gold is not None]
    groundings = [s.grounding for s in scores]
    return Scores(
        projects=_sum_scores([s.projects for s in scores]),
        parents=Accuracy(
            correct=sum(s.parents.correct for s in scores), total=sum(s.parents.total for s in scores)
        ),
        indicators=_sum_scores([s.indicators for s in scores]),
        breakdowns=_sum_scores([s.breakdowns for s in scores]),
        flags=_sum_scores([s.flags for s in scores]),
        grounding=Grounding(
            checked=sum(g.checked for g in groundings),
            grounded=sum(g.grounded for g in groundings),
            measured=all(g.measured for g in groundings),
        ),
        check_gold=_sum_scores(check_gold) if check_gold else None,
    )


def build_report(evaluations: Sequence[DocumentEvaluation], meta: dict[str, str] | None = None) -> EvalReport:
    """The overall report from per-document evaluations."""
    return EvalReport(
        overall=combine([e.scores for e in evaluations]),
        documents={e.document: e.scores for e in evaluations},
        errors=[error for e in evaluations for error in e.errors],
        meta=meta or {},
    )
