"""The one unit vocabulary and the one name rule (schemas.units, schemas.names)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.evaluation.align import normalize_name
from pipeline.extract.merge import sighting_key
from pipeline.extract.rules.candidates import find_candidates
from schemas.names import canonical_name, strip_quotes
from schemas.numbers import MONEY_UNITS
from schemas.units import (
    INDICATOR_UNITS,
    MEASURE_WORDS,
    MONEY_WORDS,
    NOT_INDICATOR_UNITS,
    all_units,
    by_length,
)


def test_every_money_word_has_a_size_in_yuan() -> None:
    assert set(MONEY_WORDS) == set(MONEY_UNITS)
    assert MONEY_UNITS["千元"] == Decimal(1000)


def test_longer_units_come_first_so_wan_yuan_beats_yuan() -> None:
    ordered = by_length(["元", "万元", "人", "人次", "元"])
    assert ordered.index("万元") < ordered.index("元")
    assert ordered.index("人次") < ordered.index("人")
    assert len(ordered) == len(set(ordered))


def test_the_indicator_reader_counts_in_every_measure_word_but_time_spans() -> None:
    assert set(INDICATOR_UNITS) == (set(MEASURE_WORDS) - NOT_INDICATOR_UNITS) | {"%", "％", "‰", "/10万"}
    assert "小时" not in INDICATOR_UNITS and "公里" in INDICATOR_UNITS


def test_grounding_accepts_every_unit_of_the_vocabulary() -> None:
    assert set(MEASURE_WORDS) | set(MONEY_WORDS) <= set(all_units())


@pytest.mark.parametrize("unit", ["平方公里", "人批次", "万剂次", "元/人"])
def test_candidates_read_compound_units_whole(unit: str) -> None:
    text = f"完成12{unit}，"
    (candidate,) = [c for c in find_candidates(text) if text[c.start : c.end] == "12"]
    assert candidate.unit == unit


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("3、项目“基层医疗机构专项”", "基层医疗机构专项"),
        ("（2）三支一扶", "三支一扶"),
        ("(2) 三支一扶", "三支一扶"),
        ("《全民 健身》补助", "全民健身补助"),
        ("２０２３年 专项", "2023年专项"),
    ],
)
def test_one_rule_decides_what_a_name_is_for_comparison(written: str, canonical: str) -> None:
    assert canonical_name(written) == canonical
    assert normalize_name(written) == canonical  # the evaluator uses the same rule
    assert sighting_key(written) == sighting_key(canonical)  # and so does the merger


def test_strip_quotes_keeps_everything_else() -> None:
    assert strip_quotes("“城乡低保”「补助」《资金》") == "城乡低保补助资金"
    assert canonical_name("1、") == "1、"  # a list number alone is the whole name, kept
