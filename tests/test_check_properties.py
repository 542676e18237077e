"""Property-based tests of the checker: rounding never errs, real gaps always do, unit slips are `unit`."""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.check.interval import half_unit, unit_step
from pipeline.check.run import check
from schemas import (
    Breakdown,
    BreakdownItem,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    Rule,
    Severity,
    Span,
    StatedNumber,
    Statement,
)

_offsets = itertools.count(0, 10)


def written(value: Decimal, decimals: int, drop_trailing_zeros: bool) -> str:
    """`value` rounded half up to `decimals`, as a writer might put it (maybe `5.4` for 5.40)."""
    text = format(value.quantize(unit_step(decimals), rounding=ROUND_HALF_UP), "f")
    if drop_trailing_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def num(text: str, unit: str = "万元") -> StatedNumber:
    start = next(_offsets)
    return StatedNumber(
        text=text,
        normalized=text,
        value=Decimal(text),
        unit=unit,
        span=Span(start=start, end=start + len(text)),
    )


def breakdown_doc(total: str, parts: list[str], units: list[str] | None = None) -> DocumentExtraction:
    part_units = units or ["万元"] * len(parts)
    return DocumentExtraction(
        document="property.txt",
        breakdowns=[
            Breakdown(
                unit="万元",
                total=BreakdownItem(label="合计", amount=num(total)),
                parts=[
                    BreakdownItem(label=f"part{i}", amount=num(text, unit))
                    for i, (text, unit) in enumerate(zip(parts, part_units, strict=True))
                ],
            )
        ],
    )


#: True amounts: exactly zero, or at least one unit of the coarsest precision used (so "0" is never a rounded value).
true_amounts = st.one_of(
    st.just(Decimal(0)),
    st.decimals(min_value=1, max_value=100_000, places=4, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(true_amounts, min_size=1, max_size=8),
    st.integers(min_value=0, max_value=2),
    st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_correctly_rounded_total_never_flags(amounts: list[Decimal], decimals: int, drop: list[bool]) -> None:
    parts = [written(a, decimals, d) for a, d in zip(amounts, drop, strict=False)]
    total = written(sum(amounts, Decimal(0)), decimals, drop[-1])
    report = check(breakdown_doc(total, parts))
    assert [f for f in report.flags if f.severity is not Severity.INFO] == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(true_amounts, min_size=1, max_size=8),
    st.integers(min_value=1, max_value=2),
    st.integers(min_value=1, max_value=10_000),
    st.booleans(),
)
def test_total_perturbed_beyond_tolerance_is_flagged(
    amounts: list[Decimal], decimals: int, steps: int, upwards: bool
) -> None:
    parts = [written(a, decimals, False) for a in amounts]
    exact_total = sum((Decimal(p) for p in parts), Decimal(0))
    nonzero = 1 + sum(1 for p in parts if Decimal(p) != 0)  # the perturbed total is never zero
    tolerance = nonzero * half_unit(decimals)
    # whole units of the written precision, so the total is written like the parts
    delta = (nonzero // 2 + steps) * unit_step(decimals)
    assert delta > tolerance
    perturbed = exact_total + delta if upwards else exact_total - delta
    assume(perturbed > 0)
    # a total far below its parts means "not a breakdown" (another classification): out of scope here
    assume(exact_total < Decimal("1.4") * perturbed)
    report = check(breakdown_doc(format(perturbed, "f"), parts))
    claims = [f for f in report.flags if f.severity is not Severity.INFO]
    assert len(claims) == 1
    flag = claims[0]
    assert flag.rule in (Rule.BREAKDOWN_SUM, Rule.UNIT)
    if flag.rule is Rule.BREAKDOWN_SUM:
        assert flag.values[0] == format(perturbed, "f")
        expected = Severity.WARNING if delta - tolerance <= 2 * unit_step(decimals) else Severity.ERROR
        assert flag.severity is expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=1, max_value=100_000, places=2, allow_nan=False, allow_infinity=False),
        min_size=2,
        max_size=6,
    ),
    st.data(),
)
def test_one_amount_in_the_wrong_money_unit_is_reported_as_unit(
    amounts: list[Decimal], data: st.DataObject
) -> None:
    parts = [format(a, "f") for a in amounts]
    total = format(sum(amounts, Decimal(0)), "f")
    slipped = data.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    units = ["万元"] * len(parts)
    units[slipped] = "元"  # the same digits, read 10⁴ times smaller
    report = check(breakdown_doc(total, parts, units))
    assert [(f.rule, f.values[0]) for f in report.flags] == [(Rule.UNIT, parts[slipped])]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(true_amounts, min_size=1, max_size=4),
    st.lists(true_amounts, min_size=1, max_size=2),
    st.integers(min_value=0, max_value=2),
)
def test_rounded_flow_identity_never_flags(
    sources: list[Decimal], uses: list[Decimal], decimals: int
) -> None:
    budget = sum(sources, Decimal(0))
    spent = sum(uses, Decimal(0))
    assume(budget >= spent)
    keys = [FactKey.BUDGET_INITIAL, FactKey.CARRYOVER_IN, FactKey.TRANSFER_IN, FactKey.SUPPLEMENT]
    facts = {key: [num(written(amount, decimals, True))] for key, amount in zip(keys, sources, strict=False)}
    facts[FactKey.SPENT] = [num(written(spent, decimals, True))]
    facts[FactKey.CARRYOVER_OUT] = [num(written(budget - spent, decimals, True))]
    extraction = DocumentExtraction(
        document="flow.txt", projects=[Project(name="P", unit="万元", facts=facts)]
    )
    report = check(extraction)
    assert [f for f in report.flags if f.severity is not Severity.INFO] == []


