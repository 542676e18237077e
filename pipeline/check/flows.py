"""Additive relations: flow identity, children sums, breakdown sums, and unit slips among them.

Every relation here is `left = right` where each side is a signed sum of
stated numbers. Each number stands for its rounding interval (see
`pipeline.check.interval`); the relation holds when the two sides' intervals
overlap. A relation that fails as written but holds once one money amount is
read 10⁴ or 10⁸ larger or smaller (元 ↔ 万元 ↔ 亿元) is reported once as `unit`
instead, and the corrected reading is used by every later relation, so one
slip never produces a cascade of flow/children/breakdown flags.

The shared state (`CheckState`), the `Term` of a relation and the unit search
live here too; `check_ratios` and `check_statements` import them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from pipeline.check.interval import (
    IncompatibleUnitsError,
    Interval,
    Precision,
    convert,
    convertible,
    half_unit,
    is_money,
    round_to,
    significant_decimals,
    sum_intervals,
    unit_step,
)
from pipeline.i18n import Phrase, phrase
from schemas import (
    Breakdown,
    DocumentExtraction,
    FactKey,
    Flag,
    Project,
    Rule,
    Severity,
    SkippedCheck,
    Span,
    StatedNumber,
)
from schemas.extraction import DEDUCTION_KEYS, SOURCE_KEYS, USE_KEYS

#: Identity of one stated number inside an extraction: (container kind, index, key, position).
NumberId = tuple[str, int, str, int]

#: Factors by which a money amount may have been written in the wrong unit.
RESCALE_FACTORS: tuple[Decimal, ...] = (
    Decimal(10) ** 4,
    Decimal(10) ** -4,
    Decimal(10) ** 8,
    Decimal(10) ** -8,
)
#: Fact keys that are amounts (everything but the stated rate).
AMOUNT_KEYS: tuple[FactKey, ...] = (*SOURCE_KEYS, *DEDUCTION_KEYS, FactKey.BUDGET_TOTAL, *USE_KEYS)


@dataclass(frozen=True)
class Term:
    """One stated number in a relation, with its effective unit and where it comes from."""

    number: StatedNumber
    unit: str | None
    ident: NumberId
    owner: str
    role: str
    negative: bool = False


@dataclass(frozen=True)
class Correction:
    """A money amount re-read in another unit after a `unit` flag: `value` in `unit`."""

    value: Decimal
    unit: str | None


@dataclass(frozen=True)
class TestedRelation:
    """A relation the checker evaluated (for benchmarks and traces): which numbers, did it hold."""

    __test__: ClassVar[bool] = False  # not a pytest test class despite the name

    rule: Rule
    subject: str
    idents: tuple[NumberId, ...]
    spans: tuple[Span, ...]
    holds: bool


@dataclass
class CheckState:
    """What the rule functions accumulate while checking one document."""

    precision: Precision
    flags: list[Flag] = field(default_factory=list)
    skipped: list[SkippedCheck] = field(default_factory=list)
    passed: int = 0
    trace: list[TestedRelation] = field(default_factory=list)
    corrections: dict[NumberId, Correction] = field(default_factory=dict)
    #: The same corrections by the number's place in the text, so a number that appears in two
    #: containers (a project fact and a breakdown part) is re-read once and flagged once.
    corrections_by_span: dict[tuple[int, int, str], Correction] = field(default_factory=dict)

    def skip(self, rule: Rule, subject: str, why: Phrase) -> None:
        """Record that `rule` could not be tested on `subject`, and `why` (in both languages)."""
        self.skipped.append(
            SkippedCheck(
                rule=rule, subject=subject, reason=why.english, code=why.key, params=dict(why.params)
            )
        )

    def skip_units(self, rule: Rule, subject: str, error: IncompatibleUnitsError) -> None:
        """Skip `rule` on `subject`: its amounts are in units that do not convert."""
        self.skip(rule, subject, units_phrase("skip.units", error))

    def record(self, rule: Rule, subject: str, terms: Sequence[Term], holds: bool) -> None:
        if holds:
            self.passed += 1
        self.trace.append(
            TestedRelation(
                rule=rule,
                subject=subject,
                idents=tuple(term.ident for term in terms),
                spans=tuple(term.number.span for term in terms),
                holds=holds,
            )
        )

    # -- reading terms --------------------------------------------------------------------------

    def correction_for(self, term: Term) -> Correction | None:
        correction = self.corrections.get(term.ident)
        if correction is None and (key := _span_key(term)) is not None:
            correction = self.corrections_by_span.get(key)
        return correction

    def correct(self, term: Term, reading: Correction) -> None:
        """Keep the re-reading of `term` for every later relation."""
        self.corrections[term.ident] = reading
        if (key := _span_key(term)) is not None:
            self.corrections_by_span[key] = reading

    def value_in(self, term: Term, unit: str | None) -> Decimal:
        """The term's point value in `unit`, corrected if a unit slip was found for it."""
        correction = self.correction_for(term)
        if correction is not None:
            return convert(correction.value, correction.unit, unit)
        return convert(term.number.value, term.unit, unit)

    def interval_in(self, term: Term, unit: str | None) -> Interval:
        """The term's rounding interval in `unit` (its half-unit is taken in its own unit)."""
        correction = self.correction_for(term)
        if correction is not None:
            half = (
                Decimal(0)
                if correction.value == 0
                else half_unit(self.precision.decimals_for(correction.unit))
            )
            own = Interval.around(correction.value, half)
            source_unit = correction.unit
        else:
            own = self.precision.interval(term.number, term.unit)
            source_unit = term.unit
        factor = convert(Decimal(1), source_unit, unit)
        return own.scaled(factor)

    def written(self, term: Term, unit: str | None) -> str:
        """The term as written, with its unit when it differs from the relation's."""
        correction = self.correction_for(term)
        shown_unit = correction.unit if correction is not None else term.unit
        text = format_decimal(correction.value) if correction is not None else term.number.normalized
        return text if shown_unit == unit else f"{text}{shown_unit or ''}"


