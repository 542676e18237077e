"""Merging per-chunk extractions: one project per name, facts unioned, parents linked, nothing invented."""

from __future__ import annotations

from decimal import Decimal

from pipeline.check.run import check
from pipeline.extract.merge import merge_extractions, sighting_key
from schemas import (
    Breakdown,
    BreakdownItem,
    DocumentExtraction,
    FactKey,
    Indicator,
    Project,
    Rule,
    ScoreLine,
    Span,
    StatedNumber,
    StatedRatio,
    Statement,
    YearMention,
)


def num(value: str, start: int, unit: str | None = "万元") -> StatedNumber:
    return StatedNumber(
        text=value,
        normalized=value,
        value=Decimal(value),
        unit=unit,
        span=Span(start=start, end=start + len(value)),
    )


def part(*projects: Project, ungrounded: int = 0, **extra: object) -> DocumentExtraction:
    return DocumentExtraction(document="d.txt", projects=list(projects), ungrounded=ungrounded, **extra)  # type: ignore[arg-type]


def project(name: str, parent: str | None = None, chunk: str = "c0", **facts: list[StatedNumber]) -> Project:
    return Project(
        name=name,
        parent=parent,
        unit="万元",
        facts={FactKey(key): numbers for key, numbers in facts.items()},
        chunk_id=chunk,
        source="llm",
    )


def test_normalise_name() -> None:
    assert sighting_key("3、项目“2023年基层医疗机构专项”") == sighting_key("2023年基层医疗机构专项")
    assert sighting_key("（2）2022年 ") == "2022年"
    assert sighting_key(None) == ""


def test_same_project_in_two_chunks_is_one_with_the_union_of_facts() -> None:
    first = project("基层医疗机构专项", budget_initial=[num("225", 10)], spent=[num("228.65", 40)])
    again = project(
        "项目“基层医疗机构专项”", chunk="c1", spent=[num("228.65", 40)], carryover_out=[num("5.4", 60)]
    )
    merged = merge_extractions("d.txt", [part(first, ungrounded=1), part(again, ungrounded=2)])
    (only,) = merged.projects
    assert only.name == "基层医疗机构专项" and only.chunk_id == "c0"
    assert {k: [n.normalized for n in v] for k, v in only.facts.items()} == {
        FactKey.BUDGET_INITIAL: ["225"],
        FactKey.SPENT: ["228.65"],
        FactKey.CARRYOVER_OUT: ["5.4"],
    }
    assert FactKey.CARRYOVER_IN not in only.facts  # absent stays absent, never zero
    assert merged.ungrounded == 3
    assert merged.statements == []


def test_supplements_add_up_across_chunks_but_the_same_span_counts_once() -> None:
    a = project("X", supplement=[num("13.95", 100)])
    b = project("X", chunk="c1", supplement=[num("13.95", 100), num("0.68", 130)])
    (merged,) = merge_extractions("d.txt", [part(a), part(b)]).projects
    assert [n.normalized for n in merged.facts[FactKey.SUPPLEMENT]] == ["13.95", "0.68"]


def test_same_value_stated_twice_is_one_fact_and_a_different_value_is_a_conflict() -> None:
    a = project("X", spent=[num("28", 10)])
    same_elsewhere = project("X", chunk="c1", spent=[num("28", 500)])
    different = project("X", chunk="c2", spent=[num("228.65", 900)])
    merged = merge_extractions("d.txt", [part(a), part(same_elsewhere), part(different)])
    (only,) = merged.projects
    assert [n.normalized for n in only.facts[FactKey.SPENT]] == ["28"]  # never summed
    assert [(s.label, s.amount.normalized) for s in merged.statements] == [
        ("X:spent", "28"),
        ("X:spent", "228.65"),
    ]


def test_sub_projects_are_linked_to_their_parent() -> None:
    parent = project("项目“2023年基层医疗机构专项”", budget_initial=[num("225", 0)])
    child = project("2023年三支一扶项目", parent="2023年基层医疗机构专项", spent=[num("28", 50)])
    child_seen_without_parent = project("2023年三支一扶项目", chunk="c1", budget_initial=[num("23", 70)])
    merged = merge_extractions("d.txt", [part(parent, child), part(child_seen_without_parent)])
    assert [p.name for p in merged.projects] == ["2023年基层医疗机构专项", "2023年三支一扶项目"]
    child_merged = merged.projects[1]
    assert child_merged.parent == merged.projects[0].name
    assert set(child_merged.facts) == {FactKey.SPENT, FactKey.BUDGET_INITIAL}


def test_same_name_under_different_parents_stays_apart() -> None:
    a = project("2022年", parent="专项A", spent=[num("47.96", 10)])
    b = project("2022年", parent="专项B", spent=[num("12", 90)])
    merged = merge_extractions("d.txt", [part(a, b)])
    assert [(p.name, p.parent) for p in merged.projects] == [("2022年", "专项A"), ("2022年", "专项B")]


