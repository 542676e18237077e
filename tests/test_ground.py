"""Grounding: a model's as-written numbers located in the chunk, spanned in the original text."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.ground import ChunkGrounder, clean_name, ground_chunk, split_as_written
from schemas import Chunk, Document, DocumentFormat, FactKey, OffsetMap
from schemas.llm import ChunkFacts


def doc(text: str, original: str | None = None, to_original: list[int] | None = None) -> Document:
    return Document(
        path="/tmp/d.txt",
        name="d.txt",
        sha256="0" * 64,
        size=len(text),
        format=DocumentFormat.TXT,
        original_text=original if original is not None else text,
        text=text,
        offsets=OffsetMap(to_original=to_original or list(range(len(text) + 1))),
    )


def whole(document: Document, prefix: int = 0) -> Chunk:
    """One chunk over the document's text after `prefix` characters."""
    return Chunk(
        id="k1",
        document=document.name,
        index=0,
        start=prefix,
        end=len(document.text),
        text=document.text[prefix:],
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9.05万元", ("9.05", "万元")),
        ("100%", ("100", "%")),
        ("１００．３％", ("100.3", "%")),
        ("1,234.50元", ("1234.50", "元")),
        ("约59174人", ("59174", "人")),
        ("59000人次", ("59000", "人次")),
        ("4.10", ("4.10", None)),
        ("未说明", None),
        ("", None),
    ],
)
def test_split_as_written(raw: str, expected: tuple[str, str | None] | None) -> None:
    assert split_as_written(raw) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("3、项目“2023年基层医疗机构专项”", "2023年基层医疗机构专项"),
        ("（2）2022年", "2022年"),
        ("1.中医药经费", "中医药经费"),
        ("“五类特困老人”意外险和老龄工作经费", "五类特困老人意外险和老龄工作经费"),
        ("2.5万元以下项目", "2.5万元以下项目"),
    ],
)
def test_clean_name(name: str, expected: str) -> None:
    assert clean_name(name) == expected


def test_digit_boundaries_no_match_inside_a_longer_number() -> None:
    document = doc("项目A支出15.4万元，结余5.45万元，预算225万元。")
    grounder = ChunkGrounder(document, whole(document))
    assert grounder.number("5.4万元", subject="项目A") is None
    assert grounder.number("25万元", subject="项目A") is None
    assert grounder.ungrounded == 2
    found = grounder.number("15.4万元", subject="项目A")
    assert found is not None and found.normalized == "15.4"


def test_model_may_drop_trailing_zeros_but_not_add_them() -> None:
    document = doc("项目A支出4.10万元，结余5.4万元。")
    grounder = ChunkGrounder(document, whole(document))
    dropped = grounder.number("4.1万元", subject="项目A")
    assert dropped is not None and dropped.normalized == "4.10" and dropped.decimals == 2
    assert grounder.number("5.40万元", subject="项目A") is None


def test_text_unit_wins_over_the_model_and_fills_a_missing_one() -> None:
    document = doc("公务接待费支出67.49元，完成率100%，人数59174人。")
    grounder = ChunkGrounder(document, whole(document))
    as_text = grounder.number("67.49万元", subject="公务接待费")
    assert as_text is not None and as_text.unit == "元"
    bare = grounder.number("100", subject="公务接待费")
    assert bare is not None and bare.unit == "%"
    assert (people := grounder.number("59174", subject="公务接待费")) is not None and people.unit == "人"


def test_span_maps_to_the_original_text_with_fullwidth_digits_and_separators() -> None:
    original = "支出１,２３4.5万元"
    text = "支出1234.5万元"
    to_original = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]
    document = doc(text, original, to_original)
    found = ChunkGrounder(document, whole(document)).number("1234.5万元", subject=None)
    assert found is not None
    assert found.text == "１,２３4.5" == original[found.span.start : found.span.end]
    assert found.normalized == "1234.5" and found.value == Decimal("1234.5")


def test_chunk_offset_is_added() -> None:
    document = doc("前言部分100万元。项目B支出100万元。")
    prefix = document.text.index("项目B")
    found = ChunkGrounder(document, whole(document, prefix)).number("100万元", subject="项目B")
    assert found is not None and found.span.start == document.text.index("100万元。", prefix)


def test_nearest_occurrence_to_its_subject() -> None:
    document = doc("项目A支出10万元；项目B支出10万元；项目C支出10万元。")
    grounder = ChunkGrounder(document, whole(document))
    grounder.register_subjects(["项目A", "项目B", "项目C"])
    spans = [grounder.number("10万元", subject=s) for s in ("项目C", "项目A", "项目B")]
    starts = [n.span.start for n in spans if n is not None]
    assert starts == [document.text.index("10", document.text.index(s)) for s in ("项目C", "项目A", "项目B")]


def test_same_value_twice_for_one_subject_uses_two_spans_by_their_wording() -> None:
    document = doc("项目D年初预算0万元，年中追加3万元，实际支出3万元，结余结转0万元。")
    facts = ChunkFacts.model_validate(
        {
            "projects": [
                {
                    "name": "项目D",
                    "carryover_out": "0万元",
                    "budget_initial": "0万元",
                    "supplement": "3万元",
                    "spent": "3万元",
                }
            ]
        }
    )
    (project,) = ground_chunk(document, whole(document), facts).projects
    text = document.text
    assert project.facts[FactKey.BUDGET_INITIAL][0].span.start == text.index("0万元")
    assert project.facts[FactKey.CARRYOVER_OUT][0].span.start == text.rindex("0万元")
    assert project.facts[FactKey.SUPPLEMENT][0].span.start == text.index("3万元")
    assert project.facts[FactKey.SPENT][0].span.start == text.rindex("3万元")