def _span_key(term: Term) -> tuple[int, int, str] | None:
    """Where the term's number stands in the text; None for an empty span (gold facts, tests)."""
    span = term.number.span
    return (span.start, span.end, term.number.normalized) if span.end > span.start else None


def format_decimal(value: Decimal, decimals: int | None = None) -> str:
    """Plain notation; padded to `decimals` when that writes the value exactly (`5.4` → `5.40`)."""
    if decimals is not None and significant_decimals(value) <= decimals:
        return format(round_to(value, decimals), "f")
    return format(value.normalize(), "f") if value != 0 else "0"


def dominant_unit(terms: Sequence[Term]) -> str | None:
    """The unit most non-zero terms use; ties go to the first term's unit."""
    counted = [term.unit for term in terms if term.number.value != 0] or [term.unit for term in terms]
    counts = Counter(counted)
    best = max(counts.values())
    return next(unit for unit in counted if counts[unit] == best)


def severity_for(excess: Decimal, tolerance: Decimal, decimals: int) -> Severity:
    """`warning` when a rounded relation misses by at most 2·10⁻ᵈ beyond its tolerance, else `error`."""
    if tolerance > 0 and excess <= 2 * unit_step(decimals):
        return Severity.WARNING
    return Severity.ERROR


# -- the additive relation ----------------------------------------------------------------------


@dataclass(frozen=True)
class SumRelation:
    """`Σ left = Σ right`. `stated_left` says which side is the stated total (listed first in values)."""

    rule: Rule
    subject: str
    left: tuple[Term, ...]
    right: tuple[Term, ...]
    stated_left: bool
    #: the relation in words (a flag's `details`)
    what: Phrase

    @property
    def terms(self) -> tuple[Term, ...]:
        return (*self.left, *self.right)

    @property
    def value_order(self) -> tuple[Term, ...]:
        return (*self.left, *self.right) if self.stated_left else (*self.right, *self.left)


