"""Stage 1 of the rules backend: every number in the text, with its span, unit and kind.

A candidate is a number as written in the normalised text, with the unit after
it. Units are an open vocabulary: money (元, 万元, 亿元, a bare 万), % and ‰,
and any measure word or compound after a number (公里, 平方米, 人次,
元/人*月, 次/10万公顷). A number with no unit may take one from its table
column or a `(万元)` / `单位：万元` header (see `pipeline.extract.rules.tables`).

Some numbers are never facts, and are marked with the reason rather than
dropped, so coverage can count them as understood: dates, document numbers
(`〔2023〕12号`), phone and index numbers, list ordinals, scores (`98分`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from schemas.numbers import MONEY_UNITS
from schemas.units import MEASURE_WORDS, RATE_UNITS, by_length


class Kind(str, Enum):
    """What a candidate counts."""

    MONEY = "money"
    PERCENT = "percent"
    COUNT = "count"
    BARE = "bare"


@dataclass(frozen=True)
class Candidate:
    """A number at normalised `[start, end)` with its unit ending at `unit_end`."""

    start: int
    end: int
    unit: str | None
    unit_end: int
    kind: Kind
    excluded: str | None = None

    @property
    def money(self) -> bool:
        return self.kind is Kind.MONEY

    @property
    def usable(self) -> bool:
        return self.excluded is None


_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])")
_MONEY = re.compile(r"[ \u3000]?(亿元|万元|元(?![/／])|万(?![\u4e00-\u9fff]))")
_PERCENT = re.compile(r"[ \u3000]?([%％‰])")
#: Multi-character measure words first; then any one CJK character that can count.
_COMPOUND_UNITS = "|".join(
    re.escape(unit)
    for unit in by_length([u for u in (*MEASURE_WORDS, *RATE_UNITS) if len(u) > 1 and u[0] != "/"])
)
_COUNT = re.compile(
    rf"[ \u3000]?((?:{_COMPOUND_UNITS}|[\u4e00-\u9fff])"
    rf"(?:[/／*·](?:\d+万?)?[\u4e00-\u9fff]{{1,3}}(?:[*·/][\u4e00-\u9fff])?)*)"
)
#: Characters that follow a number without being its unit.
_NOT_UNITS = frozenset("年月日号时分秒的和及与或至到等以为在是了余多左右以上以下内外之第起前后中")
_DATE_AFTER = re.compile(r"\s?(?:年度?|月份?|日|时|点)")
_ORDINAL_AFTER = re.compile(r"[、.．](?!\d)|[)）]")
_ORDINAL_BEFORE = re.compile(r"(?:^|[\n|；;。：:])\s*[(（]?$|第$")
_SCORE_AFTER = re.compile(r"\s?分(?![之钟])")
_DOC_NUMBER_BEFORE = re.compile(r"[〔【\[（(]\d{4}[〕】\])）]\s*$|[〔【\[]$|字$")
_CODE_CHARS = frozenset("-/:_—")
_STANDARD_LIST_AFTER = re.compile(r"[、,，\d元万]{0,30}(?:的)?(?:补助|补贴|资助|发放)?标准")


def find_candidates(text: str, start: int = 0, end: int | None = None) -> list[Candidate]:
    """Every number in `text[start:end]`, in order, with unit, kind and exclusion reason."""
    stop = len(text) if end is None else end
    found: list[Candidate] = []
    for match in _NUMBER.finditer(text, start, stop):
        found.append(_candidate(text, match.start(), match.end()))
    return found


def _candidate(text: str, start: int, end: int) -> Candidate:
    after = text[end : end + 16]
    unit: str | None = None
    unit_end = end
    kind = Kind.BARE
    if money := _MONEY.match(after):
        unit, kind = ("万元" if money.group(1) == "万" else money.group(1)), Kind.MONEY
        unit_end = end + money.end()
    elif percent := _PERCENT.match(after):
        unit, kind = ("‰" if percent.group(1) == "‰" else "%"), Kind.PERCENT
        unit_end = end + percent.end()
    elif (count := _COUNT.match(after)) and count.group(1)[0] not in _NOT_UNITS:
        unit, kind = count.group(1), Kind.COUNT
        unit_end = end + count.end()
    return Candidate(start, end, unit, unit_end, kind, _exclusion(text, start, end, kind))


def _exclusion(text: str, start: int, end: int, kind: Kind) -> str | None:
    """Why the number at `[start, end)` is not a fact, or None."""
    before = text[max(0, start - 12) : start]
    after = text[end : end + 4]
    digits = text[start:end]
    if _DATE_AFTER.match(after) and kind is not Kind.MONEY:
        return "date"
    if _is_code(text, start, after):
        return "code"
    if _DOC_NUMBER_BEFORE.search(before) or re.match(r"\s?号", after):
        return "document number"
    if kind in (Kind.BARE, Kind.COUNT) and len(digits) >= 7 and "." not in digits:
        return "phone or index number"
    if kind is Kind.BARE and _ORDINAL_AFTER.match(after) and _ORDINAL_BEFORE.search(before):
        return "ordinal"
    if kind in (Kind.BARE, Kind.COUNT) and _SCORE_AFTER.match(after):
        return "score"
    if kind is Kind.MONEY and _STANDARD_LIST_AFTER.match(text, end):
        return "standard"  # `每月100元、200元标准`: every amount of the list is a rate, not a sum
    if kind is Kind.MONEY and re.match(r"\s?[/／]|\s?每", after):
        return "standard"
    if kind is Kind.MONEY and re.search(r"(?:每|按|生均|人均|标准)[\u4e00-\u9fff]{0,6}$", before):
        return "standard"
    return None


def _is_code(text: str, start: int, after: str) -> bool:
    """`2021-06`, `No.3/12`, `12:30`: a number joined to a digit or letter by `-/:_—`.

    A half-width colon after a Chinese label (`收入:792.22万元`) is punctuation, not a code joint."""
    if after[:1] in _CODE_CHARS and after[1:2].isdigit():
        return True
    if not start or text[start - 1] not in _CODE_CHARS:
        return False
    label_colon = text[start - 1] == ":" and start >= 2 and "\u4e00" <= text[start - 2] <= "\u9fff"
    return not label_colon


_UNIT_HEADER = re.compile(r"[(（]\s*(万元|元|亿元)\s*[)）]|(?:金额)?单位[:：]\s*(万元|元|亿元)")
#: How far a `(万元)` / `单位：万元` header reaches: to the next blank line, at most this far.
_HEADER_REACH = 400


def with_header_units(
    text: str, candidates: list[Candidate], is_money_label: Callable[[int, int], bool]
) -> list[Candidate]:
    """Bare numbers under a `(万元)` / `单位：万元` header take its unit when the words since the
    number before them name a money quantity (`年初预算数 300`); `is_money_label(start, floor)`
    says whether `text[floor:start]` does."""
    scopes: list[tuple[int, int, str]] = []
    for header in _UNIT_HEADER.finditer(text):
        blank = text.find("\n\n", header.end())
        end = min(header.end() + _HEADER_REACH, blank if blank != -1 else len(text))
        scopes.append((header.end(), end, header.group(1) or header.group(2)))
    if not scopes:
        return candidates
    result: list[Candidate] = []
    previous_end = 0
    for candidate in candidates:
        unit = next((u for lo, hi, u in scopes if lo <= candidate.start < hi), None)
        bare = candidate.kind is Kind.BARE and candidate.usable
        floor = previous_end
        previous_end = candidate.unit_end
        if unit is not None and bare and is_money_label(candidate.start, floor):
            candidate = Candidate(candidate.start, candidate.end, unit, candidate.end, Kind.MONEY)
        result.append(candidate)
    return result


def is_money_unit(unit: str | None) -> bool:
    """A unit of money (元, 万元, 亿元)."""
    return unit in MONEY_UNITS
