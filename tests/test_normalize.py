"""Normalisation rules and the offset-map invariant that number spans rely on."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest.normalize import FOLD_TABLE, normalize
from pipeline.ingest.read import ingest
from pipeline.numbers import NUMBER_RE, normalize_number, stated_number
from schemas import Document, DocumentFormat
from tests.conftest import SEEDS


def _document(original: str) -> Document:
    text, offsets = normalize(original)
    return Document(
        path="mem.txt",
        name="mem.txt",
        sha256="0" * 64,
        size=len(original.encode()),
        format=DocumentFormat.TXT,
        original_text=original,
        text=text,
        offsets=offsets,
    )


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        pytest.param("预算１２３．４５万元，执行率９８．５％", "预算123.45万元，执行率98.5%", id="fullwidth-digits"),
        pytest.param("ＡＢＣ ａｂｃ", "ABC abc", id="fullwidth-latin"),
        pytest.param("项目　ABC", "项目 ABC", id="ideographic-space"),
        pytest.param("其中年初预            算231.62万元", "其中年初预算231.62万元", id="spaces-inside-cjk-word"),
        pytest.param("①面积１００㎡", "①面积100㎡", id="no-nfkc-on-circled-and-units"),
        pytest.param("（一）其中：甲、乙，丙。“丁”；", "（一）其中：甲、乙，丙。“丁”；", id="cjk-punctuation-kept"),
        pytest.param("合计1,234.56万元", "合计1234.56万元", id="thousands-ascii"),
        pytest.param("合计1，234，567元", "合计1234567元", id="thousands-fullwidth-comma"),
        pytest.param("１，２３４．５万元", "1234.5万元", id="thousands-fullwidth-digits"),
        pytest.param("2022,2023年", "2022,2023年", id="four-digit-group-not-thousands"),
        pytest.param("分别为12,34和5,6789", "分别为12,34和5,6789", id="groups-not-of-three"),
        pytest.param("2023 年", "2023年", id="space-digit-cjk"),
        pytest.param("预算为 10万元", "预算为10万元", id="space-cjk-digit"),
        pytest.param("1,234.56 万元", "1234.56万元", id="separator-and-space"),
        pytest.param("支出 6969.76 万 元", "支出6969.76万元", id="spaced-unit"),
        pytest.param("执行率9 . 05%", "执行率9.05%", id="spaces-around-point"),
        pytest.param("完成率 98.5 %", "完成率98.5%", id="space-before-percent"),
        pytest.param("1. 2023年项目", "1. 2023年项目", id="numbered-list-point-kept"),
        pytest.param("项目支出                绩效自评报告", "项目支出绩效自评报告", id="heading-spaces"),
        pytest.param("项目支出  Report", "项目支出  Report", id="cjk-latin-spaces-kept"),
        pytest.param("[bookmark: _GoBack]2023年支出", "2023年支出", id="bookmark-goback"),
        pytest.param("[bookmark: _Toc21023][bookmark: _Toc4018]21、项目", "21、项目", id="bookmark-run"),
        pytest.param("其中：项目支出\n6969.76万元", "其中：项目支出6969.76万元", id="rejoin-amount"),
        pytest.param("完成率\n98%以上", "完成率98%以上", id="rejoin-percent"),
        pytest.param("工作完成。\n10万元用于", "工作完成。\n10万元用于", id="no-rejoin-after-full-stop"),
        pytest.param("合计100\n200万元", "合计100\n200万元", id="no-rejoin-after-digit"),
        pytest.param("二、基本情况\n\n10万元", "二、基本情况\n\n10万元", id="no-rejoin-over-blank-line"),
        pytest.param("一、概况\n2024年", "一、概况\n2024年", id="no-rejoin-year"),
        pytest.param("a\r\nb\rc", "a\nb\nc", id="line-endings"),
        pytest.param("\ufeff\u200b标题", "标题", id="leading-bom-zero-width"),
        pytest.param("12\u200b34", "12\u200b34", id="zero-width-inside-number-kept"),
    ],
)
def test_normalize_rules(original: str, expected: str) -> None:
    text, offsets = normalize(original)
    assert text == expected
    assert len(offsets.to_original) == len(text) + 1
    assert offsets.to_original[-1] == len(original)


def test_offsets_point_at_source_characters() -> None:
    original = "\ufeff[bookmark: _GoBack]合计１，２３４．５ 万元\r\n其中：项目支出\n６９６９．７６万元"
    text, offsets = normalize(original)
    assert text == "合计1234.5万元\n其中：项目支出6969.76万元"
    for index, char in enumerate(text):
        source = original[offsets.to_original[index]]
        assert FOLD_TABLE.get(ord(source), source) == char
    assert offsets.to_original == sorted(set(offsets.to_original))


def test_stated_number_spans_original_fullwidth_and_separators() -> None:
    document = _document("支出１，２３４．５６ 万元，执行率 ９ . ０５％")
    spans = [(m.start(), m.end()) for m in NUMBER_RE.finditer(document.text)]
    assert document.text == "支出1234.56万元，执行率9.05%"
    first = stated_number(document, *spans[0], "万元")
    second = stated_number(document, *spans[1], "%")
    assert first.text == "１，２３４．５６"
    assert str(first.value) == "1234.56"
    assert second.text == "９ . ０５"
    assert second.normalized == "9.05"


def test_seed_000_rejoins_broken_project_amount() -> None:
    document = ingest(SEEDS / "000_7b25304ad1b9e67e.txt")
    assert "项目支出\n6969.76万元" in document.original_text
    marker = "其中：项目支出6969.76万元"
    assert marker in document.text
    start = document.text.index(marker) + len("其中：项目支出")
    number = stated_number(document, start, start + len("6969.76"), "万元")
    assert number.text == "6969.76"
    assert document.original_text[number.span.start - 1] == "\n"


def test_seed_debris_removed_but_original_kept() -> None:
    for name in ("000_7b25304ad1b9e67e.txt", "001_7405f8ecf0461328.txt", "002_67d54693e1e0f6b8.txt"):
        document = ingest(SEEDS / name)
        assert "[bookmark:" in document.original_text
        assert "bookmark" not in document.text


_PIECES = st.sampled_from(
    [
        "项目", "支出", "万元", "元", "%", "％", "，", "。", "；", "：", "、", "年",
        "0", "1", "5", "9", "０", "３", "９", ".", "．", ",", "，", " ", "　", "  ",
        "\n", "\r\n", "\r", "\t", "[bookmark: _GoBack]", "[bookmark: _Toc12]", "\ufeff", "\u200b",
        "1,234", "１，２３４", "9 . 05", "12.50", "①", "㎡", "Ａ", "x",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_every_number_maps_to_the_number_as_written(original: str) -> None:
    document = _document(original)
    to_original = document.offsets.to_original
    assert len(to_original) == len(document.text) + 1
    assert all(a < b for a, b in itertools.pairwise(to_original))
    for index, char in enumerate(document.text):
        source = original[to_original[index]]
        assert FOLD_TABLE.get(ord(source), source) == char
    for match in NUMBER_RE.finditer(document.text):
        number = stated_number(document, match.start(), match.end(), None)
        assert number.normalized == match.group()
        assert normalize_number(number.text) == match.group()
        assert re.fullmatch(r"[0-9０-９].*[0-9０-９]|[0-9０-９]", number.text, flags=re.DOTALL)


def test_a_txt_copied_line_by_line_from_a_pdf_is_read_as_wrapped() -> None:
    from pipeline.ingest.normalize import looks_hard_wrapped

    wrapped = (
        "二是年初预算资金一百万元全部用于农村公路养护工程的建设\n"
        "和维修，年中追加资金二十万元主要用于桥梁加固与排水设\n"
        "施改造，全年实际支出一百一十万元，结余资金十万元将结\n"
        "转至下一年度继续使用，项目总体按照年初计划顺利推进实\n"
        "施，各项工作均达到预期目标并通过了主管部门组织的验收\n"
        "工作。\n"
    )
    assert looks_hard_wrapped(wrapped)
    paragraphs = "一、基本情况\n该项目年初预算100万元。\n二、绩效目标\n新建道路3公里。\n三、结论\n完成良好。\n"
    assert not looks_hard_wrapped(paragraphs)
    table = "项目名称 |\n年初预算数 |\n全年执行数 |\n100 |\n98 |\n得分 |\n"
    assert not looks_hard_wrapped(table)


def test_a_page_number_printed_mid_sentence_is_removed_but_list_numbers_stay() -> None:
    from pipeline.ingest.normalize import normalize

    page = "甲" * 320 + "专项信\n2、息服务支出4万元。"
    text, offsets = normalize(page)
    assert "专项信息服务支出4万元" in text
    start = text.index("4万元")
    assert page[offsets.to_original[start]] == "4"
    listed = "资金安排如下\n1、设备维护经费10万元\n2、宣传培训经费20万元\n"
    assert normalize(listed)[0] == listed


@pytest.mark.parametrize(
    ("written", "normalized"),
    [("１,２３４.５０％", "1234.50"), ("100%", "100"), ("12.5 %", "12.5"), ("-3.20", "-3.20"), ("7", "7")],
)
def test_normalize_number_folds_width_separators_and_percent(written: str, normalized: str) -> None:
    assert normalize_number(written) == normalized


@pytest.mark.parametrize("written", ["%12", "12%%3", "12X", "约12", "1.2.3", "", "五"])
def test_normalize_number_rejects_what_is_not_one_number(written: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"not a number: {written!r}")):
        normalize_number(written)