@dataclass(frozen=True)
class SumOutcome:
    """The evaluated relation in its comparison unit."""

    unit: str | None
    left: Interval
    right: Interval
    left_point: Decimal
    right_point: Decimal

    @property
    def holds(self) -> bool:
        return self.left.overlaps(self.right)

    @property
    def tolerance(self) -> Decimal:
        return self.left.half_width + self.right.half_width

    @property
    def excess(self) -> Decimal:
        return self.left.gap(self.right)


def _side_interval(state: CheckState, terms: Sequence[Term], unit: str | None) -> Interval:
    return sum_intervals(
        -state.interval_in(t, unit) if t.negative else state.interval_in(t, unit) for t in terms
    )


def _side_point(state: CheckState, terms: Sequence[Term], unit: str | None) -> Decimal:
    return sum(
        (-state.value_in(t, unit) if t.negative else state.value_in(t, unit) for t in terms), Decimal(0)
    )


def evaluate_sum(state: CheckState, relation: SumRelation) -> SumOutcome:
    """Both sides of `relation` in its dominant unit; raises `IncompatibleUnitsError`."""
    unit = dominant_unit(relation.terms)
    return SumOutcome(
        unit=unit,
        left=_side_interval(state, relation.left, unit),
        right=_side_interval(state, relation.right, unit),
        left_point=_side_point(state, relation.left, unit),
        right_point=_side_point(state, relation.right, unit),
    )


def side_text(state: CheckState, terms: Sequence[Term], unit: str | None, point: Decimal) -> str:
    """`14.1 + 30.02 - 2 = 42.12`, or just the number for a one-term side."""
    pieces: list[str] = []
    for position, term in enumerate(terms):
        text = state.written(term, unit)
        if position == 0:
            pieces.append(f"-{text}" if term.negative else text)
        else:
            pieces.append(f"{'-' if term.negative else '+'} {text}")
    written = " ".join(pieces) if pieces else "0"
    if len(terms) == 1 and not terms[0].negative:
        if state.written(terms[0], unit) == terms[0].number.normalized:
            return written
        if state.correction_for(terms[0]) is None and point == terms[0].number.value:
            return terms[0].number.normalized  # 2828名 counted as 人: not `2828名 = 2828`
    return f"{written} = {format_decimal(point, state.precision.decimals_for(unit))}"


def equation_text(state: CheckState, relation: SumRelation, outcome: SumOutcome) -> str:
    sign = "=" if outcome.holds else "≠"
    left = side_text(state, relation.left, outcome.unit, outcome.left_point)
    right = side_text(state, relation.right, outcome.unit, outcome.right_point)
    return f"{left} {sign} {right}"


# -- the unit search ----------------------------------------------------------------------------


def rescaled_readings(state: CheckState, term: Term, unit: str | None) -> list[Correction]:
    """Plausible re-readings of a money term ×10^±4/±8, expressed in the relation's `unit`.

    A re-reading is plausible when, written in `unit`, it needs no more decimals
    than the document uses for `unit` (or the term itself was written with):
    `67.49元` read as `67.49万元` is; `30.02万元` read as `0.003002万元` is not.
    """
    if term.number.value == 0 or not is_money(term.unit) or not is_money(unit):
        return []
    if state.correction_for(term) is not None:
        return []
    allowed = state.precision.decimals_for(unit, term.number.decimals)
    readings: list[Correction] = []
    for factor in RESCALE_FACTORS:
        value = convert(term.number.value * factor, term.unit, unit)
        decimals = significant_decimals(value)
        if decimals <= allowed:
            readings.append(Correction(value=value.quantize(unit_step(decimals)), unit=unit))
    return readings


#: Largest relation searched for a single mislabeled unit (see `find_unit_slip`).
MAX_SLIP_TERMS = 60


