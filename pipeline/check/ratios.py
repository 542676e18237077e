"""Stated percentages against the ratio recomputed from stated amounts (rule `ratio`).

A project's `execution_rate` is `spent / budget × 100`, the budget being the
stated `budget_total`, else the stated sources net of deductions (or gross,
when transfers out are reported separately). An indicator's completion `rate`
is `actual / target × 100` when all three are stated.

The recomputed ratio is an interval (its operands are rounded); the stated
rate passes when that interval meets the rate's rounding window
(`[r − ½·10⁻ᵏ, r + ½·10⁻ᵏ]`, k = decimals written) or its truncation window
(`[r, r + 10⁻ᵏ]`). Which one matched is the `MatchMode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from pipeline.check.flows import (
    CheckState,
    Term,
    details_fields,
    dominant_unit,
    find_unit_slip,
    format_decimal,
    project_terms,
    severity_for,
    unit_flag,
    units_phrase,
)
from pipeline.check.interval import (
    PERCENT,
    EmptyDenominatorError,
    IncompatibleUnitsError,
    Interval,
    convertible,
    sum_intervals,
    unit_step,
)
from pipeline.i18n import phrase
from schemas import FactKey, Flag, Indicator, MatchMode, Project, Rule, Severity, StatedNumber, StatedRatio
from schemas.extraction import DEDUCTION_KEYS, SOURCE_KEYS

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RateMatch:
    """How a stated rate compares with a recomputed ratio interval."""

    holds: bool
    mode: MatchMode
    excess: Decimal


def match_rate(rate: Decimal, decimals: int, ratio: Interval) -> RateMatch:
    """Does `ratio` round (preferred) or truncate to `rate` written with `decimals` decimals?"""
    step = unit_step(decimals)
    rounded = Interval.around(rate, step / 2)
    truncated = Interval(rate, rate + step)
    if ratio.overlaps(rounded):
        return RateMatch(holds=True, mode=MatchMode.ROUND, excess=Decimal(0))
    if ratio.overlaps(truncated):
        return RateMatch(holds=True, mode=MatchMode.TRUNCATE, excess=Decimal(0))
    round_gap, truncate_gap = ratio.gap(rounded), ratio.gap(truncated)
    if truncate_gap < round_gap:
        return RateMatch(holds=False, mode=MatchMode.TRUNCATE, excess=truncate_gap)
    return RateMatch(holds=False, mode=MatchMode.ROUND, excess=round_gap)


@dataclass(frozen=True)
class RatioRelation:
    """`rate = Σ numerator / Σ denominator × 100`."""

    subject: str
    rate: Term
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]
    what: str
    scale: Decimal = HUNDRED  # 100 for a percentage, 1 for a density (只/夹)

    @property
    def percent(self) -> bool:
        return self.scale == HUNDRED

    @property
    def operands(self) -> tuple[Term, ...]:
        return (*self.numerator, *self.denominator)


def ratio_interval(state: CheckState, relation: RatioRelation) -> tuple[Interval, str | None]:
    """The recomputed percentage interval; raises `IncompatibleUnitsError`/`EmptyDenominatorError`."""
    unit = dominant_unit(relation.operands)
    numerator_unit, denominator_unit = _side_units(relation, unit)

    def side(terms: Sequence[Term], side_unit: str | None) -> Interval:
        return sum_intervals(
            -state.interval_in(t, side_unit) if t.negative else state.interval_in(t, side_unit) for t in terms
        )

    numerator = side(relation.numerator, numerator_unit)
    quotient = numerator.divided_by(side(relation.denominator, denominator_unit))
    return quotient.scaled(relation.scale), unit


def _side_units(relation: RatioRelation, unit: str | None) -> tuple[str | None, str | None]:
    """One unit for both sides, or each side its own for a density (31只 / 2936个)."""
    numerator_unit = dominant_unit(relation.numerator)
    denominator_unit = dominant_unit(relation.denominator)
    if convertible(numerator_unit, denominator_unit):
        return unit, unit
    return numerator_unit, denominator_unit


def point_ratio(state: CheckState, relation: RatioRelation, unit: str | None, interval: Interval) -> Decimal:
    """The ratio of the numbers as written (×100); the interval's middle if the denominator is zero."""

    numerator_unit, denominator_unit = _side_units(relation, unit)

    def side(terms: Sequence[Term], side_unit: str | None) -> Decimal:
        return sum(
            (-state.value_in(t, side_unit) if t.negative else state.value_in(t, side_unit) for t in terms),
            Decimal(0),
        )

    denominator = side(relation.denominator, denominator_unit)
    if denominator == 0:
        return interval.mid
    with localcontext() as context:
        context.prec = 40
        return side(relation.numerator, numerator_unit) / denominator * relation.scale


