"""Lexical primitives of the rules backend: amounts, their labels, flow keywords.

Everything here reads the normalised text (ASCII digits, no separators) and
returns offsets into it; `pipeline.numbers.stated_number` turns an offset pair
into a `StatedNumber` spanned in the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas import FactKey
from schemas.names import strip_quotes
from schemas.units import MEASURE_WORDS, by_length

#: Units after a number, longest first. `万` alone (`12.2万，`) means 万元.
MONEY_UNIT_RE = r"亿元|万元|元|万(?=[，。；、）)\s,;]|$)"
#: Counted units (the vocabulary's measure words and per-person rates), longest first.
COUNT_UNITS = "|".join(re.escape(unit) for unit in by_length([*MEASURE_WORDS, "元/人"]))
AMOUNT_RE = re.compile(rf"(?<![\d./])(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>{MONEY_UNIT_RE})")
PERCENT_RE = re.compile(r"(?<![\d./])(?P<number>\d+(?:\.\d+)?)\s*%")
COUNT_RE = re.compile(rf"(?<![\d./])(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>{COUNT_UNITS})")

#: A closed bracketed aside, with no bracket inside it.
_CLOSED_ASIDE = re.compile(r"[（(][^（()）\n]*[）)]")
#: Where a label starts: after the last of these before an amount.
_LABEL_BREAK = re.compile(r"[，,；;。：:\n\t（(）)]")
_LEADING_WORDS = re.compile(
    r"^(?:[、\s]|其中|包括|主要包括|主要有|分别是|分别为|另外|以及|及|和|含|共计|合计|共)+"
)
_TRAILING_WORDS = re.compile(r"(?:为|是|达|(?<![合共总累])计|共|约|：|:|\s)+$")
_ORG_PREFIX = re.compile(r"^(?:本单位|我单位|我局|我委|本部门|我部门|单位|本局)")


@dataclass(frozen=True)
class Amount:
    """A number with its unit in the normalised text."""

    start: int
    end: int  # end of the digits
    unit: str  # 万元, 元, 亿元, % or a counting unit
    unit_end: int

    @property
    def money(self) -> bool:
        return self.unit in ("万元", "元", "亿元")


def _unit_name(raw: str) -> str:
    return "万元" if raw == "万" else raw


def money_amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    """Money amounts in `text[start:end]`, in order."""
    stop = len(text) if end is None else end
    return [
        Amount(m.start("number"), m.end("number"), _unit_name(m.group("unit")), m.end())
        for m in AMOUNT_RE.finditer(text, start, stop)
    ]


def all_amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    """Money, percentage and counted amounts in `text[start:end]`, in order, not overlapping."""
    stop = len(text) if end is None else end
    found: dict[int, Amount] = {}
    for m in AMOUNT_RE.finditer(text, start, stop):
        found[m.start("number")] = Amount(
            m.start("number"), m.end("number"), _unit_name(m.group("unit")), m.end()
        )
    for m in PERCENT_RE.finditer(text, start, stop):
        found.setdefault(m.start("number"), Amount(m.start("number"), m.end("number"), "%", m.end()))
    for m in COUNT_RE.finditer(text, start, stop):
        found.setdefault(
            m.start("number"), Amount(m.start("number"), m.end("number"), m.group("unit"), m.end())
        )
    return [found[k] for k in sorted(found)]


def label_before(text: str, position: int, floor: int) -> tuple[str, int]:
    """The label in front of an amount at `position`: text after the last clause break.

    Returns the cleaned label and its start offset. `floor` bounds the search
    (usually the end of the previous amount).
    """
    segment = text[floor:position]
    # a closed bracket right before the number describes the label before it:
    # `其他资金（包括结转结余资金、利息收入）551万元` is labelled with the whole phrase
    veiled = _CLOSED_ASIDE.sub(lambda m: "\u3000" * len(m.group()), segment)
    breaks = list(_LABEL_BREAK.finditer(veiled))
    cut = breaks[-1].end() if breaks else 0
    raw = segment[cut:]
    lead = _LEADING_WORDS.match(raw)
    skip = lead.end() if lead else 0
    label = _TRAILING_WORDS.sub("", raw[skip:])
    return label.strip(), floor + cut + skip


def clean_label(label: str) -> str:
    """A label without organisation pronouns (`我单位`) and quote marks."""
    label = _ORG_PREFIX.sub("", label.strip())
    return strip_quotes(label).strip()


# Flow keywords, most specific first: (pattern, key). GOLD_FORMAT.md "Conventions for hard
# cases" 1: an allotment from above (下达, 转移支付, 中央/省/市补助) is transfer_in unless called
# 年初预算; stated as a 预算 or as the year's whole amount (全年实际下达) it is budget_total.
_FLOW_RULES: tuple[tuple[re.Pattern[str], FactKey], ...] = (
    (re.compile(r"上年(?:度)?(?:结余|结转)"), FactKey.CARRYOVER_IN),
    (re.compile(r"年初(?:批复)?预算|年初批复"), FactKey.BUDGET_INITIAL),
    (
        re.compile(r"上级(?:转移支付|补助)|调增上级|转移支付|(?:中央|省|市|州)级?(?:财政)?补助"),
        FactKey.TRANSFER_IN,
    ),
    (re.compile(r"追加|调整区级预算|区级预算调整"), FactKey.SUPPLEMENT),
    (re.compile(r"调剂"), FactKey.TRANSFER_OUT),
    (re.compile(r"调减|扣减"), FactKey.REDUCTION),
    (re.compile(r"结余|结转"), FactKey.CARRYOVER_OUT),
    (re.compile(r"全年预算|调整后预算|预算数|预算|(?:全年|实际)下(?:达|$)"), FactKey.BUDGET_TOTAL),
    (re.compile(r"下达|下$"), FactKey.TRANSFER_IN),  # `label_before` drops a final 达
    (re.compile(r"支出|决算|使用"), FactKey.SPENT),
)
# Convention 4: the share of the project's own money spent or paid out (发放率 of the fund).
_RATE_RULE = re.compile(r"执行率|支出率|完成预算的|使用率|发放率")


def classify_flow(label: str) -> FactKey | None:
    """The fact key a money label names (GOLD_FORMAT.md wording), or None."""
    label = re.sub(r"\s+", "", label)
    for pattern, key in _FLOW_RULES:
        if pattern.search(label):
            return key
    return None


def is_rate_label(label: str) -> bool:
    return bool(_RATE_RULE.search(label))


def paren_ranges(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Ranges of top-level （…） groups in `text[start:end]` (inclusive of the brackets)."""
    ranges: list[tuple[int, int]] = []
    depth = 0
    open_at = 0
    for i in range(start, end):
        ch = text[i]
        if ch in "（(":
            if depth == 0:
                open_at = i
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
            if depth == 0:
                ranges.append((open_at, i + 1))
    if depth:
        ranges.append((open_at, end))
    return ranges


def inside(ranges: list[tuple[int, int]], position: int) -> tuple[int, int] | None:
    for lo, hi in ranges:
        if lo <= position < hi:
            return lo, hi
    return None