def find_unit_slip(
    state: CheckState,
    terms: Sequence[Term],
    unit: str | None,
    holds_with: Callable[[], bool],
) -> tuple[Term, Correction] | None:
    """The one money term whose re-reading makes the relation hold (tried in `state.corrections`).

    Terms written in a unit other than the relation's come first: a wrong unit
    label is the likeliest slip. The trial correction is removed again; the
    caller decides whether to keep it. Relations of more than `MAX_SLIP_TERMS`
    terms are not searched: each trial re-adds every term, so the search is
    quadratic, and a sum that large is more likely mis-assembled than mislabeled.
    """
    if len(terms) > MAX_SLIP_TERMS:
        return None
    ordered = sorted(terms, key=lambda term: term.unit == unit)
    for term in ordered:
        for reading in rescaled_readings(state, term, unit):
            state.corrections[term.ident] = reading
            try:
                holds = holds_with()
            finally:
                del state.corrections[term.ident]
            if holds:
                return term, reading
    return None


def unit_flag(
    state: CheckState,
    relation_name: str,
    term: Term,
    reading: Correction,
    others: Sequence[Term],
    equation: str,
    tolerance: Decimal,
    unit: str | None,
) -> Flag:
    """The `unit` flag for `term`, which reads right as `reading`.

    `values` are the suspect number first, then `others` (the other side of the relation).
    """
    as_written = convert(term.number.value, term.unit, unit)
    corrected = format_decimal(reading.value, term.number.decimals)
    return Flag(
        rule=Rule.UNIT,
        severity=Severity.ERROR,
        subject=term.owner,
        message=(
            f"{term.number.normalized}{term.unit or ''} ({term.role} of {term.owner}) looks like "
            f"{corrected}{reading.unit or ''}: read that way the {relation_name} holds"
        ),
        equation=f"{equation}; with {corrected}{reading.unit or ''} it holds",
        values=[term.number.normalized, *(other.number.normalized for other in others if other is not term)],
        stated=as_written,
        recomputed=reading.value,
        difference=as_written - reading.value,
        tolerance=tolerance,
        unit=unit,
        spans=[term.number.span, *(other.number.span for other in others if other is not term)],
        **details_fields(_slip_details(term, as_written, reading, unit)),
    )


def details_fields(what: Phrase) -> dict[str, object]:
    """A flag's `details` (English), `details_code` and `details_params` from one phrase."""
    return {"details": what.english, "details_code": what.key, "details_params": dict(what.params)}


def units_phrase(key: str, error: IncompatibleUnitsError, **params: object) -> Phrase:
    """`key` filled with the two units of `error` (and `params`)."""
    return phrase(key, from_unit=error.from_unit or "", to_unit=error.to_unit or "", **params)


def _slip_details(term: Term, as_written: Decimal, reading: Correction, unit: str | None) -> Phrase:
    if term.unit != unit:
        return phrase("detail.unit_other", role=term.role, written=term.unit or "", unit=unit or "")
    factor = reading.value / as_written
    power = "10⁴" if factor in (Decimal(10) ** 4, Decimal(10) ** -4) else "10⁸"
    too = "small" if factor > 1 else "large"
    return phrase("detail.unit_scale", role=term.role, unit=unit or "", power=power, too=too)


