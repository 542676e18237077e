"""The rules backend on this genre's wording: named cases, spans, and the seeds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.extract.complete import complete
from pipeline.extract.rules.extract import extract
from pipeline.ingest.chunk import chunk_document
from pipeline.ingest.read import ingest, ingest_text
from schemas import DocumentExtraction, FactKey, Project

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _extract(text: str) -> DocumentExtraction:
    document = ingest_text(text, "mem.txt")
    return complete(extract(document, chunk_document(document, 3000)), document)


def _facts(project: Project) -> dict[str, list[str]]:
    return {key.value: [n.normalized for n in numbers] for key, numbers in project.facts.items()}


def _project(extraction: DocumentExtraction, name: str) -> Project:
    matches = [p for p in extraction.projects if p.name == name]
    assert len(matches) == 1, [p.name for p in extraction.projects]
    return matches[0]


def test_quoted_project_with_sub_items_and_parent_links() -> None:
    text = (
        "3、项目“2023年基层医疗机构专项”年初预算金额225万元，年中调增上级转移支付9.05万元，"
        "实际支出228.65万元，2023年结余结转5.4万元。项目实施及绩效情况如下：\n"
        "（1）2023年三支一扶项目支出28万元，其中年初预算金额23万元，年中调增上级转移支付5万元，结余结转0万元。主要用于发放。\n"
        "（2）2022年 支出47.96元，其中年初预算47.96万元，结余结转0万元。\n"
    )
    extraction = _extract(text)
    parent = _project(extraction, "2023年基层医疗机构专项")
    assert _facts(parent) == {
        "budget_initial": ["225"],
        "transfer_in": ["9.05"],
        "spent": ["228.65"],
        "carryover_out": ["5.4"],
    }
    child = _project(extraction, "2023年三支一扶项目")
    assert child.parent == parent.name
    assert _facts(child) == {
        "spent": ["28"],
        "budget_initial": ["23"],
        "transfer_in": ["5"],
        "carryover_out": ["0"],
    }
    unnamed = _project(extraction, "2022年")
    spent = unnamed.facts[FactKey.SPENT][0]
    assert (spent.normalized, spent.unit) == ("47.96", "元"), "a unit slip is kept as written"


@pytest.mark.parametrize(
    ("clause", "key"),
    [
        ("上年结余结转100.19万元", "carryover_in"),
        ("年中追加13.95万元", "supplement"),
        ("年中调整区级预算0.68万元", "supplement"),
        ("调剂到其他单位12.2万", "transfer_out"),
        ("调减指标113.6万元", "reduction"),
        ("结余结转0万元", "carryover_out"),
    ],
    ids=[
        "carryover-in",
        "supplement",
        "district-adjustment",
        "transfer-out-wan",
        "reduction",
        "carryover-out",
    ],
)
def test_flow_wording(clause: str, key: str) -> None:
    extraction = _extract(f"1、项目“甲”年初预算金额1万元，{clause}，实际支出1万元。\n")
    facts = _facts(_project(extraction, "甲"))
    assert key in facts
    assert facts["budget_initial"] == ["1"]


def test_two_supplements_add_as_a_list_and_unstated_flows_stay_absent() -> None:
    text = "1、项目“乙”年初预算15万元，年中追加13.95万元，年中调整区级预算0.68万元，实际支出29.63万元。\n"
    facts = _facts(_project(_extract(text), "乙"))
    assert facts["supplement"] == ["13.95", "0.68"]
    assert "carryover_out" not in facts and "carryover_in" not in facts


def test_original_budget_in_parentheses_replaces_and_deduction_is_recorded() -> None:
    text = (
        "1、项目“丙”年初预算1万元，实际支出1万元。\n"
        "（1）丙子项目支出2190万元，其中年初预算181.71万元（原年初预算为295.31万元，后由于省级财政多下113.6万元，"
        "在此指标中扣减），年中调增上级转移支付2666.87万元，结余结转658.58万元。\n"
    )
    facts = _facts(_project(_extract(text), "丙子项目"))
    assert facts["budget_initial"] == ["295.31"]
    assert facts["reduction"] == ["113.6"]


def test_breakdown_with_nested_parenthesis_and_leftover_category() -> None:
    text = (
        "本单位2023年度总支出7347.90万元，其中：项目支出6969.76万元，项目支出占总支出的94.85%；"
        "基本支出378.14万元（包括人员支出335.18万元，公用经费支出42.96万元），基本支出占总支出的5.14%；"
        "三公经费支出0.61万元，比上年减少3.17%；公车购置和维护费0万元，公务接待费0.63万元，出国经费0万元。\n"
    )
    breakdowns = {
        b.total.amount.normalized: [p.amount.normalized for p in b.parts] for b in _extract(text).breakdowns
    }
    assert breakdowns == {
        "7347.90": ["6969.76", "378.14"],
        "378.14": ["335.18", "42.96"],
        "0.61": ["0", "0.63", "0"],
    }


def test_a_list_under_a_budget_total_gives_budget_projects() -> None:
    text = (
        "2024年，我单位专项商品和服务支出预算100万元，其中：\n"
        "1、“五类特困老人”意外险经费60万元；\n2、红十字会经费30万元；\n3、其他资金10万元。\n"
    )
    extraction = _extract(text)
    assert _facts(_project(extraction, "五类特困老人意外险经费")) == {"budget_total": ["60"]}
    assert len(extraction.breakdowns) == 1
    assert [p.label for p in extraction.breakdowns[0].parts][:1] == ["五类特困老人意外险经费"]


def test_counted_parts_that_list_kinds_are_not_a_breakdown() -> None:
    extraction = _extract("目前实有在职人员50人，其中：政府雇员9人；离退休人员2人，临聘人员3人。\n")
    assert extraction.breakdowns == []


def test_percent_after_a_slash_is_not_money() -> None:
    extraction = _extract("报告发病率为778.95/10万，其中乙类传染病报告864例，丙类传染病报告1413例。\n")
    assert all(b.total.amount.unit != "万元" for b in extraction.breakdowns)


@pytest.mark.parametrize("sample", sorted(p for p in SAMPLES.glob("*") if p.suffix != ".md"), ids=lambda p: p.name)
def test_every_span_slices_back_to_the_number_as_written(sample: Path) -> None:
    document = ingest(sample)
    extraction = extract(document, chunk_document(document, 3000))
    numbers = [n for p in extraction.projects for ns in p.facts.values() for n in ns]
    numbers += [n for i in extraction.indicators for n in (i.target, i.actual, i.rate) if n is not None]
    numbers += [item.amount for b in extraction.breakdowns for item in (b.total, *b.parts)]
    assert numbers
    for number in numbers:
        assert document.original_text[number.span.start : number.span.end] == number.text
        assert Decimal(number.normalized) == number.value


def test_seed_000_projects_recall() -> None:
    """The densest seed: every stated flow of its 73 projects, measured against the gold file."""
    import json

    document = ingest(SAMPLES / "000_7b25304ad1b9e67e.txt")
    extraction = extract(document, chunk_document(document, 3000))
    gold = json.loads(
        (SAMPLES.parent / "eval" / "gold" / "000_7b25304ad1b9e67e.gold.json").read_text("utf-8")
    )
    got = {
        (p.name, k.value): sum(n.value for n in ns) for p in extraction.projects for k, ns in p.facts.items()
    }
    found = 0
    total = 0
    for project in gold["projects"]:
        for key, value in project["facts"].items():
            total += 1
            values = value if isinstance(value, list) else [value]
            expected = sum(Decimal(v["value"] if isinstance(v, dict) else v) for v in values)
            found += got.get((project["name"], key)) == expected
    assert found / total >= 0.97


def test_densities_carry_their_counts() -> None:
    text = "全年共布放有效鼠夹2936个，捕获鼠31只,鼠密度为0.10只/夹；布放有效粘蟑纸数为590张，粘捕蟑螂为453只，蟑密度为0.08只/张。\n"
    ratios = {r.label: (r.value.normalized, r.numerator.normalized, r.denominator.normalized) for r in _extract(text).ratios}
    assert ratios == {"鼠密度": ("0.10", "31", "2936"), "蟑密度": ("0.08", "453", "590")}
