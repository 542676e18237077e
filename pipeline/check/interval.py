"""Exact `Decimal` interval arithmetic and the document's precision per unit.

A stated number stands for every value that would be written the same way:
`5.4` in a report whose 万元 amounts go to two decimals stands for
[5.395, 5.405]. The half-width comes from the precision the *document* uses
for that unit (writers drop trailing zeros), not from the digits of the one
number. A stated zero is exact, and so is a whole-number count (人, 家, 个):
counts are not rounded.

Everything here is `Decimal`; no float ever enters. Conversions between money
units are exact powers of ten (`MONEY_UNITS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from pipeline.errors import ReconError
from schemas import MONEY_UNITS, StatedNumber

#: Unit of percentages (rates, shares).
PERCENT = "%"
#: Digits of precision for the few inexact operations (division); far beyond any stated number.
_DIVISION_DIGITS = 60


class IncompatibleUnitsError(ReconError):
    """Two amounts cannot be compared: their units do not convert into each other."""

    def __init__(self, from_unit: str | None, to_unit: str | None) -> None:
        super().__init__(f"cannot convert {from_unit or 'no unit'} to {to_unit or 'no unit'}")
        self.from_unit = from_unit
        self.to_unit = to_unit


class EmptyDenominatorError(ReconError):
    """A ratio's denominator interval contains zero, so the ratio is unbounded."""


@dataclass(frozen=True)
class Interval:
    """A closed interval `[lo, hi]` of exact decimals."""

    lo: Decimal
    hi: Decimal

    def __post_init__(self) -> None:
        if self.hi < self.lo:
            raise ValueError(f"empty interval [{self.lo}, {self.hi}]")

    @classmethod
    def exact(cls, value: Decimal) -> Interval:
        return cls(value, value)

    @classmethod
    def around(cls, value: Decimal, half_width: Decimal) -> Interval:
        if half_width < 0:
            raise ValueError(f"negative half-width {half_width}")
        return cls(value - half_width, value + half_width)

    @property
    def mid(self) -> Decimal:
        return (self.lo + self.hi) / 2

    @property
    def half_width(self) -> Decimal:
        return (self.hi - self.lo) / 2

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.lo - other.hi, self.hi - other.lo)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def scaled(self, factor: Decimal) -> Interval:
        """The interval times an exact factor (a power of ten, ×100 for percent)."""
        low, high = self.lo * factor, self.hi * factor
        return Interval(min(low, high), max(low, high))

    def overlaps(self, other: Interval) -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def contains(self, value: Decimal) -> bool:
        return self.lo <= value <= self.hi

    def gap(self, other: Interval) -> Decimal:
        """Distance between the two intervals; zero when they overlap."""
        if self.overlaps(other):
            return Decimal(0)
        return other.lo - self.hi if self.hi < other.lo else self.lo - other.hi

    def divided_by(self, other: Interval) -> Interval:
        """`self / other` for a positive denominator, bounds rounded outwards."""
        if other.lo <= 0:
            raise EmptyDenominatorError(f"denominator [{other.lo}, {other.hi}] is not positive")
        candidates_low: list[Decimal] = []
        candidates_high: list[Decimal] = []
        with localcontext() as context:
            context.prec = _DIVISION_DIGITS
            for numerator in (self.lo, self.hi):
                for denominator in (other.lo, other.hi):
                    context.rounding = ROUND_FLOOR
                    candidates_low.append(numerator / denominator)
                    context.rounding = ROUND_CEILING
                    candidates_high.append(numerator / denominator)
        return Interval(min(candidates_low), max(candidates_high))


def sum_intervals(intervals: Iterable[Interval]) -> Interval:
    """Σ of intervals; the empty sum is the exact zero."""
    total = Interval.exact(Decimal(0))
    for interval in intervals:
        total = total + interval
    return total


def unit_step(decimals: int) -> Decimal:
    """`10⁻ᵈ` exactly."""
    return Decimal(1).scaleb(-decimals)