def _side_text(state: CheckState, terms: Sequence[Term], unit: str | None) -> str:
    pieces = [("- " if t.negative else "+ ") + state.written(t, unit) for t in terms]
    text = " ".join(pieces).removeprefix("+ ")
    return f"({text})" if len(terms) > 1 else text


def assess_ratio(state: CheckState, relations: Sequence[RatioRelation]) -> None:
    """Test one stated rate against one or more candidate ratios (the first is reported on failure)."""
    if not relations:
        return
    first = relations[0]
    rate = first.rate.number
    evaluated: list[tuple[RatioRelation, Interval, str | None, RateMatch]] = []
    for relation in relations:
        try:
            interval, unit = ratio_interval(state, relation)
        except (IncompatibleUnitsError, EmptyDenominatorError) as exc:
            why = (
                units_phrase("skip.ratio_units", exc, formula=relation.what)
                if isinstance(exc, IncompatibleUnitsError)
                else phrase("skip.ratio_empty", formula=relation.what)
            )
            state.skip(Rule.RATIO, relation.subject, why)
            continue
        match = match_rate(rate.value, rate.decimals, interval)
        if match.holds:
            state.record(Rule.RATIO, relation.subject, (relation.rate, *relation.operands), holds=True)
            return
        evaluated.append((relation, interval, unit, match))
    if not evaluated:
        return
    relation, interval, unit, match = evaluated[0]
    if first.percent and rate.value == HUNDRED and interval.lo > HUNDRED:
        state.record(Rule.RATIO, relation.subject, (relation.rate, *relation.operands), holds=True)
        state.flags.append(_flag(state, relation, interval, unit, match, Severity.INFO, capped=True))
        return

    def holds_with() -> bool:
        try:
            recomputed, _ = ratio_interval(state, relation)
        except (IncompatibleUnitsError, EmptyDenominatorError):
            return False  # a rescaled reading that empties the denominator explains nothing
        return match_rate(rate.value, rate.decimals, recomputed).holds

    found = find_unit_slip(state, relation.operands, unit, holds_with)
    if found is not None:
        term, reading = found
        equation = _equation(state, relation, interval, unit, holds=False)
        state.correct(term, reading)
        tolerance = interval.half_width + unit_step(rate.decimals) / 2
        state.flags.append(
            unit_flag(state, "ratio", term, reading, relation.operands, equation, tolerance, unit)
        )
        state.record(Rule.RATIO, relation.subject, (relation.rate, *relation.operands), holds=False)
        return
    state.record(Rule.RATIO, relation.subject, (relation.rate, *relation.operands), holds=False)
    severity = severity_for(match.excess, Decimal(1), rate.decimals)
    state.flags.append(_flag(state, relation, interval, unit, match, severity, capped=False))


def _equation(
    state: CheckState, relation: RatioRelation, interval: Interval, unit: str | None, holds: bool
) -> str:
    shown = format_decimal(
        point_ratio(state, relation, unit, interval).quantize(unit_step(relation.rate.number.decimals + 2))
    )
    sign = "=" if holds else "≠"
    numerator_unit, denominator_unit = _side_units(relation, unit)
    quotient = (
        f"{_side_text(state, relation.numerator, numerator_unit)}"
        f" / {_side_text(state, relation.denominator, denominator_unit)}"
    )
    if relation.percent:
        return f"{quotient} × 100 = {shown}% {sign} {relation.rate.number.normalized}%"
    return f"{quotient} = {shown} {sign} {relation.rate.number.normalized}{relation.rate.unit or ''}"