def assess_sum(
    state: CheckState, relation: SumRelation, message: Callable[[SumOutcome], str]
) -> SumOutcome | None:
    """Evaluate, record and flag one additive relation; returns the outcome (None if untestable).

    On failure a unit slip is looked for first; when one term's re-reading makes
    the relation hold, a single `unit` flag is raised and the re-reading kept.
    """
    try:
        outcome = evaluate_sum(state, relation)
    except IncompatibleUnitsError as exc:
        state.skip_units(relation.rule, relation.subject, exc)
        return None
    if outcome.holds:
        state.record(relation.rule, relation.subject, relation.terms, holds=True)
        return outcome
    if handle_unit_slip(state, relation, outcome):
        return None
    state.record(relation.rule, relation.subject, relation.terms, holds=False)
    decimals = state.precision.decimals_for(outcome.unit)
    stated, recomputed = (
        (outcome.left_point, outcome.right_point)
        if relation.stated_left
        else (outcome.right_point, outcome.left_point)
    )
    state.flags.append(
        Flag(
            rule=relation.rule,
            severity=severity_for(outcome.excess, outcome.tolerance, decimals),
            subject=relation.subject,
            message=message(outcome),
            equation=equation_text(state, relation, outcome),
            values=[term.number.normalized for term in relation.value_order],
            stated=stated,
            recomputed=recomputed,
            difference=stated - recomputed,
            tolerance=outcome.tolerance,
            unit=outcome.unit,
            spans=[term.number.span for term in relation.value_order],
            **details_fields(relation.what),
        )
    )
    return outcome


def handle_unit_slip(state: CheckState, relation: SumRelation, outcome: SumOutcome) -> bool:
    """Raise a `unit` flag (and keep the re-reading) when one rescaled amount makes `relation` hold."""

    def holds_with() -> bool:
        return evaluate_sum(state, relation).holds

    found = find_unit_slip(state, relation.terms, outcome.unit, holds_with)
    if found is None:
        return False
    term, reading = found
    equation = equation_text(state, relation, outcome)
    state.correct(term, reading)
    other_side = relation.right if term in relation.left else relation.left
    state.flags.append(
        unit_flag(
            state,
            relation.rule.value.replace("_", " "),
            term,
            reading,
            other_side,
            equation,
            outcome.tolerance,
            outcome.unit,
        )
    )
    state.record(relation.rule, relation.subject, relation.terms, holds=False)
    return True


# -- projects -----------------------------------------------------------------------------------


def project_terms(project: Project, index: int, key: FactKey, negative: bool = False) -> list[Term]:
    """The stated numbers of one fact of `project` (a list: they add)."""
    return [
        Term(
            number=number,
            unit=number.unit or project.unit,
            ident=("project", index, key.value, position),
            owner=project.name,
            role=key.value,
            negative=negative,
        )
        for position, number in enumerate(project.facts.get(key, []))
    ]


def _keys_in_text_order(project: Project, keys: Sequence[FactKey]) -> list[FactKey]:
    return [key for key in project.facts if key in keys and project.facts[key]]


def check_flow(state: CheckState, project: Project, index: int) -> None:
    """Flow identity: `budget_initial + carryover_in + transfer_in + supplement − transfer_out −
    reduction = spent + carryover_out`.

    With a stated `budget_total` the identity is `budget_total = spent + carryover_out`.
    Without a stated year-end balance a project that did not spend its whole
    budget is incomplete, not inconsistent: skipped (unless one unit slip explains it).
    """
    subject = project.name
    spent = project_terms(project, index, FactKey.SPENT)
    if project.facts.get(FactKey.BUDGET_TOTAL):
        sources = project_terms(project, index, FactKey.BUDGET_TOTAL)
        what = phrase("detail.formula", formula="budget_total = spent + carryover_out")
    else:
        sources = [
            t for key in _keys_in_text_order(project, SOURCE_KEYS) for t in project_terms(project, index, key)
        ]
        sources += [
            t
            for key in _keys_in_text_order(project, DEDUCTION_KEYS)
            for t in project_terms(project, index, key, negative=True)
        ]
        what = phrase("detail.formula", formula="sources - deductions = spent + carryover_out")
    if not spent or not any(not term.negative for term in sources):
        if spent or sources:
            state.skip(Rule.FLOW_IDENTITY, subject, phrase("skip.flow_needs"))
        return
    carryover = project_terms(project, index, FactKey.CARRYOVER_OUT)
    relation = SumRelation(
        rule=Rule.FLOW_IDENTITY,
        subject=subject,
        left=tuple(sources),
        right=(*spent, *carryover),
        stated_left=False,
        what=what,
    )
    if not carryover:
        _check_flow_without_balance(state, relation)
        return
    assess_sum(state, relation, lambda outcome: _flow_message(relation, outcome))