def half_unit(decimals: int) -> Decimal:
    """`½·10⁻ᵈ` exactly: the rounding half-width of a number written to `d` decimals."""
    return unit_step(decimals) / 2


def is_money(unit: str | None) -> bool:
    return unit in MONEY_UNITS


#: Counting units that count the same thing (`调查2828名学生，其中…幼儿园174人`).
COUNT_SYNONYMS: dict[str, str] = {"名": "人", "位": "人"}


def same_count_unit(from_unit: str | None, to_unit: str | None) -> bool:
    """Equal units, or synonyms such as 名 and 人."""
    if from_unit is None or to_unit is None:
        return from_unit == to_unit
    return COUNT_SYNONYMS.get(from_unit, from_unit) == COUNT_SYNONYMS.get(to_unit, to_unit)


def convertible(from_unit: str | None, to_unit: str | None) -> bool:
    """Same unit (or a counting synonym), or two money units."""
    return same_count_unit(from_unit, to_unit) or (is_money(from_unit) and is_money(to_unit))


def conversion_factor(from_unit: str | None, to_unit: str | None) -> Decimal:
    """Exact factor turning an amount in `from_unit` into `to_unit` (万元 → 元: 10000)."""
    if same_count_unit(from_unit, to_unit):
        return Decimal(1)
    if from_unit in MONEY_UNITS and to_unit in MONEY_UNITS:
        return MONEY_UNITS[from_unit] / MONEY_UNITS[to_unit]
    raise IncompatibleUnitsError(from_unit, to_unit)


def convert(value: Decimal, from_unit: str | None, to_unit: str | None) -> Decimal:
    return value * conversion_factor(from_unit, to_unit)


def significant_decimals(value: Decimal) -> int:
    """Decimals needed to write `value` exactly (`Decimal("0.003002")` → 6, `Decimal("67.490")` → 2)."""
    if value == 0:
        return 0
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # pragma: no cover - NaN/Infinity never reach here
        raise ValueError(f"not a finite number: {value}")
    return max(0, -exponent)


def round_to(value: Decimal, decimals: int) -> Decimal:
    """Round half up (away from zero on ties) to `decimals` places."""
    return value.quantize(unit_step(decimals), rounding=ROUND_HALF_UP)


def truncate_to(value: Decimal, decimals: int) -> Decimal:
    """Cut (towards zero) to `decimals` places."""
    return value.quantize(unit_step(decimals), rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Precision:
    """The finest precision the document uses, per unit (`{"万元": 2, "人": 0}`).

    `decimals_for` falls back to the number's own written decimals for a unit
    the document never stated (callers pass them as `at_least`).
    """

    decimals: Mapping[str | None, int] = field(default_factory=dict)

    def decimals_for(self, unit: str | None, at_least: int = 0) -> int:
        return max(self.decimals.get(unit, 0), at_least)

    def is_exact_unit(self, unit: str | None) -> bool:
        """Whole-number counts (not money, not %) in a document that writes them without decimals."""
        return not is_money(unit) and unit != PERCENT and self.decimals_for(unit) == 0

    def half_width(self, number: StatedNumber, unit: str | None) -> Decimal:
        """Half-width of `number` (in `unit`, its own unit): zero for a stated zero or a count."""
        if number.value == 0 or self.is_exact_unit(unit):
            return Decimal(0)
        return half_unit(self.decimals_for(unit, number.decimals))

    def interval(self, number: StatedNumber, unit: str | None) -> Interval:
        """The interval `number` stands for, in its own `unit`."""
        return Interval.around(number.value, self.half_width(number, unit))


def document_precision(numbers: Iterable[tuple[StatedNumber, str | None]]) -> Precision:
    """Max written decimals per unit over `(number, effective unit)` pairs."""
    decimals: dict[str | None, int] = {}
    for number, unit in numbers:
        decimals[unit] = max(decimals.get(unit, 0), number.decimals)
    return Precision(decimals=decimals)