def test_a_project_is_not_its_own_parent() -> None:
    merged = merge_extractions("d.txt", [part(project("X", parent="项目“X”", spent=[num("1", 0)]))])
    assert merged.projects[0].parent is None


def test_indicators_fill_gaps_and_breakdowns_union_parts() -> None:
    first = Indicator(name="高血压规范管理率", actual=num("84.36", 10, "%"), source="llm")
    second = Indicator(
        name="高血压规范管理率", target=num("80", 200, "%"), actual=num("99", 300, "%"), source="llm"
    )
    total = BreakdownItem(label="总支出", amount=num("7347.90", 400))
    bd1 = Breakdown(total=total, parts=[BreakdownItem(label="项目支出", amount=num("6969.76", 420))])
    bd2 = Breakdown(
        total=total,
        parts=[
            BreakdownItem(label="基本支出", amount=num("378.14", 440)),
            BreakdownItem(label="项目支出", amount=num("6969.76", 420)),
        ],
        exhaustive=False,
    )
    merged = merge_extractions(
        "d.txt", [part(indicators=[first], breakdowns=[bd1]), part(indicators=[second], breakdowns=[bd2])]
    )
    (indicator,) = merged.indicators
    assert indicator.actual is not None and indicator.actual.normalized == "84.36"  # first sighting leads
    assert indicator.target is not None and indicator.target.normalized == "80"
    (breakdown,) = merged.breakdowns
    assert [p.label for p in breakdown.parts] == ["项目支出", "基本支出"]
    assert breakdown.exhaustive is False


def test_an_indicator_keeps_what_a_later_chunk_adds_rate_unit_category_and_span() -> None:
    first = Indicator(name="高血压规范管理率", actual=num("84.36", 10, "%"), source="llm")
    later = Indicator(
        name="高血压规范管理率",
        target=num("80", 200, "%"),
        rate=num("105.45", 230, "%"),
        unit="%",
        category="质量指标",
        name_span=Span(start=180, end=188),
        source="llm",
    )
    (indicator,) = merge_extractions("d.txt", [part(indicators=[first]), part(indicators=[later])]).indicators
    assert indicator.rate is not None and indicator.rate.normalized == "105.45"
    assert indicator.target is not None and indicator.target.normalized == "80"
    assert indicator.unit == "%" and indicator.category == "质量指标"
    assert indicator.name_span == Span(start=180, end=188)


def test_two_totals_with_the_same_label_and_value_in_different_places_stay_two_breakdowns() -> None:
    first = Breakdown(
        total=BreakdownItem(label="总支出", amount=num("100", 10)),
        parts=[BreakdownItem(label="项目支出", amount=num("60", 20)), BreakdownItem(label="基本支出", amount=num("40", 30))],
    )
    second = Breakdown(
        total=BreakdownItem(label="总支出", amount=num("100", 500)),
        parts=[BreakdownItem(label="人员经费", amount=num("70", 510)), BreakdownItem(label="公用经费", amount=num("30", 520))],
    )
    merged = merge_extractions("d.txt", [part(breakdowns=[first]), part(breakdowns=[second])])
    assert [[p.amount.normalized for p in b.parts] for b in merged.breakdowns] == [["60", "40"], ["70", "30"]]
    report = check(merged)
    assert [f for f in report.flags if f.rule is Rule.BREAKDOWN_SUM] == []


def test_a_project_seen_twice_keeps_its_first_span_unit_and_parent_and_names_both_sources() -> None:
    rules = Project(name="X", unit=None, facts={FactKey.EXECUTION_RATE: [num("98", 10, "%")]}, source="rules")
    llm = Project(
        name="X",
        parent="项目“专项P”",
        unit="万元",
        name_span=Span(start=0, end=1),
        facts={FactKey.EXECUTION_RATE: [num("98", 10, "%")]},
        chunk_id="c1",
        source="llm",
    )
    later = llm.model_copy(update={"name_span": Span(start=900, end=901), "unit": "元"})
    (merged,) = merge_extractions("d.txt", [part(rules), part(llm), part(later), part(rules)]).projects
    assert merged.source == "rules+llm"
    assert merged.name_span == Span(start=0, end=1)  # the first sighting that has one
    assert merged.unit == "万元"  # no money amount to go by: the first stated unit
    assert merged.parent == "专项P"
    assert merged.chunk_id == "c1"


def test_a_projects_unit_is_the_one_most_of_its_amounts_use() -> None:
    facts = {
        FactKey.BUDGET_INITIAL: [num("120000", 10, "元")],
        FactKey.SPENT: [num("110000", 30, "元")],
        FactKey.CARRYOVER_OUT: [num("1", 50, "万元")],
        FactKey.EXECUTION_RATE: [num("91.67", 70, "%"), num("91.67", 90, "%")],
    }
    (merged,) = merge_extractions("d.txt", [part(Project(name="X", unit="万元", facts=facts))]).projects
    assert merged.unit == "元"


