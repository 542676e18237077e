"""A number as the document states it: text as written, exact value, unit, span.

Money is `Decimal`, never float. `decimals` is the number of digits written
after the point (`"5.4"` -> 1, `"225"` -> 0); the checker widens it to the
document's finest precision for the unit.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Money units and their size in 元, exact.
MONEY_UNITS: dict[str, Decimal] = {
    "元": Decimal(1),
    "千元": Decimal(1_000),
    "万元": Decimal(10_000),
    "亿元": Decimal(100_000_000),
}


class Span(BaseModel):
    """Half-open character range `[start, end)` in the document's original text."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} < start {self.start}")
        return self


class StatedNumber(BaseModel):
    """One number stated in the source.

    `text` is the exact slice of the original document at `span` (it may hold
    full-width digits or thousands separators); `normalized` is the gold-format
    string (ASCII digits, no separators, no `%`, trailing zeros kept).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    normalized: str
    value: Decimal
    unit: str | None = None
    span: Span

    @property
    def decimals(self) -> int:
        """Digits written after the decimal point."""
        _, _, frac = self.normalized.partition(".")
        return len(frac)

    @property
    def is_money(self) -> bool:
        return self.unit in MONEY_UNITS

    def in_yuan(self) -> Decimal:
        """The value converted exactly to 元 (money units only)."""
        if self.unit not in MONEY_UNITS:
            raise ValueError(f"{self.normalized}{self.unit or ''} is not a money amount")
        return self.value * MONEY_UNITS[self.unit]