_units = st.sampled_from(["万元", "元", "亿元", "人", "%", None])
_texts = st.one_of(
    st.just("0"),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False).map(
        lambda d: format(d, "f")
    ),
    st.integers(min_value=0, max_value=10**6).map(str),
)
_stated = st.builds(num, _texts, _units)
_names = st.sampled_from(["甲", "乙", "丙", "2033年丁", "2022年"])


@st.composite
def _projects(draw: st.DrawFn) -> Project:
    keys = draw(st.lists(st.sampled_from(list(FactKey)), max_size=6, unique=True))
    facts = {key: draw(st.lists(_stated, min_size=1, max_size=2)) for key in keys}
    return Project(
        name=draw(_names),
        parent=draw(st.one_of(st.none(), _names)),
        unit=draw(st.sampled_from(["万元", "元", None])),
        facts=facts,
    )


@st.composite
def _extractions(draw: st.DrawFn) -> DocumentExtraction:
    breakdowns = [
        Breakdown(
            unit=draw(_units),
            total=BreakdownItem(label=draw(_names), amount=draw(_stated)),
            parts=[BreakdownItem(label="p", amount=a) for a in draw(st.lists(_stated, max_size=4))],
            exhaustive=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    indicators = [
        Indicator(
            name=draw(_names),
            target=draw(st.one_of(st.none(), _stated)),
            actual=draw(st.one_of(st.none(), _stated)),
            rate=draw(st.one_of(st.none(), _stated)),
            unit=draw(_units),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    statements = [
        Statement(label=draw(_names), scope=draw(st.sampled_from([None, "2023"])), amount=draw(_stated))
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    return DocumentExtraction(
        document="fuzz.txt",
        fiscal_year=draw(st.one_of(st.none(), st.integers(min_value=2000, max_value=2030))),
        projects=draw(st.lists(_projects(), max_size=5)),
        breakdowns=breakdowns,
        indicators=indicators,
        statements=statements,
    )


@settings(max_examples=300, deadline=None)
@given(_extractions())
def test_any_extraction_checks_without_raising_and_deterministically(extraction: DocumentExtraction) -> None:
    report = check(extraction)
    assert report == check(extraction)
    for flag in report.flags:
        assert flag.values and flag.equation and flag.message
        if flag.rule is not Rule.DATE:
            assert len(flag.spans) == len(flag.values)
