"""Cross-statement rules: `conflict` (one quantity, two values) and `date` (impossible years).

A conflict is the same quantity stated twice with values whose rounding
intervals do not overlap: two `Statement`s with the same label and scope (or a
breakdown part and a statement of its label in its total's scope, roles
agreeing), two entries of the same-named project stating the same fact, or a
project's fact and a stated total naming the same fund in the same role (the
matching rules are in `pipeline.check.labels`). A date is a year
more than one year after the fiscal year or more than ten years before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from pipeline.check.flows import AMOUNT_KEYS, CheckState, Term, details_fields, project_terms, severity_for
from pipeline.check.interval import IncompatibleUnitsError, Interval, convertible, sum_intervals
from pipeline.check.labels import FACT_ROLES, fund_core, fund_name_matches, fund_of_label
from pipeline.i18n import Phrase, phrase
from schemas import DocumentExtraction, Flag, Rule, Severity, Span, Statement
from schemas.extraction import part_scope

#: How far after the fiscal year a year may be (a report written the next year).
YEARS_AFTER = 1
#: How far before the fiscal year a year may be.
YEARS_BEFORE = 10

_YEAR_RE = re.compile(r"((?:19|20)\d{2})年")


def _sum_interval(state: CheckState, terms: Sequence[Term], unit: str | None) -> Interval:
    return sum_intervals(state.interval_in(term, unit) for term in terms)


def _sum_point(state: CheckState, terms: Sequence[Term], unit: str | None) -> Decimal:
    return sum((state.value_in(term, unit) for term in terms), Decimal(0))


def _conflict(
    state: CheckState, subject: str, what: Phrase, first: Sequence[Term], second: Sequence[Term]
) -> None:
    """Compare two statements of one quantity; flag when their intervals do not overlap."""
    unit = first[0].unit
    if any(not convertible(term.unit, unit) for term in (*first, *second)):
        state.skip(Rule.CONFLICT, subject, what.within("skip.conflict_units"))
        return
    try:
        a, b = _sum_interval(state, first, unit), _sum_interval(state, second, unit)
    except IncompatibleUnitsError as exc:  # pragma: no cover - guarded by `convertible`
        state.skip_units(Rule.CONFLICT, subject, exc)
        return
    holds = a.overlaps(b)
    state.record(Rule.CONFLICT, subject, (*first, *second), holds=holds)
    if holds:
        return
    a_point, b_point = _sum_point(state, first, unit), _sum_point(state, second, unit)
    first_text = " + ".join(state.written(term, unit) for term in first)
    second_text = " + ".join(state.written(term, unit) for term in second)
    state.flags.append(
        Flag(
            rule=Rule.CONFLICT,
            severity=severity_for(a.gap(b), a.half_width + b.half_width, state.precision.decimals_for(unit)),
            subject=subject,
            message=(
                f"{what.english} is stated as {first_text}{unit or ''} and also as {second_text}{unit or ''}"
            ),
            equation=f"{first_text} ≠ {second_text}",
            values=[term.number.normalized for term in (*first, *second)],
            stated=a_point,
            recomputed=b_point,
            difference=a_point - b_point,
            tolerance=a.half_width + b.half_width,
            unit=unit,
            spans=[term.number.span for term in (*first, *second)],
            **details_fields(what),
        )
    )


def _statement_term(statement: Statement, index: int) -> Term:
    return Term(
        number=statement.amount,
        unit=statement.amount.unit,
        ident=("statement", index, "amount", 0),
        owner=statement.label,
        role="statement",
    )


StatementKey = tuple[str, str | None]


def _total_group_of(
    statement: Statement, totals: dict[str, list[tuple[StatementKey, str | None]]]
) -> StatementKey | None:
    """The group of totals a breakdown part is the same quantity as: same label, stated in
    the scope of the part's total, same (known) role."""
    if statement.part_of is None or statement.role is None:
        return None
    for key, role in totals.get(statement.label, []):
        if role == statement.role and part_scope(key[1], statement.part_of) == statement.scope:
            return key
    return None


