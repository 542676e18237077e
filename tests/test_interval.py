"""Exact Decimal interval arithmetic and document precision (`pipeline.check.interval`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.check.interval import (
    EmptyDenominatorError,
    IncompatibleUnitsError,
    Interval,
    Precision,
    conversion_factor,
    convert,
    convertible,
    document_precision,
    half_unit,
    round_to,
    significant_decimals,
    sum_intervals,
    truncate_to,
)
from schemas import Span, StatedNumber


def number(text: str, unit: str | None = "万元") -> StatedNumber:
    return StatedNumber(text=text, normalized=text, value=Decimal(text), unit=unit, span=Span(start=0, end=0))


decimals_strategy = st.decimals(
    min_value=-10_000, max_value=10_000, places=4, allow_nan=False, allow_infinity=False
)


def interval_strategy() -> st.SearchStrategy[Interval]:
    return st.tuples(decimals_strategy, decimals_strategy).map(lambda pair: Interval(min(pair), max(pair)))


@pytest.mark.parametrize(
    ("decimals", "expected"),
    [(0, Decimal("0.5")), (1, Decimal("0.05")), (2, Decimal("0.005")), (4, Decimal("0.00005"))],
    ids=["units", "tenths", "hundredths", "ten-thousandths"],
)
def test_half_unit_is_exact(decimals: int, expected: Decimal) -> None:
    assert half_unit(decimals) == expected


def test_document_precision_widens_numbers_written_without_trailing_zeros() -> None:
    numbers = [number("225"), number("5.4"), number("9.05"), number("67.49", "元"), number("120", "人")]
    precision = document_precision((n, n.unit) for n in numbers)
    assert precision.decimals_for("万元") == 2
    assert precision.interval(number("5.4"), "万元") == Interval(Decimal("5.395"), Decimal("5.405"))
    assert precision.interval(number("225"), "万元") == Interval(Decimal("224.995"), Decimal("225.005"))
    assert precision.interval(number("67.49", "元"), "元").half_width == Decimal("0.005")


def test_zero_and_counts_are_exact() -> None:
    precision = Precision(decimals={"万元": 2, "人": 0, "%": 1})
    assert precision.interval(number("0"), "万元") == Interval.exact(Decimal(0))
    assert precision.interval(number("120", "人"), "人") == Interval.exact(Decimal(120))
    assert precision.interval(number("98", "%"), "%").half_width == Decimal("0.05")


def test_counts_with_decimals_in_the_document_are_rounded() -> None:
    precision = Precision(decimals={"万人": 2})
    assert precision.interval(number("2", "万人"), "万人").half_width == Decimal("0.005")


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "factor"),
    [
        ("万元", "元", Decimal(10_000)),
        ("元", "万元", Decimal("0.0001")),
        ("亿元", "万元", Decimal(10_000)),
        ("人", "人", Decimal(1)),
    ],
    ids=["wan-to-yuan", "yuan-to-wan", "yi-to-wan", "same-count-unit"],
)
def test_conversion_factors_are_exact(from_unit: str, to_unit: str, factor: Decimal) -> None:
    assert conversion_factor(from_unit, to_unit) == factor
    assert convert(Decimal("67.49"), from_unit, to_unit) == Decimal("67.49") * factor


def test_money_and_counts_do_not_convert() -> None:
    with pytest.raises(IncompatibleUnitsError):
        conversion_factor("万元", "人")


def test_division_rounds_outwards_and_rejects_zero_denominators() -> None:
    ratio = Interval.exact(Decimal(1)).divided_by(Interval.exact(Decimal(3)))
    assert ratio.lo * 3 <= 1 <= ratio.hi * 3
    with pytest.raises(EmptyDenominatorError):
        Interval.exact(Decimal(1)).divided_by(Interval(Decimal(-1), Decimal(1)))


@pytest.mark.parametrize(
    ("value", "decimals"),
    [("0.003002", 6), ("67.490", 2), ("100", 0), ("1E+2", 0), ("0", 0)],
    ids=["small", "trailing-zeros", "integer", "exponent", "zero"],
)
def test_significant_decimals(value: str, decimals: int) -> None:
    assert significant_decimals(Decimal(value)) == decimals


def test_round_and_truncate() -> None:
    assert round_to(Decimal("99.665"), 2) == Decimal("99.67")
    assert truncate_to(Decimal("99.6666"), 2) == Decimal("99.66")


@given(interval_strategy(), interval_strategy())
def test_sum_contains_every_sum_of_members(a: Interval, b: Interval) -> None:
    total = a + b
    assert total.contains(a.lo + b.lo) and total.contains(a.hi + b.hi) and total.contains(a.mid + b.mid)
    difference = a - b
    assert difference.contains(a.lo - b.hi) and difference.contains(a.hi - b.lo)


@given(interval_strategy(), interval_strategy())
def test_overlap_is_symmetric_and_gap_zero_iff_overlap(a: Interval, b: Interval) -> None:
    assert a.overlaps(b) == b.overlaps(a)
    assert (a.gap(b) == 0) == a.overlaps(b)
    assert a.gap(b) >= 0


@given(st.lists(interval_strategy(), max_size=6))
def test_sum_intervals_half_widths_add(intervals: list[Interval]) -> None:
    total = sum_intervals(intervals)
    assert total.half_width == sum((i.half_width for i in intervals), Decimal(0))


@given(
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value="0.01", max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)
def test_division_contains_point_ratio(numerator: Decimal, denominator: Decimal) -> None:
    ratio = Interval.exact(numerator).divided_by(Interval.exact(denominator))
    assert ratio.lo * denominator <= numerator <= ratio.hi * denominator


def test_incompatible_units_name_both_units() -> None:
    with pytest.raises(IncompatibleUnitsError, match="cannot convert 万元 to 人") as raised:
        conversion_factor("万元", "人")
    assert (raised.value.from_unit, raised.value.to_unit) == ("万元", "人")
    with pytest.raises(IncompatibleUnitsError, match="cannot convert no unit to 万元"):
        conversion_factor(None, "万元")
    with pytest.raises(IncompatibleUnitsError, match="cannot convert 人 to no unit"):
        conversion_factor("人", None)


def test_a_missing_unit_converts_only_to_a_missing_unit() -> None:
    assert convertible(None, None) and conversion_factor(None, None) == 1
    assert not convertible(None, "人") and not convertible("人", None)
    assert convertible("名", "人") and conversion_factor("名", "人") == 1


def test_bad_intervals_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"empty interval \[2, 1\]"):
        Interval(Decimal(2), Decimal(1))
    with pytest.raises(ValueError, match=r"negative half-width -0\.5"):
        Interval.around(Decimal(1), Decimal("-0.5"))
    with pytest.raises(ValueError, match="not a finite number: NaN"):
        significant_decimals(Decimal("NaN"))


def test_negation_mirrors_the_interval() -> None:
    assert -Interval(Decimal(1), Decimal(2)) == Interval(Decimal(-2), Decimal(-1))


def test_a_denominator_that_may_be_zero_is_refused() -> None:
    with pytest.raises(EmptyDenominatorError, match=r"denominator \[0, 5\] is not positive"):
        Interval.exact(Decimal(1)).divided_by(Interval(Decimal(0), Decimal(5)))


def test_precision_of_a_unit_the_document_never_states() -> None:
    precision = Precision({"万元": 2})
    assert precision.decimals_for("元") == 0 and precision.decimals_for("元", at_least=1) == 1
    assert precision.decimals_for("万元", at_least=1) == 2
    # a number in an unstated unit stands for the rounding of its own last digit
    assert Precision().half_width(number("5.4", "万元"), "万元") == Decimal("0.05")
    assert precision.half_width(number("5.4", "万元"), "万元") == Decimal("0.005")


def test_only_whole_counts_are_exact_not_money_or_percent() -> None:
    precision = Precision({"万元": 0, "%": 0, "人": 0})
    assert precision.is_exact_unit("人")
    assert not precision.is_exact_unit("万元") and not precision.is_exact_unit("%")
    assert Precision({"人": 1}).is_exact_unit("人") is False