def test_a_sub_project_seen_twice_under_the_same_parent_is_one() -> None:
    a = project("2022年", parent="专项A", spent=[num("47.96", 10)])
    again = project("2022年", parent="专项A", chunk="c1", carryover_out=[num("1", 30)])
    other = project("2022年", parent="专项B", chunk="c1", spent=[num("12", 90)])
    merged = merge_extractions("d.txt", [part(a), part(other, again)])
    assert [(p.parent, sorted(p.facts)) for p in merged.projects] == [
        ("专项A", [FactKey.CARRYOVER_OUT, FactKey.SPENT]),
        ("专项B", [FactKey.SPENT]),
    ]


def test_names_differing_only_in_punctuation_and_spaces_are_one_project() -> None:
    a = project("城乡 居民，医疗保险", spent=[num("1", 10)])
    b = project("城乡居民医疗保险", chunk="c1", carryover_out=[num("0", 30)])
    (merged,) = merge_extractions("d.txt", [part(a), part(b)]).projects
    assert set(merged.facts) == {FactKey.SPENT, FactKey.CARRYOVER_OUT}


def test_every_differing_value_of_a_fact_is_one_conflict_statement() -> None:
    a = project("X", spent=[num("28", 10)])
    b = project("X", chunk="c1", spent=[num("28", 500), num("228.65", 900)])
    c = project("X", chunk="c2", spent=[num("300", 1000)])
    merged = merge_extractions("d.txt", [part(a), part(b), part(c)])
    assert [(s.label, s.amount.normalized, s.scope) for s in merged.statements] == [
        ("X:spent", "28", None),
        ("X:spent", "228.65", None),
        ("X:spent", "300", None),
    ]


def test_document_facts_come_from_the_first_part_that_states_them_and_years_count_once() -> None:
    year = YearMention(year=2023, subject="项目", span=Span(start=5, end=10))
    first = DocumentExtraction(document="d.txt", years=[year])
    second = DocumentExtraction(
        document="d.txt",
        organization="某县卫生健康局",
        fiscal_year=2023,
        years=[year, YearMention(year=2033, subject="项目", span=Span(start=50, end=55))],
    )
    third = DocumentExtraction(document="d.txt", organization="别的单位", fiscal_year=2022)
    merged = merge_extractions("d.txt", [first, second, third])
    assert merged.organization == "某县卫生健康局" and merged.fiscal_year == 2023
    assert [(y.year, y.span.start) for y in merged.years] == [(2023, 5), (2033, 50)]


def test_a_sub_projects_parent_takes_the_parents_name_as_merged() -> None:
    parent = project("2023年基层医疗机构专项", budget_initial=[num("225", 0)])
    child = project("三支一扶", parent="2023年 基层医疗机构专项。", spent=[num("28", 50)])
    merged = merge_extractions("d.txt", [part(parent, child)])
    assert merged.projects[1].parent == "2023年基层医疗机构专项"


def test_different_indicators_stay_apart() -> None:
    first = Indicator(name="高血压规范管理率", actual=num("84.36", 10, "%"), source="llm")
    second = Indicator(name="糖尿病规范管理率", actual=num("70", 50, "%"), source="llm")
    merged = merge_extractions("d.txt", [part(indicators=[first]), part(indicators=[second])])
    assert [i.name for i in merged.indicators] == ["高血压规范管理率", "糖尿病规范管理率"]


def test_statements_seen_in_two_chunks_count_once_and_ratios_are_kept() -> None:
    statement = Statement(label="总支出", scope="2023", amount=num("7347.90", 10))
    ratio = StatedRatio(label="鼠密度", value=num("0.10", 90, None), numerator=num("31", 70, None), denominator=num("2936", 50, None))
    merged = merge_extractions(
        "d.txt", [part(statements=[statement], ratios=[ratio]), part(statements=[statement])]
    )
    assert merged.statements == [statement]
    assert merged.ratios == [ratio]


def test_a_score_row_seen_twice_counts_once_and_rows_apart_in_any_number_stay_apart() -> None:
    row = ScoreLine(label="数量指标", weight=num("30", 100, None), score=num("28", 110, None), rate=num("95", 120, "%"))
    weight_elsewhere = row.model_copy(update={"weight": num("30", 200, None)})
    score_elsewhere = row.model_copy(update={"score": num("28", 310, None)})
    rate_elsewhere = row.model_copy(update={"rate": num("95", 420, "%")})
    no_rate = row.model_copy(update={"rate": None})
    total = row.model_copy(update={"is_total": True})
    parts = [part(scores=[row, weight_elsewhere, score_elsewhere]), part(scores=[row, rate_elsewhere, no_rate, total])]
    merged = merge_extractions("d.txt", parts).scores
    assert merged == [row, weight_elsewhere, score_elsewhere, rate_elsewhere, no_rate, total]
