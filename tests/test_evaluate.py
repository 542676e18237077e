"""Scoring against gold: alignment, unit conversion, facts, parents, breakdowns, flags, grounding."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigError, GoldFormatError
from pipeline.evaluation.align import CONTAINMENT_MIN_CHARS, CONTAINMENT_SIMILARITY, NAME_THRESHOLD
from pipeline.evaluation.evaluate import (
    EvalError,
    Observed,
    align_projects,
    build_report,
    compare_reports,
    evaluate_pairs,
    floor_failures,
    max_weight_assignment,
    normalize_name,
    pair_gold_with_documents,
    score_document,
    similarity,
)
from pipeline.evaluation.gold import gold_to_extraction
from schemas import (
    Breakdown,
    BreakdownItem,
    CheckReport,
    DocumentExtraction,
    FactKey,
    Flag,
    Indicator,
    Project,
    Rule,
    Severity,
    Span,
    StatedNumber,
)
from schemas.gold import GoldDocument


def num(text: str, unit: str | None = "万元", start: int = 0, written: str | None = None) -> StatedNumber:
    written = written if written is not None else text
    return StatedNumber(
        text=written,
        normalized=text,
        value=Decimal(text),
        unit=unit,
        span=Span(start=start, end=start + len(written)),
    )


def gold_doc(**parts: Any) -> GoldDocument:
    return GoldDocument.model_validate({"format": "recon-gold/1", "document": "t.txt", **parts})


def project(name: str, parent: str | None = None, **facts: StatedNumber | list[StatedNumber]) -> Project:
    return Project(
        name=name,
        parent=parent,
        unit="万元",
        facts={FactKey(k): v if isinstance(v, list) else [v] for k, v in facts.items()},
    )


def extraction(**parts: Any) -> DocumentExtraction:
    return DocumentExtraction(document="t.txt", **parts)


def flag(rule: Rule, subject: str, *values: str, severity: Severity = Severity.ERROR) -> Flag:
    return Flag(rule=rule, severity=severity, subject=subject, message="m", equation="e", values=list(values))


def score(
    gold: GoldDocument, got: DocumentExtraction, check: CheckReport | None = None, text: str | None = None
):  # type: ignore[no-untyped-def]
    return score_document("t.txt", gold, got, check, text)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("3、项目“2023年基层医疗机构专项”", "2023年基层医疗机构专项"),  # 项目“X” names X
        ("（2）三支一扶 项目", "三支一扶项目"),
        ("(2)「除四害」", "除四害"),
        ("一、公务接待费", "公务接待费"),
        ("2022年", "2022年"),
        ("（5）2022年", "2022年"),
    ],
)
def test_normalize_name(raw: str, normal: str) -> None:
    assert normalize_name(raw) == normal


def test_similarity_exact_after_normalising_and_graded_otherwise() -> None:
    assert similarity("（1）“甲乙丙”", "甲乙丙") == 1.0
    assert 0.5 <= similarity("2022年行政村卫生室运行项目", "2022年行政村卫生室运行") < 1.0
    assert similarity("公务接待费", "基本公共卫生服务") < 0.5


def test_a_name_inside_another_matches_below_an_exact_name() -> None:
    # issue 18: a recipient prefix (bigram Dice 0.52 alone)
    short, full = "梨簧戏演出补助", "芜湖市艺术剧院有限公司梨簧戏演出补助"
    assert similarity(short, full) == similarity(full, short)
    assert CONTAINMENT_SIMILARITY <= similarity(short, full) < 1.0
    assert (
        similarity("“梨簧戏演出补助”", "（3）芜湖市艺术剧院有限公司梨簧戏演出补助") >= CONTAINMENT_SIMILARITY
    )
    # the closer of two containing names scores higher
    assert similarity(short, "梨簧戏演出补助资金") > similarity(short, full)


def test_reordered_words_already_match_by_dice() -> None:
    # issue 18: no name contains the other; 7 of 8 bigrams are shared (Dice 0.875)
    assert similarity("标准化项目获得补助", "获得补助标准化项目") == pytest.approx(0.875)


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("项目", "芜湖市艺术剧院有限公司项目"),
        ("补助费", "芜湖市艺术剧院有限公司补助费"),
    ],
)
def test_names_under_four_characters_do_not_match_by_containment(short: str, long: str) -> None:
    assert len(short) < CONTAINMENT_MIN_CHARS
    assert similarity(short, long) < NAME_THRESHOLD


def test_a_short_common_word_aligns_with_nothing_and_containment_is_one_to_one() -> None:
    gold = gold_doc(
        projects=[
            {"name": "项目", "unit": "万元", "facts": {"spent": "1"}},
            {"name": "梨簧戏演出补助", "unit": "万元", "facts": {"spent": "2"}},
        ]
    )
    got = extraction(
        projects=[
            project("芜湖市艺术剧院有限公司梨簧戏演出补助", spent=num("2")),
            project("无为市梨簧戏演出补助项目", spent=num("1")),
            project("基层医疗机构项目", spent=num("1")),
        ]
    )
    result = score(gold, got)
    projects = result.scores.projects
    # 梨簧戏演出补助 takes one containing name (shared value 2); 项目 (2 characters) takes none
    assert (projects.correct, projects.extracted, projects.gold) == (1, 3, 2)
    assert ("missed", "项目") in {(e.kind, e.what) for e in result.errors}
    assert align_projects(gold_to_extraction(gold).projects, got.projects) == {1: 0}


def test_an_exact_name_wins_over_a_containing_one_whatever_the_values() -> None:
    gold = gold_doc(
        projects=[{"name": "梨簧戏演出补助", "unit": "万元", "facts": {"budget_total": "5", "spent": "5"}}]
    )
    # the containing name shares both values, the exact one shares none: the name still decides
    got = extraction(
        projects=[
            project("芜湖市艺术剧院有限公司梨簧戏演出补助", budget_total=num("5"), spent=num("5")),
            project("梨簧戏演出补助", budget_total=num("6"), spent=num("4")),
        ]
    )
    assert align_projects(gold_to_extraction(gold).projects, got.projects) == {0: 1}
    # without the exact name, the containing one is aligned and its facts score
    alone = extraction(projects=[got.projects[0]])
    assert score(gold, alone).scores.projects.f1 == 1.0


def _brute_force(weights: list[list[float | None]]) -> float:
    rows, columns = len(weights), len(weights[0])
    best = 0.0
    for permutation in itertools.permutations(range(max(rows, columns)), rows):
        total = 0.0
        for i, j in enumerate(permutation):
            if j < columns and (w := weights[i][j]) is not None and w > 0:
                total += w
        best = max(best, total)
    return best


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda rows: st.integers(1, 4).flatmap(
            lambda columns: st.lists(
                st.lists(
                    st.one_of(st.none(), st.integers(0, 20).map(float)), min_size=columns, max_size=columns
                ),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_assignment_is_optimal_and_one_to_one(weights: list[list[float | None]]) -> None:
    pairs = max_weight_assignment(weights)
    assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
    assert all(weights[i][j] is not None for i, j in pairs)
    total = sum(weights[i][j] or 0.0 for i, j in pairs)
    assert total == pytest.approx(_brute_force(weights))


def test_assignment_prefers_the_global_optimum_over_greedy() -> None:
    # greedy would take (0,0)=0.9 and leave row 1 with nothing
    assert max_weight_assignment([[0.9, 0.8], [0.85, None]]) == [(0, 1), (1, 0)]


# --- project facts -------------------------------------------------------------------------------


def test_names_with_quotes_and_list_numbers_align() -> None:
    gold = gold_doc(projects=[{"name": "2023年三支一扶项目", "unit": "万元", "facts": {"spent": "28"}}])
    got = extraction(projects=[project("（2）“2023年三支一扶项目”", spent=num("28"))])
    result = score(gold, got)
    assert (
        result.scores.projects.correct,
        result.scores.projects.precision,
        result.scores.projects.recall,
    ) == (
        1,
        1.0,
        1.0,
    )


@pytest.mark.parametrize(
    ("gold_value", "got", "correct"),
    [
        pytest.param({"value": "15000", "unit": "元"}, num("1.5", "万元"), True, id="yuan-vs-wan"),
        pytest.param("1.5", num("15000", "元"), True, id="wan-vs-yuan"),
        pytest.param("10000", num("1", "亿元"), True, id="wan-vs-yi"),
        pytest.param("1.50", num("1.5", "万元"), True, id="trailing-zero"),
        pytest.param({"value": "67.49", "unit": "元"}, num("67.49", "万元"), False, id="unit-matters"),
        pytest.param("1.5", num("1.6", "万元"), False, id="other-value"),
    ],
)
def test_money_compares_after_exact_unit_conversion(
    gold_value: Any, got: StatedNumber, correct: bool
) -> None:
    gold = gold_doc(projects=[{"name": "甲", "unit": "万元", "facts": {"spent": gold_value}}])
    result = score(gold, extraction(projects=[project("甲", spent=got)]))
    assert result.scores.projects.correct == int(correct)
    assert [e.kind for e in result.errors] == ([] if correct else ["wrong_value"])


def test_missed_spurious_and_wrong_value_count_separately() -> None:
    gold = gold_doc(
        projects=[
            {
                "name": "甲",
                "unit": "万元",
                "facts": {"budget_initial": "10", "spent": "8", "carryover_out": "2"},
            },
            {"name": "乙", "unit": "万元", "facts": {"spent": "3"}},
        ]
    )
    got = extraction(
        projects=[
            project("甲", budget_initial=num("10"), spent=num("9"), transfer_in=num("1")),
            project("无关的项目名称", spent=num("5")),
        ]
    )
    result = score(gold, got)
    projects = result.scores.projects
    # correct: 甲.budget_initial; wrong: 甲.spent; missed: 甲.carryover_out, 乙.spent;
    # spurious: 甲.transfer_in, 无关.spent
    assert (projects.correct, projects.extracted, projects.gold) == (1, 4, 4)
    assert projects.precision == pytest.approx(0.25) and projects.recall == pytest.approx(0.25)
    assert projects.per_key["spent"].gold == 2 and projects.per_key["budget_initial"].f1 == 1.0
    kinds = sorted((e.kind, e.what) for e in result.errors if e.section == "projects")
    assert ("wrong_value", "甲.spent") in kinds
    assert ("missed", "甲.carryover_out") in kinds
    assert ("missed", "乙.spent") in kinds
    assert ("spurious", "甲.transfer_in") in kinds
    assert ("spurious", "无关的项目名称.spent") in kinds


def test_list_valued_fact_compares_by_sum() -> None:
    gold = gold_doc(projects=[{"name": "甲", "unit": "万元", "facts": {"supplement": ["13.95", "0.68"]}}])
    assert (
        score(gold, extraction(projects=[project("甲", supplement=num("14.63"))])).scores.projects.correct
        == 1
    )
    both = [num("13.95"), num("0.68")]
    assert score(gold, extraction(projects=[project("甲", supplement=both)])).scores.projects.correct == 1
    assert (
        score(gold, extraction(projects=[project("甲", supplement=num("13.95"))])).scores.projects.correct
        == 0
    )


def test_execution_rate_compares_as_percent() -> None:
    gold = gold_doc(projects=[{"name": "公务接待费", "unit": "万元", "facts": {"execution_rate": "9.4"}}])
    got = extraction(projects=[project("公务接待费", execution_rate=num("9.40", "%"))])
    assert score(gold, got).scores.projects.f1 == 1.0


def test_shared_values_break_a_name_tie() -> None:
    gold = gold_doc(
        projects=[
            {"name": "2022年项目", "unit": "万元", "facts": {"spent": "1"}},
            {"name": "2023年项目", "unit": "万元", "facts": {"spent": "2"}},
        ]
    )
    # both extracted names are equally similar to both gold names; the values decide
    got = extraction(projects=[project("2024年项目", spent=num("2")), project("2025年项目", spent=num("1"))])
    result = score(gold, got)
    assert result.scores.projects.correct == 2


# --- parents -------------------------------------------------------------------------------------


def test_parent_links_follow_the_alignment() -> None:
    gold = gold_doc(
        projects=[
            {"name": "专项", "unit": "万元", "facts": {"spent": "3"}},
            {"name": "子一", "parent": "专项", "unit": "万元", "facts": {"spent": "1"}},
            {"name": "子二", "parent": "专项", "unit": "万元", "facts": {"spent": "2"}},
        ]
    )
    got = extraction(
        projects=[
            project("3、“专项”", spent=num("3")),
            project("子一", parent="3、“专项”", spent=num("1")),
            project("子二", parent=None, spent=num("2")),
        ]
    )
    result = score(gold, got)
    assert (result.scores.parents.correct, result.scores.parents.total) == (1, 2)
    assert result.scores.parents.accuracy == 0.5
    assert any(e.section == "parents" and e.what == "parent of 子二" for e in result.errors)


# --- indicators ----------------------------------------------------------------------------------


def test_indicator_fields_are_facts_and_unit_mismatch_is_reported_not_scored() -> None:
    gold = gold_doc(
        indicators=[
            {
                "name": "65岁以上老年人健康管理",
                "target": "59000",
                "actual": "59174",
                "unit": "人",
                "rate": "100.3",
            }
        ]
    )
    got = extraction(
        indicators=[
            Indicator(
                name="65岁以上老年人健康管理人数",
                target=num("59000", "人次"),
                actual=num("59147", "人次"),
                unit="人次",
            )
        ]
    )
    result = score(gold, got)
    indicators = result.scores.indicators
    assert (indicators.correct, indicators.extracted, indicators.gold) == (1, 2, 3)
    assert indicators.per_key["rate"].recall == 0.0
    kinds = {e.kind for e in result.errors if e.section == "indicators"}
    assert kinds == {"wrong_value", "missed", "unit_mismatch"}


# --- breakdowns ----------------------------------------------------------------------------------


def _breakdown(total: tuple[str, str], *parts: tuple[str, str], unit: str = "万元") -> Breakdown:
    return Breakdown(
        unit=unit,
        total=BreakdownItem(label=total[0], amount=num(total[1], unit)),
        parts=[BreakdownItem(label=label, amount=num(value, unit)) for label, value in parts],
    )


def test_breakdown_total_and_parts_are_facts() -> None:
    gold = gold_doc(
        breakdowns=[
            {
                "unit": "万元",
                "total": {"label": "总支出", "value": "7347.90"},
                "parts": [
                    {"label": "项目支出", "value": "6969.76"},
                    {"label": "基本支出", "value": "378.14"},
                ],
            }
        ]
    )
    # different total label, same total in 元; one part right, one wrong, one extra
    got = extraction(
        breakdowns=[
            Breakdown(
                unit="元",
                total=BreakdownItem(label="支出合计", amount=num("73479000", "元")),
                parts=[
                    BreakdownItem(label="基本支出", amount=num("3781400", "元")),
                    BreakdownItem(label="项目支出", amount=num("6969", "万元")),
                    BreakdownItem(label="其他支出", amount=num("1", "万元")),
                ],
            )
        ]
    )
    result = score(gold, got)
    breakdowns = result.scores.breakdowns
    assert (breakdowns.correct, breakdowns.extracted, breakdowns.gold) == (2, 4, 3)
    wrong = [e for e in result.errors if e.kind == "wrong_value"]
    assert [e.what for e in wrong] == ["总支出/项目支出.part"]


def test_unaligned_breakdowns_are_all_missed_and_spurious() -> None:
    gold = gold_doc(
        breakdowns=[
            {
                "unit": "人",
                "total": {"label": "实有人数", "value": "120"},
                "parts": [{"label": "a", "value": "50"}],
            }
        ]
    )
    got = extraction(breakdowns=[_breakdown(("总收入", "99"), ("财政拨款", "99"))])
    breakdowns = score(gold, got).scores.breakdowns
    assert (breakdowns.correct, breakdowns.extracted, breakdowns.gold) == (0, 2, 2)


# --- flags ---------------------------------------------------------------------------------------

_INCONSISTENCIES = [
    {"rule": "breakdown_sum", "subject": "专项资金收入", "values": ["32123.31", "311.25", "32812.06"]},
    {"rule": "unit", "subject": "2022年农村奖励扶助项目", "values": ["67.49", "9.64", "57.85"]},
    {"rule": "date", "subject": "2033年社区卫生服务中心补差项目", "values": ["2033"]},
]


def test_flags_match_by_rule_and_first_value_or_subject() -> None:
    gold = gold_doc(inconsistencies=_INCONSISTENCIES)
    check = CheckReport(
        flags=[
            flag(Rule.BREAKDOWN_SUM, "收入合计", "32123.310", "311.25", "32812.06"),  # same first value
            flag(Rule.UNIT, "“2022年农村奖励扶助项目”", "9.64"),  # similar subject
            flag(Rule.RATIO, "2033年社区卫生服务中心补差项目", "2033"),  # wrong rule
            flag(Rule.UNIT, "2022年农村奖励扶助项目", "67.49"),  # duplicate: one-to-one leaves it spurious
            flag(Rule.CONFLICT, "总支出", "1", "2", severity=Severity.INFO),  # info: not scored
        ]
    )
    flags = score(gold, extraction(), check).scores.flags
    assert (flags.correct, flags.extracted, flags.gold) == (2, 4, 3)
    assert flags.per_key["unit"].correct == 1 and flags.per_key["unit"].extracted == 2
    assert flags.per_key["date"].recall == 0.0
    assert flags.per_key["ratio"].precision == 0.0


def test_a_conflict_matches_when_it_shares_the_gold_first_value_in_any_position() -> None:
    gold = gold_doc(
        inconsistencies=[{"rule": "conflict", "subject": "总支出", "values": ["7347.90", "7343.64"]}]
    )
    reversed_order = CheckReport(flags=[flag(Rule.CONFLICT, "2023年支出", "7343.64", "7347.90")])
    unrelated = CheckReport(flags=[flag(Rule.CONFLICT, "2023年支出", "7343.64", "7000")])
    assert score(gold, extraction(), reversed_order).scores.flags.correct == 1
    assert score(gold, extraction(), unrelated).scores.flags.correct == 0


# --- grounding -----------------------------------------------------------------------------------


def test_grounding_compares_original_slices() -> None:
    text = "年初预算２２５万元，支出1,234.5万元"
    good = num("225", start=4, written="２２５")
    separated = num("1234.5", start=12, written="1,234.5")
    shifted = num("225", start=5, written="２２５")
    got = extraction(projects=[project("甲", budget_initial=good, spent=separated, carryover_out=shifted)])
    result = score(gold_doc(), got, text=text)
    assert (result.scores.grounding.grounded, result.scores.grounding.checked) == (2, 3)
    assert result.scores.grounding.exact == pytest.approx(2 / 3)
    assert score(gold_doc(), got).scores.grounding.exact is None


# --- report, floor, compare ----------------------------------------------------------------------


def _report_with(correct_spent: bool) -> Any:
    gold = gold_doc(projects=[{"name": "甲", "unit": "万元", "facts": {"spent": "1", "budget_initial": "1"}}])
    spent = num("1" if correct_spent else "2")
    got = extraction(projects=[project("甲", spent=spent, budget_initial=num("1"))])
    return build_report([score(gold, got, text=None)])


def test_overall_is_micro_averaged() -> None:
    first = score(
        gold_doc(projects=[{"name": "甲", "facts": {"spent": "1"}}]),
        extraction(projects=[project("甲", spent=num("1"))]),
    )
    gold_many = gold_doc(projects=[{"name": f"项目{i}号", "facts": {"spent": "1"}} for i in range(3)])
    second = score(gold_many, extraction())
    report = build_report([first, second])
    assert report.overall.projects.recall == pytest.approx(1 / 4)  # macro would be (1 + 0) / 2
    dumped = json.loads(report.model_dump_json())
    for section, keys in {
        "projects": ("precision", "recall", "f1"),
        "parents": ("accuracy",),
        "indicators": ("precision", "recall", "f1"),
        "breakdowns": ("precision", "recall", "f1"),
        "flags": ("precision", "recall", "f1"),
        "grounding": ("exact",),
    }.items():
        for key in keys:
            assert key in dumped["overall"][section]
            assert key in dumped["documents"]["t.txt"][section]
    assert {"kind", "document", "what", "gold", "got"} <= set(dumped["errors"][0])


def test_floor_lists_each_figure_below_it() -> None:
    report = _report_with(correct_spent=False)
    failures = floor_failures(report, {"projects.f1": 0.9, "parents.accuracy": 0.5, "_comment": "x"})
    assert len(failures) == 1 and failures[0].english.startswith("projects.f1: 0.5000 < floor 0.9")
    assert failures[0].render("zh") == "projects.f1：0.5000 低于下限 0.9"
    unmeasured = floor_failures(report, {"grounding.exact": 1.0})
    assert [failure.english for failure in unmeasured] == ["grounding.exact: not measured (floor 1.0)"]
    with pytest.raises(ConfigError):
        floor_failures(report, {"projects.f2": 0.5})


def test_compare_marks_changes_and_lists_new_and_fixed_errors() -> None:
    before = json.loads(_report_with(correct_spent=False).model_dump_json())
    after = _report_with(correct_spent=True)
    comparison = compare_reports(before, after)
    changes = {c.metric: c for c in comparison.metrics}
    assert changes["projects.f1"].marker == "▲"
    assert changes["projects.f1"].old == pytest.approx(0.5) and changes["projects.f1"].new == 1.0
    assert changes["parents.accuracy"].marker == "="
    assert [e.what for e in comparison.fixed_errors] == ["甲.spent"]
    assert comparison.new_errors == []
    back = compare_reports(json.loads(after.model_dump_json()), _report_with(correct_spent=False))
    assert {c.metric: c.marker for c in back.metrics}["projects.f1"] == "▼"
    assert [e.what for e in back.new_errors] == ["甲.spent"]


# --- files ---------------------------------------------------------------------------------------


def _gold_file(folder: Path, stem: str, draft: bool = False) -> Path:
    path = folder / f"{stem}.gold.json"
    data = {
        "format": "recon-gold/1",
        "document": f"{stem}.txt",
        "draft": draft,
        "projects": [{"name": "甲", "unit": "万元", "facts": {"spent": "1"}}],
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_gold_pairs_with_every_format_of_its_stem(tmp_path: Path) -> None:
    gold_dir, docs = tmp_path / "gold", tmp_path / "docs"
    gold_dir.mkdir()
    docs.mkdir()
    _gold_file(gold_dir, "004_abc")
    for name in ("004_abc.txt", "004_abc.docx", "005_other.txt", "004_abc.gold.json"):
        (docs / name).write_text("x", encoding="utf-8")
    pairs = pair_gold_with_documents(gold_dir, docs)
    assert sorted(p.document_path.name for p in pairs) == ["004_abc.docx", "004_abc.txt"]

    def observe(path: Path) -> Observed:
        if path.suffix == ".docx":
            return Observed(None, None, None, failure="cannot read")
        return Observed(extraction(projects=[project("甲", spent=num("1"))]), CheckReport(), "")

    report = evaluate_pairs(pairs, observe)
    assert report.documents["004_abc.txt"].projects.f1 == 1.0
    assert report.documents["004_abc.docx"].projects.recall == 0.0
    assert report.errors[0] == EvalError(
        kind="missed", document="004_abc.docx", section="document", what="whole document", got="cannot read"
    )


def test_draft_gold_is_refused_unless_allowed(tmp_path: Path) -> None:
    _gold_file(tmp_path, "d", draft=True)
    (tmp_path / "d.txt").write_text("x", encoding="utf-8")
    with pytest.raises(GoldFormatError, match="draft") as caught:
        pair_gold_with_documents(tmp_path, tmp_path)
    assert caught.value.path.endswith("d.gold.json")
    assert len(pair_gold_with_documents(tmp_path, tmp_path, allow_draft=True)) == 1


def test_gold_without_document_is_an_error(tmp_path: Path) -> None:
    _gold_file(tmp_path, "lonely")
    with pytest.raises(ConfigError, match=r"lonely\.gold\.json"):
        pair_gold_with_documents(tmp_path, tmp_path)


def test_check_gold_scores_a_checker_on_gold_facts(tmp_path: Path) -> None:
    gold_path = _gold_file(tmp_path, "c")
    (tmp_path / "c.txt").write_text("x", encoding="utf-8")
    pairs = pair_gold_with_documents(tmp_path, tmp_path)
    seen: list[DocumentExtraction] = []

    def checker(got: DocumentExtraction) -> CheckReport:
        seen.append(got)
        return CheckReport(flags=[flag(Rule.DATE, "甲", "2033")])

    report = evaluate_pairs(pairs, lambda _: Observed(extraction(), None, None), checker, check_gold=True)
    assert report.overall.check_gold is not None
    assert (report.overall.check_gold.extracted, report.overall.check_gold.gold) == (1, 0)
    assert any(got.projects and got.projects[0].name == "甲" for got in seen)  # the gold facts were checked
    assert gold_path.exists()


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_the_same_money_in_any_unit_scores_correct(value: Decimal) -> None:
    wan = format(value, "f")
    gold = gold_doc(projects=[{"name": "甲", "unit": "万元", "facts": {"spent": wan}}])
    for got in (num(format(value * 10000, "f"), "元"), num(format(value / 10000, "f"), "亿元")):
        assert score(gold, extraction(projects=[project("甲", spent=got)])).scores.projects.correct == 1
    off = num(format(value + Decimal("0.01"), "f"), "万元")
    assert score(gold, extraction(projects=[project("甲", spent=off)])).scores.projects.correct == 0


@given(st.text(max_size=30))
def test_normalize_name_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once