def _check_flow_without_balance(state: CheckState, relation: SumRelation) -> None:
    """No year-end balance stated: only "all spent" can be confirmed; a unit slip is still a slip."""
    try:
        outcome = evaluate_sum(state, relation)
    except IncompatibleUnitsError as exc:
        state.skip_units(relation.rule, relation.subject, exc)
        return
    if outcome.holds:
        state.record(relation.rule, relation.subject, relation.terms, holds=True)
        return
    if handle_unit_slip(state, relation, outcome):
        return
    budget = format_decimal(outcome.left_point, state.precision.decimals_for(outcome.unit))
    spent = format_decimal(outcome.right_point, state.precision.decimals_for(outcome.unit))
    key = "skip.flow_incomplete" if outcome.left_point > outcome.right_point else "skip.flow_unstated_source"
    state.skip(relation.rule, relation.subject, phrase(key, spent=spent, budget=budget))


def _flow_message(relation: SumRelation, outcome: SumOutcome) -> str:
    unit = outcome.unit or ""
    gap = format_decimal(abs(outcome.left_point - outcome.right_point))
    return (
        f"{relation.subject}: sources {format_decimal(outcome.left_point)}{unit} do not equal "
        f"spending + balance {format_decimal(outcome.right_point)}{unit} (off by {gap})"
    )


def check_children(state: CheckState, extraction: DocumentExtraction) -> None:
    """For each parent project and each amount it states: parent = Σ children, when every child states it."""
    projects = extraction.projects
    parents: dict[str, int] = {}
    for index, project in enumerate(projects):
        parents.setdefault(project.name, index)
    children_of: dict[str, list[int]] = {}
    for index, project in enumerate(projects):
        if project.parent is not None and project.parent != project.name:
            children_of.setdefault(project.parent, []).append(index)
    for parent_name, child_indices in children_of.items():
        if parent_name not in parents:
            state.skip(Rule.CHILDREN_SUM, parent_name, phrase("skip.no_parent"))
            continue
        parent_index = parents[parent_name]
        parent = projects[parent_index]
        for key in parent.facts:
            if key not in AMOUNT_KEYS or not parent.facts[key]:
                continue
            lacking = [projects[i].name for i in child_indices if not projects[i].facts.get(key)]
            if lacking:
                why = phrase(
                    "skip.children_lacking", fact=key.value, lacking=len(lacking), count=len(child_indices),
                    names=", ".join(lacking),
                )
                state.skip(Rule.CHILDREN_SUM, parent_name, why)
                continue
            relation = SumRelation(
                rule=Rule.CHILDREN_SUM,
                subject=parent_name,
                left=tuple(project_terms(parent, parent_index, key)),
                right=tuple(t for i in child_indices for t in project_terms(projects[i], i, key)),
                stated_left=True,
                what=phrase("detail.children", fact=key.value, parent=parent_name, count=len(child_indices)),
            )
            assess_sum(state, relation, _children_message(relation, key))


def _children_message(relation: SumRelation, key: FactKey) -> Callable[[SumOutcome], str]:
    def message(outcome: SumOutcome) -> str:
        unit = outcome.unit or ""
        return (
            f"{relation.subject} states {key.value} {format_decimal(outcome.left_point)}{unit}, "
            f"its {len(relation.right)} sub-projects sum to {format_decimal(outcome.right_point)}{unit}"
        )

    return message


# -- breakdowns ---------------------------------------------------------------------------------


def _breakdown_terms(breakdown: Breakdown, index: int) -> tuple[Term, list[Term]]:
    def term(item_label: str, number: StatedNumber, position: int) -> Term:
        return Term(
            number=number,
            unit=number.unit or breakdown.unit,
            ident=("breakdown", index, "part" if position >= 0 else "total", max(position, 0)),
            owner=item_label,
            role="total" if position < 0 else "part",
        )

    total = term(breakdown.total.label, breakdown.total.amount, -1)
    parts = [term(part.label, part.amount, position) for position, part in enumerate(breakdown.parts)]
    return total, parts


