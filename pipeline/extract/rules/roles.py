"""Stage 2 of the rules backend: the fact role of a money amount or a rate, read from its clause.

A role keyword (`pipeline.extract.rules.lexicon.ROLE_WORDS`) gives an amount its
role when it stands in the amount's clause: before the number, else right after
it. The keyword nearest the number wins, a longer keyword beats a shorter one
at the same place, generic aggregators (合计/共计) give way to any specific
keyword, and a keyword inside a name the caller masks (a project's name such as
`…补助资金`) does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.rules.lexicon import AGGREGATOR, EXECUTION_RATE, ROLE_WORDS, SOURCE_SHARE
from schemas import FactKey

#: Where a clause ends. A table cell separator ends one too.
CLAUSE_BREAK = re.compile(r"[，,；;。！？!?\n|：:]")
#: Generic nouns a keyword may carry (`追加预算`, `年初预算资金`, `上级补助资金`).
_GENERIC_TAIL = re.compile(r"(?:预算)?(?:资金|经费|金额|数|额|指标)?")
#: How far after a number a trailing keyword may stand (`2.00万元已全部到位`).
_AFTER_WINDOW = 12


@dataclass(frozen=True)
class Role:
    """A role read for one number, with the keyword's position (normalised offsets)."""

    key: FactKey
    keyword_start: int
    keyword_end: int
    generic: bool = False


def clause_start(text: str, position: int, floor: int = 0) -> int:
    """Start of the clause that holds `position` (after the last break before it)."""
    index = position - 1
    while index >= floor:
        if CLAUSE_BREAK.match(text, index):
            return index + 1
        index -= 1
    return floor


def clause_end(text: str, position: int) -> int:
    match = CLAUSE_BREAK.search(text, position)
    return match.start() if match else len(text)


def _masked(masks: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(lo <= start and end <= hi for lo, hi in masks)


def money_role(
    text: str,
    start: int,
    unit_end: int,
    floor: int,
    masks: list[tuple[int, int]] | None = None,
) -> Role | None:
    """The role of the money amount at `[start, unit_end)`, reading back to `floor` at most."""
    masks = masks or []
    begin = max(floor, clause_start(text, start))
    best: Role | None = None
    for word in ROLE_WORDS:
        for match in word.pattern.finditer(text, begin, start):
            if _masked(masks, match.start(), match.end()):
                continue
            # a keyword takes the generic noun after it (`追加预算`, `年初预算资金`): the generic
            # noun is then no keyword of its own nearer the number
            tail = _GENERIC_TAIL.match(text, match.end(), start)
            end = tail.end() if tail else match.end()
            if not _reaches(text, end, start):
                continue
            candidate = Role(word.key, match.start(), end)
            if best is None or _nearer(candidate, best):
                best = candidate
    if best is not None:
        share = None
        for found in SOURCE_SHARE.finditer(text, best.keyword_end, start):
            share = found
        if share is not None and not _masked(masks, share.start(), share.end()):
            return None  # `安排配套资金300万元`: a local share of the funding, no flow
        return best
    end = min(clause_end(text, unit_end), unit_end + _AFTER_WINDOW)
    for word in ROLE_WORDS:
        after = word.pattern.search(text, unit_end, end)
        if after and not _masked(masks, after.start(), after.end()):
            candidate = Role(word.key, after.start(), after.end())
            if best is None or candidate.keyword_start < best.keyword_start:
                best = candidate
    if best is not None:
        return best
    aggregator: re.Match[str] | None = None
    for found in AGGREGATOR.finditer(text, begin, start):
        aggregator = found
    if aggregator is not None:
        return Role(FactKey.BUDGET_TOTAL, aggregator.start(), aggregator.end(), generic=True)
    return None


#: An amount in running text (a number with a money unit, or a percentage).
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s?(?:亿元|万元|元|万|%)")


def _reaches(text: str, keyword_end: int, start: int) -> bool:
    """A keyword reaches past an earlier amount only as the verb heading a list
    (`下达A资金100万元、B资金50万元`); a keyword right before its own amount labels that amount
    alone (`省级补助200万元、县级配套50万元`: 50 is not 省级补助)."""
    between = _AMOUNT.search(text, keyword_end, start)
    if between is None:
        return True
    return between.start() - keyword_end > 1


def _nearer(candidate: Role, best: Role) -> bool:
    if candidate.keyword_end != best.keyword_end:
        return candidate.keyword_end > best.keyword_end
    return candidate.keyword_start < best.keyword_start


def is_execution_rate(text: str, start: int, floor: int) -> bool:
    """A percentage at `start` whose clause names the project's own execution rate."""
    begin = max(floor, clause_start(text, start))
    label = text[begin:start]
    return bool(EXECUTION_RATE.search(label)) and not re.search(r"增长|同比|比上年|占", label)
