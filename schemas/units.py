"""The one unit vocabulary: every unit a report writes after a number, by what it counts.

Extraction (the rules stages, the indicator reader, model grounding), ingest (rejoining an
amount split from its unit by a line break) and the checker all read units from here; a
reader that needs fewer units takes a named subset defined below, with the reason beside it.
Units are written as the reports write them; `MONEY_UNITS` gives each money unit's size.
"""

from __future__ import annotations

from schemas.numbers import MONEY_UNITS

__all__ = [
    "INDICATOR_UNITS",
    "LINE_CONTINUATION_UNITS",
    "MEASURE_WORDS",
    "MONEY_UNITS",
    "MONEY_WORDS",
    "NOT_INDICATOR_UNITS",
    "PERCENT_UNITS",
    "RATE_UNITS",
    "all_units",
    "by_length",
]

#: Money as written: 元, 万元, 亿元 (a bare 万 after an amount means 万元; see the readers).
MONEY_WORDS: tuple[str, ...] = ("亿元", "万元", "千元", "元")

#: Shares: percent (full- and half-width) and per mille.
PERCENT_UNITS: tuple[str, ...] = ("%", "％", "‰")

#: Measure words, grouped by what they count. Multi-character words are listed before the
#: single characters they start with only for reading; `by_length` orders any subset.
MEASURE_WORDS: tuple[str, ...] = (
    # people and visits
    "万人次", "万人", "人次", "人份", "人批次", "人", "名", "户次", "户", "家次", "家",
    # times, sessions, batches
    "万剂次", "剂次", "万次", "次", "场次", "场", "批次", "批", "期", "起", "例", "万剂", "剂",
    # units, places, organisations
    "个", "所", "处", "座", "间", "村", "床", "项", "件", "套", "台次", "台", "辆", "车次", "架",
    "张", "条", "万条", "份", "万份", "篇", "册", "万册", "本", "盏", "盒", "只", "笼", "支", "对",
    "万户",
    # livestock, plants, fish (agriculture and forestry reports)
    "万头", "头", "万只", "万羽", "羽", "万株", "株", "棵", "尾", "万尾",
    # cases, classes, buildings, vessels
    "宗", "节", "班", "栋", "艘", "眼", "台套", "人日", "工日",
    # land, length, volume, weight
    "万平方米", "平方公里", "平方米", "立方米", "公顷", "万亩", "亩", "公里", "千米", "米",
    "万吨", "吨", "千克", "公斤",
    # time
    "小时", "分钟", "课时", "学时", "天", "个月", "周岁",
    # scores (自评得分95分)
    "分",
)  # fmt: skip

#: Rates written as a unit (`元/人`, `次/10万`): money or counts per person, household, month.
RATE_UNITS: tuple[str, ...] = ("万元/人", "元/人", "万元/户", "元/户", "/10万")

#: Measure words the running-text indicator reader does not count in: spans of time and ages
#: (`24小时`热线, `年满60周岁`, `3个月内`: service hours and eligibility, not output), and 批/本,
#: which after a number mostly start a word (`本批`, `本年`).
NOT_INDICATOR_UNITS: frozenset[str] = frozenset({"天", "小时", "个月", "周岁", "课时", "学时", "批", "本"})

#: Units the running-text indicator reader counts in. Money is left to projects.
INDICATOR_UNITS: tuple[str, ...] = tuple(
    unit for unit in (*MEASURE_WORDS, *PERCENT_UNITS, "/10万") if unit not in NOT_INDICATOR_UNITS
)

#: Units after which ingest rejoins an amount that a line break split from its label
#: (`项目支出\n6969.76万元`): the common money and count units only, so a list number on
#: the next line is never glued to the line before.
LINE_CONTINUATION_UNITS: tuple[str, ...] = (
    "万元", "亿元", "元", "%", "个", "人", "家", "项", "次", "名", "户",
)  # fmt: skip


def by_length(units: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """`units` longest first, without repeats, for a regex alternation (万元 before 元)."""
    return tuple(sorted(dict.fromkeys(units), key=len, reverse=True))


def all_units() -> tuple[str, ...]:
    """Every unit of the vocabulary, longest first (what model grounding accepts)."""
    return by_length([*MONEY_WORDS, *PERCENT_UNITS, *RATE_UNITS, *MEASURE_WORDS])