def check_statement_conflicts(state: CheckState, extraction: DocumentExtraction) -> None:
    """Statements of one quantity must agree (each later value against the first).

    One quantity: the same label and scope, or a breakdown part and a statement
    with the part's label in its total's scope when their roles agree (项目支出
    as a part of 总支出 and 项目支出 stated on its own; see `pipeline.check.labels`)."""
    groups: dict[StatementKey, list[Term]] = {}
    totals: dict[str, list[tuple[StatementKey, str | None]]] = {}
    for index, statement in enumerate(extraction.statements):
        key = (statement.label, statement.scope)
        groups.setdefault(key, []).append(_statement_term(statement, index))
        if statement.part_of is None and (key, statement.role) not in totals.get(statement.label, []):
            totals.setdefault(statement.label, []).append((key, statement.role))
    absorbed: dict[StatementKey, list[StatementKey]] = {}
    merged: set[StatementKey] = set()
    for statement in extraction.statements:
        part_key = (statement.label, statement.scope)
        target = _total_group_of(statement, totals)
        if target is None or target == part_key or part_key in merged:
            continue
        merged.add(part_key)
        absorbed.setdefault(target, []).append(part_key)
    for (label, scope), own in groups.items():
        if (label, scope) in merged:
            continue
        terms = [*own, *(term for key in absorbed.get((label, scope), []) for term in groups[key])]
        parts_of = ", ".join(str(key[1]) for key in absorbed.get((label, scope), []))
        what = phrase(
            "detail.conflict_label"
            + ("_scope" if scope is not None else "")
            + ("_parts" if parts_of else ""),
            label=label, scope=scope or "", parts=parts_of,
        )
        seen: list[Term] = [terms[0]]
        for term in terms[1:]:
            if any(_same_as_written(term, earlier) for earlier in seen):
                continue
            seen.append(term)
            _conflict(state, label, what, [terms[0]], [term])


def _same_as_written(term: Term, other: Term) -> bool:
    return term.number.value == other.number.value and term.unit == other.unit


def check_fund_conflicts(state: CheckState, extraction: DocumentExtraction) -> None:
    """A project's fact and a stated total naming the same fund in the same role must agree.

    `衔接资金` with budget_total 1934.6 against a breakdown total `衔接资金项目投入资金
    1943.6`: names are matched by `fund_name_matches` (prefix and locality rules,
    `pipeline.check.labels`), the fact key's role (`FACT_ROLES`) must be the role the
    total's label names. A total equal as written to the fact is the fact itself
    stated again, and is not compared."""
    funds = [
        (index, statement, named)
        for index, statement in enumerate(extraction.statements)
        if statement.part_of is None and (named := fund_of_label(statement.label)) is not None
    ]
    if not funds:
        return
    for project_index, project in enumerate(extraction.projects):
        core = fund_core(project.name, extraction.fiscal_year)
        for key, role in FACT_ROLES.items():
            if not project.facts.get(key):
                continue
            terms = project_terms(project, project_index, key)
            for statement_index, statement, (fund, fund_role) in funds:
                if fund_role != role or not fund_name_matches(core, fund):
                    continue
                other = _statement_term(statement, statement_index)
                if len(terms) == 1 and _same_as_written(terms[0], other):
                    continue
                _conflict(
                    state,
                    project.name,
                    phrase(
                        "detail.conflict_statement",
                        fact=key.value,
                        project=project.name,
                        label=statement.label,
                    ),
                    terms,
                    [other],
                )


def check_project_conflicts(state: CheckState, extraction: DocumentExtraction) -> None:
    """Two entries of the same-named project stating one fact must agree."""
    by_name: dict[str, list[int]] = {}
    for index, project in enumerate(extraction.projects):
        by_name.setdefault(project.name, []).append(index)
    for name, indices in by_name.items():
        if len(indices) < 2:
            continue
        first_index = indices[0]
        first = extraction.projects[first_index]
        for key in AMOUNT_KEYS:
            if not first.facts.get(key):
                continue
            first_terms = project_terms(first, first_index, key)
            for other_index in indices[1:]:
                other = extraction.projects[other_index]
                if not other.facts.get(key):
                    continue
                _conflict(
                    state,
                    name,
                    phrase("detail.conflict_project", fact=key.value, project=name),
                    first_terms,
                    project_terms(other, other_index, key),
                )