def test_ungrounded_numbers_are_counted_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    document = doc(
        "总支出7347.90万元，其中项目支出6969.76万元，基本支出378.14万元。65岁以上老年人健康管理完成59174人。"
    )
    facts = ChunkFacts.model_validate(
        {
            "projects": [{"name": "幽灵项目", "spent": "12.34万元"}],
            "indicators": [{"name": "65岁以上老年人健康管理", "target": "59000人", "actual": "59174人"}],
            "breakdowns": [
                {
                    "total_label": "总支出",
                    "total": "7347.9万元",
                    "parts": [
                        {"label": "项目支出", "value": "6969.76万元"},
                        {"label": "其他", "value": "1.5万元"},
                    ],
                }
            ],
        }
    )
    with caplog.at_level(logging.WARNING):
        extraction = ground_chunk(document, whole(document), facts)
    assert extraction.ungrounded == 3
    assert extraction.projects == []  # nothing of it grounded
    (indicator,) = extraction.indicators
    assert indicator.target is None and indicator.actual is not None and indicator.unit == "人"
    (breakdown,) = extraction.breakdowns
    assert breakdown.total.amount.normalized == "7347.90"
    assert [p.label for p in breakdown.parts] == ["项目支出"]
    assert breakdown.exhaustive is False  # a part was dropped: the sum must not be tested as complete
    assert sum("k1" in r.getMessage() and "ungrounded" in r.getMessage() for r in caplog.records) == 3


def test_rates_get_percent_and_project_unit_is_the_majority() -> None:
    document = doc("公务接待费：预算10万元，支出决算0.94万元，完成预算的9.4%。")
    facts = ChunkFacts.model_validate(
        {
            "projects": [
                {"name": "公务接待费", "budget_total": "10", "spent": "0.94万元", "execution_rate": "9.4"}
            ]
        }
    )
    (project,) = ground_chunk(document, whole(document), facts).projects
    assert project.unit == "万元"
    assert project.facts[FactKey.EXECUTION_RATE][0].unit == "%"
    assert project.facts[FactKey.BUDGET_TOTAL][0].unit == "万元"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=6,
    )
)
def test_property_every_stated_amount_grounds_to_its_own_span(amounts: list[Decimal]) -> None:
    written = [f"{a:f}" for a in amounts]
    text = "".join(f"项目{i}号支出{w}万元；" for i, w in enumerate(written))
    document = doc(text)
    grounder = ChunkGrounder(document, whole(document))
    names = [f"项目{i}号" for i in range(len(written))]
    grounder.register_subjects(names)
    for name, value in zip(names, written, strict=True):
        found = grounder.number(f"{value}万元", subject=name)
        assert found is not None
        assert text[found.span.start : found.span.end] == value
        assert text.rfind("项目", 0, found.span.start) == text.index(name)
    assert grounder.ungrounded == 0


def test_a_neighbours_number_claimed_by_two_projects_stays_with_its_owner() -> None:
    document = doc(
        "（一）社区卫生服务补助项目：年初预算安排资金120.50万元，全年实际支出118.30万元。\n"
        "（二）老年人健康管理项目：年初预算安排资金45.00万元，年中追加资金5.00万元，全年实际支出48.60万元。\n"
    )
    facts = ChunkFacts.model_validate(
        {
            "projects": [
                # What a 1.5B model really answered: the second project's 追加 copied into the first.
                {
                    "name": "社区卫生服务补助项目",
                    "budget_initial": "120.50万元",
                    "supplement": ["年中追加资金5.00万元"],
                    "spent": "118.30万元",
                },
                {
                    "name": "老年人健康管理项目",
                    "budget_initial": "45.00万元",
                    "supplement": ["年中追加资金5.00万元"],
                    "spent": "48.60万元",
                },
            ]
        }
    )
    extraction = ground_chunk(document, whole(document), facts)
    first, second = extraction.projects
    assert FactKey.SUPPLEMENT not in first.facts
    assert [n.normalized for n in second.facts[FactKey.SUPPLEMENT]] == ["5.00"]
    assert extraction.ungrounded == 1


def test_name_span_is_exactly_the_name_as_written_in_the_original() -> None:
    original = "前言。３、项目“２０２３年基层医疗机构专项”支出100万元。"
    text = "前言。3、项目“2023年基层医疗机构专项”支出100万元。"
    document = doc(text, original)
    prefix = text.index("3、")
    facts = ChunkFacts.model_validate({"projects": [{"name": "2023年基层医疗机构专项", "spent": "100万元"}]})
    (project,) = ground_chunk(document, whole(document, prefix), facts).projects
    assert project.name_span is not None
    assert original[project.name_span.start : project.name_span.end] == "２０２３年基层医疗机构专项"
    missing = ChunkGrounder(document, whole(document, prefix)).name_span("不存在的项目")
    assert missing is None
