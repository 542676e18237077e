"""Every message exists in Simplified Chinese and English, and flag messages come from their fields."""

from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.i18n import FORMULAS, MESSAGES, RULE_MESSAGES, WORDS, Message, text
from pipeline.review.flagtext import describe_subject, flag_message, format_number, label_before
from schemas import Flag, Span
from schemas.flags import Rule, Severity

ROOT = Path(__file__).resolve().parent.parent
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name} - {"s"}


ALL: list[tuple[str, Message]] = [
    *MESSAGES.items(), *((f"rule:{r.value}", m) for r, m in RULE_MESSAGES.items()), *WORDS.items(),
    *((f"formula:{f}", m) for f, m in FORMULAS.items()),
]


@pytest.mark.parametrize(("key", "message"), ALL, ids=[key for key, _ in ALL])
def test_every_message_has_both_languages_with_the_same_placeholders(key: str, message: Message) -> None:
    assert message.zh.strip() and message.en.strip()
    assert _fields(message.zh) == _fields(message.en), key
    if key != "web.language":  # the switch names the other language: English on the Chinese page
        words = re.sub(r"\{[a-z_]+\}|`[^`]*`|--[a-z-]+|recon|rules|llm|local|RECON_[A-Z]+", "", message.zh)
        assert _CJK.search(words) or not re.search("[a-z]{4}", words), key


def test_every_rule_has_a_template() -> None:
    assert set(RULE_MESSAGES) == set(Rule)


def test_every_key_the_code_asks_for_exists() -> None:
    asked: set[str] = set()
    for path in [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "pipeline").rglob("*.html")]:
        source = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""\btext\(\s*["']([a-z_]+\.[a-z_]+)["']""", source))
        asked |= set(re.findall(r"""\bt\(\s*'([a-z_]+\.[a-z_]+)'""", source))
    assert len(asked) > 60  # the scan finds the calls
    assert sorted(asked - set(MESSAGES)) == []


def test_english_plural_and_chinese_measure_word() -> None:
    assert text("run.flags", "en", count=1) == "1 flag"
    assert text("run.flags", "en", count=21) == "21 flags"
    assert text("run.flags", "zh", count=21) == "21 条标记"


def test_tolerance_is_written_plainly_and_stated_numbers_keep_their_zeros() -> None:
    assert format_number(Decimal("0.0050000000000000000000000000"), strip=True) == "0.005"
    assert format_number(Decimal("0.0050000000000000000000000000")) == "0.005"
    assert format_number(Decimal("7347.90")) == "7347.90"
    assert format_number(Decimal("0.76779661016949")) == "0.767797"
    assert format_number(None) == "?"


def _flag(rule: Rule, **fields: object) -> Flag:
    base: dict[str, object] = {
        "rule": rule, "severity": Severity.ERROR, "subject": "2023年石峰区农村奖励扶助项目",
        "message": "english", "equation": "e", "values": ["161.66", "191.68"],
    }
    return Flag.model_validate({**base, **fields})


def test_flow_identity_message_in_both_languages_from_the_fields() -> None:
    flag = _flag(Rule.FLOW_IDENTITY, stated=Decimal("161.66"), recomputed=Decimal("191.68"),
                 difference=Decimal("-30.02"), tolerance=Decimal("0.0250000000"), unit="万元")
    assert flag_message(flag, "zh") == (
        "2023年石峰区农村奖励扶助项目：资金来源 191.68万元 不等于支出加结余 161.66万元，相差 30.02万元（允许误差 0.025万元）"
    )
    assert flag_message(flag, "en").startswith(
        "2023年石峰区农村奖励扶助项目: sources 191.68万元 do not equal spending + balance 161.66万元, off by 30.02万元"
    )


def test_children_sum_names_the_fact_and_date_says_after() -> None:
    children = _flag(Rule.CHILDREN_SUM, stated=Decimal("34.59"), recomputed=Decimal("35.27"),
                     difference=Decimal("-0.68"), unit="万元", values=["34.59", "1", "2"],
                     details="carryover_out of X = Σ carryover_out of its 2 sub-projects")
    assert "结转结余为 34.59万元，但其 2 个子项目的结转结余合计为 35.27万元" in flag_message(children, "zh")
    assert "carry-over out is 34.59万元 but its 2 sub-projects'" in flag_message(children, "en")
    date = _flag(Rule.DATE, stated=Decimal(2033), recomputed=Decimal(2023), difference=Decimal(10),
                 unit="年", values=["2033"])
    assert flag_message(date, "zh").endswith("2033年比预算年度 2023 年晚 10 年")
    assert flag_message(date, "en").endswith("the year 2033 is 10 years after the fiscal year 2023")


def test_vague_subject_takes_the_clause_before_its_number() -> None:
    source = "2023年支出7343.64万元，其中基本支出378.14万元，项目支出6965.5万元。"
    start = source.index("6965.5")
    span = Span(start=start, end=start + 6)
    assert label_before(source, span) == "项目支出"
    assert describe_subject("项目", source, [span]) == "项目支出"
    assert describe_subject("2023年石峰区独生子女项目", source, [span]) == "2023年石峰区独生子女项目"
    wrapped = "（5）2022年\n47.96元"
    assert describe_subject("2022年", wrapped, [Span(start=9, end=14)]) == "2022年"
    labelled = "（5）农村奖励扶助\n47.96元"
    assert describe_subject("2022年", labelled, [Span(start=10, end=15)]) == "2022年（农村奖励扶助）"
