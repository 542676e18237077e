"""Turn a number found in the normalised text into a `StatedNumber` with its original span.

The normalised text (see `pipeline.ingest.read`) has ASCII digits and no thousands
separators; the original text may differ, so the span is mapped back through the
document's offset map and `text` is the original slice.
"""

from __future__ import annotations

import re
from decimal import Decimal

from schemas import Document, Span, StatedNumber

#: A plain decimal number in normalised text (no sign, no separators).
NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")


def normalize_number(text: str) -> str:
    """The gold-format string for a number as written: ASCII, no separators, no `%`.

    >>> normalize_number("１,２３４.５０％")
    '1234.50'
    """
    folded = text.translate(_FULLWIDTH).replace(",", "").replace(" ", "").rstrip("%")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", folded):
        raise ValueError(f"not a number: {text!r}")
    return folded


def stated_number(document: Document, start: int, end: int, unit: str | None) -> StatedNumber:
    """The number at normalised `[start, end)` of `document`, spanned in the original text."""
    original_start, original_end = document.offsets.original_span(start, end)
    original = document.original_text[original_start:original_end]
    normalized = normalize_number(document.text[start:end])
    return StatedNumber(
        text=original,
        normalized=normalized,
        value=Decimal(normalized),
        unit=unit,
        span=Span(start=original_start, end=original_end),
    )
