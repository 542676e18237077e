"""Table-driven tests of the arithmetic checker: one named case per behaviour of every rule family."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from pipeline.check.interval import Interval
from pipeline.check.ratios import match_rate
from pipeline.check.run import check, run_checks, stated_numbers
from pipeline.extract.statements import statements_from_breakdowns
from schemas import (
    Breakdown,
    BreakdownItem,
    CheckReport,
    DocumentExtraction,
    FactKey,
    Indicator,
    MatchMode,
    Project,
    Rule,
    Severity,
    Span,
    StatedNumber,
    StatedRatio,
    Statement,
    YearMention,
)

_offsets = itertools.count(0, 10)

Fact = str | tuple[str, str] | list[str]


def num(text: str, unit: str | None = "万元") -> StatedNumber:
    """A stated number with a span of its own, so tests can tell which numbers a flag names."""
    start = next(_offsets)
    return StatedNumber(
        text=text,
        normalized=text,
        value=Decimal(text),
        unit=unit,
        span=Span(start=start, end=start + len(text)),
    )


def project(name: str, parent: str | None = None, unit: str = "万元", **facts: Fact) -> Project:
    """`project("A", budget_initial="10", spent=("67.49", "元"), supplement=["1", "2"])`."""
    stated: dict[FactKey, list[StatedNumber]] = {}
    for key, fact in facts.items():
        fact_key = FactKey(key)
        default = "%" if fact_key is FactKey.EXECUTION_RATE else unit
        if isinstance(fact, list):
            stated[fact_key] = [num(text, default) for text in fact]
        elif isinstance(fact, tuple):
            stated[fact_key] = [num(fact[0], fact[1])]
        else:
            stated[fact_key] = [num(fact, default)]
    return Project(name=name, parent=parent, unit=unit, facts=stated)


def breakdown(
    total: tuple[str, str],
    *parts: tuple[str, str] | tuple[str, str, str],
    unit: str | None = "万元",
    exhaustive: bool = True,
) -> Breakdown:
    """`breakdown(("总支出", "100"), ("项目支出", "60"), ("其他", "400000", "元"))`."""

    def item(entry: tuple[str, str] | tuple[str, str, str]) -> BreakdownItem:
        own_unit = entry[2] if len(entry) == 3 else unit
        return BreakdownItem(label=entry[0], amount=num(entry[1], own_unit))

    return Breakdown(unit=unit, total=item(total), parts=[item(p) for p in parts], exhaustive=exhaustive)


def indicator(name: str, target: str, actual: str, rate: str, unit: str | None = "人") -> Indicator:
    return Indicator(
        name=name, target=num(target, unit), actual=num(actual, unit), rate=num(rate, "%"), unit=unit
    )


def doc(
    projects: list[Project] | None = None,
    breakdowns: list[Breakdown] | None = None,
    indicators: list[Indicator] | None = None,
    statements: list[Statement] | None = None,
    years: list[YearMention] | None = None,
    fiscal_year: int | None = 2023,
) -> DocumentExtraction:
    return DocumentExtraction(
        document="case.txt",
        fiscal_year=fiscal_year,
        projects=projects or [],
        breakdowns=breakdowns or [],
        indicators=indicators or [],
        statements=statements or [],
        years=years or [],
    )


@dataclass(frozen=True)
class Case:
    """One named checker case: the extraction and what the report must say."""

    name: str
    extraction: DocumentExtraction
    flags: list[tuple[Rule, Severity]] = field(default_factory=list)
    first_values: list[list[str]] | None = None
    skipped: list[Rule] = field(default_factory=list)
    passed: int | None = None
    extra: Callable[[CheckReport], None] | None = None


def _equation_is(expected: str) -> Callable[[CheckReport], None]:
    def assertion(report: CheckReport) -> None:
        assert report.flags[0].equation == expected

    return assertion


def _skip_reason_mentions(*words: str) -> Callable[[CheckReport], None]:
    def assertion(report: CheckReport) -> None:
        reasons = " ".join(s.reason for s in report.skipped)
        for word in words:
            assert word in reasons

    return assertion


def _spans_cover_every_number(report: CheckReport) -> None:
    flag = report.flags[0]
    assert len(flag.spans) == len(flag.values)
    assert len({(s.start, s.end) for s in flag.spans}) == len(flag.spans)


def _tolerance_is(expected: str) -> Callable[[CheckReport], None]:
    def assertion(report: CheckReport) -> None:
        assert report.flags[0].tolerance == Decimal(expected)

    return assertion


def _match_mode_is(mode: MatchMode) -> Callable[[CheckReport], None]:
    def assertion(report: CheckReport) -> None:
        assert report.flags[0].match_mode is mode

    return assertion


def _shared_number_doc() -> DocumentExtraction:
    """One slipped number (`67.49元`, one span) both a project fact and a breakdown part."""
    slipped = num("67.49", "元")
    facts = {
        FactKey.BUDGET_INITIAL: [num("9.64")],
        FactKey.TRANSFER_IN: [num("57.85")],
        FactKey.SPENT: [slipped],
        FactKey.CARRYOVER_OUT: [num("0")],
    }
    return doc(
        [Project(name="农村奖扶", unit="万元", facts=facts)],
        breakdowns=[
            Breakdown(
                unit="万元",
                total=BreakdownItem(label="支出", amount=num("97.49")),
                parts=[
                    BreakdownItem(label="农村奖扶", amount=slipped),
                    BreakdownItem(label="其他", amount=num("30")),
                ],
            )
        ],
    )


def stated(*breakdowns: Breakdown, fiscal_year: int = 2023) -> list[Statement]:
    """The statements the extractors derive from `breakdowns` (labels normalised, roles read)."""
    return statements_from_breakdowns(list(breakdowns), fiscal_year)


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CASES: list[Case] = [
    # --- flow_identity -----------------------------------------------------------------------
    Case(
        "flow-balanced-with-dropped-trailing-zeros",
        doc([project("A", budget_initial="225", transfer_in="9.05", spent="228.65", carryover_out="5.4")]),
        passed=1,
    ),
    Case(
        "flow-within-rounding",
        doc([project("A", budget_initial="14.1", supplement="30.02", spent="44.11", carryover_out="0")]),
        passed=1,
    ),
    Case(
        "flow-mismatch-is-error-with-equation-as-written",
        doc(
            [
                project(
                    "B",
                    budget_initial="14.1",
                    supplement="30.02",
                    transfer_in="147.56",
                    spent="160.29",
                    carryover_out="1.37",
                )
            ]
        ),
        flags=[(Rule.FLOW_IDENTITY, ERROR)],
        first_values=[["160.29", "1.37", "14.1", "30.02", "147.56"]],
        extra=_equation_is("14.1 + 30.02 + 147.56 = 191.68 ≠ 160.29 + 1.37 = 161.66"),
    ),
    Case(
        "flow-deductions-subtract",
        doc(
            [
                project(
                    "C",
                    budget_initial="475",
                    transfer_in="2668.23",
                    transfer_out="23.3",
                    reduction="113.6",
                    spent="2327.51",
                    carryover_out="678.82",
                )
            ]
        ),
        passed=1,
    ),
    Case(
        "flow-list-facts-add",
        doc(
            [
                project(
                    "D", budget_initial="15", supplement=["13.95", "0.68"], spent="29.63", carryover_out="0"
                )
            ]
        ),
        passed=1,
    ),
    Case(
        "flow-incomplete-without-balance-is-skipped",
        doc([project("E", budget_initial="100", spent="80")]),
        skipped=[Rule.FLOW_IDENTITY],
        passed=0,
        extra=_skip_reason_mentions("incomplete"),
    ),
    Case(
        "flow-all-spent-without-balance-passes",
        doc([project("F", budget_initial="10", transfer_in="5", spent="15")]),
        passed=1,
    ),
    Case(
        "flow-uses-budget-total-when-stated",
        doc([project("G", budget_initial="1", budget_total="10", spent="9", carryover_out="1")]),
        passed=1,
    ),
    Case(
        "flow-budget-total-mismatch",
        doc([project("H", budget_total="10", spent="9.5", carryover_out="1.5")]),
        flags=[(Rule.FLOW_IDENTITY, ERROR)],
        first_values=[["9.5", "1.5", "10"]],
        extra=_equation_is("10 ≠ 9.5 + 1.5 = 11.0"),
    ),
    Case(
        "flow-slightly-beyond-rounding-is-warning",
        doc([project("I", budget_initial="0.61", spent="0.63", carryover_out="0")]),
        flags=[(Rule.FLOW_IDENTITY, WARNING)],
        extra=_tolerance_is("0.010"),
    ),
    Case(
        # 0.03 off with a tolerance of 0.015: 1.5 units of the last digit beyond rounding, a rounding habit
        "breakdown-off-by-up-to-two-last-digits-beyond-rounding-is-warning",
        doc(breakdowns=[breakdown(("总支出", "100.00"), ("项目支出", "60.00"), ("基本支出", "40.03"))]),
        flags=[(Rule.BREAKDOWN_SUM, WARNING)],
        extra=_tolerance_is("0.015"),
    ),
    Case(
        # 0.04 off: 2.5 units beyond rounding is no rounding habit any more
        "breakdown-off-by-more-than-two-last-digits-beyond-rounding-is-error",
        doc(breakdowns=[breakdown(("总支出", "100.00"), ("项目支出", "60.00"), ("基本支出", "40.04"))]),
        flags=[(Rule.BREAKDOWN_SUM, ERROR)],
        extra=_tolerance_is("0.015"),
    ),
    Case(
        "flow-needs-a-source-and-spending",
        doc([project("J", spent="10")]),
        skipped=[Rule.FLOW_IDENTITY],
        passed=0,
    ),
    # --- zero exactness ------------------------------------------------------------------------
    Case(
        "zero-is-exact",
        doc(breakdowns=[breakdown(("三公经费", "0"), ("公务接待费", "0.01"), ("公车", "0.00"))]),
        flags=[(Rule.BREAKDOWN_SUM, WARNING)],
        first_values=[["0", "0.01", "0.00"]],
    ),
    Case(
        "non-zero-amounts-round",
        doc(breakdowns=[breakdown(("三公经费", "0.02"), ("公务接待费", "0.01"), ("公车", "0"))]),
        passed=1,
    ),
    # --- children_sum ------------------------------------------------------------------------
    Case(
        "children-sum-ok",
        doc(
            [
                project("P", budget_initial="97.82", spent="61.96", carryover_out="35.86"),
                project("P1", "P", budget_initial="37.50", spent="28.61", carryover_out="8.89"),
                project("P2", "P", budget_initial="60.32", spent="33.35", carryover_out="26.97"),
            ]
        ),
        passed=6,
    ),
    Case(
        "children-sum-mismatch-parent-first",
        doc(
            [
                project("P", budget_initial="10", spent="5.5", carryover_out="4.5"),
                project("P1", "P", budget_initial="6", spent="2", carryover_out="4"),
                project("P2", "P", budget_initial="4", spent="2.5", carryover_out="1.5"),
            ]
        ),
        flags=[(Rule.CHILDREN_SUM, ERROR), (Rule.CHILDREN_SUM, ERROR)],
        first_values=[["5.5", "2", "2.5"], ["4.5", "4", "1.5"]],
        passed=4,
    ),
    Case(
        "children-sum-skipped-when-a-child-lacks-the-key",
        doc(
            [
                project("P", budget_initial="10", transfer_in="3", spent="13"),
                project("P1", "P", budget_initial="6", transfer_in="3", spent="9"),
                project("P2", "P", budget_initial="4", spent="4"),
            ]
        ),
        skipped=[Rule.CHILDREN_SUM],
        passed=5,
        extra=_skip_reason_mentions("transfer_in", "P2"),
    ),
    # --- breakdown_sum -----------------------------------------------------------------------
    Case(
        "breakdown-ok",
        doc(breakdowns=[breakdown(("总支出", "7347.90"), ("项目支出", "6969.76"), ("基本支出", "378.14"))]),
        passed=1,
    ),
    Case(
        "breakdown-mismatch-total-first",
        doc(
            breakdowns=[
                breakdown(("专项资金收入", "32123.31"), ("上年结余", "311.25"), ("本年财政投入", "32812.06"))
            ]
        ),
        flags=[(Rule.BREAKDOWN_SUM, ERROR)],
        first_values=[["32123.31", "311.25", "32812.06"]],
        extra=_spans_cover_every_number,
    ),
    Case(
        "breakdown-partial-list-below-total-is-fine",
        doc(breakdowns=[breakdown(("总支出", "100"), ("项目支出", "60"), exhaustive=False)]),
        passed=1,
    ),
    Case(
        "breakdown-partial-list-above-total-is-error",
        doc(breakdowns=[breakdown(("总支出", "100"), ("项目支出", "60"), ("其他", "50"), exhaustive=False)]),
        flags=[(Rule.BREAKDOWN_SUM, ERROR)],
    ),
    Case(
        "breakdown-indicator-levels-are-not-a-breakdown",
        doc(breakdowns=[breakdown(("指标", "12"), ("一级", "3"), ("二级", "9"), ("三级", "12"), unit="个")]),
        skipped=[Rule.BREAKDOWN_SUM],
        passed=0,
        extra=_skip_reason_mentions("not a breakdown"),
    ),
    Case(
        "breakdown-indicator-levels-without-unit-are-not-a-breakdown",
        doc(breakdowns=[breakdown(("指标", "12"), ("一级", "3"), ("二级", "9"), ("三级", "12"), unit=None)]),
        skipped=[Rule.BREAKDOWN_SUM],
        passed=0,
        extra=_skip_reason_mentions("another classification"),
    ),
    Case(
        "breakdown-money-overflow-is-flagged-not-another-classification",
        doc(
            breakdowns=[
                breakdown(("投入资金", "1520.4"), ("A", "900"), ("B", "620.4"), ("C", "900")),
            ]
        ),
        flags=[(Rule.BREAKDOWN_SUM, ERROR)],
        first_values=[["1520.4", "900", "620.4", "900"]],
        extra=_equation_is("1520.4 ≠ 900 + 620.4 + 900 = 2420.4"),
    ),
    Case(
        "breakdown-money-overflow-in-yuan-is-flagged",
        doc(
            breakdowns=[
                breakdown(("专项资金", "100000"), ("A", "100000"), ("B", "60000"), unit="元"),
            ]
        ),
        flags=[(Rule.BREAKDOWN_SUM, ERROR)],
        first_values=[["100000", "100000", "60000"]],
    ),
    Case(
        "breakdown-counts-are-exact",
        doc(
            breakdowns=[
                breakdown(
                    ("实有人数", "120"),
                    ("行政", "50"),
                    ("工勤", "1"),
                    ("参公", "14"),
                    ("事业", "56"),
                    unit="人",
                )
            ]
        ),
        flags=[(Rule.BREAKDOWN_SUM, ERROR)],
        first_values=[["120", "50", "1", "14", "56"]],
        extra=_tolerance_is("0"),
    ),
    Case(
        "breakdown-mixed-yuan-and-wan-converts",
        doc(breakdowns=[breakdown(("总支出", "1.5"), ("项目", "1"), ("其他", "5000", "元"))]),
        passed=1,
    ),
    Case(
        "breakdown-non-convertible-units-skipped",
        doc(breakdowns=[breakdown(("合计", "10"), ("人员", "4", "人"), ("经费", "6", "万元"))]),
        skipped=[Rule.BREAKDOWN_SUM],
        passed=0,
    ),
    # --- ratio -------------------------------------------------------------------------------
    Case(
        "ratio-indicator-rounds",
        doc(indicators=[indicator("65岁以上老年人健康管理", "59000", "59174", "100.3")]),
        passed=1,
    ),
    Case(
        "ratio-indicator-passes-by-truncation",
        doc(indicators=[indicator("肺结核患者管理", "300", "299", "99.66")]),
        passed=1,
    ),
    Case(
        "ratio-execution-rate-budget-total",
        doc([project("三公经费", budget_total="10", spent="0.94", execution_rate="9.4")]),
        skipped=[Rule.FLOW_IDENTITY],
        passed=1,
    ),
    Case(
        "ratio-execution-rate-from-sources",
        doc(
            [
                project(
                    "K",
                    budget_initial="80",
                    transfer_in="20",
                    spent="90",
                    carryover_out="10",
                    execution_rate="90",
                )
            ]
        ),
        passed=2,
    ),
    Case(
        "ratio-mismatch-is-error",
        doc([project("L", budget_total="10", spent="0.94", execution_rate="19.4")]),
        flags=[(Rule.RATIO, ERROR)],
        first_values=[["19.4", "0.94", "10"]],
        skipped=[Rule.FLOW_IDENTITY],
        extra=_match_mode_is(MatchMode.ROUND),
    ),
    Case(
        "ratio-near-miss-is-warning",
        doc(indicators=[indicator("M", "200", "197", "100")]),
        flags=[(Rule.RATIO, WARNING)],
    ),
    Case(
        "ratio-capped-at-100-is-info",
        doc(indicators=[indicator("产前筛查", "7300", "11300", "100")]),
        flags=[(Rule.RATIO, INFO)],
        passed=1,
    ),
    # --- unit --------------------------------------------------------------------------------
    Case(
        "unit-yuan-among-wan-in-flow",
        doc(
            [
                project(
                    "2022年农村奖励扶助项目",
                    budget_initial="9.64",
                    transfer_in="57.85",
                    spent=("67.49", "元"),
                    carryover_out="0",
                )
            ]
        ),
        flags=[(Rule.UNIT, ERROR)],
        first_values=[["67.49", "9.64", "57.85"]],
    ),
    Case(
        "unit-slip-does-not-cascade-into-children-sum",
        doc(
            [
                project("计生专项", spent="897.45", carryover_out="0"),
                project("特扶", "计生专项", budget_initial="829.96", spent="829.96", carryover_out="0"),
                project(
                    "农村奖扶",
                    "计生专项",
                    budget_initial="9.64",
                    transfer_in="57.85",
                    spent=("67.49", "元"),
                    carryover_out="0",
                ),
            ]
        ),
        flags=[(Rule.UNIT, ERROR)],
        first_values=[["67.49", "9.64", "57.85"]],
    ),
    Case(
        "unit-number-written-in-yuan-under-wan-label",
        doc(breakdowns=[breakdown(("总支出", "100"), ("项目支出", "32.51"), ("基本支出", "674900"))]),
        flags=[(Rule.UNIT, ERROR)],
        first_values=[["674900", "100"]],
    ),
    Case(
        "unit-not-claimed-for-a-genuine-gap",
        doc(
            [
                project(
                    "N",
                    budget_initial="7.18",
                    supplement="13.57",
                    transfer_in="21.16",
                    spent="23.41",
                    carryover_out="4.93",
                )
            ]
        ),
        flags=[(Rule.FLOW_IDENTITY, ERROR)],
    ),
    Case(
        "unit-slip-in-ratio",
        doc([project("R", budget_total="10.00", spent="94000", execution_rate="94")]),
        flags=[(Rule.UNIT, ERROR)],
        first_values=[["94000", "10.00"]],
        skipped=[Rule.FLOW_IDENTITY],
    ),
    Case(
        "unit-slip-in-two-containers-flagged-once",
        _shared_number_doc(),
        flags=[(Rule.UNIT, ERROR)],
        first_values=[["67.49", "9.64", "57.85"]],
        passed=1,
    ),
    # --- conflict ----------------------------------------------------------------------------
    Case(
        "conflict-same-label-and-scope",
        doc(
            statements=[
                Statement(label="项目支出", scope="2023", amount=num("6969.76")),
                Statement(label="项目支出", scope="2023", amount=num("6965.5")),
            ]
        ),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["6969.76", "6965.5"]],
    ),
    Case(
        "conflict-not-across-scopes-or-within-rounding",
        doc(
            statements=[
                Statement(label="总支出", scope="2023", amount=num("7347.9")),
                Statement(label="总支出", scope="2022", amount=num("7000")),
                Statement(label="总支出", scope="2023", amount=num("7347.90")),
                Statement(label="总支出", scope="2023", amount=num("73479000", "元")),
            ]
        ),
        passed=1,
    ),
    Case(
        "conflict-same-project-twice",
        doc([project("Q", spent="10"), project("Q", spent="15")]),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["10", "15"]],
    ),
    Case(
        "conflict-within-the-rounding-band-is-a-warning",
        doc([project("Q", spent="7347.90"), project("Q", spent="7347.88")]),
        flags=[(Rule.CONFLICT, Severity.WARNING)],
        first_values=[["7347.90", "7347.88"]],
    ),
    # --- conflict: one quantity under two labels (framing, part vs total, project vs fund) ----
    Case(
        "conflict-labels-differing-only-in-framing",
        doc(
            statements=stated(
                breakdown(("2023年本单位总支出", "4127.36"), ("基本支出", "1000"), ("其他支出", "3127.36")),
                breakdown(("全年总支出", "4172.36"), ("人员经费", "4172.36")),
            )
        ),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["4127.36", "4172.36"]],
    ),
    Case(
        "conflict-framing-words-stripped-after-the-fiscal-year",
        doc(
            statements=stated(
                breakdown(("2023年度我局专项资金收入", "100"), ("A", "100")),
                breakdown(("本年度专项资金收入", "110"), ("B", "110")),
            )
        ),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["100", "110"]],
    ),
    Case(
        "conflict-not-when-the-year-is-another-than-the-fiscal-year",
        doc(
            statements=stated(
                breakdown(("2022年度本单位总支出", "4127.36"), ("基本支出", "4127.36")),
                breakdown(("全年总支出", "4172.36"), ("人员经费", "4172.36")),
            )
        ),
    ),
    Case(
        "conflict-not-when-only-the-framing-matches",
        doc(
            statements=stated(
                breakdown(("全年预算支出", "500"), ("A", "500")),
                breakdown(("本年总支出", "480"), ("B", "480")),
            )
        ),
    ),
    Case(
        "conflict-part-against-the-same-quantity-stated-as-a-total",
        doc(
            statements=stated(
                breakdown(("部门总支出", "500"), ("项目支出", "318.27"), ("基本支出", "181.73")),
                breakdown(("项目支出", "381.27"), ("专项业务费", "381.27")),
            )
        ),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["381.27", "318.27"]],
    ),
    Case(
        "conflict-part-and-total-that-agree-pass",
        doc(
            statements=stated(
                breakdown(("部门总支出", "500"), ("项目支出", "318.27"), ("基本支出", "181.73")),
                breakdown(("项目支出", "318.27"), ("专项业务费", "318.27")),
            )
        ),
    ),
    Case(
        "conflict-not-between-budgeted-and-spent-parts-of-one-label",
        doc(
            statements=stated(
                breakdown(("三公经费预算", "10"), ("公务接待费", "5"), ("公务用车", "5")),
                breakdown(("三公经费支出", "0.94"), ("公务接待费", "0.5"), ("公务用车", "0.44")),
                breakdown(("公务接待费", "0.5"), ("接待", "0.5")),
            )
        ),
    ),
    Case(
        "conflict-not-when-the-part-role-differs-from-its-total",
        doc(
            statements=stated(
                breakdown(("预算收入", "300"), ("年初预算", "200"), ("调整追加", "100")),
                breakdown(("年初预算", "250"), ("A", "250")),
            )
        ),
    ),
    Case(
        "conflict-not-for-a-part-of-another-years-total",
        doc(
            statements=stated(
                breakdown(("2022年总支出", "400"), ("项目支出", "300"), ("基本支出", "100")),
                breakdown(("项目支出", "318.27"), ("专项业务费", "318.27")),
            )
        ),
    ),
    Case(
        "conflict-project-fact-against-a-fund-total",
        doc(
            [project("衔接资金", budget_total="1934.6", spent="1934.6", carryover_out="0")],
            statements=stated(breakdown(("衔接资金项目投入资金", "1943.6"), ("A", "1000"), ("B", "943.6"))),
        ),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["1934.6", "1943.6"]],
    ),
    Case(
        "conflict-project-fact-against-a-fund-total-behind-a-locality-prefix",
        doc(
            [project("2023年无为市乡村振兴补助资金", spent="80")],
            statements=stated(breakdown(("乡村振兴补助资金实际支出", "85"), ("A", "85"))),
        ),
        flags=[(Rule.CONFLICT, ERROR)],
        first_values=[["80", "85"]],
    ),
    Case(
        "conflict-project-fact-and-fund-total-that-agree-pass",
        doc(
            [project("衔接资金", budget_total="1934.6")],
            statements=stated(breakdown(("衔接资金项目投入资金", "19346000"), ("A", "19346000"), unit="元")),
        ),
        passed=1,
    ),
    Case(
        "conflict-not-project-fact-against-a-fund-total-of-another-role",
        doc(
            [project("衔接资金", spent="1934.6")],
            statements=stated(breakdown(("衔接资金项目投入资金", "1943.6"), ("A", "1943.6"))),
        ),
        passed=0,
    ),
    Case(
        "conflict-not-project-fact-against-another-fund-or-year",
        doc(
            [
                project("产业衔接资金", budget_total="10"),
                project("2022年乡村振兴补助资金", spent="80"),
            ],
            statements=stated(
                breakdown(("衔接资金项目投入资金", "1943.6"), ("A", "1943.6")),
                breakdown(("乡村振兴补助资金实际支出", "85"), ("A", "85")),
            ),
        ),
        passed=1,  # only the date rule, on 2022年 in the name
    ),
    # --- date --------------------------------------------------------------------------------
    Case(
        "date-year-after-fiscal-year",
        doc(
            years=[
                YearMention(year=2033, subject="2033年社区卫生服务中心补差项目", span=Span(start=5, end=10))
            ]
        ),
        flags=[(Rule.DATE, ERROR)],
        first_values=[["2033"]],
    ),
    Case(
        "date-year-from-project-name",
        doc([project("2033年补差项目", budget_initial="1", spent="1", carryover_out="0")]),
        flags=[(Rule.DATE, ERROR)],
        first_values=[["2033"]],
    ),
    Case(
        "date-window-is-ten-before-one-after",
        doc(
            years=[
                YearMention(year=year, subject=f"{year}年", span=Span(start=0, end=0))
                for year in (2012, 2013, 2024, 2025)
            ]
        ),
        flags=[(Rule.DATE, ERROR), (Rule.DATE, ERROR)],
        first_values=[["2012"], ["2025"]],
        passed=2,
    ),
    Case(
        "date-unknown-fiscal-year-skipped",
        doc(years=[YearMention(year=2033, subject="x", span=Span(start=0, end=0))], fiscal_year=None),
        skipped=[Rule.DATE],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_checker_case(case: Case) -> None:
    report = check(case.extraction)
    assert [(flag.rule, flag.severity) for flag in report.flags] == case.flags
    if case.first_values is not None:
        assert len(report.flags) == len(case.first_values)
        assert [
            flag.values[: len(expected)]
            for flag, expected in zip(report.flags, case.first_values, strict=True)
        ] == case.first_values
    for rule in case.skipped:
        assert rule in {skipped.rule for skipped in report.skipped}
    if case.passed is not None:
        assert report.passed == case.passed
    if case.extra is not None:
        case.extra(report)


@pytest.mark.parametrize(
    ("rate", "decimals", "ratio", "holds", "mode"),
    [
        ("99.67", 2, "99.6667", True, MatchMode.ROUND),
        ("99.66", 2, "99.6667", True, MatchMode.TRUNCATE),
        ("99.65", 2, "99.6667", False, MatchMode.TRUNCATE),
        ("100", 0, "99.5", True, MatchMode.ROUND),
        ("99", 0, "99.9", True, MatchMode.TRUNCATE),
    ],
    ids=["round", "truncate", "neither-nearest-is-truncation", "round-half-up-boundary", "truncate-integer"],
)
def test_match_rate_modes(rate: str, decimals: int, ratio: str, holds: bool, mode: MatchMode) -> None:
    match = match_rate(Decimal(rate), decimals, Interval.exact(Decimal(ratio)))
    assert match.holds is holds
    assert match.mode is mode


def test_flags_are_deterministic() -> None:
    extraction = doc(
        [
            project("B", budget_initial="14.1", supplement="30.02", spent="160.29", carryover_out="1.37"),
            project("2033年A", budget_initial="9.64", spent=("9.64", "元"), carryover_out="0"),
        ],
        breakdowns=[breakdown(("x", "1"), ("y", "2"), ("z", "0"))],
    )
    first, second = check(extraction), check(extraction)
    assert [f.model_dump() for f in first.flags] == [f.model_dump() for f in second.flags]
    assert [f.rule for f in first.flags] == [Rule.FLOW_IDENTITY, Rule.UNIT, Rule.BREAKDOWN_SUM, Rule.DATE]


def test_trace_records_every_tested_relation() -> None:
    extraction = doc([project("A", budget_initial="10", spent="9", carryover_out="1", execution_rate="90")])
    report, trace = run_checks(extraction)
    assert [(t.rule, t.holds) for t in trace] == [(Rule.FLOW_IDENTITY, True), (Rule.RATIO, True)]
    assert report.passed == 2


def _density(value: str, unit: str, numerator: str, numerator_unit: str, denominator: str, denominator_unit: str) -> DocumentExtraction:
    return DocumentExtraction(
        document="case.txt",
        fiscal_year=2021,
        ratios=[
            StatedRatio(
                label="鼠密度",
                value=num(value, unit),
                numerator=num(numerator, numerator_unit),
                denominator=num(denominator, denominator_unit),
            )
        ],
    )


def test_a_density_is_recomputed_from_its_own_counts() -> None:
    wrong = check(_density("0.10", "只/夹", "31", "只", "2936", "个"))
    assert [(f.rule, f.severity) for f in wrong.flags] == [(Rule.RATIO, Severity.ERROR)]
    assert wrong.flags[0].values == ["0.10", "31", "2936"]
    assert wrong.flags[0].equation == "31 / 2936 = 0.0106 ≠ 0.10只/夹"
    right = check(_density("0.77", "只/笼", "37", "只", "48", "只"))
    assert right.flags == [] and right.passed == 1


def test_counting_synonyms_add_up_in_a_breakdown() -> None:
    """`调查2828名学生，其中…幼儿园174人…`: 名 and 人 count the same people."""
    short = doc(breakdowns=[breakdown(("调查学生", "2828", "名"), ("幼儿园", "174", "人"), ("小学", "2580", "人"), unit="人")])
    exact = doc(breakdowns=[breakdown(("调查学生", "2754", "名"), ("幼儿园", "174", "人"), ("小学", "2580", "人"), unit="人")])
    assert [f.rule for f in check(short).flags] == [Rule.BREAKDOWN_SUM]
    assert check(exact).flags == []


def _rate(name: str, actual: str) -> Indicator:
    return Indicator(name=name, actual=num(actual, "%"), unit="%")


@pytest.mark.parametrize(
    ("names", "values", "flagged"),
    [
        (("高血压规范管理率", "血压规范管理率"), ("90.13", "85.01"), True),
        (("高血压规范管理率", "血压规范管理率"), ("90.13", "90.13"), False),
        (("孕产妇健康管理率", "0-6岁儿童健康管理率"), ("95", "90"), False),
        (("老年人健康管理率", "管理率"), ("70", "60"), False),
        (("产后访视率", "产后访视率"), ("99.40", "97.67"), True),
    ],
    ids=["suffix-differs", "suffix-agrees", "different-rates", "suffix-too-short", "same-name-differs"],
)
def test_one_rate_stated_twice_must_agree(names: tuple[str, str], values: tuple[str, str], flagged: bool) -> None:
    extraction = doc(indicators=[_rate(names[0], values[0]), _rate(names[1], values[1])])
    flags = [f for f in check(extraction).flags if f.rule is Rule.CONFLICT]
    assert bool(flags) is flagged
    if flagged:
        assert flags[0].subject == names[0] and flags[0].values == list(values)


def test_a_number_without_its_own_unit_takes_its_containers_unit() -> None:
    bare = StatedNumber(text="5.4", normalized="5.4", value=Decimal("5.4"), unit=None, span=Span(start=0, end=3))
    rate = bare.model_copy(update={"text": "98.5", "normalized": "98.5", "value": Decimal("98.5")})
    extraction = doc(
        [Project(name="P", unit="万元", facts={FactKey.SPENT: [bare], FactKey.EXECUTION_RATE: [rate]})],
        breakdowns=[Breakdown(unit="元", total=BreakdownItem(label="总", amount=bare), parts=[])],
        indicators=[Indicator(name="I", target=bare, actual=num("7", "人"), unit="户")],
    )
    units = [unit for _, unit in stated_numbers(extraction)]
    assert units == ["万元", "%", "户", "人", "元"]


def test_the_trace_tells_each_projects_and_breakdowns_numbers_apart() -> None:
    first = project("A", budget_initial="10", spent="10", execution_rate="100")
    second = project("B", budget_initial="10", spent="10", execution_rate="100")
    extraction = doc(
        [first, second],
        breakdowns=[breakdown(("总", "2"), ("甲", "1"), ("乙", "1")), breakdown(("总", "2"), ("甲", "1"), ("乙", "1"))],
        indicators=[indicator("X", "10", "10", "100"), indicator("Y", "10", "10", "100")],
    )
    _, trace = run_checks(extraction)
    containers = [{ident[:2] for ident in relation.idents} for relation in trace]
    assert all(len(named) == 1 for named in containers)  # each relation is about one container's numbers
    assert sorted({c for named in containers for c in named}) == [
        ("breakdown", 0),
        ("breakdown", 1),
        ("indicator", 0),
        ("indicator", 1),
        ("project", 0),
        ("project", 1),
    ]
    assert len(trace) == 8  # two flows, two execution rates, two breakdowns, two completion rates