def _flag(
    state: CheckState,
    relation: RatioRelation,
    interval: Interval,
    unit: str | None,
    match: RateMatch,
    severity: Severity,
    capped: bool,
) -> Flag:
    rate = relation.rate.number
    recomputed = point_ratio(state, relation, unit, interval).quantize(unit_step(rate.decimals + 4))
    sign = "%" if relation.percent else (relation.rate.unit or "")
    gives = f"{relation.what} gives {format_decimal(recomputed)}{sign}"
    if capped:
        message = f"{relation.subject}: rate stated as 100% while {gives} (capped at 100%?)"
    else:
        message = f"{relation.subject}: stated {rate.normalized}{sign} but {gives}"
    return Flag(
        rule=Rule.RATIO,
        severity=severity,
        subject=relation.subject,
        message=message,
        equation=_equation(state, relation, interval, unit, holds=False),
        values=[rate.normalized, *(t.number.normalized for t in relation.operands)],
        stated=rate.value,
        recomputed=recomputed,
        difference=rate.value - recomputed,
        tolerance=interval.half_width + unit_step(rate.decimals) / 2,
        unit=PERCENT if relation.percent else relation.rate.unit,
        spans=[rate.span, *(t.number.span for t in relation.operands)],
        match_mode=match.mode,
        **details_fields(phrase("detail.formula", formula=relation.what)),
    )


def check_project_rate(state: CheckState, project: Project, index: int) -> None:
    """`execution_rate = spent / budget × 100` for each stated execution rate."""
    rates = project_terms(project, index, FactKey.EXECUTION_RATE)
    if not rates:
        return
    spent = project_terms(project, index, FactKey.SPENT)
    denominators: list[tuple[tuple[Term, ...], str]] = []
    if project.facts.get(FactKey.BUDGET_TOTAL):
        denominators.append(
            (tuple(project_terms(project, index, FactKey.BUDGET_TOTAL)), "spent / budget_total")
        )
    else:
        gross = tuple(t for key in SOURCE_KEYS for t in project_terms(project, index, key))
        deductions = tuple(
            t for key in DEDUCTION_KEYS for t in project_terms(project, index, key, negative=True)
        )
        if gross and deductions:
            denominators.append(((*gross, *deductions), "spent / (sources - deductions)"))
        if gross:
            denominators.append((gross, "spent / sources"))
    if not spent or not denominators:
        state.skip(Rule.RATIO, project.name, phrase("skip.rate_no_basis"))
        return
    for rate in rates:
        rate_term = Term(rate.number, rate.unit or PERCENT, rate.ident, rate.owner, rate.role)
        assess_ratio(
            state,
            [
                RatioRelation(project.name, rate_term, tuple(spent), denominator, what)
                for denominator, what in denominators
            ],
        )


def check_indicator_rate(state: CheckState, indicator: Indicator, index: int) -> None:
    """`rate = actual / target × 100` when target, actual and rate are all stated."""
    if indicator.rate is None:
        return
    if indicator.actual is None or indicator.target is None:
        return
    unit = indicator.unit

    def term(role: str, number_unit: str | None, number: StatedNumber) -> Term:
        return Term(number, number_unit, ("indicator", index, role, 0), indicator.name, role)

    rate = term("rate", PERCENT, indicator.rate)
    actual = term("actual", indicator.actual.unit or unit, indicator.actual)
    target = term("target", indicator.target.unit or unit, indicator.target)
    assess_ratio(state, [RatioRelation(indicator.name, rate, (actual,), (target,), "actual / target")])


def check_stated_ratios(state: CheckState, ratios: Sequence[StatedRatio]) -> None:
    """`鼠密度为0.10只/夹` with 2936 traps and 31 rats: value = numerator / denominator × scale."""
    for index, ratio in enumerate(ratios):
        value, numerator, denominator = (
            Term(number, number.unit, ("ratio", index, role, 0), ratio.label, role)
            for role, number in (
                ("value", ratio.value),
                ("numerator", ratio.numerator),
                ("denominator", ratio.denominator),
            )
        )
        relation = RatioRelation(
            ratio.label,
            value,
            (numerator,),
            (denominator,),
            "numerator / denominator",
            scale=Decimal(ratio.scale),
        )
        assess_ratio(state, [relation])
