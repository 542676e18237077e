"""The arithmetic checker: a pure function from extracted facts to a `CheckReport`.

`check(extraction)` tests every relation the text states enough for, in a
fixed order (flows, children sums, breakdowns, ratios, conflicts, dates), with
exact `Decimal` interval arithmetic at the document's own precision (see
`pipeline.check.interval`). It never raises on odd input: a relation it cannot test
becomes a `SkippedCheck` with the reason. It imports nothing from the LLM or
store stages and runs outside any pydantic validator, so no retry can hide a
total that does not add up.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.check.flows import CheckState, TestedRelation, check_breakdown, check_children, check_flow
from pipeline.check.interval import PERCENT, Precision, document_precision
from pipeline.check.ratios import check_indicator_rate, check_project_rate, check_stated_ratios
from pipeline.check.scores import check_scores
from pipeline.check.statements import (
    check_fund_conflicts,
    check_indicator_conflicts,
    check_project_conflicts,
    check_statement_conflicts,
    check_years,
)
from schemas import CheckReport, DocumentExtraction, FactKey, StatedNumber


def stated_numbers(extraction: DocumentExtraction) -> Iterator[tuple[StatedNumber, str | None]]:
    """Every stated number of the extraction with its effective unit (its own, else its container's)."""
    for project in extraction.projects:
        for key, numbers in project.facts.items():
            default = PERCENT if key is FactKey.EXECUTION_RATE else project.unit
            for number in numbers:
                yield number, number.unit or default
    for indicator in extraction.indicators:
        for amount in (indicator.target, indicator.actual):
            if amount is not None:
                yield amount, amount.unit or indicator.unit
        if indicator.rate is not None:
            yield indicator.rate, PERCENT
    for breakdown in extraction.breakdowns:
        for item in (breakdown.total, *breakdown.parts):
            yield item.amount, item.amount.unit or breakdown.unit
    for statement in extraction.statements:
        yield statement.amount, statement.amount.unit
    for ratio in extraction.ratios:
        for number in (ratio.value, ratio.numerator, ratio.denominator):
            yield number, number.unit


def precision_of(extraction: DocumentExtraction) -> Precision:
    """The finest precision the document uses per unit."""
    return document_precision(stated_numbers(extraction))


def run_checks(extraction: DocumentExtraction) -> tuple[CheckReport, list[TestedRelation]]:
    """The report and the trace of every relation tested (which numbers, did it hold)."""
    state = CheckState(precision=precision_of(extraction))
    for index, project in enumerate(extraction.projects):
        check_flow(state, project, index)
    check_children(state, extraction)
    for index, breakdown in enumerate(extraction.breakdowns):
        check_breakdown(state, breakdown, index)
    for index, project in enumerate(extraction.projects):
        check_project_rate(state, project, index)
    for index, indicator in enumerate(extraction.indicators):
        check_indicator_rate(state, indicator, index)
    check_stated_ratios(state, extraction.ratios)
    check_statement_conflicts(state, extraction)
    check_project_conflicts(state, extraction)
    check_fund_conflicts(state, extraction)
    check_indicator_conflicts(state, extraction)
    check_years(state, extraction)
    check_scores(state, extraction.scores)
    report = CheckReport(flags=state.flags, skipped=state.skipped, passed=state.passed)
    return report, state.trace


def check(extraction: DocumentExtraction) -> CheckReport:
    """Test the arithmetic of one document's extraction; flags in a stable order."""
    report, _ = run_checks(extraction)
    return report