def check_breakdown(state: CheckState, breakdown: Breakdown, index: int) -> None:
    """`total = Σ parts` (or `Σ parts ≤ total` for a partial list), when the parts really are parts."""
    subject = breakdown.total.label
    total, parts = _breakdown_terms(breakdown, index)
    if not parts:
        return
    units = {term.unit for term in (total, *parts)}
    if any(not convertible(a, b) for a in units for b in units):
        listed = ", ".join(sorted(map(str, units)))
        state.skip(Rule.BREAKDOWN_SUM, subject, phrase("skip.parts_units", units=listed))
        return
    relation = SumRelation(
        rule=Rule.BREAKDOWN_SUM,
        subject=subject,
        left=(total,),
        right=tuple(parts),
        stated_left=True,
        what=phrase("detail.parts", subject=subject, count=len(parts))
        if breakdown.exhaustive
        else phrase("detail.parts_listed", subject=subject),
    )
    outcome = evaluate_sum(state, relation)
    if outcome.holds:
        state.record(relation.rule, subject, relation.terms, holds=True)
        return
    if not breakdown.exhaustive and outcome.right.lo <= outcome.left.hi:
        # a partial list (包括…等) whose parts stay within the total is as it should be
        state.record(relation.rule, subject, relation.terms, holds=True)
        return
    if handle_unit_slip(state, relation, outcome):
        return
    reason = _not_a_breakdown(state, total, parts, outcome.unit)
    if reason is not None:
        state.skip(Rule.BREAKDOWN_SUM, subject, reason)
        return
    assess_sum(state, relation, lambda result: _breakdown_message(relation, result))


#: Parts summing to this multiple of their total or more are not shares of it.
NOT_A_BREAKDOWN_RATIO = Decimal("1.5")


def _not_a_breakdown(
    state: CheckState, total: Term, parts: Sequence[Term], unit: str | None
) -> Phrase | None:
    """Why the listed "parts" cannot be parts of the total (`12个指标，其中一级3个、二级9个、三级12个`).

    Several non-zero parts, one of them alone as large as the total, summing to
    1.5 times the total or more, are another classification (counts by level,
    overlapping groups), not shares of it. A sum merely somewhat above the
    total stays a breakdown: that is a slip worth flagging
    (`311.25 + 32812.06 = 33123.31 ≠ 32123.31`).

    Only counts are read this way. Money listed under a 其中 is a partition of
    the total (a partial list, 包括…等, is already tested as `≤`), so money parts
    that overflow their total (`1520.4万元，其中A 900万元、B 620.4万元、C 900万元`)
    are a breakdown that does not add up, never "another classification".
    """
    if is_money(unit):
        return None
    nonzero = [part for part in parts if state.value_in(part, unit) != 0]
    if len(nonzero) < 2:
        return None
    total_interval = state.interval_in(total, unit)
    parts_interval = sum_intervals(state.interval_in(part, unit) for part in parts)
    if total_interval.hi <= 0 or parts_interval.lo < NOT_A_BREAKDOWN_RATIO * total_interval.hi:
        return None
    if all(state.interval_in(part, unit).hi < total_interval.lo for part in nonzero):
        return None
    listed = " + ".join(part.number.normalized for part in parts)
    return phrase(
        "skip.not_a_breakdown", listed=listed, ratio=NOT_A_BREAKDOWN_RATIO, total=total.number.normalized
    )


def _breakdown_message(relation: SumRelation, outcome: SumOutcome) -> str:
    unit = outcome.unit or ""
    return (
        f"{relation.subject} is stated as {format_decimal(outcome.left_point)}{unit} but its "
        f"{len(relation.right)} parts sum to {format_decimal(outcome.right_point)}{unit}"
    )