#: Shortest rate name compared across indicators, and how much of the longer name it must cover.
_MIN_RATE_NAME = 5
_MIN_NAME_COVER = Decimal("0.8")


def _same_rate(longer: str, shorter: str) -> bool:
    """`血压规范管理率` names the same rate as `高血压规范管理率`: a suffix covering most of it."""
    return (
        longer.endswith(shorter)
        and len(shorter) >= _MIN_RATE_NAME
        and Decimal(len(shorter)) / Decimal(len(longer)) >= _MIN_NAME_COVER
    )


def check_indicator_conflicts(state: CheckState, extraction: DocumentExtraction) -> None:
    """The achieved value of one rate (`…率`, in %) stated twice in a document must agree.

    Names match exactly or as a covering suffix (`血压规范管理率` / `高血压规范管理率`);
    targets are not compared, since programmes set their own."""
    rates = [
        (index, indicator)
        for index, indicator in enumerate(extraction.indicators)
        if indicator.actual is not None
        and indicator.name.endswith("率")
        and (indicator.actual.unit or indicator.unit) == "%"
    ]
    for position, (first_index, first) in enumerate(rates):
        for other_index, other in rates[position + 1 :]:
            longer, shorter = (first, other) if len(first.name) >= len(other.name) else (other, first)
            if not (first.name == other.name or _same_rate(longer.name, shorter.name)):
                continue
            long_index = first_index if longer is first else other_index
            short_index = other_index if longer is first else first_index
            assert longer.actual is not None and shorter.actual is not None
            _conflict(
                state,
                longer.name,
                phrase("detail.conflict_achieved", name=longer.name),
                [Term(longer.actual, "%", ("indicator", long_index, "actual", 0), longer.name, "actual")],
                [Term(shorter.actual, "%", ("indicator", short_index, "actual", 0), shorter.name, "actual")],
            )


def check_years(state: CheckState, extraction: DocumentExtraction) -> None:
    """Years more than one after or ten before the fiscal year (`2033年` in a 2023 report)."""
    if extraction.fiscal_year is None:
        if extraction.years:
            state.skip(Rule.DATE, extraction.document, phrase("skip.no_fiscal_year"))
        return
    fiscal_year = extraction.fiscal_year
    mentions: list[tuple[int, str, Span]] = [(m.year, m.subject, m.span) for m in extraction.years]
    for project in extraction.projects:
        for match in _YEAR_RE.finditer(project.name):
            mentions.append((int(match.group(1)), project.name, project.name_span or Span(start=0, end=0)))
    seen: set[tuple[int, str]] = set()
    for year, subject, span in mentions:
        if (year, subject) in seen:
            continue
        seen.add((year, subject))
        late = year > fiscal_year + YEARS_AFTER
        early = year < fiscal_year - YEARS_BEFORE
        if not (late or early):
            state.passed += 1
            continue
        offset = year - fiscal_year
        state.flags.append(
            Flag(
                rule=Rule.DATE,
                severity=Severity.ERROR,
                subject=subject,
                message=(
                    f"{year}年 in {subject} is {abs(offset)} years {'after' if late else 'before'} "
                    f"the fiscal year {fiscal_year}"
                ),
                equation=(
                    f"{year} > {fiscal_year} + {YEARS_AFTER}"
                    if late
                    else f"{year} < {fiscal_year} - {YEARS_BEFORE}"
                ),
                values=[str(year)],
                stated=Decimal(year),
                recomputed=Decimal(fiscal_year),
                difference=Decimal(offset),
                tolerance=Decimal(YEARS_AFTER if late else YEARS_BEFORE),
                unit="年",
                spans=[span],
                **details_fields(
                    phrase("detail.years", low=fiscal_year - YEARS_BEFORE, high=fiscal_year + YEARS_AFTER)
                ),
            )
        )
